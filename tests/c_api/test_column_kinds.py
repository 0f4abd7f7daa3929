"""Every column type 1..18 but SLV, and the engine-maintained columns
(Autoincrement, Version, EscrowUpdate with JetEscrowUpdate), through the C API."""
import struct
import uuid

from test_database import Env, env  # noqa: F401  (fixture)

TYPES = [  # (name, coltyp, a value, its size)
    ("Bit", 1, b"\x01"), ("UnsignedByte", 2, b"\xfe"), ("Short", 3, struct.pack("<h", -3)),
    ("Long", 4, struct.pack("<i", -70000)), ("Currency", 5, struct.pack("<q", -12345678901)),
    ("IEEESingle", 6, struct.pack("<f", 1.5)), ("IEEEDouble", 7, struct.pack("<d", -2.25)),
    ("DateTime", 8, struct.pack("<d", 45000.5)), ("Binary", 9, b"\x00\x01bin"), ("Text", 10, b"Some text"),
    ("LongBinary", 11, bytes(range(256)) * 3), ("LongText", 12, b"long text " * 50),
    ("UnsignedLong", 14, struct.pack("<I", 4000000000)), ("LongLong", 15, struct.pack("<q", -(2 ** 62))),
    ("GUID", 16, uuid.UUID(int=0x1234).bytes_le), ("UnsignedShort", 17, struct.pack("<H", 65000)),
    ("UnsignedLongLong", 18, struct.pack("<Q", 2 ** 64 - 2)),
]


def new_table(env, name="t"):
    err, dbid = env.create_db()
    assert err == 0
    err, t = env.create_table(dbid, name)
    assert err == 0
    return dbid, t


def test_every_type_round_trips(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t = new_table(env)
    cols = {}
    for name, coltyp, _ in TYPES:
        err, cols[name] = env.add_column(t, name, coltyp, cp=1252 if "Text" in name else 0)
        assert err == 0, name
    err, _ = env.add_column(t, "slv", C.JET_coltypSLV)
    assert err == C.JET_errInvalidColumnType
    assert env.insert(t, [(cols[n], v) for n, _, v in TYPES]) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    for name, coltyp, value in TYPES:
        assert env.retrieve(t, cols[name], 4096) == (0, value), name
        cd = ffi.new("JET_COLUMNDEF *")
        assert lib.JetGetTableColumnInfo(ses, t, name.encode(), cd, ffi.sizeof("JET_COLUMNDEF"),
                                         C.JET_ColInfo) == 0
        assert cd.coltyp == coltyp and cd.columnid == cols[name]
    # fixed-size types refuse other sizes
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, cols["Long"], b"abc", 3, 0, ffi.NULL) == C.JET_errInvalidBufferSize
    assert lib.JetSetColumn(ses, t, cols["GUID"], b"abc", 3, 0, ffi.NULL) == C.JET_errInvalidBufferSize
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == 0


def test_autoincrement(env, jet, tmp_path):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t = new_table(env)
    err, ca = env.add_column(t, "id", C.JET_coltypLong, C.JET_bitColumnAutoincrement)
    assert err == 0
    err, cv = env.add_column(t, "v", C.JET_coltypText, cp=1252)
    assert err == 0
    assert env.add_column(t, "id2", C.JET_coltypLong, C.JET_bitColumnAutoincrement)[0] == C.JET_errInvalidParameter
    assert env.add_column(t, "x", C.JET_coltypText, C.JET_bitColumnAutoincrement)[0] == C.JET_errInvalidColumnType
    assert lib.JetCreateIndex(ses, t, b"pk", C.JET_bitIndexPrimary, b"+id\0\0", 5, 100) == 0
    ids = []
    for i in range(5):
        assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
        # the value is there from JetPrepareUpdate on, and is not the application's to set
        buf, pcb = ffi.new("char[4]"), ffi.new("uint32_t *")
        assert lib.JetRetrieveColumn(ses, t, ca, buf, 4, pcb, C.JET_bitRetrieveCopy, ffi.NULL) == 0
        ids.append(struct.unpack("<i", ffi.buffer(buf, 4)[:])[0])
        assert lib.JetSetColumn(ses, t, ca, struct.pack("<i", 99), 4, 0, ffi.NULL) == C.JET_errInvalidColumnType
        assert lib.JetSetColumn(ses, t, cv, b"row%d" % i, 4, 0, ffi.NULL) == 0
        assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert ids == [1, 2, 3, 4, 5]
    # a cancelled insert uses up its value; after a restart counting resumes from the largest stored
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == 0
    assert lib.JetCloseTable(ses, t) == 0
    assert env.term() == 0
    env2 = Env(jet, tmp_path)
    path = str(tmp_path / "a.edb").encode()
    assert lib.JetAttachDatabase(env2.ses, path, 0) == 0
    pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
    assert lib.JetOpenDatabase(env2.ses, path, ffi.NULL, pdb, 0) == 0
    assert lib.JetOpenTable(env2.ses, pdb[0], b"t", ffi.NULL, 0, 0, pt) == 0
    assert env2.insert(pt[0], [(cv, b"after")]) == 0
    assert lib.JetMove(env2.ses, pt[0], C.JET_MoveLast, 0) == 0
    assert env2.retrieve(pt[0], ca) == (0, struct.pack("<i", 6))
    assert env2.term() == 0


