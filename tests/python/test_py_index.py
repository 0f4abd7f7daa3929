"""Secondary indexes through the Python API: create_index over existing data,
ranges and prefixes over any index, reverse iteration, counts, bookmarks,
and consistency across rollbacks."""
from __future__ import annotations

import pytest

import esepy
from esepy import errors


def make_instance(tmp_path, name="pyidx"):
    return esepy.Instance(name, system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                          temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True, log_file_size_kb=256)


@pytest.fixture
def people(tmp_path):
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "p.edb"))
        t = db.create_table("people", {"id": "long", "name": "text", "age": "long",
                                       "tags": {"type": "text", "multi_valued": True}}, primary_key=["id"])
        rows = [(1, "Carol", 41), (2, "alice", 30), (3, "Bob", 30), (4, "dave", None), (5, "Alicia", 25)]
        for i, n, a in rows:
            t.insert({"id": i, "name": n, "age": a})
        yield s, t
        t.close()


def ids(recs):
    return [r["id"] for r in recs]


def test_create_index_and_range(people):
    s, t = people
    t.create_index("by_age", ["age", "-name"])
    t.create_index("by_name", ["name"], unique=True)
    assert t.indexes["by_age"]["key"] == ["+age", "-name"]
    assert t.indexes["by_name"]["unique"] is True
    assert ids(t.range(index="by_age")) == [4, 5, 3, 2, 1]  # NULL age first; name descending
    assert ids(t.range(index="by_age", reverse=True)) == [1, 2, 3, 5, 4]
    assert ids(t.range(30, 41, index="by_age")) == [3, 2]
    assert ids(t.range(30, 41, index="by_age", inclusive_stop=True)) == [3, 2, 1]
    assert ids(t.range(30, 41, index="by_age", reverse=True)) == [2, 3]
    assert ids(t.range(index="by_age", prefix=30)) == [3, 2]
    assert ids(t.range(index="by_age", prefix=31)) == []
    assert t.count(index="by_age", prefix=30) == 2
    assert t.count(index="by_name") == 5
    # case-insensitive text keys by default
    assert ids(t.range("ALICE", "B", index="by_name")) == [2, 5]
    assert t.seek("ALICE", index="by_name")["id"] == 2
    with pytest.raises(errors.KeyDuplicate):
        t.insert({"id": 9, "name": "CAROL"})
    # the primary index still works after using a secondary one
    assert t.get(3)["name"] == "Bob"
    assert ids(t) == [1, 2, 3, 4, 5]
    assert ids(t.range(2, 4)) == [2, 3]


def test_case_sensitive_and_maintenance(people):
    s, t = people
    t.create_index("cs", ["name"], case_sensitive=True)
    assert [r["name"] for r in t.range(index="cs")] == ["Alicia", "Bob", "Carol", "alice", "dave"]
    t.update(4, {"name": "Aaron"})
    t.delete(1)
    assert [r["name"] for r in t.range(index="cs")] == ["Aaron", "Alicia", "Bob", "alice"]
    with s.transaction():
        t.insert({"id": 10, "name": "Zed"})
    s.begin_transaction()
    t.insert({"id": 11, "name": "Yves"})
    t.update(10, {"name": "Abe"})
    s.rollback()
    assert [r["name"] for r in t.range(index="cs")] == ["Aaron", "Alicia", "Bob", "Zed", "alice"]
    t.delete_index("cs")
    assert "cs" not in t.indexes
    with pytest.raises(errors.IndexNotFound):
        list(t.range(index="cs"))


def test_multivalued_index_and_bookmarks(people):
    s, t = people
    t.update(1, {"tags": ["x", "y"]})
    t.update(2, {"tags": ["y"]})
    assert t.get(1)["tags"] == ["x", "y"] and t.get(3)["tags"] == []
    t.update(1, {"tags": ["y", "x"]})
    assert t.get(1)["tags"] == ["y", "x"]
    t.create_index("by_tag", ["tags"], ignore_null=True)
    assert ids(t.range(index="by_tag")) == [1, 1, 2]
    assert ids(t.range(index="by_tag", prefix="y")) == [1, 2]
    r = t.seek("x", index="by_tag")
    bm = t.bookmark()
    t.seek(5)
    assert t.goto(bm)["id"] == r["id"] == 1


