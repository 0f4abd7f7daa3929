"""esepy.Instance: keyword parameters, life cycle, context manager, folders,
names, introspection (get_param / params / repr) and esepy.instances()."""
from __future__ import annotations

import gc
import os
import pathlib

import pytest

import esepy
from esepy import errors as E
from pyapi_helpers import folders, process_state


def listed(inst):
    return [d for d in esepy.instances() if d["handle"] == inst.handle]


# ---------------------------------------------------------------------------
# Keyword parameters
# ---------------------------------------------------------------------------

def test_keyword_params_reach_the_engine(jet, tmp_path):
    kw = folders(tmp_path, "kw")
    inst = esepy.Instance("kw", base_name="abc", circular_log=True, log_file_size_kb=1024,
                          create_path_if_not_exist=True, max_sessions=3, **kw)
    try:
        h = inst.handle
        C = jet.C
        # What the engine stores, read through the C API (not through esepy).
        assert jet.get_param_str(h, C.JET_paramSystemPath) == (0, kw["system_path"])
        assert jet.get_param_str(h, C.JET_paramLogFilePath) == (0, kw["log_path"])
        assert jet.get_param_str(h, C.JET_paramTempPath) == (0, kw["temp_path"])
        assert jet.get_param_str(h, C.JET_paramBaseName) == (0, "abc")
        assert jet.get_param_int(h, C.JET_paramCircularLog) == (0, 1)
        assert jet.get_param_int(h, C.JET_paramLogFileSize) == (0, 1024)
        assert jet.get_param_int(h, C.JET_paramCreatePathIfNotExist) == (0, 1)
        assert jet.get_param_int(h, C.JET_paramMaxSessions) == (0, 3)
    finally:
        inst.term()


def test_keyword_params_do_not_leak_to_other_instances(tmp_path):
    a = esepy.Instance("a", max_sessions=3, circular_log=True)
    try:
        b = esepy.Instance("b")
        try:
            assert b.get_param("max_sessions") == esepy.parameters()["max_sessions"].default
            assert b.get_param("circular_log") is False
        finally:
            b.term()
    finally:
        a.term()


def test_jet_param_names_are_accepted_as_keywords():
    inst = esepy.Instance("jetname", **{"JET_paramMaxSessions": 7})
    try:
        assert inst.get_param("max_sessions") == 7
        assert inst.get_param("JET_paramMaxSessions") == 7
    finally:
        inst.term()


def test_pathlike_values_are_accepted(tmp_path):
    sysdir = tmp_path / "pl"
    inst = esepy.Instance("pl", system_path=sysdir, log_path=sysdir,
                          temp_path=str(sysdir) + "/", create_path_if_not_exist=True)
    try:
        assert inst.get_param("system_path") == str(sysdir) + "/"  # as ESENT: a folder reads back with its '/'
        inst.init()
        assert sysdir.is_dir()
    finally:
        inst.term()


def test_unknown_keyword_is_a_type_error_suggesting_the_nearest_names():
    with pytest.raises(TypeError) as ei:
        esepy.Instance("unknown", sytem_path="/tmp/")
    msg = str(ei.value)
    assert "sytem_path" in msg and "did you mean 'system_path'" in msg
    assert "esepy.parameters()" in msg
    # not all 150 names: a typo gets a short, useful answer
    assert "circular_log" not in msg and len(msg) < 200
    with pytest.raises(TypeError) as ei:
        esepy.Instance("unknown", JET_paramLogFilePth="/tmp/")
    assert "did you mean 'JET_paramLogFilePath'" in str(ei.value)
    with pytest.raises(TypeError) as ei:
        esepy.Instance("unknown", zzzzzz=1)
    assert "did you mean" not in str(ei.value)
    assert process_state() == (0, 0)  # nothing was created


