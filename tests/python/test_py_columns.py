"""Typed column definitions (esepy.ColumnDef), long values as str/bytes and as
streams, autoincrement, version and escrow columns through the Python API."""
from __future__ import annotations

import datetime
import hashlib
import io
import uuid

import pytest

import esepy
from esepy import errors
from esepy.inspection import DatabaseFile


def make_instance(tmp_path, name="pycols"):
    return esepy.Instance(name, system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                          temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True, log_file_size_kb=1024)


@pytest.fixture
def session(tmp_path):
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        yield s, s.create_database(str(tmp_path / "c.edb"))


def test_column_defs_and_every_type(session):
    s, db = session
    cols = [
        esepy.ColumnDef("id", "long", autoincrement=True),
        esepy.ColumnDef("ok", "bit"), esepy.ColumnDef("b", "ubyte"), esepy.ColumnDef("sh", "short"),
        esepy.ColumnDef("us", "ushort"), esepy.ColumnDef("ul", "ulong"), esepy.ColumnDef("ll", "longlong"),
        esepy.ColumnDef("ull", "ulonglong"), esepy.ColumnDef("cur", "currency"), esepy.ColumnDef("f", "float"),
        esepy.ColumnDef("d", "double"), esepy.ColumnDef("when", "datetime"), esepy.ColumnDef("g", "guid"),
        esepy.ColumnDef("code", "text", fixed=True, max_length=8, codepage=1252),
        esepy.ColumnDef("bin", "binary"), esepy.ColumnDef("note", "longtext"),
        esepy.ColumnDef("blob", "longbinary"), esepy.ColumnDef("ver", "long", version=True),
        esepy.ColumnDef("hits", "long", escrow=True, default=0),
    ]
    t = db.create_table("all", cols, primary_key=["id"])
    when = datetime.datetime(2024, 5, 6, 7, 8, 9)
    g = uuid.uuid4()
    row = {"ok": True, "b": 250, "sh": -5, "us": 65000, "ul": 4_000_000_000, "ll": -(2 ** 60),
           "ull": 2 ** 64 - 1, "cur": 123456, "f": 1.5, "d": -2.25, "when": when, "g": g, "code": "AB",
           "bin": b"\x00\x01", "note": "é" * 5000, "blob": bytes(range(256)) * 400}
    t.insert(row)
    t.insert({"ok": False})
    got = t.get(1)
    for k, v in row.items():
        if k == "code":
            assert got[k] == "AB" + " " * 6  # fixed text is padded
        elif k == "when":
            assert abs((got[k] - v).total_seconds()) < 0.001
        else:
            assert got[k] == v, k
    assert got["id"] == 1 and got["ver"] == 1 and got["hits"] == 0
    assert t.get(2)["id"] == 2
    assert t.columns["id"].grbit & 0x10 and t.columns["ver"].grbit & 0x8
    # an existing mapping still works, and may mix in ColumnDefs
    t2 = db.create_table("kv", {"k": "long", "n": esepy.ColumnDef("n", "long", autoincrement=True)},
                         primary_key=["k"])
    t2.insert({"k": 7})
    assert t2.get(7)["n"] == 1
    with pytest.raises(errors.InvalidColumnType):
        t2.add_column("bad", "text", autoincrement=True)


def test_version_and_escrow(session):
    s, db = session
    t = db.create_table("c", [esepy.ColumnDef("k", "long"), esepy.ColumnDef("ver", "long", version=True),
                              esepy.ColumnDef("n", "longlong", escrow=True, default=100)], primary_key=["k"])
    t.insert({"k": 1})
    assert t.escrow_update("n", 5, key=1) == 100
    assert t.escrow_update("n", -50) == 105
    assert t.get(1)["n"] == 55
    s.begin_transaction()
    t.escrow_update("n", 1000, key=1)
    assert t.get(1)["n"] == 1055
    s.rollback()
    assert t.get(1)["n"] == 55
    t.update(1, {})
    t.update(1, {})
    assert t.get(1)["ver"] == 3
    with pytest.raises(errors.InvalidOperation):
        t.escrow_update("k", 1, key=1)


