"""The read fast paths of issue 20: Table.get in one call into C (make key + seek +
retrieve), Table.scan(start=...) seeking inside its first batch call and keeping its
second cursor for the next scan.  What they must never do: hand out a row the
session's snapshot cannot see, or one that is stale because it was kept from an
earlier call (another session changed it since), or miss a schema change."""
from __future__ import annotations

import pytest

import esepy
from esepy import errors


@pytest.fixture
def env(tmp_path):
    with esepy.Instance("fastread", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                        log_file_size_kb=256) as inst:
        s1 = inst.begin_session()
        s2 = inst.begin_session()
        path = str(tmp_path / "f.edb")
        db1 = s1.create_database(path)
        t1 = db1.create_table("kv", {"k": "binary", "v": "binary", "n": "long"}, primary_key=["k"])
        for i in range(300):
            t1.insert({"k": b"%04d" % i, "v": b"a%d" % i, "n": i})
        db2 = s2.open_database(path)
        t2 = db2.open_table("kv")
        yield s1, t1, s2, t2
        t1.close()
        t2.close()
        s1.end()
        s2.end()


def scan_range(t, start, n):
    out = []
    for r in t.scan(start=start, batch=n):
        out.append(r)
        if len(out) == n:
            break
    return out


def test_get_sees_the_snapshot_not_later_commits_nor_uncommitted_changes(env):
    s1, t1, s2, t2 = env
    assert t2.get(b"0007") == {"k": b"0007", "v": b"a7", "n": 7}
    with s2.transaction():
        assert t2.get(b"0007")["v"] == b"a7"        # the snapshot starts here
        with s1.transaction():
            t1.update(b"0007", {"v": b"new"})
            t1.delete(b"0008")
            t1.insert({"k": b"0007x", "v": b"ins", "n": -1})
            assert t1.get(b"0007")["v"] == b"new"   # its own change
            assert t1.get(b"0008") is None
            assert t2.get(b"0007")["v"] == b"a7"    # uncommitted: invisible
            assert t2.get(b"0007x") is None
        # committed after s2's snapshot began: still invisible to s2
        assert t2.get(b"0007")["v"] == b"a7"
        assert t2.get(b"0008")["v"] == b"a8"
        assert t2.get(b"0007x") is None
    # a new snapshot sees the commit
    assert t2.get(b"0007")["v"] == b"new"
    assert t2.get(b"0008") is None
    assert t2.get(b"0007x")["n"] == -1


def test_get_of_the_same_key_again_is_not_a_stale_kept_image(env):
    s1, t1, s2, t2 = env
    for round_ in range(3):
        assert t2.get(b"0042")["n"] == 42 + round_   # the cursor stays on 0042 between calls
        t1.update(b"0042", {"n": 43 + round_})      # another session, committed at once
    assert t2.get(b"0042")["n"] == 45
    s1.begin_transaction()
    t1.update(b"0042", {"n": 0})
    assert t2.get(b"0042")["n"] == 45                # uncommitted elsewhere
    assert t1.get(b"0042")["n"] == 0
    s1.rollback()
    assert t2.get(b"0042")["n"] == 45


def test_get_leaves_the_cursor_on_the_record_and_falls_back_off_the_primary_index(env):
    s1, t1, s2, t2 = env
    assert t1.get(b"0100")["n"] == 100
    assert t1.current()["k"] == b"0100"             # as seek did
    assert t1.get(b"nope") is None
    t1.create_index("by_n", ["n"])
    t1._use_index("by_n")
    # with a secondary index current, get still means the primary key
    assert t1.get(b"0101")["n"] == 101
    with pytest.raises(errors.KeyIsMade):
        t1.get(b"0101", 1)                           # more values than key columns


def test_get_with_two_key_columns_and_a_column_added_by_another_cursor(tmp_path):
    with esepy.Instance("fastread2", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                        log_file_size_kb=256) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "g.edb"))
        t = db.create_table("p", {"a": "text", "b": "long", "v": "text"}, primary_key=["a", "-b"])
        t.insert({"a": "Key", "b": 1, "v": "one"})
        t.insert({"a": "key2", "b": 2, "v": "two"})
        assert t.get("KEY", 1) == {"a": "Key", "b": 1, "v": "one"}   # text keys fold case
        assert t.get("Key", 2) is None
        assert t.get("key2")["v"] == "two"                             # a partial key
        t.add_column("extra", "long")
        t.update(("Key", 1), {"extra": 5})
        assert t.get("Key", 1)["extra"] == 5                           # the plan follows the columns
        t.close()