@pytest.mark.parametrize("name, value", [
    ("max_sessions", "3"),
    ("max_sessions", 3.0),
    ("max_sessions", True),       # a bool is not an int here
    ("log_file_size_kb", None),
    ("circular_log", "yes"),
    ("system_path", 5),
    ("base_name", ["e", "d", "b"]),
])
def test_wrong_value_type_is_a_type_error(name, value):
    with pytest.raises(TypeError) as ei:
        esepy.Instance("badtype", **{name: value})
    assert name in str(ei.value)
    assert process_state() == (0, 0)


@pytest.mark.parametrize("name, value", [
    ("max_sessions", 30001),
    ("max_sessions", -1),
    ("log_file_size_kb", 10),
    ("log_file_size_kb", 1 << 40),
    ("base_name", "abcd"),
    ("base_name", "ab"),
    ("system_path", ""),
    ("recovery", "maybe"),
    ("event_logging_level", 101),
])
def test_out_of_range_is_invalid_parameter_and_frees_the_instance(name, value):
    with pytest.raises(E.InvalidParameter) as ei:
        esepy.Instance("range", **{name: value})
    assert ei.value.code == -1003
    assert ei.value.operation == "JetSetSystemParameter"
    # the half-built instance was terminated: the name is free again
    assert process_state() == (0, 0)
    esepy.Instance("range").term()


def test_nul_in_a_string_parameter_is_rejected():
    with pytest.raises(ValueError):
        esepy.Instance("nul", system_path="/tmp/a\0b/")
    assert process_state() == (0, 0)


def test_bool_params_accept_ints():
    inst = esepy.Instance("boolint", circular_log=2)
    try:
        assert inst.get_param("circular_log") is True
        inst.set_param("circular_log", 0)
        assert inst.get_param("circular_log") is False
    finally:
        inst.term()


# ---------------------------------------------------------------------------
# database_page_size: a process-wide parameter fixed once a mode is chosen
# ---------------------------------------------------------------------------

def test_database_page_size_is_process_wide():
    inst = esepy.Instance("dps")
    try:
        assert inst.get_param("database_page_size") == esepy.get_default_param("database_page_size")
        # the current value is tolerated ...
        inst.set_param("database_page_size", esepy.get_default_param("database_page_size"))
        # ... a different one is refused: the process is in multi-instance mode now
        with pytest.raises(E.AlreadyInitialized):
            inst.set_param("database_page_size", 8192)
        assert esepy.get_default_param("database_page_size") == 4096
    finally:
        inst.term()


def test_database_page_size_keyword_with_the_current_value_is_tolerated():
    inst = esepy.Instance("dps-same", database_page_size=esepy.get_default_param("database_page_size"))
    inst.term()


def test_database_page_size_keyword_refused_while_another_instance_exists():
    other = esepy.Instance("dps-other")
    try:
        with pytest.raises(E.AlreadyInitialized):
            esepy.Instance("dps-new", database_page_size=8192)
        assert process_state() == (2, 1)  # the refused instance was freed
        assert esepy.get_default_param("database_page_size") == 4096
    finally:
        other.term()


def test_database_page_size_keyword_on_the_first_instance(subproc):
    # The issue lists database_page_size among Instance's keyword parameters.
    # For the first instance of a process no mode is chosen yet, so the value
    # can be applied; it must not fail with "already initialized".
    subproc("""
        import esepy
        inst = esepy.Instance("first", database_page_size=8192)
        try:
            assert inst.get_param("database_page_size") == 8192
            assert esepy.get_default_param("database_page_size") == 8192
        finally:
            inst.term()
    """)


# ---------------------------------------------------------------------------
# Life cycle
# ---------------------------------------------------------------------------

def test_init_and_term(paths):
    inst = esepy.Instance("life", **paths("life"))
    try:
        assert inst.handle is not None and not inst.initialized
        assert process_state() == (2, 1)
        inst.init()
        assert inst.initialized
        assert listed(inst) == [{"handle": inst.handle, "name": "life", "databases": []}]
    finally:
        inst.term()
    assert inst.handle is None and not inst.initialized
    assert process_state() == (0, 0)


