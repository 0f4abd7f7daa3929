"""esepy.Session: begin/end, context manager, invalidation by the instance's
term(), session limits, one thread per session, and the GIL being released
during engine calls."""
from __future__ import annotations

import gc
import threading

import pytest

import esepy
from esepy import errors as E
from pyapi_helpers import process_state

LONG = 30.0  # generous timeout for joins / waits (never asserted as a duration)


def test_begin_session_returns_a_session(instance):
    s = instance.begin_session()
    try:
        assert isinstance(s, esepy.Session)
        assert isinstance(s, esepy._esepy.Session)
        assert s.closed is False
        assert isinstance(s.sesid, int) and s.sesid not in (0, 2**64 - 1)
        assert s.instance is instance
    finally:
        s.end()
    assert s.closed is True
    assert s.sesid is None
    assert s.instance is instance


def test_sessions_have_distinct_handles(instance):
    with instance.begin_session() as a, instance.begin_session() as b:
        assert a.sesid != b.sesid


def test_session_handle_is_valid_for_the_c_api(jet, instance):
    s = instance.begin_session()
    sesid = s.sesid
    s.end()
    # ended through Python: the C API now refuses the handle
    assert jet.lib.JetEndSession(sesid, 0) == jet.C.JET_errInvalidSesid


def test_session_cannot_be_constructed_directly():
    with pytest.raises(TypeError):
        esepy.Session()


def test_context_manager_ends_the_session(instance):
    with instance.begin_session() as s:
        assert isinstance(s, esepy.Session)
        assert not s.closed
    assert s.closed and s.sesid is None


def test_context_manager_ends_the_session_on_exception(instance):
    with pytest.raises(KeyError):
        with instance.begin_session() as s:
            raise KeyError("x")
    assert s.closed


def test_context_manager_does_not_swallow_exceptions(instance):
    with pytest.raises(ZeroDivisionError):
        with instance.begin_session():
            1 / 0


def test_end_twice_is_harmless(instance):
    s = instance.begin_session()
    s.end()
    s.end()
    assert s.closed


def test_ended_session_refuses_engine_calls(instance):
    s = instance.begin_session()
    s.end()
    with pytest.raises(E.InvalidSesid) as ei:
        s._hold(0)
    assert ei.value.operation == "EsepyTestHoldSession"


def test_ended_session_frees_its_slot(paths):
    with esepy.Instance("slots", max_sessions=1, **paths("slots")) as inst:
        for _ in range(5):
            with inst.begin_session():
                with pytest.raises(E.OutOfSessions):
                    inst.begin_session()


def test_garbage_collected_session_frees_its_slot(paths):
    with esepy.Instance("gcslot", max_sessions=1, **paths("gcslot")) as inst:
        s = inst.begin_session()
        del s
        gc.collect()
        inst.begin_session().end()


def test_term_closes_sessions(paths):
    inst = esepy.Instance("termclose", **paths("termclose"))
    inst.init()
    a = inst.begin_session()
    b = inst.begin_session()
    b.end()
    inst.term()
    for s in (a, b):
        assert s.closed is True
        assert s.sesid is None
        s.end()  # harmless
        with s:   # harmless too
            pass
    with pytest.raises(E.InvalidSesid):
        a._hold(0)
    assert process_state() == (0, 0)


def test_context_manager_session_after_instance_term(paths):
    with esepy.Instance("cmterm", **paths("cmterm")) as inst:
        with inst.begin_session() as s:
            inst.term()
            assert s.closed
    assert s.closed and inst.handle is None


def test_session_keeps_its_instance_alive(paths):
    inst = esepy.Instance("keep", **paths("keep"))
    inst.init()
    handle = inst.handle
    s = inst.begin_session()
    del inst
    gc.collect()
    assert [d["handle"] for d in esepy.instances()] == [handle]
    assert s.instance.handle == handle
    s.end()
    del s
    gc.collect()
    assert esepy.instances() == []
    assert process_state() == (0, 0)


def test_max_sessions_limit(paths):
    with esepy.Instance("max2", max_sessions=2, **paths("max2")) as inst:
        a = inst.begin_session()
        b = inst.begin_session()
        with pytest.raises(E.OutOfSessions) as ei:
            inst.begin_session()
        assert ei.value.code == -1101
        assert ei.value.operation == "JetBeginSession"
        a.end()
        c = inst.begin_session()
        assert not c.closed
        b.end()
        c.end()


def test_max_sessions_zero(paths):
    with esepy.Instance("max0", max_sessions=0, **paths("max0")) as inst:
        with pytest.raises(E.OutOfSessions):
            inst.begin_session()


def test_begin_session_on_created_instance_is_not_initialized():
    inst = esepy.Instance("notinit")
    try:
        with pytest.raises(E.NotInitialized) as ei:
            inst.begin_session()
        assert ei.value.operation == "JetBeginSession"
    finally:
        inst.term()


def test_begin_session_after_failed_init_is_invalid_parameter(tmp_path):
    # ESENT frees an instance whose init failed: it is terminated.
    missing = str(tmp_path / "missing") + "/"
    inst = esepy.Instance("failinit", system_path=missing, log_path=missing, temp_path=missing)
    try:
        with pytest.raises(E.InvalidPath):
            inst.init()
        assert inst.handle is None
        with pytest.raises(E.InvalidParameter):
            inst.begin_session()
    finally:
        inst.term()


def test_begin_session_after_term_is_invalid_parameter(instance):
    instance.term()
    with pytest.raises(E.InvalidParameter):
        instance.begin_session()


# ---------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------

