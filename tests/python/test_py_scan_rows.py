"""Table.scan's row shapes (issue 20): rows="dict" (the default) and rows="tuple", read
in batches through EsepyReadRows and handed out by BatchRows.  Every shape is checked
against the records read one at a time (iteration: JetMove + current()), so a fast
path that returned wrong, shifted or stale values fails here: NULL, empty, long
(past the 256-byte first-pass slot, and long values), multi-valued columns, typed
columns, column subsets, ranges crossing batch boundaries, scans while another
session writes, scans abandoned mid-way (the cursor comes back), and errors."""
from __future__ import annotations

import gc

import pytest

import esepy
from esepy import errors

N = 40


def big(i):
    return bytes((i + j) % 251 for j in range(300 + 400 * i))


def row_values(i):
    """k, v (longbinary), b (binary), t (text), n (long), tags (multi-valued binary)."""
    v = None if i % 5 == 0 else (b"" if i % 5 == 1 else (big(i) if i % 5 == 2 else b"v%d" % i))
    b = None if i % 3 == 0 else (b"" if i % 3 == 1 else b"b" * (i * 6 % 255))
    t = None if i % 4 == 0 else ("" if i % 4 == 1 else "t%d-é" % i)
    tags = [b"x%d" % j for j in range(i % 3)]
    return {"k": b"%04d" % i, "v": v, "b": b, "t": t, "n": None if i % 7 == 0 else i * 1000, "tags": tags}


@pytest.fixture
def env(tmp_path):
    with esepy.Instance("scanrows", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                        log_file_size_kb=1024) as inst:
        s1, s2 = inst.begin_session(), inst.begin_session()
        path = str(tmp_path / "s.edb")
        db = s1.create_database(path)
        t = db.create_table("mixed", {"k": "binary", "v": "longbinary", "b": "binary", "t": "text", "n": "long",
                                      "tags": {"type": "binary", "multi_valued": True}}, primary_key=["k"])
        r = db.create_table("raw", {"k": "binary", "v": "longbinary", "b": "binary"}, primary_key=["k"])
        with s1.transaction():
            for i in range(N):
                vals = row_values(i)
                t.insert(vals)
                r.insert({"k": vals["k"], "v": vals["v"], "b": vals["b"]})
        t2 = s2.open_database(path).open_table("raw")
        yield s1, t, r, s2, t2
        for x in (t, r, t2):
            x.close()
        s1.end()
        s2.end()


def one_by_one(t, columns=None):
    """The records through iteration (JetMove + current(), not the scan path)."""
    out = []
    for rec in t:
        out.append(rec if columns is None else {c: rec[c] for c in columns})
    return out


@pytest.mark.parametrize("table", ["mixed", "raw"])
@pytest.mark.parametrize("batch", [None, 1, 2, 7, 256])
def test_both_shapes_match_the_records_read_one_at_a_time(env, table, batch):
    s1, mixed, raw, s2, t2 = env
    t = mixed if table == "mixed" else raw
    expect = one_by_one(t)
    names = list(t.columns)
    assert len(expect) == N and any(r["v"] is None for r in expect) and any(r["v"] == b"" for r in expect)
    assert any(r["v"] is not None and len(r["v"]) > 4000 for r in expect)
    assert list(t.scan(batch=batch)) == expect
    tuples = list(t.scan(batch=batch, rows="tuple"))
    assert all(type(x) is tuple for x in tuples)
    assert tuples == [tuple(r[c] for c in names) for r in expect]


@pytest.mark.parametrize("columns", [["k"], ["v"], ["b", "k"], ["v", "b", "k"], ["k", "k"]])
def test_column_subsets_in_the_order_asked(env, columns):
    s1, mixed, raw, s2, t2 = env
    for t in (mixed, raw):
        expect = one_by_one(t)
        assert list(t.scan(columns, rows="tuple", batch=3)) == [tuple(r[c] for c in columns) for r in expect]
        assert list(t.scan(columns, batch=3)) == [{c: r[c] for c in columns} for r in expect]
    cols = ["tags", "n", "t"]
    assert list(mixed.scan(cols, rows="tuple")) == [tuple(r[c] for c in cols) for r in one_by_one(mixed)]


def test_typed_and_multi_valued_values_are_decoded_in_both_shapes(env):
    s1, mixed, raw, s2, t2 = env
    rows = list(mixed.scan(rows="tuple"))
    names = list(mixed.columns)
    for i, row in enumerate(rows):
        want = row_values(i)
        assert row == tuple(want[c] for c in names)
    assert rows[1][names.index("t")] == "" and rows[4][names.index("t")] is None
    # typed columns without a multi-valued one: the packed engine batches, decoded in Python
    cols = ["n", "t", "v"]
    expect = one_by_one(mixed)
    for batch in (1, 3, None):
        assert list(mixed.scan(cols, rows="tuple", batch=batch)) == [tuple(r[c] for c in cols) for r in expect]
        assert list(mixed.scan(cols, batch=batch)) == [{c: r[c] for c in cols} for r in expect]
    assert rows[2][names.index("tags")] == [b"x0", b"x1"] and rows[0][names.index("tags")] == []


