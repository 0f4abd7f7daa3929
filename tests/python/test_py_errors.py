"""esepy.errors: the exception hierarchy generated from the engine's error
table, warnings, attributes of raised errors, pickling and error_string()."""
from __future__ import annotations

import pickle
import re
import warnings

import pytest

import esepy
from esepy import errors as E

TABLE = esepy._esepy._error_table()
ERROR_ROWS = [r for r in TABLE if r[1].startswith("JET_err") and r[0] < 0]
# warnings by name: JET_wrnNyi is ESE's one negative warning code (-1)
WARNING_ROWS = [r for r in TABLE if r[1].startswith("JET_wrn")]
CANONICAL = {r[0]: r for r in TABLE if r[3]}

CATEGORY_CLASS = {
    # JET_ERRCAT numbering of esent.h -> class
    0: E.JetError, 1: E.JetError, 2: E.OperationError, 3: E.FatalError, 4: E.InputOutputError,
    5: E.ResourceError, 6: E.MemoryResourceError, 7: E.QuotaError, 8: E.DiskError,
    9: E.DataError, 10: E.CorruptionError, 11: E.InconsistentError, 12: E.FragmentationError,
    13: E.ApiError, 14: E.UsageError, 15: E.StateError, 16: E.ObsoleteError,
}


# ---------------------------------------------------------------------------
# Hierarchy
# ---------------------------------------------------------------------------

def test_category_hierarchy():
    assert issubclass(E.JetError, Exception)
    assert esepy.JetError is E.JetError
    parents = {
        E.OperationError: E.JetError,
        E.FatalError: E.OperationError,
        E.InputOutputError: E.OperationError,
        E.ResourceError: E.OperationError,
        E.MemoryResourceError: E.ResourceError,
        E.QuotaError: E.ResourceError,
        E.DiskError: E.ResourceError,
        E.DataError: E.JetError,
        E.CorruptionError: E.DataError,
        E.InconsistentError: E.DataError,
        E.FragmentationError: E.DataError,
        E.ApiError: E.JetError,
        E.UsageError: E.ApiError,
        E.StateError: E.ApiError,
        E.ObsoleteError: E.JetError,
    }
    for cls, parent in parents.items():
        assert issubclass(cls, parent), cls
        assert cls.__module__ == "esepy.errors"
    assert issubclass(E.InputOutputError, OSError)
    assert issubclass(E.MemoryResourceError, MemoryError)
    # only those two step outside JetError's family
    for cls in parents:
        if cls not in (E.InputOutputError, E.MemoryResourceError):
            assert not issubclass(cls, (OSError, MemoryError)), cls
    # siblings are distinct
    assert not issubclass(E.DataError, E.OperationError)
    assert not issubclass(E.ApiError, E.DataError)
    assert not issubclass(E.UsageError, E.StateError)


def test_table_is_sane():
    assert len(ERROR_ROWS) > 300
    assert len(WARNING_ROWS) > 20
    for code, name, cat, canonical, message in TABLE:
        assert isinstance(message, str) and message
        assert 0 <= cat < 17
        if name.startswith("JET_wrn"):
            assert code > 0 or name == "JET_wrnNyi", name
            assert cat == 0
        elif code != 0:
            assert name.startswith("JET_err") and code < 0, name
    assert [r[0] for r in TABLE] == sorted(r[0] for r in TABLE)


@pytest.mark.parametrize("row", ERROR_ROWS, ids=[r[1] for r in ERROR_ROWS])
def test_every_error_has_a_class(row):
    code, name, cat, canonical, message = row
    short = name[len("JET_err"):]
    cls = getattr(E, short)
    assert short in E.__all__
    assert issubclass(cls, E.JetError)
    assert cls.code == code
    # an alias name designates the class of the canonical name
    canon_name = CANONICAL[code][1]
    assert cls.name == canon_name
    assert cls.__name__ == canon_name[len("JET_err"):]
    canon_cat = CANONICAL[code][2]
    assert cls.__bases__ == (CATEGORY_CLASS[canon_cat],), name
    assert issubclass(cls, CATEGORY_CLASS[cat])
    assert E.error_class(code) is cls
    assert canon_name in (cls.__doc__ or "")


def test_aliases_are_the_same_class():
    aliases = [r for r in ERROR_ROWS if not r[3]]
    assert aliases, "the table has alias names"
    for code, name, *_ in aliases:
        assert getattr(E, name[7:]) is getattr(E, CANONICAL[code][1][7:])
    assert E.ColumnIllegalNull is E.NullInvalid
    assert E.DatabaseInconsistent is E.DatabaseDirtyShutdown