def test_init_twice_is_already_initialized(instance):
    with pytest.raises(E.AlreadyInitialized) as ei:
        instance.init()
    assert ei.value.operation == "JetInit2"
    assert instance.initialized


def test_init_bad_grbit(paths):
    inst = esepy.Instance("grbit", **paths("grbit"))
    try:
        with pytest.raises(E.InvalidGrbit):
            inst.init(grbit=0x40000000)
        assert not inst.initialized
        inst.init()
        assert inst.initialized
    finally:
        inst.term()


def test_term_twice_is_harmless(instance):
    instance.term()
    instance.term()
    assert instance.handle is None
    assert process_state() == (0, 0)


def test_term_of_a_never_initialized_instance():
    inst = esepy.Instance("never")
    inst.term()
    assert inst.handle is None
    assert process_state() == (0, 0)


def test_term_bad_grbit_keeps_the_instance_usable(instance):
    with pytest.raises(E.InvalidGrbit):
        instance.term(grbit=0x100)
    assert instance.handle is not None and instance.initialized
    assert listed(instance)
    instance.term()
    assert instance.handle is None


def test_term_dirty_reports_dirty_shutdown_but_terminates(instance):
    with pytest.raises(E.DirtyShutdown):
        instance.term(grbit=esepy.TERM_DIRTY)
    assert instance.handle is None and not instance.initialized
    assert process_state() == (0, 0)


@pytest.mark.parametrize("grbit", [esepy.TERM_COMPLETE, esepy.TERM_ABRUPT, esepy.TERM_STOP_BACKUP])
def test_term_grbits(paths, grbit):
    inst = esepy.Instance("tg", **paths("tg"))
    inst.init()
    inst.term(grbit=grbit)
    assert inst.handle is None
    assert process_state() == (0, 0)


def test_terminated_instance_refuses_use(instance):
    instance.term()
    with pytest.raises(E.InvalidParameter):
        instance.init()
    with pytest.raises(E.InvalidParameter):
        instance.begin_session()
    with pytest.raises(E.InvalidParameter):
        instance.get_param("system_path")
    with pytest.raises(E.InvalidParameter):
        instance.set_param("max_sessions", 3)
    with pytest.raises(E.InvalidParameter):
        instance.params()


def test_deleted_instance_is_terminated(paths):
    inst = esepy.Instance("deleted", **paths("deleted"))
    inst.init()
    assert [d["name"] for d in esepy.instances()] == ["deleted"]
    del inst
    assert esepy.instances() == []
    assert process_state() == (0, 0)
    # its folders and its name are free again
    again = esepy.Instance("deleted", **paths("deleted"))
    try:
        again.init()
    finally:
        again.term()


def test_deleted_uninitialized_instance_frees_its_name():
    inst = esepy.Instance("gone")
    del inst
    gc.collect()
    assert process_state() == (0, 0)
    esepy.Instance("gone").term()


# ---------------------------------------------------------------------------
# Context manager
# ---------------------------------------------------------------------------

def test_context_manager_inits_and_terms(paths):
    with esepy.Instance("cm", **paths("cm")) as inst:
        assert isinstance(inst, esepy.Instance)
        assert inst.initialized
        assert listed(inst)
    assert inst.handle is None
    assert process_state() == (0, 0)


def test_context_manager_terms_on_exception(paths):
    class Boom(Exception):
        pass
    with pytest.raises(Boom):
        with esepy.Instance("cm-exc", **paths("cm-exc")) as inst:
            raise Boom()
    assert inst.handle is None
    assert esepy.instances() == []
    assert process_state() == (0, 0)


def test_context_manager_on_an_initialized_instance(paths):
    inst = esepy.Instance("cm-init", **paths("cm-init"))
    inst.init()
    with inst as same:
        assert same is inst
        assert inst.initialized
    assert inst.handle is None


def test_context_manager_exit_after_explicit_term(paths):
    with esepy.Instance("cm-term", **paths("cm-term")) as inst:
        inst.term()
    assert inst.handle is None


