"""Engine events as records of the "esepy" logger: ids, levels, extra
attributes, the NoInformationEvent / EventLoggingLevel parameters, and the
bridge's robustness (raising handlers, other threads, pending exceptions)."""
from __future__ import annotations

import logging
import sys
import threading

import pytest

import esepy
from esepy import errors as E
from pyapi_helpers import folders, process_state

LONG = 30.0


def esepy_records(caplog):
    return [r for r in caplog.records if r.name == "esepy"]


def test_event_ids_match_the_header(jet):
    for name in ("INIT_BEGIN", "INIT_DONE", "INIT_FAILED", "TERM_DONE", "TERM_FAILED", "TERM_DIRTY",
                 "BACKUP_BEGIN", "BACKUP_DONE", "BACKUP_FAILED", "RESTORE_BEGIN",
                 "RESTORE_GENERATION", "RESTORE_DONE", "RESTORE_FAILED", "RECOVERY_BEGIN",
                 "RECOVERY_GENERATION", "RECOVERY_DONE", "RECOVERY_FAILED", "LOG_CORRECTED",
                 "RECOVERY_CREATE_UNDONE", "DATABASE_CORRUPTED"):
        assert getattr(esepy, "EVENT_" + name) == getattr(jet.C, "ESEPY_EVENT_" + name), name
    assert (jet.C.ESEPY_LEVEL_INFO, jet.C.ESEPY_LEVEL_WARNING, jet.C.ESEPY_LEVEL_ERROR) == \
        (logging.INFO, logging.WARNING, logging.ERROR)


def test_init_and_term_events(caplog, paths):
    caplog.set_level(logging.INFO, logger="esepy")
    kw = paths("ev")
    inst = esepy.Instance("ev", **kw)
    handle = inst.handle
    try:
        inst.init()
    finally:
        inst.term()
    recs = esepy_records(caplog)
    assert [r.event_id for r in recs] == [esepy.EVENT_INIT_BEGIN, esepy.EVENT_INIT_DONE,
                                         esepy.EVENT_TERM_DONE]
    for r in recs:
        assert r.levelno == logging.INFO
        assert r.jet_err == 0
        assert r.jet_err_name == "JET_errSuccess"
        assert r.instance_name == "ev"
        assert r.instance_handle == handle
        assert isinstance(r.event_fields, dict)
        assert r.getMessage()
    assert [r.operation for r in recs] == ["JetInit2", "JetInit2", "JetTerm2"]
    done = recs[1]
    f = done.event_fields
    assert f["system_path"].rstrip("/") == kw["system_path"].rstrip("/")
    assert f["log_path"].rstrip("/") == kw["log_path"].rstrip("/")
    assert f["temp_path"].startswith(kw["temp_path"])
    assert f["base_name"] == "edb"
    # the fields are also record attributes
    assert done.system_path == f["system_path"]
    assert done.log_path == f["log_path"]
    assert done.base_name == "edb"


def test_failed_init_event(caplog, tmp_path):
    caplog.set_level(logging.INFO, logger="esepy")
    inst = esepy.Instance("evfail", **folders(tmp_path, "missing"))
    try:
        with pytest.raises(E.InvalidPath):
            inst.init()
    finally:
        inst.term()
    recs = esepy_records(caplog)
    assert [r.event_id for r in recs] == [esepy.EVENT_INIT_BEGIN, esepy.EVENT_INIT_FAILED]
    failed = recs[-1]
    assert failed.levelno == logging.ERROR
    assert failed.jet_err == -1023
    assert failed.jet_err_name == "JET_errInvalidPath"
    assert failed.instance_name == "evfail"
    assert failed.operation == "JetInit2"
    assert "JET_errInvalidPath" in failed.getMessage()


def test_term_dirty_event(caplog, paths):
    caplog.set_level(logging.INFO, logger="esepy")
    inst = esepy.Instance("evdirty", **paths("evdirty"))
    inst.init()
    with pytest.raises(E.DirtyShutdown):
        inst.term(grbit=esepy.TERM_DIRTY)
    last = esepy_records(caplog)[-1]
    assert last.event_id == esepy.EVENT_TERM_DIRTY
    assert last.levelno == logging.WARNING
    assert last.jet_err == E.DirtyShutdown.code
    assert last.jet_err_name == "JET_errDirtyShutdown"