def test_scan_from_a_key_sees_the_snapshot_and_later_commits_on_a_kept_cursor(env):
    s1, t1, s2, t2 = env
    first = scan_range(t2, b"0010", 5)
    assert [r["n"] for r in first] == [10, 11, 12, 13, 14]
    with s2.transaction():
        assert [r["v"] for r in scan_range(t2, b"0011", 2)] == [b"a11", b"a12"]
        t1.update(b"0011", {"v": b"changed"})                          # committed after the snapshot
        t1.delete(b"0012")
        assert [r["v"] for r in scan_range(t2, b"0011", 2)] == [b"a11", b"a12"]
        assert sum(1 for _ in t2.scan()) == 300
    # the scan cursor kept from inside the transaction reads the new state now
    assert [r["v"] for r in scan_range(t2, b"0011", 2)] == [b"changed", b"a13"]
    assert sum(1 for _ in t2.scan()) == 299
    s1.begin_transaction()
    t1.update(b"0013", {"v": b"uncommitted"})
    assert scan_range(t2, b"0013", 1)[0]["v"] == b"a13"
    assert scan_range(t1, b"0013", 1)[0]["v"] == b"uncommitted"
    s1.rollback()
    assert scan_range(t1, b"0013", 1)[0]["v"] == b"a13"


def test_scan_from_a_key_past_the_end_and_interleaved_scans(env):
    s1, t1, s2, t2 = env
    assert list(t2.scan(start=b"zzzz")) == []
    assert [r["n"] for r in t2.scan(start=b"0298")] == [298, 299]
    a = t2.scan(start=b"0100", batch=2)
    b = t2.scan(start=b"0200", batch=2)
    got = [(next(a)["n"], next(b)["n"]) for _ in range(5)]
    assert got == [(100 + i, 200 + i) for i in range(5)]
    a.close()
    b.close()
    assert [r["n"] for r in scan_range(t2, b"0150", 3)] == [150, 151, 152]


def test_scan_after_a_column_was_added_reads_it(env):
    s1, t1, s2, t2 = env
    assert set(scan_range(t1, b"0001", 1)[0]) == {"k", "v", "n"}   # the cursor is kept now
    t1.add_column("extra", "long")
    t1.update(b"0001", {"extra": 9})
    assert scan_range(t1, b"0001", 1)[0]["extra"] == 9


def test_the_kept_scan_cursor_closes_with_its_table(tmp_path):
    with esepy.Instance("fastread3", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                        log_file_size_kb=256) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "c.edb"))
        t = db.create_table("c", {"k": "long"}, primary_key=["k"])
        t.insert({"k": 1})
        assert [r["k"] for r in t.scan()] == [1]
        t.close()
        db.close()                    # TooManyOpenTables if the scan's cursor were still open
        db = s.open_database(str(tmp_path / "c.edb"))
        db.delete_table("c")          # and the table is not in use
        assert db.tables == []
        db.close()


def test_long_values_read_whole_and_in_pieces_across_chunks_and_snapshots(tmp_path):
    """lv_read walks a value's chunks with one cursor (a seek, then a step per chunk):
    every byte, at every offset, and the snapshot's value, not a newer one."""
    import os as _os
    with esepy.Instance("fastread4", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                        log_file_size_kb=1024) as inst:
        s1, s2 = inst.begin_session(), inst.begin_session()
        path = str(tmp_path / "lv.edb")
        db1 = s1.create_database(path)
        t1 = db1.create_table("lv", {"k": "long", "v": "longbinary"}, primary_key=["k"])
        vals = {k: _os.urandom(n) for k, n in ((1, 100 * 1024), (2, 5000), (3, 40000), (4, 100 * 1024 + 7))}
        for k, v in vals.items():
            t1.insert({"k": k, "v": v})
        for k, v in vals.items():
            assert t1.get(k)["v"] == v
        t1.seek(4)
        r = t1.open_value("v")
        for off, n in ((0, 1), (4000, 9000), (4032, 64), (len(vals[4]) - 10, 100), (12345, 70000)):
            r.seek(off)
            assert r.read(n) == vals[4][off:off + n], (off, n)
        t2 = s2.open_database(path).open_table("lv")
        new = _os.urandom(100 * 1024)
        with s2.transaction():
            assert t2.get(1)["v"] == vals[1]
            t1.update(1, {"v": new})                   # committed after s2's snapshot
            assert t2.get(1)["v"] == vals[1]
            assert [r["v"] for r in t2.scan(start=1, batch=1)][0] == vals[1]
        assert t2.get(1)["v"] == new
        s1.begin_transaction()
        t1.update(1, {"v": b"x" * 70000})
        assert t2.get(1)["v"] == new                   # uncommitted elsewhere
        s1.rollback()
        assert t1.get(1)["v"] == new
        t1.close()
        t2.close()
        s1.end()
        s2.end()


# --- read20: rows as dicts built in C, kept parsed specs, the kept key encoders ---

@pytest.fixture
def raw_table(tmp_path):
    """A table whose columns are all read raw (binary): get() and scan() build their
    dicts in C."""
    with esepy.Instance("rawread", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                        log_file_size_kb=256) as inst:
        s = inst.begin_session()
        db = s.create_database(str(tmp_path / "r.edb"))
        t = db.create_table("kv", {"k": "binary", "v": "longbinary", "w": "binary"}, primary_key=["k"])
        t.insert({"k": b"a", "v": b"x" * 5000, "w": None})     # past the first-pass slot; a NULL
        t.insert({"k": b"b", "v": b"", "w": b"w" * 255})          # empty is not NULL
        t.insert({"k": b"c", "v": None, "w": b"c"})
        yield s, t
        t.close()
        s.end()