class Holder:
    """Runs session._hold(ms) on a thread and records how it ended."""

    def __init__(self, session, ms):
        self.session = session
        self.ms = ms
        self.error = None
        self.returned = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            while True:
                try:
                    self.session._hold(self.ms)
                    break
                except E.SessionSharingViolation:
                    # the main thread's probe (_hold(0)) was inside the
                    # session at that very moment: try again
                    continue
        except BaseException as e:  # recorded for the main thread
            self.error = e
        finally:
            self.returned.set()

    def start(self):
        self.thread.start()
        return self

    def join(self):
        self.thread.join(LONG)
        assert not self.thread.is_alive()


def wait_until_busy(session, holder):
    """Return True once `session` is seen busy (inside the other thread's
    _hold); probing uses _hold(0), which only succeeds on an idle session."""
    while not holder.returned.is_set():
        try:
            session._hold(0)
        except E.SessionSharingViolation:
            return True
    return False


def test_end_while_another_thread_uses_the_session(instance):
    s = instance.begin_session()
    h = Holder(s, 600).start()
    try:
        assert wait_until_busy(s, h)
        with pytest.raises(E.SessionSharingViolation) as ei:
            s.end()
        assert ei.value.operation == "JetEndSession"
        # the session is still open and still usable by its owner
        assert not s.closed and s.sesid is not None
    finally:
        h.join()
    assert h.error is None
    s.end()
    assert s.closed


def test_hold_while_another_thread_uses_the_session(instance):
    s = instance.begin_session()
    h = Holder(s, 600).start()
    try:
        assert wait_until_busy(s, h)
        with pytest.raises(E.SessionSharingViolation) as ei:
            s._hold(1)
        assert ei.value.operation == "EsepyTestHoldSession"
    finally:
        h.join()
    assert h.error is None
    s._hold(0)  # idle again
    s.end()


def test_other_sessions_are_not_affected_by_a_busy_one(instance):
    s = instance.begin_session()
    t = instance.begin_session()
    h = Holder(s, 600).start()
    try:
        assert wait_until_busy(s, h)
        t._hold(0)
        t.end()
        u = instance.begin_session()
        u.end()
    finally:
        h.join()
    s.end()


def test_gil_is_released_during_hold(instance):
    # While the other thread sits inside _hold(300) the main thread keeps
    # running Python code: its counter advances between two moments at which
    # it sees the session busy (impossible if _hold kept the GIL).
    s = instance.begin_session()
    h = Holder(s, 300).start()
    counter = 0
    busy_at = []
    try:
        while not h.returned.is_set():
            counter += 1
            try:
                s._hold(0)
            except E.SessionSharingViolation:
                busy_at.append(counter)
    finally:
        h.join()
    assert h.error is None
    assert len(busy_at) >= 2
    assert busy_at[-1] > busy_at[0]
    s.end()


def test_term_waits_for_a_call_in_progress(paths):
    inst = esepy.Instance("termwait", **paths("termwait"))
    inst.init()
    s = inst.begin_session()
    h = Holder(s, 600).start()
    try:
        assert wait_until_busy(s, h)
        inst.term()  # waits until _hold has left the session
        assert inst.handle is None and s.closed
    finally:
        h.join()
        inst.term()
    assert h.error is None
    assert s.closed
    assert process_state() == (0, 0)


def test_sessions_from_many_threads(instance):
    errors = []
    done = threading.Barrier(8, timeout=LONG)

    def worker():
        try:
            for _ in range(20):
                with instance.begin_session() as s:
                    s._hold(0)
            done.wait()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(LONG)
    assert errors == []
    assert not any(t.is_alive() for t in threads)


def test_session_is_weak_referenceable(instance):
    import weakref
    s = instance.begin_session()
    r = weakref.ref(s)
    assert r() is s
    s.end()
    del s
    assert r() is None


def test_reference_cycle_through_a_session_is_collected(paths):
    # A session stored on its own instance (e.g. by an Instance subclass that
    # keeps "its" session) forms a cycle instance -> __dict__ -> session ->
    # instance.  The cycle collector must be able to break it, terminating
    # the engine instance, as it does for any other cycle.
    import weakref
    inst = esepy.Instance("cycle", **paths("cycle"))
    inst.init()
    inst.session = inst.begin_session()
    ref = weakref.ref(inst)
    del inst
    gc.collect()
    leaked = ref()
    state = process_state()
    if leaked is not None:  # clean up so that later tests are not affected
        leaked.session.end()
        leaked.term()
        del leaked
    assert (ref() is None, state) == (True, (0, 0)), "a session-instance cycle is never collected"


def test_commit_returns_the_commit_id(instance, tmp_path):
    """Session.commit returns JetCommitTransaction2's commit id: growing log
    positions for logged commits, 0 for a nested level or nothing logged; a
    lazy commit with durable_within_ms is accepted (made durable by the
    flusher thread) and a negative time is refused."""
    with instance.begin_session() as s:
        db = s.create_database(str(tmp_path / "c.edb"))
        t = db.create_table("t", {"k": "long"}, primary_key=["k"])
        ids = []
        for k, kw in enumerate(({}, {"lazy": True}, {"lazy": True, "durable_within_ms": 5})):
            s.begin_transaction()
            t.insert({"k": k})
            ids.append(s.commit(**kw))
        assert ids == sorted(ids) and ids[0] > 0 and len(set(ids)) == 3
        assert all(i >> 32 == ids[0] >> 32 for i in ids)  # one log generation
        s.begin_transaction()
        s.begin_transaction()
        t.insert({"k": 10})
        assert s.commit() == 0  # nested level
        assert s.commit() > ids[-1]
        s.begin_transaction()
        assert s.commit() == 0  # read-only
        s.begin_transaction()
        with pytest.raises(ValueError):
            s.commit(durable_within_ms=-1)
        s.rollback()
        t.close()