def test_unnamed_instance_event(caplog, paths):
    caplog.set_level(logging.INFO, logger="esepy")
    with esepy.Instance(None, **paths("unnamed")):
        pass
    assert {r.instance_name for r in esepy_records(caplog)} == {""}


def test_deleting_an_instance_logs_term(caplog, paths):
    caplog.set_level(logging.INFO, logger="esepy")
    inst = esepy.Instance("evdel", **paths("evdel"))
    inst.init()
    del inst
    assert esepy_records(caplog)[-1].event_id == esepy.EVENT_TERM_DONE


def test_uninitialized_instance_term_logs_nothing(caplog):
    caplog.set_level(logging.DEBUG, logger="esepy")
    esepy.Instance("quiet").term()
    assert esepy_records(caplog) == []


def test_no_information_event_suppresses_info_only(caplog, paths, tmp_path):
    caplog.set_level(logging.DEBUG, logger="esepy")
    with esepy.Instance("noinfo", no_information_event=True, **paths("noinfo")):
        pass
    assert esepy_records(caplog) == []
    inst = esepy.Instance("noinfo-fail", no_information_event=True, **folders(tmp_path, "missing"))
    try:
        with pytest.raises(E.InvalidPath):
            inst.init()
    finally:
        inst.term()
    assert [(r.event_id, r.levelno) for r in esepy_records(caplog)] == \
        [(esepy.EVENT_INIT_FAILED, logging.ERROR)]


def test_event_logging_level_zero_suppresses_everything(caplog, paths, tmp_path):
    caplog.set_level(logging.DEBUG, logger="esepy")
    with esepy.Instance("silent", event_logging_level=0, **paths("silent")):
        pass
    inst = esepy.Instance("silent-fail", event_logging_level=0, **folders(tmp_path, "missing"))
    try:
        with pytest.raises(E.InvalidPath):
            inst.init()
    finally:
        inst.term()
    inst = esepy.Instance("silent-dirty", event_logging_level=0, **paths("silent-dirty"))
    inst.init()
    with pytest.raises(E.DirtyShutdown):
        inst.term(grbit=esepy.TERM_DIRTY)
    assert esepy_records(caplog) == []


def test_logger_level_filters_events(caplog, paths, tmp_path):
    caplog.set_level(logging.WARNING, logger="esepy")
    with esepy.Instance("lvl", **paths("lvl")):
        pass
    assert esepy_records(caplog) == []
    inst = esepy.Instance("lvl-fail", **folders(tmp_path, "missing"))
    try:
        with pytest.raises(E.InvalidPath):
            inst.init()
    finally:
        inst.term()
    assert [r.event_id for r in esepy_records(caplog)] == [esepy.EVENT_INIT_FAILED]


def test_records_go_through_a_plain_handler(esepy_log, paths):
    with esepy.Instance("plain", **paths("plain")):
        pass
    assert esepy_log.ids() == [esepy.EVENT_INIT_BEGIN, esepy.EVENT_INIT_DONE, esepy.EVENT_TERM_DONE]
    assert all(r.name == "esepy" for r in esepy_log.records)


def test_raising_handler_does_not_break_init(paths, monkeypatch):
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    class Broken(Exception):
        pass

    class RaisingHandler(logging.Handler):
        def emit(self, record):
            raise Broken(record.event_id)

    logger = logging.getLogger("esepy")
    handler = RaisingHandler()
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        inst = esepy.Instance("broken", **paths("broken"))
        try:
            inst.init()
            assert inst.initialized
            assert [d["name"] for d in esepy.instances()] == ["broken"]
            with inst.begin_session():
                pass
        finally:
            inst.term()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    assert inst.handle is None
    assert [u.exc_type for u in unraisable] == [Broken, Broken, Broken]
    assert [u.exc_value.args[0] for u in unraisable] == [
        esepy.EVENT_INIT_BEGIN, esepy.EVENT_INIT_DONE, esepy.EVENT_TERM_DONE]