def test_get_and_scan_dicts_built_in_c_carry_nulls_empty_and_long_values(raw_table):
    s, t = raw_table
    expect = [{"k": b"a", "v": b"x" * 5000, "w": None}, {"k": b"b", "v": b"", "w": b"w" * 255},
              {"k": b"c", "v": None, "w": b"c"}]
    assert [t.get(r["k"]) for r in expect] == expect
    assert list(t.scan()) == expect
    assert list(t.scan(batch=1)) == expect
    assert scan_range(t, b"b", 2) == expect[1:]
    assert t.get(b"zz") is None
    # Each call hands out new dicts: changing one changes nothing kept.
    r = t.get(b"a")
    r["v"] = b"changed"
    assert t.get(b"a")["v"] == b"x" * 5000


def test_kept_specs_follow_the_columns_asked_and_a_new_column(raw_table):
    s, t = raw_table
    assert [r for r in t.scan(columns=["w"])] == [{"w": None}, {"w": b"w" * 255}, {"w": b"c"}]
    assert [r for r in t.scan(columns=["k"])] == [{"k": b"a"}, {"k": b"b"}, {"k": b"c"}]
    assert t.get(b"c") == {"k": b"c", "v": None, "w": b"c"}
    t.add_column("z", "binary")
    assert t.get(b"c") == {"k": b"c", "v": None, "w": b"c", "z": None}
    assert list(t.scan())[0] == {"k": b"a", "v": b"x" * 5000, "w": None, "z": None}


def test_multi_valued_rows_take_the_general_path(tmp_path):
    with esepy.Instance("mvread", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True) as inst:
        s = inst.begin_session()
        db = s.create_database(str(tmp_path / "m.edb"))
        t = db.create_table("mv", {"k": "binary", "tags": {"type": "binary", "multi_valued": True}},
                            primary_key=["k"])
        t.insert({"k": b"1", "tags": [b"x", b"y"]})
        t.insert({"k": b"2", "tags": None})
        assert t.get(b"1") == {"k": b"1", "tags": [b"x", b"y"]}
        assert list(t.scan()) == [{"k": b"1", "tags": [b"x", b"y"]}, {"k": b"2", "tags": []}]
        t.close()
        s.end()


def test_kept_key_encoders_take_unusual_values_and_report_errors_as_before(tmp_path):
    with esepy.Instance("encread", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True) as inst:
        s = inst.begin_session()
        db = s.create_database(str(tmp_path / "e.edb"))
        t = db.create_table("e", {"id": "long", "name": "text", "b": "binary"}, primary_key=["id"])
        t.insert({"id": 5, "name": "five", "b": b"5"})
        t.insert({"id": -7, "name": "minus", "b": b"7"})
        assert t.get(5)["name"] == "five"
        assert t.get(True) is None                       # bool: Column.encode's path, id 1
        assert [r["id"] for r in t.scan(start=-7)] == [-7, 5]
        assert [r["id"] for r in t.scan(start=0)] == [5]
        with pytest.raises(ValueError, match="does not fit column 'id'"):
            t.get(1 << 40)
        with pytest.raises(ValueError, match="does not fit column 'id'"):
            list(t.scan(start=1 << 40))
        u = db.create_table("u", {"b": "binary", "n": "long"}, primary_key=["b"])
        u.insert({"b": b"key", "n": 1})
        assert u.get(bytearray(b"key"))["n"] == 1         # not bytes: converted as before
        assert u.get(memoryview(b"key"))["n"] == 1
        t.close()
        u.close()
        s.end()


def test_a_bytes_key_of_a_binary_key_column_reads_as_seek_does(tmp_path):
    """Table.get and scan(start=) hand a bytes key of a binary first key column to the
    engine as it is; every other value (a bytes subclass, str, int) still goes through
    the column's encoder, with its errors."""
    with esepy.Instance("binkey", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True) as inst:
        s = inst.begin_session()
        db = s.create_database(str(tmp_path / "b.edb"))
        u = db.create_table("u", {"b": "binary", "n": "long"}, primary_key=["b"])
        for i, k in enumerate([b"", b"\x00", b"a", b"ab", b"b" * 255]):
            u.insert({"b": k, "n": i})

        class B(bytes):
            pass
        for k in [b"", b"\x00", b"a", b"ab", b"b" * 255, b"zz", B(b"ab"), bytearray(b"a")]:
            expect = u.seek(k)
            assert u.get(k) == expect
            assert [r["n"] for r in u.scan(start=k)] == \
                [r["n"] for r in u.scan() if r["b"] >= bytes(k)]
        assert u.get(b"ab") == {"b": b"ab", "n": 3} and u.get(b"abc") is None

        def outcome(f, *a):
            try:
                return f(*a)
            except Exception as e:  # the same exception type, or the same record
                return type(e)
        for odd in ("ab", 7, None, 1.5):
            assert outcome(u.get, odd) == outcome(u.seek, odd)
            assert outcome(lambda v: [r["n"] for r in u.scan(start=v)], odd) == \
                outcome(lambda v: [r["n"] for r in u.range(start=v)], odd)
        u.close()
        s.end()