def test_version_column(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t = new_table(env)
    err, cver = env.add_column(t, "ver", C.JET_coltypLong, C.JET_bitColumnVersion)
    assert err == 0
    assert env.add_column(t, "v2", C.JET_coltypShort, C.JET_bitColumnVersion)[0] == C.JET_errInvalidColumnType
    err, cv = env.add_column(t, "v", C.JET_coltypLong)
    assert err == 0
    assert env.insert(t, [(cv, struct.pack("<i", 1))]) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    assert env.retrieve(t, cver) == (0, struct.pack("<i", 1))
    for n in range(2, 5):
        assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
        assert lib.JetSetColumn(ses, t, cver, struct.pack("<i", 50), 4, 0, ffi.NULL) == C.JET_errInvalidColumnType
        assert lib.JetSetColumn(ses, t, cv, struct.pack("<i", n), 4, 0, ffi.NULL) == 0
        assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
        assert env.retrieve(t, cver) == (0, struct.pack("<i", n))
    # a rolled back replace leaves the version as it was
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetRollback(ses, 0) == 0
    assert env.retrieve(t, cver) == (0, struct.pack("<i", 4))


def test_escrow_update(env, tmp_path):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t = new_table(env)
    cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong,
                                     "grbit": C.JET_bitColumnEscrowUpdate})
    pcol = ffi.new("JET_COLUMNID *")
    assert lib.JetAddColumn(ses, t, b"n", cd, ffi.NULL, 0, pcol) == C.JET_errInvalidParameter  # needs a default
    assert lib.JetAddColumn(ses, t, b"n", cd, struct.pack("<i", 10), 4, pcol) == 0
    cn = pcol[0]
    err, cv = env.add_column(t, "v", C.JET_coltypLong)
    assert err == 0
    assert env.insert(t, [(cv, struct.pack("<i", 1))]) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    old, pcb = ffi.new("char[4]"), ffi.new("uint32_t *")
    for delta, before in ((5, 10), (-20, 15), (100, -5)):
        assert lib.JetEscrowUpdate(ses, t, cn, struct.pack("<i", delta), 4, old, 4, pcb, 0) == 0
        assert pcb[0] == 4 and struct.unpack("<i", ffi.buffer(old, 4)[:])[0] == before
    assert env.retrieve(t, cn) == (0, struct.pack("<i", 95))
    # wrong column kinds and sizes, and rollback
    assert lib.JetEscrowUpdate(ses, t, cv, struct.pack("<i", 1), 4, ffi.NULL, 0, ffi.NULL, 0) == \
        C.JET_errInvalidOperation
    assert lib.JetEscrowUpdate(ses, t, cn, b"\x01\x00", 2, ffi.NULL, 0, ffi.NULL, 0) == C.JET_errInvalidBufferSize
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetEscrowUpdate(ses, t, cn, struct.pack("<i", 1000), 4, ffi.NULL, 0, ffi.NULL, 0) == 0
    assert env.retrieve(t, cn) == (0, struct.pack("<i", 1095))
    assert lib.JetRollback(ses, 0) == 0
    assert env.retrieve(t, cn) == (0, struct.pack("<i", 95))
    # an escrow column is not set by a replace
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, cn, struct.pack("<i", 3), 4, 0, ffi.NULL) == C.JET_errInvalidColumnType
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == 0