def test_unique_disallow_null_flags(people):
    s, t = people
    with pytest.raises(errors.KeyDuplicate):
        t.create_index("u_age", ["age"], unique=True)
    with pytest.raises(errors.NullKeyDisallowed):
        t.create_index("nn_age", ["age"], disallow_null=True)
    t.create_index("ig_age", ["age"], ignore_any_null=True, sort_nulls_high=True)
    assert ids(t.range(index="ig_age")) == [5, 2, 3, 1]


def test_index_build_needs_no_version_store(tmp_path):
    """An index over far more records than the version store could hold: the build
    writes its entries without versions (the new tree is unreachable until commit)."""
    with esepy.Instance("pybuild", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True, log_file_size_kb=1024,
                        max_ver_pages=16) as inst, inst.begin_session() as s:
        t = s.create_database(str(tmp_path / "b.edb")).create_table("t", {"id": "long", "a": "long"},
                                                                     primary_key=["id"])
        n = 30000
        for b in range(0, n, 200):
            with s.transaction(lazy=True):
                for i in range(b, b + 200):
                    t.insert({"id": i, "a": (i * 7919) % 1000})
        with pytest.raises(errors.VersionStoreOutOfMemory):  # what a versioned build would need
            with s.transaction():
                for i in range(n):
                    t.update(i, {"a": i})
        t.create_index("by_a", ["a"])
        assert t.count(index="by_a") == n
        assert [r["id"] for r in t.range(index="by_a", prefix=7)] == sorted(
            i for i in range(n) if (i * 7919) % 1000 == 7)
        # a build that rolls back leaves no index behind, and the table untouched
        s.begin_transaction()
        t.create_index("by_a2", ["-a", "id"], unique=True)
        assert t.count(index="by_a2") == n
        s.rollback()
        assert "by_a2" not in t.indexes
        with pytest.raises(errors.IndexNotFound):
            t.count(index="by_a2")
        # unique builds still find duplicates
        with pytest.raises(errors.KeyDuplicate):
            t.create_index("u_a", ["a"], unique=True)
        assert set(t.indexes) == {"by_a"}
        t.close()


def check_indexes(t):
    """Every index lists exactly the table's records, in key order."""
    recs = {r["id"]: r for r in t}
    for name, info in t.indexes.items():
        got = [r["id"] for r in t.range(index=name)]
        assert sorted(got) == sorted(recs), name
        cols = [k[1:] for k in info["key"]]
        desc = [k[0] == "-" for k in info["key"]]
        keys = [tuple(recs[i][c] for c in cols) for i in got]
        for x, y in zip(keys, keys[1:]):  # each pair in order, segment by segment (no NULLs here)
            for vx, vy, d in zip(x, y, desc):
                if vx != vy:
                    assert (vx > vy) if d else (vx < vy), (name, x, y)
                    break