@pytest.mark.parametrize("batch", [1, 3, 4, 16, None])
def test_ranges_from_a_key_cross_batch_boundaries(env, batch):
    s1, mixed, raw, s2, t2 = env
    for t in (mixed, raw):
        expect = one_by_one(t)
        for start in (0, 3, 17, N - 1):
            got = list(t.scan(start=b"%04d" % start, batch=batch, rows="tuple"))
            assert got == [tuple(r.values()) for r in expect[start:]]
            it = t.scan(start=b"%04d" % start, batch=batch)
            first = [next(it) for _ in range(min(10, N - start))]
            assert first == expect[start:start + 10]
            it.close()
        assert list(t.scan(start=b"0003x", batch=batch, rows="tuple"))[0][0] == b"0004"
        assert list(t.scan(start=b"zzzz", batch=batch, rows="tuple")) == []


def test_a_scan_sees_commits_between_batches_but_not_inside_a_transaction(env):
    s1, mixed, raw, s2, t2 = env
    it = t2.scan(columns=["k", "b"], batch=2, rows="tuple")
    assert [next(it) for _ in range(2)] == [(b"0000", None), (b"0001", b"")]
    raw.update(b"0005", {"b": b"changed"})                 # committed by another session
    raw.insert({"k": b"0002a", "b": b"new"})
    rest = list(it)
    assert rest[1] == (b"0002a", b"new") and rest[4] == (b"0005", b"changed")
    assert len(rest) == N - 2 + 1
    with s2.transaction():
        it = t2.scan(columns=["k", "b"], batch=2, rows="tuple")
        first = [next(it) for _ in range(2)]
        raw.update(b"0006", {"b": b"later"})
        raw.delete(b"0007")
        rest = list(it)
        assert (b"0006", None) in rest and any(k == b"0007" for k, _ in rest)
        assert len(first) + len(rest) == N + 1
    assert (b"0006", b"later") in list(t2.scan(columns=["k", "b"], rows="tuple"))
    assert len(list(t2.scan(rows="tuple"))) == N


def test_an_abandoned_or_closed_scan_gives_its_cursor_back(env):
    s1, mixed, raw, s2, t2 = env
    assert len(list(raw.scan())) == N
    kept = raw._scan_cur.tableid
    it = raw.scan(batch=2, rows="tuple")
    assert next(it)[0] == b"0000"
    assert raw._scan_cur is None                           # taken by the running scan
    del it
    gc.collect()
    assert raw._scan_cur is not None and raw._scan_cur.tableid == kept    # given back, not leaked
    it = raw.scan(batch=2)
    next(it)
    it.close()
    assert raw._scan_cur.tableid == kept
    with pytest.raises(StopIteration):
        next(it)                                           # closed: no rows left from its batch
    it.close()                                             # twice is fine
    # two scans at once: the second has a cursor of its own, closed when it ends
    a, b = raw.scan(batch=3, rows="tuple"), raw.scan(batch=3, rows="tuple")
    assert [(next(a)[0], next(b)[0]) for _ in range(4)] == [(b"%04d" % i,) * 2 for i in range(4)]
    assert len(list(a)) == N - 4 and len(list(b)) == N - 4
    assert raw._scan_cur.tableid == kept
    assert len(list(raw.scan(rows="tuple"))) == N


def test_errors_map_to_exceptions(env):
    s1, mixed, raw, s2, t2 = env
    with pytest.raises(ValueError, match="rows must be"):
        raw.scan(rows="list")
    with pytest.raises(errors.ColumnNotFound):
        list(raw.scan(["nope"], rows="tuple"))
    with pytest.raises(errors.IndexNotFound):
        list(raw.scan(index="no_such_index", rows="tuple"))
    assert len(list(raw.scan(rows="tuple"))) == N          # an error left no cursor behind
    x = s2.open_database(raw.db.path).open_table("raw")
    x.close()
    with pytest.raises(errors.InvalidTableId):
        list(x.scan(rows="tuple"))


def test_a_secondary_index_scan_in_both_shapes(env):
    s1, mixed, raw, s2, t2 = env
    mixed.create_index("by_n", ["n"])
    expect = sorted(one_by_one(mixed), key=lambda r: (r["n"] is not None, r["n"] or 0))
    got = list(mixed.scan(["n", "k"], index="by_n", rows="tuple", batch=5))
    assert [n for n, _ in got] == [r["n"] for r in expect]
    assert sorted(k for _, k in got) == sorted(r["k"] for r in expect)
    assert list(mixed.scan(["n", "k"], index="by_n", batch=5)) == [{"n": n, "k": k} for n, k in got]