def test_generated_names_do_not_shadow_the_module_api():
    fixed = {
        "JetError": E.JetError, "JetWarning": E.JetWarning, "error_class": E.error_class,
        "warning_class": E.warning_class, "error_info": E.error_info,
    }
    generated = {r[1][7:] for r in ERROR_ROWS} | {r[1][7:] + "Warning" for r in WARNING_ROWS}
    assert not generated & set(fixed)
    assert not generated & {c.__name__ for c in CATEGORY_CLASS.values()}
    assert callable(E.error_class) and not isinstance(E.error_class, type)


def test_one_class_per_code():
    classes = {E.error_class(r[0]) for r in ERROR_ROWS}
    assert len(classes) == len({r[0] for r in ERROR_ROWS})


def test_io_and_memory_errors():
    io = [E.error_class(c) for c, n, cat, *_ in ERROR_ROWS if cat == 4]
    mem = [E.error_class(c) for c, n, cat, *_ in ERROR_ROWS if cat == 6]
    assert io and mem
    for cls in io:
        assert issubclass(cls, OSError) and issubclass(cls, E.InputOutputError)
        with pytest.raises(OSError):
            raise cls(operation="JetTest")
    for cls in mem:
        assert issubclass(cls, MemoryError) and issubclass(cls, E.MemoryResourceError)
        with pytest.raises(MemoryError):
            raise cls(operation="JetTest")
    assert issubclass(E.OutOfMemory, MemoryError)
    assert issubclass(E.DiskIO, OSError)


def test_well_known_codes():
    assert E.InvalidParameter.code == -1003
    assert E.InvalidPath.code == -1023
    assert E.InvalidLogSequence.code == -515
    assert E.InvalidLogSequence.name == "JET_errInvalidLogSequence"
    assert E.OutOfSessions.code == -1101
    assert E.SessionSharingViolation.code == -1910
    assert issubclass(E.InvalidParameter, E.UsageError)


def test_codes_agree_with_the_header(jet):
    for code, name, *_ in TABLE:
        assert getattr(jet.C, name) == code, name


# ---------------------------------------------------------------------------
# Warnings
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("row", WARNING_ROWS, ids=[r[1] for r in WARNING_ROWS])
def test_every_warning_has_a_class(row):
    code, name, cat, canonical, message = row
    short = name[len("JET_wrn"):] + "Warning"
    cls = getattr(E, short)
    assert short in E.__all__
    assert issubclass(cls, E.JetWarning)
    assert issubclass(cls, UserWarning)
    assert not issubclass(cls, E.JetError)
    assert cls.code == code
    assert cls.name == CANONICAL[code][1]
    assert E.warning_class(code) is cls


def test_warning_aliases():
    assert E.RecordFoundGreaterWarning is E.SeekNotEqualWarning
    assert E.RecordFoundLessWarning is E.SeekNotEqualWarning
    assert esepy.JetWarning is E.JetWarning
    assert issubclass(E.JetWarning, UserWarning)


def test_warnings_are_issued_not_raised():
    with pytest.warns(E.ColumnNullWarning) as rec:
        result = E._issue_warning(1004, "JetRetrieveColumn")
    assert result is None
    assert len(rec) == 1
    w = rec[0].message
    assert isinstance(w, E.ColumnNullWarning)
    assert w.code == 1004
    assert w.name == "JET_wrnColumnNull"
    assert w.operation == "JetRetrieveColumn"
    assert w.message == CANONICAL[1004][4]
    text = str(w)
    assert "JET_wrnColumnNull" in text and "1004" in text and "JetRetrieveColumn" in text


def test_warning_category_filters_apply():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=E.ColumnNullWarning)
        E._issue_warning(1004, "op")
        E._issue_warning(1006, "op")
    assert [type(r.message) for r in rec] == [E.BufferTruncatedWarning]


def test_warnings_as_errors_raise_the_warning_class():
    with warnings.catch_warnings():
        warnings.simplefilter("error", E.JetWarning)
        with pytest.raises(E.BufferTruncatedWarning):
            E._issue_warning(1006, "op")


def test_unknown_warning_code():
    with pytest.warns(E.JetWarning) as rec:
        E._issue_warning(4242, "op")
    w = rec[0].message
    assert type(w) is E.JetWarning
    assert w.code == 4242
    assert "4242" in str(w)


