"""Limits taken from the parameters that claim them: JET_paramMaxCursors bounds
the open cursors of an instance (all its sessions), and a session holds as many
as that allows -- its cursor slots grow, they are not a fixed array."""
import struct

from test_database import Env, make_kv


def open_table(env, ses, dbid, name=b"kv"):
    p = env.ffi.new("JET_TABLEID *")
    err = env.lib.JetOpenTable(ses, dbid, name, env.ffi.NULL, 0, 0, p)
    return err, p[0]


def test_a_session_opens_hundreds_of_cursors(jet, tmp_path):
    env = Env(jet, tmp_path, "cur300")
    C, lib, ses = env.C, env.lib, env.ses
    try:
        dbid, t, ck, cv = make_kv(env)
        for k in range(3):
            assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"v%d" % k)]) == 0
        cursors = []
        for i in range(300):
            err, tid = open_table(env, ses, dbid)
            assert err == 0, (i, jet.err_name(err))
            cursors.append(tid)
        assert len(set(cursors)) == 300
        # each one is a cursor of its own: positions do not interfere
        for i, tid in enumerate(cursors):
            assert lib.JetMove(ses, tid, C.JET_MoveFirst, 0) == 0
            assert lib.JetMove(ses, tid, i % 3, 0) == 0
        for i, tid in enumerate(cursors):
            assert env.retrieve(tid, ck)[1] == struct.pack("<i", i % 3)
        # a closed slot is reused under a new handle; the old handle stays invalid
        old = cursors[70]
        assert lib.JetCloseTable(ses, old) == 0
        err, tid = open_table(env, ses, dbid)
        assert err == 0 and tid != old
        assert lib.JetMove(ses, old, C.JET_MoveFirst, 0) == C.JET_errInvalidTableId
        assert lib.JetMove(ses, tid, C.JET_MoveFirst, 0) == 0
    finally:
        assert env.term() == 0


def test_max_cursors_bounds_the_instance(jet, tmp_path):
    env = Env(jet, tmp_path, "cur100", MaxCursors=100)
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    try:
        dbid, t, ck, cv = make_kv(env)  # t is the first open cursor
        cursors = [t]
        while True:
            err, tid = open_table(env, ses, dbid)
            if err < 0:
                break
            cursors.append(tid)
        assert err == C.JET_errOutOfCursors and len(cursors) == 100
        pdup = ffi.new("JET_TABLEID *")
        assert lib.JetDupCursor(ses, t, pdup, 0) == C.JET_errOutOfCursors
        # the limit is the instance's: a second session finds it full too
        p = ffi.new("JET_SESID *")
        assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
        ses2 = p[0]
        pdb = ffi.new("JET_DBID *")
        assert lib.JetOpenDatabase(ses2, str(tmp_path / "a.edb").encode(), ffi.NULL, pdb, 0) == 0
        assert open_table(env, ses2, pdb[0])[0] == C.JET_errOutOfCursors
        # closing one makes room for exactly one
        assert lib.JetCloseTable(ses, cursors.pop()) == 0
        err, t2 = open_table(env, ses2, pdb[0])
        assert err == 0
        assert open_table(env, ses, dbid)[0] == C.JET_errOutOfCursors
        # ending a session gives its cursors back
        assert lib.JetEndSession(ses2, 0) == 0
        assert lib.JetDupCursor(ses, t, pdup, 0) == 0
    finally:
        assert env.term() == 0