def test_index_ddl_against_writers_of_other_sessions(tmp_path):
    """Writers in other sessions maintain an index from the moment it is created, committed
    or not, and whatever their snapshot; a creation that cannot see the table's latest
    state is refused with WriteConflict instead of building an incomplete index."""
    with make_instance(tmp_path, "ddlw") as inst, inst.begin_session() as a, inst.begin_session() as b:
        ta = a.create_database(str(tmp_path / "w.edb")).create_table("t", {"id": "long", "v": "long"},
                                                                     primary_key=["id"])
        for i in range(5):
            ta.insert({"id": i, "v": i})
        tb = b.open_database(str(tmp_path / "w.edb")).open_table("t")
        a.begin_transaction()
        ta.insert({"id": 100, "v": 100})  # not committed: the build could not see it
        with pytest.raises(errors.WriteConflict):
            tb.create_index("byv", ["v"])
        a.commit()
        a.begin_transaction()  # an old snapshot...
        tb.create_index("byv", ["v"])
        assert "byv" not in ta.indexes  # ...does not see the new index
        ta.insert({"id": 101, "v": 101})  # but maintains it
        a.commit()
        assert "byv" in ta.indexes
        ta.insert({"id": 102, "v": 102})
        # an index not committed yet is maintained by everyone, and visible only to its creator
        b.begin_transaction()
        tb.create_index("byv2", ["-v"])
        ta.insert({"id": 103, "v": 103})
        ta.update(0, {"v": -1})
        ta.delete(1)
        assert "byv2" not in ta.indexes and "byv2" in tb.indexes
        b.commit()
        check_indexes(ta)
        # one that rolls back leaves nothing
        b.begin_transaction()
        tb.create_index("byv3", ["v", "id"])
        ta.insert({"id": 104, "v": 104})
        b.rollback()
        assert "byv3" not in ta.indexes and "byv3" not in tb.indexes
        # deletion: visible to old snapshots until they end, gone for the others at commit
        a.begin_transaction()
        tb.delete_index("byv2")
        assert "byv2" in ta.indexes and "byv2" not in tb.indexes
        a.commit()
        assert "byv2" not in ta.indexes
        check_indexes(ta)
        ta.close()
        tb.close()


def test_index_ddl_races_writer_threads(tmp_path):
    """Threads writing records (committing and rolling back) while another creates and deletes
    indexes: at the end every index agrees with the records."""
    import threading
    import time
    with make_instance(tmp_path, "ddlrace") as inst:
        with inst.begin_session() as s:
            t = s.create_database(str(tmp_path / "r.edb")).create_table(
                "t", {"id": "long", "a": "long", "b": "text"}, primary_key=["id"])
            for i in range(300):
                t.insert({"id": i, "a": i % 17, "b": "x%d" % (i % 13)})
            t.close()
        stop = threading.Event()
        failures = []

        def writer(seed):
            import random
            rnd = random.Random(seed)
            try:
                with inst.begin_session() as s:
                    t = s.open_database(str(tmp_path / "r.edb")).open_table("t")
                    while not stop.is_set():
                        try:
                            s.begin_transaction()
                            for _ in range(rnd.randrange(1, 6)):
                                k = rnd.randrange(400)
                                if t.get(k) is None:
                                    t.insert({"id": k, "a": rnd.randrange(50), "b": "y%d" % rnd.randrange(9)})
                                elif rnd.random() < 0.3:
                                    t.delete(k)
                                else:
                                    t.update(k, {"a": rnd.randrange(50)})
                            if rnd.random() < 0.3:
                                s.rollback()
                            else:
                                s.commit()
                        except errors.WriteConflict:
                            s.rollback()
                        time.sleep(0.0005)  # between transactions, DDL can find the table quiet
                    t.close()
            except BaseException as e:  # surfaces in the main thread
                failures.append(e)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
        for th in threads:
            th.start()
        try:
            with inst.begin_session() as s:
                t = s.open_database(str(tmp_path / "r.edb")).open_table("t")
                made = conflicts = 0
                for n in range(30):
                    for _attempt in range(200):
                        try:
                            if n % 3 == 2 and t.indexes:
                                t.delete_index(sorted(t.indexes)[0])
                            else:
                                t.create_index("i%d" % n, ["a", "-b"] if n % 2 else ["-a"])
                                made += 1
                            break
                        except errors.WriteConflict:
                            conflicts += 1
                            time.sleep(0.001)
                assert made > 5, (made, conflicts)
                t.close()
        finally:
            stop.set()
            for th in threads:
                th.join()
        assert not failures, failures
        with inst.begin_session() as s:
            t = s.open_database(str(tmp_path / "r.edb")).open_table("t")
            assert t.indexes
            check_indexes(t)
            t.close()