def test_negative_warning_nyi_is_raised_as_a_plain_jet_error():
    # JET_wrnNyi (-1) is negative, so a call returning it failed: it raises.
    assert E.NyiWarning.code == -1
    e = E._make_error(-1, "JetSomething")
    assert type(e) is E.JetError
    assert (e.code, e.name) == (-1, "JET_wrnNyi")
    assert esepy.error_string(-1).startswith("JET_wrnNyi, ")


def test_warning_class_and_info():
    assert E.warning_class(1039) is E.SeekNotEqualWarning
    assert E.warning_class(4242) is E.JetWarning
    assert E.error_info(1004) == ("JET_wrnColumnNull", "Unknown", CANONICAL[1004][4])


# ---------------------------------------------------------------------------
# A raised error
# ---------------------------------------------------------------------------

def test_raised_engine_error_attributes():
    with pytest.raises(E.JetError) as ei:
        esepy.Instance("x", max_sessions=-5)
    e = ei.value
    assert type(e) is E.InvalidParameter
    assert e.code == -1003
    assert e.name == "JET_errInvalidParameter"
    assert e.message == CANONICAL[-1003][4]
    assert e.operation == "JetSetSystemParameter"
    assert e.category == "Usage"
    text = str(e)
    assert "JET_errInvalidParameter" in text
    assert "-1003" in text
    assert "JetSetSystemParameter" in text


def test_error_constructed_from_python():
    e = E.InvalidPath(operation="JetInit2")
    assert (e.code, e.name, e.operation) == (-1023, "JET_errInvalidPath", "JetInit2")
    assert e.message == CANONICAL[-1023][4]
    e = E.InvalidPath()
    assert e.operation is None
    assert "[" not in str(e)
    e = E.JetError(-1003, "op", "custom text")
    assert e.message == "custom text" and "custom text" in str(e)


def test_unknown_error_code():
    e = E.JetError(-99999, "JetSomething")
    assert e.code == -99999
    assert "-99999" in e.name
    assert e.category == "Unknown"
    assert "-99999" in str(e) and "JetSomething" in str(e)
    assert E.error_class(-99999) is E.JetError
    assert E.error_info(-99999) is None


def test_make_error_factory():
    e = E._make_error(-1101, "JetBeginSession")
    assert type(e) is E.OutOfSessions and e.operation == "JetBeginSession"
    e = E._make_error(-77777, "JetX")
    assert type(e) is E.JetError and e.code == -77777


def test_catch_by_category_and_by_builtin(paths):
    with pytest.raises(E.UsageError):
        esepy.Instance("x", max_sessions=-5)
    with pytest.raises(E.ApiError):
        esepy.Instance("x", base_name="toolong")


@pytest.mark.parametrize("cls", [E.InvalidParameter, E.DiskIO, E.OutOfMemory, E.NullInvalid,
                                 E.InvalidLogSequence, E.DatabaseDirtyShutdown])
def test_pickle_round_trip(cls):
    e = cls(operation="JetSomething")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is cls
    assert (back.code, back.name, back.message, back.operation, back.category) == \
        (e.code, e.name, e.message, e.operation, e.category)
    assert str(back) == str(e)


def test_pickle_round_trip_of_a_raised_error():
    try:
        esepy.Instance("x", max_sessions=-5)
    except E.JetError as exc:
        back = pickle.loads(pickle.dumps(exc))
    assert type(back) is E.InvalidParameter
    assert back.operation == "JetSetSystemParameter"
    assert back.code == -1003


def test_pickle_unknown_code():
    e = E.JetError(-99999, "op", "msg")
    back = pickle.loads(pickle.dumps(e))
    assert (type(back), back.code, back.operation, back.message) == (E.JetError, -99999, "op", "msg")


def test_pickle_warning():
    w = E.ColumnNullWarning(1004, "JetRetrieveColumn")
    back = pickle.loads(pickle.dumps(w))
    assert type(back) is E.ColumnNullWarning
    assert (back.code, back.name, back.operation) == (1004, "JET_wrnColumnNull", "JetRetrieveColumn")


# ---------------------------------------------------------------------------
# error_string / error_info / error_class
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("row", [r for r in TABLE if r[3]], ids=[r[1] for r in TABLE if r[3]])
def test_error_string_matches_table(row):
    code, name, cat, canonical, message = row
    assert esepy.error_string(code) == f"{name}, {message}"


def test_error_string_of_aliases_gives_canonical_name():
    assert esepy.error_string(-1504) == esepy.error_string(E.NullInvalid.code)
    assert esepy.error_string(-1504).startswith("JET_errNullInvalid, ")