def test_unique_multi_values(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t = new_table(env)
    err, cm = env.add_column(t, "tags", C.JET_coltypText, C.JET_bitColumnTagged | C.JET_bitColumnMultiValued,
                             cp=1252)
    assert err == 0
    si = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 0})
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    for v in (b"a", b"b"):
        assert lib.JetSetColumn(ses, t, cm, v, 1, C.JET_bitSetUniqueMultiValues, si) == 0
    assert lib.JetSetColumn(ses, t, cm, b"a", 1, C.JET_bitSetUniqueMultiValues, si) == C.JET_errMultiValuedDuplicate
    # replacing a value by itself is not a duplicate; without the grbit duplicates are kept
    si.itagSequence = 1
    assert lib.JetSetColumn(ses, t, cm, b"a", 1, C.JET_bitSetUniqueMultiValues, si) == 0
    si.itagSequence = 0
    assert lib.JetSetColumn(ses, t, cm, b"a", 1, 0, si) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    buf, pcb = ffi.new("char[8]"), ffi.new("uint32_t *")
    ri = ffi.new("JET_RETINFO *", {"cbStruct": ffi.sizeof("JET_RETINFO"), "itagSequence": 3})
    assert lib.JetRetrieveColumn(ses, t, cm, buf, 8, pcb, 0, ri) == 0 and ffi.buffer(buf, pcb[0])[:] == b"a"


def test_autoincrement_value_is_never_handed_out_twice(env, jet, tmp_path):
    """Values are handed out at JetPrepareUpdate, before they are stored: a table whose
    counter left the per-database cache (39 other autoincrement tables written since) must
    not rebuild it from the largest stored value while a handed-out value is pending."""
    C, lib, ffi = env.C, env.lib, env.ffi
    err, dbid = env.create_db()
    assert err == 0
    tables = []
    for i in range(40):
        err, t = env.create_table(dbid, f"t{i}")
        assert err == 0
        err, ca = env.add_column(t, "id", C.JET_coltypLong, C.JET_bitColumnAutoincrement)
        assert err == 0
        tables.append((t, ca))
    t0, ca0 = tables[0]

    def prepared_id(ses, t, ca):
        assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
        buf, pcb = ffi.new("char[4]"), ffi.new("uint32_t *")
        assert lib.JetRetrieveColumn(ses, t, ca, buf, 4, pcb, C.JET_bitRetrieveCopy, ffi.NULL) == 0
        return struct.unpack("<i", ffi.buffer(buf, 4)[:])[0]

    def update(ses, t):
        assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0

    ids = [prepared_id(env.ses, t0, ca0)]
    update(env.ses, t0)  # stored: 1
    ids.append(prepared_id(env.ses, t0, ca0))  # session A: 2, not yet stored
    # Session B writes the 39 other tables, then inserts into t0.
    p = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
    b = p[0]
    path = str(tmp_path / "a.edb").encode()
    pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
    assert lib.JetOpenDatabase(b, path, ffi.NULL, pdb, 0) == 0
    for i in range(1, 40):
        assert lib.JetOpenTable(b, pdb[0], f"t{i}".encode(), ffi.NULL, 0, 0, pt) == 0
        prepared_id(b, pt[0], tables[i][1])
        update(b, pt[0])
        assert lib.JetCloseTable(b, pt[0]) == 0
    assert lib.JetOpenTable(b, pdb[0], b"t0", ffi.NULL, 0, 0, pt) == 0
    ids.append(prepared_id(b, pt[0], ca0))
    update(b, pt[0])
    update(env.ses, t0)
    assert ids == [1, 2, 3]
    # and what is stored agrees
    stored = []
    err = lib.JetMove(b, pt[0], C.JET_MoveFirst, 0)
    while err == 0:
        buf, pcb = ffi.new("char[4]"), ffi.new("uint32_t *")
        assert lib.JetRetrieveColumn(b, pt[0], ca0, buf, 4, pcb, 0, ffi.NULL) == 0
        stored.append(struct.unpack("<i", ffi.buffer(buf, 4)[:])[0])
        err = lib.JetMove(b, pt[0], C.JET_MoveNext, 0)
    assert sorted(stored) == [1, 2, 3]
    assert lib.JetCloseTable(b, pt[0]) == 0
    assert lib.JetEndSession(b, 0) == 0
