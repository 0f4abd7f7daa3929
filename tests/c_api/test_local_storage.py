"""JetSetLS / JetGetLS: local storage on a cursor or on its table, released
through JET_paramRuntimeCallback (JET_cbtypFreeCursorLS / JET_cbtypFreeTableLS)
when the cursor / the table's last cursor closes."""
import pytest

from test_database import Env, make_kv


class Runtime:
    """A runtime callback that records (cbtyp, ls, tableid) of each call."""

    def __init__(self, env):
        self.calls = []

        @env.ffi.callback("JET_ERR(JET_SESID, JET_DBID, JET_TABLEID, JET_CBTYP, void *, void *, void *, "
                          "JET_API_PTR)")
        def cb(sesid, dbid, tableid, cbtyp, a1, a2, ctx, unused):
            self.calls.append((cbtyp, int(env.ffi.cast("uintptr_t", a1)), tableid))
            return 0

        self.cb = cb
        addr = int(env.ffi.cast("uintptr_t", cb))
        assert env.jet.set_param(env.inst, env.C.JET_paramRuntimeCallback, addr) == 0


@pytest.fixture
def lsenv(jet, tmp_path):
    e = Env(jet, tmp_path)
    e.runtime = Runtime(e)
    yield e
    e.lib.JetTerm(e.inst)


def open_t(env, dbid):
    p = env.ffi.new("JET_TABLEID *")
    assert env.lib.JetOpenTable(env.ses, dbid, b"kv", env.ffi.NULL, 0, 0, p) == 0
    return p[0]


def get(env, t, grbit):
    p = env.ffi.new("JET_LS *")
    err = env.lib.JetGetLS(env.ses, t, p, grbit)
    return err, p[0]


def test_cursor_ls_set_get_and_freed_on_close(lsenv):
    env = lsenv
    C, lib, ses = env.C, env.lib, env.ses
    dbid, t, ck, cv = make_kv(env)
    assert get(env, t, 0) == (C.JET_errLSNotSet, C.JET_LSNil)
    assert lib.JetSetLS(ses, t, 1234, C.JET_bitLSCursor) == 0
    assert lib.JetSetLS(ses, t, 99, 0) == C.JET_errLSAlreadySet   # the cursor is the default
    assert get(env, t, C.JET_bitLSCursor) == (0, 1234)
    assert get(env, t, 0) == (0, 1234)
    assert get(env, t, C.JET_bitLSTable) == (C.JET_errLSNotSet, C.JET_LSNil)   # the table has none
    assert env.runtime.calls == []
    assert lib.JetCloseTable(ses, t) == 0
    assert env.runtime.calls == [(C.JET_cbtypFreeCursorLS, 1234, t)]


def test_reset_takes_it_back_without_callback(lsenv):
    env = lsenv
    C, lib, ses = env.C, env.lib, env.ses
    dbid, t, ck, cv = make_kv(env)
    assert lib.JetSetLS(ses, t, 7, 0) == 0
    assert get(env, t, C.JET_bitLSReset) == (0, 7)      # retrieved and cleared
    assert get(env, t, 0) == (C.JET_errLSNotSet, C.JET_LSNil)
    assert lib.JetSetLS(ses, t, 8, 0) == 0
    assert lib.JetSetLS(ses, t, 0, C.JET_bitLSReset) == 0   # cleared, no callback
    assert lib.JetSetLS(ses, t, 9, 0) == 0
    assert lib.JetCloseTable(ses, t) == 0
    assert env.runtime.calls == [(C.JET_cbtypFreeCursorLS, 9, t)]


def test_table_ls_shared_and_freed_with_the_last_cursor(lsenv):
    env = lsenv
    C, lib, ses = env.C, env.lib, env.ses
    dbid, t, ck, cv = make_kv(env)
    t2 = open_t(env, dbid)
    assert lib.JetSetLS(ses, t, 55, C.JET_bitLSTable) == 0
    assert lib.JetSetLS(ses, t2, 56, C.JET_bitLSTable) == C.JET_errLSAlreadySet
    assert get(env, t2, C.JET_bitLSTable) == (0, 55)       # every cursor on the table sees it
    assert get(env, t2, C.JET_bitLSCursor) == (C.JET_errLSNotSet, C.JET_LSNil)
    assert lib.JetCloseTable(ses, t) == 0
    assert env.runtime.calls == []                          # t2 still has the table open
    assert lib.JetCloseTable(ses, t2) == 0
    assert env.runtime.calls == [(C.JET_cbtypFreeTableLS, 55, t)]
    t3 = open_t(env, dbid)
    assert get(env, t3, C.JET_bitLSTable) == (C.JET_errLSNotSet, C.JET_LSNil)   # gone with the table
    assert lib.JetSetLS(ses, t3, 60, C.JET_bitLSTable) == 0
    assert get(env, t3, C.JET_bitLSTable | C.JET_bitLSReset) == (0, 60)
    assert get(env, t3, C.JET_bitLSTable) == (C.JET_errLSNotSet, C.JET_LSNil)
    assert lib.JetCloseTable(ses, t3) == 0
    assert env.runtime.calls == [(C.JET_cbtypFreeTableLS, 55, t)]


def test_end_session_and_term_release_what_is_left(lsenv):
    env = lsenv
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    p = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
    s2 = p[0]
    assert lib.JetOpenDatabase(s2, str(env.folder / "a.edb").encode(), ffi.NULL, ffi.new("JET_DBID *"), 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(s2, dbid, b"kv", ffi.NULL, 0, 0, pt) == 0
    assert lib.JetSetLS(s2, pt[0], 1, 0) == 0
    assert lib.JetSetLS(ses, t, 2, C.JET_bitLSTable) == 0
    assert lib.JetEndSession(s2, 0) == 0
    assert env.runtime.calls == [(C.JET_cbtypFreeCursorLS, 1, pt[0])]
    assert lib.JetSetLS(ses, t, 3, 0) == 0
    assert lib.JetTerm(env.inst) == 0
    assert sorted(c[:2] for c in env.runtime.calls) == sorted(
        [(C.JET_cbtypFreeCursorLS, 1), (C.JET_cbtypFreeCursorLS, 3), (C.JET_cbtypFreeTableLS, 2)])


def test_arguments(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib, ses = env.C, env.lib, env.ses
    dbid, t, ck, cv = make_kv(env)
    assert lib.JetSetLS(ses, t, 1, 0) == C.JET_errLSCallbackNotSpecified   # no runtime callback
    assert lib.JetSetLS(ses, t, 1, C.JET_bitLSCursor | C.JET_bitLSTable) == C.JET_errInvalidGrbit
    assert lib.JetSetLS(ses, t, 1, 0x100) == C.JET_errInvalidGrbit
    assert get(env, t, C.JET_bitLSCursor | C.JET_bitLSTable)[0] == C.JET_errInvalidGrbit
    assert lib.JetGetLS(ses, t, env.ffi.NULL, 0) == C.JET_errInvalidParameter
    assert lib.JetSetLS(ses, 12345, 1, C.JET_bitLSReset) == C.JET_errInvalidTableId
    assert get(env, 12345, 0)[0] == C.JET_errInvalidTableId
    assert env.term() == 0