def test_error_string_format_and_unknown():
    assert re.fullmatch(r"JET_errInvalidParameter, .+", esepy.error_string(-1003))
    assert esepy.error_string(0).startswith("JET_errSuccess, ")
    unknown = esepy.error_string(-99999)
    assert "-99999" in unknown and "nknown" in unknown
    assert "nknown" in esepy.error_string(123456)
    with pytest.raises(TypeError):
        esepy.error_string("x")


def test_error_string_agrees_with_the_c_api(jet):
    for code in (-1003, -1023, 1004, 0, -99999):
        buf = jet.ffi.new("char[]", 512)
        p = jet.ffi.new("JET_API_PTR *", code & 0xFFFFFFFF)
        assert jet.lib.JetGetSystemParameter(0, 0, jet.C.JET_paramErrorToString, p, buf, 512) == 0
        assert jet.ffi.string(buf).decode() == esepy.error_string(code)


def test_error_info_and_class():
    assert E.error_info(-1003) == ("JET_errInvalidParameter", "Usage", CANONICAL[-1003][4])
    assert E.error_info(-1504)[0] == "JET_errNullInvalid"
    for code, name, cat, canonical, message in ERROR_ROWS:
        info = E.error_info(code)
        assert info[0] == CANONICAL[code][1]
        assert E.error_class(code).category == info[1]
    assert E.error_class(-1504) is E.NullInvalid
    assert E.error_class(0) is E.JetError


# ---------------------------------------------------------------------------
# Errors that name things (a path and its role, the open table)
# ---------------------------------------------------------------------------

def test_path_errors_name_the_path_and_its_role(tmp_path):
    missing = str(tmp_path / "nowhere") + "/"
    with pytest.raises(E.InvalidPath) as ei:
        with esepy.Instance("p1", system_path=missing, log_path=str(tmp_path) + "/"):
            pass
    assert ei.value.role == "system folder" and ei.value.path == missing
    assert f"system folder {missing!r} does not exist" in str(ei.value)
    with pytest.raises(E.InvalidPath) as ei:
        with esepy.Instance("p2", system_path=str(tmp_path) + "/", log_path=missing):
            pass
    assert ei.value.role == "log folder" and missing in str(ei.value)
    with esepy.Instance("p3", system_path=str(tmp_path) + "/", log_path=str(tmp_path) + "/") as inst:
        with pytest.raises(E.InvalidPath) as ei:
            inst.backup(tmp_path / "no-backup-folder")
        assert ei.value.role == "backup folder" and "does not exist" in str(ei.value)
        with inst.begin_session() as s:
            with pytest.raises(E.FileNotFound) as ei:
                s.attach_database(tmp_path / "nope.edb")
            assert ei.value.role == "database" and "nope.edb" in str(ei.value)
            with pytest.raises(E.JetError) as ei:
                s.create_database(tmp_path / "no-dir" / "a.edb")
            assert ei.value.role == "database" and "does not exist" in str(ei.value)
    # the class and the code are the engine's, only the text says more
    assert type(ei.value) is E.error_class(ei.value.code)


def test_path_errors_of_restore_name_the_backup_folder(tmp_path):
    inst = esepy.Instance("r1", system_path=str(tmp_path) + "/", log_path=str(tmp_path) + "/")
    try:
        with pytest.raises(E.JetError) as ei:
            inst.restore_instance(tmp_path / "no-backup")
        assert ei.value.role == "backup folder" and "no-backup" in str(ei.value)
    finally:
        inst.term()


def test_closing_a_database_with_a_table_open_says_so(paths):
    with esepy.Instance("c1", **paths("c1")) as inst, inst.begin_session() as s:
        db = s.create_database(paths("c1")["system_path"] + "a.edb")
        t = db.create_table("people", {"id": "long"}, primary_key=["id"])
        with pytest.raises(E.TooManyOpenTables) as ei:
            db.close()
        assert "table 'people' is still open" in str(ei.value)
        t.close()
        db.close()


def test_engine_events_do_not_print_next_to_the_exception(tmp_path):
    """A script that does not configure logging sees the exception once, not
    an engine log line on stderr as well (the library adds a NullHandler)."""
    import subprocess
    import sys
    code = (
        "import esepy\n"
        "try:\n"
        f"    with esepy.Instance('x', system_path={str(tmp_path / 'missing') + '/'!r}, "
        f"log_path={str(tmp_path) + '/'!r}):\n"
        "        pass\n"
        "except esepy.errors.InvalidPath as e:\n"
        "    print('caught', e.role)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "caught system folder"
    assert p.stderr == ""