def test_conditional_columns(tmp_path):
    """only_if_null / only_if_not_null (JET_INDEXCREATE rgconditionalcolumn):
    records failing a condition are not in the index; updates move them."""
    inst = esepy.Instance("condidx", system_path=str(tmp_path) + "/", log_path=str(tmp_path) + "/",
                          temp_path=str(tmp_path) + "/tmp.edb")
    with inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "c.edb"))
        t = db.create_table("t", {"k": "long", "v": "text", "done": "long"}, primary_key=["k"])
        for k in range(4):
            t.insert({"k": k, "v": "v%d" % k, "done": 1 if k % 2 else None})
        t.create_index("open", ["v"], only_if_null=["done"])
        t.create_index("closed", ["v"], only_if_not_null="done")
        def keys(index):
            return [r["k"] for r in t.range(index=index)]
        assert keys("open") == [0, 2]
        assert keys("closed") == [1, 3]
        t.update(0, {"done": 5})
        assert keys("open") == [2]
        assert keys("closed") == [0, 1, 3]
        with pytest.raises(errors.ColumnNotFound):
            t.create_index("bad", ["v"], only_if_null=["nosuch"])
        t.close()


def test_reinsert_over_flag_deleted_entries_and_old_snapshots(tmp_path):
    """A non-unique index entry is inserted with one descent and no look-up first (ver.c
    V7); when the same record comes back while an old snapshot still keeps its deleted
    entry (flag-deleted in the tree), the insert meets that node and takes the exact way:
    the old snapshot still reads the old record through the index, the re-insert's own
    transaction the new one, a rollback restores the deleted state, and once the old
    snapshot ends cleanup leaves exactly one entry per record (I4a)."""
    from esepy.inspection import DatabaseFile
    path = str(tmp_path / "r.edb")
    with make_instance(tmp_path, "reins") as inst, inst.begin_session() as a, inst.begin_session() as b:
        ta = a.create_database(path).create_table("t", {"id": "long", "v": "long", "w": "text"},
                                                  primary_key=["id"])
        ta.create_index("byv", ["v"])
        ta.create_index("byvw", ["v", "w"])
        for i in range(50):
            ta.insert({"id": i, "v": i % 5, "w": f"w{i}"})
        tb = b.open_database(path).open_table("t")
        b.begin_transaction()                       # an old snapshot keeps the deletes' versions
        assert [r["id"] for r in tb.range(index="byv", prefix=2)] == [2, 7, 12, 17, 22, 27, 32, 37, 42, 47]
        for i in (7, 12):
            ta.delete(i)
        a.begin_transaction()                       # same keys, same values: entries flag-deleted
        ta.insert({"id": 7, "v": 2, "w": "w7"})
        ta.insert({"id": 12, "v": 2, "w": "new"})   # one entry comes back, one is new
        assert [r["id"] for r in ta.range(index="byv", prefix=2)] == [2, 7, 12, 17, 22, 27, 32, 37, 42, 47]
        assert [r["id"] for r in tb.range(index="byv", prefix=2)] == [2, 7, 12, 17, 22, 27, 32, 37, 42, 47]
        assert tb.get(12)["w"] == "w12"
        a.rollback()
        assert [r["id"] for r in ta.range(index="byv", prefix=2)] == [2, 17, 22, 27, 32, 37, 42, 47]
        assert sorted(r["id"] for r in ta.range(index="byvw", prefix=2)) == [2, 17, 22, 27, 32, 37, 42, 47]
        ta.insert({"id": 7, "v": 2, "w": "w7"})
        assert sorted(r["id"] for r in tb.range(index="byvw", prefix=2)) == [2, 7, 12, 17, 22, 27, 32, 37, 42, 47]
        b.commit()
        ta.insert({"id": 1000, "v": 1, "w": "x"})   # a commit after the snapshot ended: cleanup runs
        check_indexes(ta)
        assert ta.count(index="byv") == ta.count(index="byvw") == 50
        ta.close()
        tb.close()
    trees = {tr.name: tr for tr in DatabaseFile(path).check_integrity().trees}
    assert trees["t/byv"].nodes == trees["t/byvw"].nodes == 50   # no flag-deleted entry left behind
