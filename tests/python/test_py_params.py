"""System parameters from Python: esepy.parameters(), process defaults
(get_default_param / set_default_param), inheritance by new instances,
read-only parameters, JET_param* names, global and fixed-at-mode parameters."""
from __future__ import annotations

import re

import pytest

import esepy
from esepy import _params as P
from esepy import errors as E
from pyapi_helpers import process_state

PARAMS = esepy.parameters()
SETTABLE = {n: i for n, i in PARAMS.items() if i.settable}
READ_ONLY = ("error_to_string", "key_most", "max_coltyp", "lv_chunk_size_most")


@pytest.fixture
def restore_defaults():
    """Remember the process defaults of every settable parameter and put back
    any the test changed."""
    before = {n: esepy.get_default_param(n) for n, i in SETTABLE.items()}
    yield
    for n, v in before.items():
        if esepy.get_default_param(n) != v:
            esepy.set_default_param(n, v)
    assert {n: esepy.get_default_param(n) for n in SETTABLE} == before


# ---------------------------------------------------------------------------
# esepy.parameters()
# ---------------------------------------------------------------------------

def test_parameters_contents(jet):
    assert len(PARAMS) > 50
    for name in ("system_path", "log_path", "temp_path", "base_name", "circular_log",
                 "log_file_size_kb", "database_page_size", "create_path_if_not_exist",
                 "max_sessions", "no_information_event", "event_logging_level",
                 "max_instances", "key_most", "error_to_string", "max_coltyp"):
        assert name in PARAMS, name
    for name, info in PARAMS.items():
        assert isinstance(info, esepy.ParamInfo)
        assert info.name == name
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert info.jet_name.startswith("JET_param") or info.jet_name == "ESEPY_paramCheckpointThread"
        assert getattr(jet.C, info.jet_name) == info.paramid, name
        assert info.type in (P.TYPE_INTEGER, P.TYPE_BOOLEAN, P.TYPE_STRING, P.TYPE_FOLDER,
                             P.TYPE_PATH, P.TYPE_POINTER)
        assert info.flags & ~0x1F == 0
        assert isinstance(info.min, int) and isinstance(info.max, int)
        assert info.min <= info.max, name
        if info.flags & P.FLAG_READONLY:
            # computed values: no meaningful default ("" for the text one)
            assert info.default in (None, "")
            assert not info.settable
        elif info.type == P.TYPE_BOOLEAN:
            assert type(info.default) is bool and info.python_type is bool
        elif info.is_string:
            assert isinstance(info.default, str) and info.python_type is str
            assert info.max_length > 0 or name == "error_to_string"
        else:
            assert type(info.default) is int and info.python_type is int
            if info.type == P.TYPE_INTEGER:
                assert info.min <= info.default <= info.max, name
    assert len({i.paramid for i in PARAMS.values()}) == len(PARAMS)


def test_parameters_known_values():
    ms = PARAMS["max_sessions"]
    assert (ms.paramid, ms.jet_name, ms.type, ms.default) == (5, "JET_paramMaxSessions", P.TYPE_INTEGER, 16)
    assert PARAMS["system_path"].type == P.TYPE_FOLDER
    assert PARAMS["log_path"].jet_name == "JET_paramLogFilePath"
    assert PARAMS["log_file_size_kb"].jet_name == "JET_paramLogFileSize"
    assert PARAMS["circular_log"].default is False
    assert PARAMS["base_name"].default == "edb"
    dps = PARAMS["database_page_size"]
    assert dps.flags & P.FLAG_GLOBAL and dps.flags & P.FLAG_FIXED_AT_MODE
    assert dps.default == 4096
    assert PARAMS["system_path"].flags & P.FLAG_FIXED_AT_INIT


def test_parameters_returns_a_copy():
    p = esepy.parameters()
    p.clear()
    assert esepy.parameters()["max_sessions"].default == 16
    with pytest.raises(Exception):
        PARAMS["max_sessions"].default = 3  # frozen


def test_defaults_match_the_engine():
    for name, info in SETTABLE.items():
        assert esepy.get_default_param(name) == info.default, name