def test_escrow_updates_of_open_transactions_do_not_conflict(tmp_path):
    with make_instance(tmp_path) as inst, inst.begin_session() as s1, inst.begin_session() as s2:
        path = str(tmp_path / "c.edb")
        t1 = s1.create_database(path).create_table(
            "c", [esepy.ColumnDef("k", "long"), esepy.ColumnDef("v", "text"),
                  esepy.ColumnDef("n", "long", escrow=True, default=0)], primary_key=["k"])
        t1.insert({"k": 1, "v": "a"})
        t2 = s2.open_database(path).open_table("c")
        s1.begin_transaction()
        s2.begin_transaction()
        assert t1.escrow_update("n", 3, key=1) == 0
        assert t2.escrow_update("n", 4, key=1) == 3     # the stored value: versioning ignored
        assert t2.escrow_update("n", 50, key=1, no_rollback=True) == 7
        assert (t1.get(1)["n"], t2.get(1)["n"]) == (53, 54)
        with pytest.raises(errors.WriteConflict):
            t2.update(1, {"v": "b"})                     # s1's delta is uncommitted
        s2.rollback()
        assert t1.get(1)["n"] == 53                      # s2's 4 is gone, its no_rollback 50 stays
        s1.commit()
        assert t2.get(1)["n"] == 53
        t2.update(1, {"v": "b"})
        t1.close()
        t2.close()


def test_long_values_in_and_out_of_the_record(session, tmp_path):
    s, db = session
    t = db.create_table("docs", {"k": "long", "body": "longbinary", "text": "longtext"}, primary_key=["k"])
    small, big = b"x" * 10, bytes(range(256)) * 4096  # 1 MiB
    t.insert({"k": 1, "body": small, "text": "short"})
    t.insert({"k": 2, "body": big, "text": "ü" * 300_000})
    assert t.get(1)["body"] == small and t.get(1)["text"] == "short"
    assert t.get(2)["body"] == big and t.get(2)["text"] == "ü" * 300_000
    # replacing and deleting big values returns their space for reuse by later ones
    t.update(2, {"body": b"y" * 500_000})
    assert t.get(2)["body"] == b"y" * 500_000
    t.delete(2)
    assert t.get(2) is None
    t.close()
    db.close()
    s.detach_database(str(tmp_path / "c.edb"))
    report = DatabaseFile(str(tmp_path / "c.edb")).check_integrity()
    assert report.problems == [], report.problems
    lv = [tr for tr in report.trees if tr.name == "docs/lv"]
    assert len(lv) == 1 and lv[0].nodes == 0   # every chunk of the replaced and deleted values is gone


def test_streaming_long_values(session):
    s, db = session
    t = db.create_table("files", {"name": "text", "data": "longbinary", "words": "longtext"}, primary_key=["name"])

    class Source(io.RawIOBase):
        """Yields n bytes of a pattern without ever holding them."""

        def __init__(self, n):
            self.left = n
            self.h = hashlib.sha256()

        def readable(self):
            return True

        def readinto(self, b):
            k = min(len(b), self.left)
            chunk = bytes((self.left - i) % 251 for i in range(k))
            b[:k] = chunk
            self.h.update(chunk)
            self.left -= k
            return k

    src = Source(5 * 1024 * 1024 + 17)
    t.insert({"name": "big", "data": io.BufferedReader(src), "words": io.StringIO("word " * 100_000)})
    t.seek("big")
    f = t.open_value("data")
    assert f.size == 5 * 1024 * 1024 + 17
    h = hashlib.sha256()
    while True:
        piece = f.read(300_000)
        if not piece:
            break
        h.update(piece)
    assert h.digest() == src.h.digest()
    f.seek(-5, io.SEEK_END)
    assert f.read() == bytes((5 - i) % 251 for i in range(5))
    f.seek(10)
    assert f.read(3) == bytes((src_n - i) % 251 for src_n in [5 * 1024 * 1024 + 17] for i in range(10, 13))
    w = t.open_value("words")
    assert w.size == len("word " * 100_000) * 2
    assert w.read(10).decode("utf-16-le") == "word "
    # a record without the value: an empty stream
    t.insert({"name": "none"})
    t.seek("none")
    assert t.open_value("data").read() == b""