def test_context_manager_failed_init_releases_the_instance(paths, tmp_path):
    # `with esepy.Instance(...) as inst:` gives the caller no reference when
    # init() fails in __enter__, so the instance must not stay alive (holding
    # its name) while the exception is being handled: a retry with the same
    # name inside the except block has to work.
    missing = folders(tmp_path, "missing")
    alive_during_handling = None
    retry_error = None
    try:
        with esepy.Instance("cm-retry", **missing):
            pass
    except E.InvalidPath:
        alive_during_handling = process_state()[1]
        try:
            with esepy.Instance("cm-retry", **paths("cm-retry")) as inst:
                assert inst.initialized
        except E.InstanceNameInUse as exc:
            retry_error = repr(exc)  # keep no traceback: it would keep the instance alive
    # (the exception is gone now, and with it any reference to the failed instance)
    gc.collect()
    assert process_state() == (0, 0)
    assert (alive_during_handling, retry_error) == (0, None), (
        "the instance whose init failed in __enter__ stays alive while the exception is handled")


# ---------------------------------------------------------------------------
# Parameters after creation
# ---------------------------------------------------------------------------

def test_set_param_before_init(paths):
    inst = esepy.Instance("setp")
    try:
        for k, v in paths("setp").items():
            inst.set_param(k, v)
        inst.set_param("max_sessions", 4)
        assert inst.get_param("max_sessions") == 4
        inst.init()
        with inst.begin_session(), inst.begin_session(), inst.begin_session(), inst.begin_session():
            with pytest.raises(E.OutOfSessions):
                inst.begin_session()
    finally:
        inst.term()


@pytest.mark.parametrize("name, new", [
    ("system_path", "/tmp/elsewhere/"),
    ("log_path", "/tmp/elsewhere/"),
    ("temp_path", "/tmp/elsewhere/"),
    ("base_name", "xyz"),
    ("circular_log", True),
    ("log_file_size_kb", 2048),
    ("max_sessions", 5),
])
def test_fixed_at_init_params_refused_after_init(instance, name, new):
    before = instance.get_param(name)
    with pytest.raises(E.AlreadyInitialized) as ei:
        instance.set_param(name, new)
    assert ei.value.operation == "JetSetSystemParameter"
    assert instance.get_param(name) == before
    # setting the value it already has is tolerated
    instance.set_param(name, before)
    assert instance.get_param(name) == before


def test_dynamic_param_can_change_after_init(instance):
    instance.set_param("create_path_if_not_exist", False)
    assert instance.get_param("create_path_if_not_exist") is False
    instance.set_param("db_extension_size", 512)
    assert instance.get_param("db_extension_size") == 512


def test_set_param_out_of_range_after_init(instance):
    with pytest.raises(E.InvalidParameter):
        instance.set_param("db_extension_size", 0)
    with pytest.raises(TypeError):
        instance.set_param("db_extension_size", "512")
    with pytest.raises(TypeError):
        instance.set_param("no_such_param", 1)


def test_get_param_types(instance, paths):
    kw = paths("fixture")
    assert instance.get_param("circular_log") is False
    assert instance.get_param("create_path_if_not_exist") is True
    assert instance.get_param("system_path") == kw["system_path"]
    assert instance.get_param("log_path") == kw["log_path"]
    assert instance.get_param("temp_path") == kw["temp_path"]
    assert instance.get_param("base_name") == "edb"
    ms = instance.get_param("max_sessions")
    assert type(ms) is int and ms == 16
    assert type(instance.get_param("log_file_size_kb")) is int
    assert type(instance.get_param("database_page_size")) is int
    assert instance.get_param("key_most") > 0


def test_params_dict(instance, paths):
    p = instance.params()
    infos = esepy.parameters()
    # every parameter except raw pointers (callbacks), by Python name
    assert set(p) == {n for n, i in infos.items() if i.type != 6}
    assert "print_function" not in p
    for name, value in p.items():
        assert type(value) is infos[name].python_type, name
    kw = paths("fixture")
    assert p["system_path"] == kw["system_path"]
    assert p["log_path"] == kw["log_path"]
    assert p["create_path_if_not_exist"] is True
    assert p["max_sessions"] == instance.get_param("max_sessions")