def test_raising_handler_on_failed_init_keeps_the_engine_error(tmp_path, monkeypatch):
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    class RaisingHandler(logging.Handler):
        def emit(self, record):
            raise RuntimeError("handler")

    logger = logging.getLogger("esepy")
    handler = RaisingHandler()
    logger.addHandler(handler)
    try:
        inst = esepy.Instance("broken-fail", **folders(tmp_path, "missing"))
        try:
            with pytest.raises(E.InvalidPath):
                inst.init()
        finally:
            inst.term()
    finally:
        logger.removeHandler(handler)
    assert unraisable and all(u.exc_type is RuntimeError for u in unraisable)


def test_events_from_another_thread(esepy_log, paths):
    inst = esepy.Instance("threaded", **paths("threaded"))
    errors = []

    def work():
        try:
            inst.init()
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=work, name="esepy-init-thread")
    t.start()
    t.join(LONG)
    try:
        assert not t.is_alive() and errors == []
        assert inst.initialized
        inits = [r for r in esepy_log.records if r.event_id in (esepy.EVENT_INIT_BEGIN, esepy.EVENT_INIT_DONE)]
        assert len(inits) == 2
        assert {r.threadName for r in inits} == {"esepy-init-thread"}
    finally:
        inst.term()
    assert esepy_log.records[-1].threadName == threading.current_thread().name


def test_handler_may_call_back_into_the_engine(paths):
    seen = []

    class Reentrant(logging.Handler):
        def emit(self, record):
            if record.event_id == esepy.EVENT_INIT_DONE:
                seen.append([d["name"] for d in esepy.instances()])
                seen.append(esepy.get_default_param("max_sessions"))

    logger = logging.getLogger("esepy")
    handler = Reentrant()
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with esepy.Instance("reentrant", **paths("reentrant")):
            pass
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    assert seen == [["reentrant"], 16]


def test_uninstalled_sink_delivers_nothing(esepy_log, paths):
    from esepy import _events
    _events.uninstall()
    try:
        with esepy.Instance("nosink", **paths("nosink")):
            pass
    finally:
        _events.install()
    assert esepy_log.records == []
    with esepy.Instance("sink-again", **paths("sink-again")):
        pass
    assert len(esepy_log.records) == 3


def test_instance_freed_while_an_exception_propagates(paths, monkeypatch):
    # An initialized instance whose last reference goes away while an
    # exception is propagating (here: the value stack of f() is cleared as
    # the ZeroDivisionError unwinds) emits its TERM event from the dealloc.
    # The event bridge must not disturb the pending exception: the caller
    # has to see its ZeroDivisionError, and nothing is "unraisable".
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    kw = paths("unwind")

    def make():
        inst = esepy.Instance("unwind", **kw)
        inst.init()
        return inst

    def f():
        return [make(), 1 / 0]

    caught = None
    try:
        f()
    except BaseException as exc:  # noqa: B902 - the type is what is checked
        caught = type(exc)
    assert process_state() == (0, 0)
    details = [f"{u.exc_type.__name__}: {u.exc_value}" for u in unraisable]
    assert (caught, details) == (ZeroDivisionError, [])


def test_non_utf8_paths_in_event_fields(caplog, tmp_path):
    import os
    caplog.set_level(logging.INFO, logger="esepy")
    raw = os.fsencode(str(tmp_path)) + b"/ev\xe9\xff/"
    name = os.fsdecode(raw)
    with esepy.Instance("evbytes", system_path=name, log_path=name, temp_path=name,
                        create_path_if_not_exist=True):
        pass
    done = [r for r in esepy_records(caplog) if r.event_id == esepy.EVENT_INIT_DONE]
    assert len(done) == 1
    assert done[0].event_fields["system_path"] == name.rstrip("/")
    assert os.fsencode(done[0].event_fields["log_path"]) == raw.rstrip(b"/")