# ---------------------------------------------------------------------------
# Process defaults
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, value", [
    ("max_sessions", 7),
    ("circular_log", True),
    ("base_name", "xyz"),
    ("log_file_size_kb", 2048),
    ("system_path", "/tmp/esepy-default/"),
    ("event_logging_level", 50),
    ("recovery", "off"),
])
def test_set_default_param_round_trip(restore_defaults, name, value):
    esepy.set_default_param(name, value)
    got = esepy.get_default_param(name)
    assert got == value and type(got) is type(value)


def test_new_instances_inherit_defaults(restore_defaults):
    old = esepy.Instance("old")
    try:
        esepy.set_default_param("max_sessions", 9)
        esepy.set_default_param("circular_log", True)
        esepy.set_default_param("base_name", "abc")
        new = esepy.Instance("new")
        try:
            assert new.get_param("max_sessions") == 9
            assert new.get_param("circular_log") is True
            assert new.get_param("base_name") == "abc"
            # the instance's own values win over inherited ones
            own = esepy.Instance("own", max_sessions=3)
            try:
                assert own.get_param("max_sessions") == 3
                assert own.get_param("base_name") == "abc"
            finally:
                own.term()
        finally:
            new.term()
        # an instance created earlier keeps what it had
        assert old.get_param("max_sessions") == 16
        assert old.get_param("circular_log") is False
        assert old.get_param("base_name") == "edb"
    finally:
        old.term()


def test_changing_an_instance_does_not_change_defaults(restore_defaults):
    inst = esepy.Instance("mine")
    try:
        inst.set_param("max_sessions", 11)
        assert esepy.get_default_param("max_sessions") == 16
    finally:
        inst.term()


def test_inherited_max_sessions_applies(restore_defaults, paths):
    esepy.set_default_param("max_sessions", 1)
    with esepy.Instance("inh", **paths("inh")) as inst:
        with inst.begin_session():
            with pytest.raises(E.OutOfSessions):
                inst.begin_session()


def test_set_default_param_errors(restore_defaults):
    with pytest.raises(E.InvalidParameter):
        esepy.set_default_param("max_sessions", 100000)
    with pytest.raises(E.InvalidParameter):
        esepy.set_default_param("base_name", "toolong")
    with pytest.raises(E.InvalidParameter):
        esepy.set_default_param("database_page_size", 5000)  # not a power of two
    with pytest.raises(E.InvalidParameter):
        esepy.set_default_param("database_page_size", 2048)
    with pytest.raises(TypeError):
        esepy.set_default_param("max_sessions", "7")
    with pytest.raises(TypeError) as ei:
        esepy.set_default_param("no_such_parameter", 1)
    assert "esepy.parameters()" in str(ei.value)
    with pytest.raises(TypeError) as ei:
        esepy.set_default_param("max_session", 1)
    assert "did you mean 'max_sessions'" in str(ei.value)
    with pytest.raises(TypeError):
        esepy.get_default_param("no_such_parameter")
    assert esepy.get_default_param("max_sessions") == 16


def test_database_page_size_default_before_any_mode(restore_defaults):
    assert process_state() == (0, 0)
    esepy.set_default_param("database_page_size", 8192)
    assert esepy.get_default_param("database_page_size") == 8192
    assert esepy.get_default_param("key_most") == 2000
    inst = esepy.Instance("big")
    try:
        assert inst.get_param("database_page_size") == 8192
        # while an instance exists the mode is chosen: the value is fixed
        with pytest.raises(E.AlreadyInitialized):
            esepy.set_default_param("database_page_size", 4096)
        esepy.set_default_param("database_page_size", 8192)  # unchanged: tolerated
    finally:
        inst.term()
    # the last instance is gone: no mode any more, the value may change again
    esepy.set_default_param("database_page_size", 4096)
    assert esepy.get_default_param("key_most") == 1000


def test_global_param_set_through_an_instance_is_process_wide(restore_defaults):
    inst = esepy.Instance("glob")
    try:
        inst.set_param("cache_size_max", 12345)
        assert esepy.get_default_param("cache_size_max") == 12345
        other = esepy.Instance("glob2")
        try:
            assert other.get_param("cache_size_max") == 12345
        finally:
            other.term()
    finally:
        inst.term()