def test_params_of_a_created_instance_are_readable():
    inst = esepy.Instance("created", circular_log=True)
    try:
        p = inst.params()
        assert p["circular_log"] is True
        assert p["system_path"] == esepy.get_default_param("system_path")
    finally:
        inst.term()


# ---------------------------------------------------------------------------
# repr
# ---------------------------------------------------------------------------

def test_repr_states(paths):
    inst = esepy.Instance("rep", **paths("rep"))
    try:
        r = repr(inst)
        assert "rep" in r and "created" in r
        inst.init()
        assert "initialized" in repr(inst)
    finally:
        inst.term()
    assert "terminated" in repr(inst)
    assert "rep" in repr(inst)


def test_repr_html_contains_paths(instance, paths):
    html = instance._repr_html_()
    kw = paths("fixture")
    assert html.startswith("<table") and html.endswith("</table>")
    for value in kw.values():
        if value is not True:
            assert value in html
    assert "initialized" in html
    assert "edb" in html


def test_repr_html_escapes_and_survives_term():
    inst = esepy.Instance("<b>&", system_path="/tmp/a<b>/")
    try:
        html = inst._repr_html_()
        assert "&lt;b&gt;&amp;" in html
        assert "/tmp/a&lt;b&gt;/" in html
        assert "<b>" not in html
    finally:
        inst.term()
    html = inst._repr_html_()
    assert "terminated" in html


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

def test_duplicate_name_is_instance_name_in_use():
    a = esepy.Instance("dup")
    try:
        with pytest.raises(E.InstanceNameInUse) as ei:
            esepy.Instance("dup")
        assert ei.value.operation == "JetCreateInstance2"
        assert process_state() == (2, 1)
    finally:
        a.term()
    esepy.Instance("dup").term()  # free again


def test_two_unnamed_instances_collide():
    a = esepy.Instance()
    try:
        assert a.name is None
        with pytest.raises(E.InstanceNameInUse):
            esepy.Instance()
        b = esepy.Instance("named")
        b.term()
    finally:
        a.term()


def test_display_name_is_accepted():
    inst = esepy.Instance("disp", display_name="Display Name")
    inst.term()


def test_overlong_name_is_invalid_parameter():
    with pytest.raises(E.InvalidParameter):
        esepy.Instance("n" * 5000)
    assert process_state() == (0, 0)


# ---------------------------------------------------------------------------
# Folders
# ---------------------------------------------------------------------------

def test_shared_system_folder_is_system_path_in_use(paths, tmp_path):
    a = esepy.Instance("a", **paths("a"))
    b = esepy.Instance("b", **paths("b"))
    try:
        a.init()
        b.set_param("system_path", a.get_param("system_path"))
        with pytest.raises(E.SystemPathInUse) as ei:
            b.init()
        assert ei.value.operation == "JetInit2"
        # as in ESENT the failed init freed b: a new instance is needed to retry
        assert not b.initialized and b.handle is None
        b = esepy.Instance("b", **paths("b"))
        b.init()
        assert b.initialized
    finally:
        b.term()
        a.term()


def test_shared_log_folder_is_log_file_path_in_use(paths):
    a = esepy.Instance("a", **paths("a"))
    b = esepy.Instance("b", **paths("b"))
    try:
        a.init()
        b.set_param("log_path", a.get_param("log_path"))
        with pytest.raises(E.LogFilePathInUse):
            b.init()
        assert not b.initialized
    finally:
        b.term()
        a.term()


def test_folder_used_in_the_other_role_is_in_use(paths):
    a = esepy.Instance("a", **paths("a"))
    b = esepy.Instance("b", **paths("b"))
    c = esepy.Instance("c", **paths("c"))
    try:
        a.init()
        b.set_param("system_path", a.get_param("log_path"))
        with pytest.raises(E.SystemPathInUse):
            b.init()
        c.set_param("log_path", a.get_param("system_path"))
        with pytest.raises(E.LogFilePathInUse):
            c.init()
    finally:
        c.term()
        b.term()
        a.term()