def test_the_row_iterator_is_not_reentered_and_gives_the_cursor_back_once(env):
    s1, mixed, raw, s2, t2 = env
    given = []
    it = None

    def reenter():
        next(it)                                           # next() while open() runs

    it = esepy._esepy.BatchRows(reenter, given.append)
    with pytest.raises(ValueError, match="already executing"):
        next(it)
    assert given == []                                     # open() failed: it cleans up itself
    with pytest.raises(StopIteration):
        next(it)
    # done(cursor) exactly once, whichever of end, close and release comes first
    it = esepy._esepy.BatchRows(lambda: raw._scan_open(["k"], None, None, True), given.append, 2)
    assert next(it) == (b"0000",)
    it.close()
    it.close()
    del it
    gc.collect()
    assert len(given) == 1 and given[0].tableid is not None
    given[0].close()
    it = esepy._esepy.BatchRows(lambda: raw._scan_open(["k"], None, b"0038", True), given.append, 5)
    assert list(it) == [(b"0038",), (b"0039",)]
    assert len(given) == 2
    del it
    gc.collect()
    assert len(given) == 2
    given[1].close()


def test_the_row_iterator_calls_open_with_its_args_once(env):
    """BatchRows(open, done, batch, args): open(*args) on the first next(), as Table.scan
    calls it (no closure per scan); args must be a tuple and is dropped once opened."""
    s1, mixed, raw, s2, t2 = env
    given = []
    start = bytearray(b"0037")
    args = (["k"], None, start, True)
    it = esepy._esepy.BatchRows(raw._scan_open, given.append, 2, args)
    import sys
    held = sys.getrefcount(args)
    assert next(it) == (b"0037",)
    assert sys.getrefcount(args) == held - 1               # open() ran: its args are let go
    assert list(it) == [(b"0038",), (b"0039",)]
    assert len(given) == 1
    given[0].close()
    with pytest.raises(TypeError):
        esepy._esepy.BatchRows(raw._scan_open, given.append, 2, ["k"])
    it = esepy._esepy.BatchRows(raw._scan_open, given.append, 2, (["nope"], None, None, True))
    with pytest.raises(errors.ColumnNotFound):
        next(it)
    assert len(given) == 1                                 # open() failed: it gave its cursor back itself


def test_columns_as_list_tuple_or_str_read_the_same(env):
    s1, mixed, raw, s2, t2 = env
    as_tuple = list(raw.scan(("k", "b"), rows="tuple", start=b"0030"))
    assert list(raw.scan(["k", "b"], rows="tuple", start=b"0030")) == as_tuple
    assert list(raw.scan(iter(["k", "b"]), rows="tuple", start=(b"0030",))) == as_tuple
    assert [k for k, _ in as_tuple] == [b"%04d" % i for i in range(30, N)]
    assert list(raw.scan("k", rows="tuple", start=b"0038")) == [(b"0038",), (b"0039",)]   # a str: its letters
    assert list(raw.scan(["b", "k"], start=b"0039")) == [{"b": as_tuple[-1][1], "k": b"0039"}]


def test_the_kept_scan_cursor_is_not_kept_for_a_closed_table_or_session(env):
    s1, mixed, raw, s2, t2 = env
    assert len(list(t2.scan(rows="tuple"))) == N
    cur = t2._scan_cur
    assert cur is not None and t2._scan_keep(cur) is True
    with pytest.raises(TypeError):
        t2._scan_keep(None)
    # a scan running when its table closes: its cursor is closed, not kept
    it = t2.scan(batch=2, rows="tuple")
    assert next(it) == (b"0000", None, None)
    taken = t2._scan_cur if t2._scan_cur is not None else cur
    t2.close()
    assert t2._scan_keep(taken) is False
    it.close()
    assert t2._scan_cur is None and cur.tableid is None
    # the session ends while a scan runs: the cursor is not kept either
    x = s2.open_database(raw.db.path).open_table("raw")
    it = x.scan(batch=2, rows="tuple")
    next(it)
    s2.end()
    it.close()
    assert x._scan_cur is None


def test_scan_start_on_a_typed_key_encodes_like_seek(tmp_path):
    with esepy.Instance("scanstart", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                        log_file_size_kb=1024) as inst:
        s = inst.begin_session()
        db = s.create_database(str(tmp_path / "k.edb"))
        t = db.create_table("t", {"a": "long", "b": "text", "v": "binary"}, primary_key=["a", "b"])
        with s.transaction():
            for i in range(6):
                t.insert({"a": i // 2, "b": "x%d" % i, "v": b"%d" % i})
        assert [r["v"] for r in t.scan(start=1)] == [b"2", b"3", b"4", b"5"]
        assert [r["v"] for r in t.scan(start=(1,))] == [b"2", b"3", b"4", b"5"]
        assert [r[2] for r in t.scan(start=(1, "x3"), rows="tuple")] == [b"3", b"4", b"5"]
        with pytest.raises((TypeError, ValueError)):
            list(t.scan(start="one"))
        t.close()
        s.end()