def test_is_global_names_the_process_wide_parameters(restore_defaults):
    params = esepy.parameters()
    assert params["cache_size_max"].is_global and params["database_page_size"].is_global
    assert not params["log_path"].is_global and not params["max_sessions"].is_global
    # what is_global promises: the constructor keyword sets the process's value
    inst = esepy.Instance("glob3", cache_size_max=23456)
    try:
        assert esepy.get_default_param("cache_size_max") == 23456
    finally:
        inst.term()


# ---------------------------------------------------------------------------
# Read-only and pointer parameters
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", READ_ONLY)
def test_read_only_params_cannot_be_set(name):
    info = PARAMS[name]
    assert not info.settable
    with pytest.raises(TypeError) as ei:
        esepy.set_default_param(name, 1)
    assert name in str(ei.value)
    with pytest.raises(TypeError):
        esepy.Instance("ro", **{name: 1})
    assert process_state() == (0, 0)
    inst = esepy.Instance("ro")
    try:
        with pytest.raises(TypeError):
            inst.set_param(name, 1)
    finally:
        inst.term()


@pytest.mark.parametrize("name", ["key_most", "max_coltyp", "lv_chunk_size_most"])
def test_read_only_params_refused_by_the_engine(jet, name):
    err = jet.set_param(None, PARAMS[name].paramid, 1)
    assert err == jet.C.JET_errInvalidParameter


def test_read_only_values(jet):
    assert esepy.get_default_param("max_coltyp") == jet.C.JET_coltypMax
    assert esepy.get_default_param("key_most") == jet.C.JET_cbKeyMost4KBytePage
    assert esepy.get_default_param("lv_chunk_size_most") == 4096 - jet.C.JET_cbColumnLVPageOverhead
    inst = esepy.Instance("rov")
    try:
        assert inst.get_param("key_most") == jet.C.JET_cbKeyMost4KBytePage
        assert inst.get_param("max_coltyp") == jet.C.JET_coltypMax
    finally:
        inst.term()


def test_pointer_params_cannot_be_set_from_python():
    pointers = [n for n, i in PARAMS.items() if i.type == P.TYPE_POINTER]
    assert "print_function" in pointers and "runtime_callback" in pointers
    for name in pointers:
        assert not PARAMS[name].settable
        with pytest.raises(TypeError):
            esepy.set_default_param(name, 0)


def test_read_only_and_pointer_params_not_suggested():
    for name, info in PARAMS.items():
        if info.settable:
            continue
        with pytest.raises(TypeError) as ei:
            esepy.set_default_param(name + "x", 1)
        assert repr(name) not in str(ei.value)
    with pytest.raises(TypeError) as ei:
        esepy.set_default_param("cache_size_mx", 1)
    assert "did you mean 'cache_size_max'" in str(ei.value)


# ---------------------------------------------------------------------------
# JET_param* names
# ---------------------------------------------------------------------------

def test_jet_param_names_are_accepted(restore_defaults):
    assert P.lookup("JET_paramMaxSessions") is PARAMS["max_sessions"]
    assert P.lookup("JET_paramLogFilePath") is PARAMS["log_path"]
    assert P.lookup("JET_paramLogFileSize") is PARAMS["log_file_size_kb"]
    for name, info in PARAMS.items():
        assert P.lookup(info.jet_name) is info
    assert esepy.get_default_param("JET_paramMaxSessions") == 16
    esepy.set_default_param("JET_paramMaxSessions", 5)
    assert esepy.get_default_param("max_sessions") == 5
    with pytest.raises(TypeError):
        P.lookup("JET_paramNoSuchThing")
    with pytest.raises(TypeError):
        P.lookup("MaxSessions")  # the engine's short name is not a Python name


def test_param_info_check_and_convert():
    ms, cl, sp = PARAMS["max_sessions"], PARAMS["circular_log"], PARAMS["system_path"]
    assert ms.check(5) == 5
    assert cl.check(1) is True and cl.check(False) is False
    assert sp.check(b"/tmp/x/") == "/tmp/x/"
    assert cl.convert_out(1) is True and cl.convert_out(0) is False
    assert ms.convert_out(7) == 7
    for bad in (True, 1.5, "5", None):
        with pytest.raises(TypeError):
            ms.check(bad)