def test_shared_temp_path_is_temp_path_in_use(paths):
    a = esepy.Instance("a", **paths("a"))
    b = esepy.Instance("b", **paths("b"))
    try:
        a.init()
        b.set_param("temp_path", a.get_param("temp_path"))
        with pytest.raises(E.TempPathInUse):
            b.init()
    finally:
        b.term()
        a.term()


def test_folders_are_free_after_term(paths):
    a = esepy.Instance("a", **paths("shared"))
    a.init()
    a.term()
    b = esepy.Instance("b", **paths("shared"))
    try:
        b.init()
    finally:
        b.term()


def test_missing_folder_is_invalid_path(tmp_path):
    kw = folders(tmp_path, "missing")
    inst = esepy.Instance("missing", **kw)
    try:
        with pytest.raises(E.InvalidPath) as ei:
            inst.init()
        assert ei.value.code == -1023
        assert not inst.initialized and inst.handle is None  # freed, as ESENT does
        assert esepy.instances() == []
        assert not os.path.exists(kw["system_path"])
        # allowed to create the folders, a new instance starts
        inst = esepy.Instance("missing", create_path_if_not_exist=True, **kw)
        inst.init()
        assert inst.initialized
    finally:
        inst.term()


def test_create_path_if_not_exist_creates_nested_folders(tmp_path):
    base = tmp_path / "deep"
    kw = {
        "system_path": str(base / "a" / "b" / "c") + "/",
        "log_path": str(base / "l" / "m" / "n") + "/",
        "temp_path": str(base / "t" / "u" / "v") + "/",
    }
    with esepy.Instance("nested", create_path_if_not_exist=True, **kw):
        for v in kw.values():
            assert os.path.isdir(v), v


def test_temp_path_naming_a_file_creates_its_folder(tmp_path):
    temp = tmp_path / "tf" / "sub" / "temp.edb"
    kw = folders(tmp_path, "tf")
    kw["temp_path"] = str(temp)
    with esepy.Instance("tempfile", create_path_if_not_exist=True, **kw) as inst:
        assert temp.parent.is_dir()
        assert inst.get_param("temp_path") == str(temp)


@pytest.mark.parametrize("role", ["system_path", "log_path"])
@pytest.mark.parametrize("create", [False, True])
def test_folder_that_is_a_file_is_invalid_path(tmp_path, role, create):
    kw = folders(tmp_path, "file")
    f = tmp_path / "regular"
    f.write_text("not a folder")
    kw[role] = str(f) + "/"
    inst = esepy.Instance("filefolder", create_path_if_not_exist=create, **kw)
    try:
        with pytest.raises(E.InvalidPath):
            inst.init()
        assert f.read_text() == "not a folder"
    finally:
        inst.term()


def test_folder_below_a_file_is_invalid_path(tmp_path):
    kw = folders(tmp_path, "below")
    f = tmp_path / "regular"
    f.write_text("x")
    kw["system_path"] = str(f / "sub") + "/"
    inst = esepy.Instance("below", create_path_if_not_exist=True, **kw)
    try:
        with pytest.raises(E.InvalidPath):
            inst.init()
    finally:
        inst.term()


def test_temp_path_naming_an_existing_folder_without_slash_is_invalid(tmp_path):
    kw = folders(tmp_path, "tmpdir")
    d = tmp_path / "adir"
    d.mkdir()
    kw["temp_path"] = str(d)
    inst = esepy.Instance("tmpdir", create_path_if_not_exist=True, **kw)
    try:
        with pytest.raises(E.InvalidPath):
            inst.init()
    finally:
        inst.term()


# ---------------------------------------------------------------------------
# esepy.instances()
# ---------------------------------------------------------------------------