def test_schema_changes_with_data(session):
    s, db = session
    t = db.create_table("t", {"k": "long", "a": "text", "b": "long"}, primary_key=["k"])
    for k in range(5):
        t.insert({"k": k, "a": f"a{k}", "b": k * 10})
    t.rename_column("a", "alpha")
    t.delete_column("b")
    with pytest.raises(errors.ColumnInUse):
        t.delete_column("k")
    assert t.get(3) == {"k": 3, "alpha": "a3"}
    t.add_column("b", "text")
    assert t.get(3) == {"k": 3, "alpha": "a3", "b": None}   # the old values are gone for good
    t.close()
    with s.transaction():
        db.rename_table("t", "renamed")
    assert "renamed" in db.tables and "t" not in db.tables
    with db.open_table("renamed") as t2:
        assert len(t2) == 5 and t2.get(4)["alpha"] == "a4"


def test_record_position_and_goto_fraction(paths, tmp_path):
    import esepy
    with esepy.Instance("pos", **paths("pos")) as inst, inst.begin_session() as s:
        t = s.create_database(str(tmp_path / "p.edb")).create_table("t", {"k": "long", "n": "text"},
                                                                   primary_key=["k"])
        assert t.goto_fraction(0.5) is None  # empty
        for k in range(100):
            t.insert({"k": k, "n": f"{99 - k:03d}"})
        t.create_index("by_n", ["n"])
        assert t.goto_fraction(0.0)["k"] == 0
        assert t.goto_fraction(1.0)["k"] == 99
        mid = t.goto_fraction(0.5)["k"]
        assert 45 <= mid <= 55
        before, total = t.position
        assert total == 100 and before == mid
        r = t.goto_fraction(0.0, index="by_n")
        assert r["k"] == 99  # "000" sorts first in by_n
        assert t.position == (0, 100)
        with pytest.raises(ValueError):
            t.goto_fraction(1.5)


def test_autoincrement_never_hands_out_a_value_twice(tmp_path):
    """A value is handed out at JetPrepareUpdate, before it is stored: here session A's
    insert streams a long value, and while it is being read session B writes 39 other
    autoincrement tables (more than a cache of counters would keep) and then inserts into
    the same table.  Every id differs."""
    with make_instance(tmp_path) as inst, inst.begin_session() as a, inst.begin_session() as b:
        path = str(tmp_path / "ai.edb")
        db = a.create_database(path)
        for i in range(40):
            db.create_table(f"t{i}", [esepy.ColumnDef("id", "long", autoincrement=True),
                                      esepy.ColumnDef("blob", "longbinary")], primary_key=["id"])
        t0 = db.open_table("t0")
        t0.insert({"blob": b"first"})
        dbb = b.open_database(path)

        class Busy(io.RawIOBase):
            """The long value of A's insert; reading it lets session B work."""

            def __init__(self):
                self.done = False

            def readable(self):
                return True

            def readinto(self, buf):
                if self.done:
                    return 0
                self.done = True
                for i in range(1, 40):
                    dbb.open_table(f"t{i}").insert({"blob": b"other"})
                dbb.open_table("t0").insert({"blob": b"from B"})
                buf[:5] = b"by A!"
                return 5

        t0.insert({"blob": Busy()})
        rows = sorted((r["id"], r["blob"]) for r in t0)
        ids = [i for i, _ in rows]
        assert len(ids) == len(set(ids)) == 3, rows
        assert {blob for _, blob in rows} == {b"first", b"from B", b"by A!"}