# ---------------------------------------------------------------------------
# Process-wide modes (fresh processes)
# ---------------------------------------------------------------------------

def test_fixed_at_mode_params_after_enable_multi_instance(subproc):
    subproc("""
        import esepy
        from esepy import errors as E
        assert esepy.enable_multi_instance(database_page_size=8192, max_instances=4) == 2
        m = ffi.new("int32_t *"); c = ffi.new("uint32_t *")
        lib.EsepyTestGetProcessState(m, c)
        assert (m[0], c[0]) == (2, 0)   # multi-instance mode, no instance yet
        assert esepy.get_default_param("database_page_size") == 8192
        assert esepy.get_default_param("max_instances") == 4
        # the mode is chosen: fixed-at-mode parameters keep their value
        try:
            esepy.set_default_param("database_page_size", 16384)
        except E.AlreadyInitialized:
            pass
        else:
            raise AssertionError("database_page_size changed after the mode was chosen")
        esepy.set_default_param("database_page_size", 8192)   # same value: fine
        # others still change
        esepy.set_default_param("max_sessions", 3)
        # enabling again: same values -> SystemParamsAlreadySet, different -> conflict
        try:
            esepy.enable_multi_instance(database_page_size=8192)
        except E.SystemParamsAlreadySet:
            pass
        else:
            raise AssertionError("expected SystemParamsAlreadySet")
        try:
            esepy.enable_multi_instance(database_page_size=32768)
        except E.SystemParameterConflict:
            pass
        else:
            raise AssertionError("expected SystemParameterConflict")
        inst = esepy.Instance("m")
        try:
            assert inst.get_param("database_page_size") == 8192
            assert inst.get_param("max_sessions") == 3
        finally:
            inst.term()
    """)


def test_enable_multi_instance_is_all_or_nothing(subproc):
    subproc("""
        import esepy
        from esepy import errors as E
        try:
            esepy.enable_multi_instance(database_page_size=8192, max_instances=100000)
        except E.InvalidParameter:
            pass
        else:
            raise AssertionError("expected InvalidParameter")
        assert esepy.get_default_param("database_page_size") == 4096
        m = ffi.new("int32_t *"); c = ffi.new("uint32_t *")
        lib.EsepyTestGetProcessState(m, c)
        assert (m[0], c[0]) == (0, 0)
        try:
            esepy.enable_multi_instance(bogus=1)
        except TypeError:
            pass
        else:
            raise AssertionError("expected TypeError")
    """)


def test_max_instances_limits_instances(subproc):
    subproc("""
        import esepy
        from esepy import errors as E
        esepy.set_default_param("max_instances", 2)
        a = esepy.Instance("a"); b = esepy.Instance("b")
        try:
            esepy.Instance("c")
        except E.TooManyInstances:
            pass
        else:
            raise AssertionError("expected TooManyInstances")
        a.term(); b.term()
    """)


def test_one_instance_mode_refuses_instances(subproc, tmp_path):
    d = str(tmp_path) + "/"
    subproc(f"""
        import esepy
        from esepy import errors as E
        for p in ("system_path", "log_path", "temp_path"):
            esepy.set_default_param(p, {d!r})
        h = ffi.new("JET_INSTANCE *", 0)
        assert lib.JetInit(h) == 0          # one-instance mode
        try:
            esepy.Instance("multi")
        except E.RunningInOneInstanceMode:
            pass
        else:
            raise AssertionError("expected RunningInOneInstanceMode")
        try:
            esepy.enable_multi_instance()
        except E.RunningInOneInstanceMode:
            pass
        else:
            raise AssertionError("expected RunningInOneInstanceMode")
        # in one-instance mode the process defaults are the global instance's
        assert [d["name"] for d in esepy.instances()] == [""]
        try:
            esepy.set_default_param("max_sessions", 3)
        except E.AlreadyInitialized:
            pass
        else:
            raise AssertionError("fixed-at-init parameter changed on the running global instance")
        assert lib.JetTerm(h[0]) == 0
        inst = esepy.Instance("after")   # the mode is released with the last instance
        inst.term()
    """)