def test_instances_lists_only_initialized(paths):
    a = esepy.Instance("one", **paths("one"))
    b = esepy.Instance("two", **paths("two"))
    c = esepy.Instance(None, **paths("three"))
    try:
        assert esepy.instances() == []
        a.init()
        c.init()
        got = esepy.instances()
        assert sorted(got, key=lambda d: d["handle"]) == sorted([
            {"handle": a.handle, "name": "one", "databases": []},
            {"handle": c.handle, "name": "", "databases": []},
        ], key=lambda d: d["handle"])
        for d in got:
            assert isinstance(d["handle"], int)
        a.term()
        assert [d["handle"] for d in esepy.instances()] == [c.handle]
    finally:
        a.term()
        b.term()
        c.term()
    assert esepy.instances() == []


def test_instances_agrees_with_the_c_api(jet, paths):
    with esepy.Instance("capi", **paths("capi")) as inst:
        n = jet.ffi.new("uint32_t *")
        pp = jet.ffi.new("JET_INSTANCE_INFO **")
        assert jet.lib.JetGetInstanceInfo(n, pp) == 0
        try:
            rows = [(pp[0][i].hInstanceId, jet.ffi.string(pp[0][i].szInstanceName).decode())
                    for i in range(n[0])]
        finally:
            jet.lib.JetFreeBuffer(jet.ffi.cast("char *", pp[0]))
        assert rows == [(inst.handle, "capi")]
        assert [(d["handle"], d["name"]) for d in esepy.instances()] == rows


def test_subclass_of_instance(paths):
    class MyInstance(esepy.Instance):
        pass
    with MyInstance("sub", **paths("sub")) as inst:
        assert isinstance(inst, esepy.Instance)
        assert inst.initialized
    assert process_state() == (0, 0)


def test_handle_is_a_stable_int(instance):
    h = instance.handle
    assert isinstance(h, int) and h == instance.handle
    assert h not in (0, 2**64 - 1)


def test_path_given_as_pathlib_without_slash_for_temp(tmp_path):
    # TempPath without a trailing '/' names the temporary database file.
    kw = folders(tmp_path, "plt")
    kw["temp_path"] = pathlib.Path(tmp_path) / "plt" / "t.edb"
    with esepy.Instance("plt", create_path_if_not_exist=True, **kw) as inst:
        assert inst.get_param("temp_path") == str(kw["temp_path"])


def test_folders_locked_against_other_processes(tmp_path):
    import subprocess
    import sys
    import textwrap
    mine = folders(tmp_path, "child")
    code = textwrap.dedent(f"""
        import sys, esepy
        inst = esepy.Instance("child", create_path_if_not_exist=True, **{mine!r})
        inst.init()
        print("ready", flush=True)
        sys.stdin.read()
        inst.term()
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        other = folders(tmp_path, "parent")
        for role, error in (("system_path", E.SystemPathInUse), ("log_path", E.LogFilePathInUse)):
            kw = dict(other, **{role: mine[role]})
            inst = esepy.Instance("parent", create_path_if_not_exist=True, **kw)
            try:
                with pytest.raises(error):
                    inst.init()
            finally:
                inst.term()
    finally:
        child.stdin.close()
        assert child.wait(60) == 0
    # released when the other process let go
    with esepy.Instance("parent", **mine) as inst:
        assert inst.initialized


def test_non_utf8_folder_names_round_trip(tmp_path):
    raw = os.fsencode(str(tmp_path)) + b"/caf\xe9-\xff/"
    name = os.fsdecode(raw)
    with esepy.Instance("bytes", system_path=name, log_path=name, temp_path=name,
                        create_path_if_not_exist=True) as inst:
        assert os.path.isdir(raw)
        assert inst.get_param("system_path") == name
        assert inst.params()["log_path"] == name
        assert name in inst._repr_html_()


def test_bytes_path_is_accepted(tmp_path):
    d = os.fsencode(str(tmp_path)) + b"/bytes/"
    with esepy.Instance("bpath", system_path=d, log_path=d, temp_path=d,
                        create_path_if_not_exist=True) as inst:
        assert inst.get_param("system_path") == os.fsdecode(d)
