"""A cursor reads the rest of its leaf from a copy (issue 20; btree LC1 in
csrc/btree/cursor.c, cache C6 in csrc/cache/cache.h).

After a JetMove that latched its leaf, the btree cursor keeps a copy of the
page and the next JetMove in the same direction reads its neighbour from the
copy as long as the cache frame's change count is unchanged.  These tests
leave a cursor in the middle of a leaf it has copied, change the leaf from
another session (insert, delete, replace, a split, a rollback, the session's
own cursor) and move again: the cursor must see the page as it is now, not
the copy.  Each one fails when the change count is not checked.
"""
import struct

import pytest

from test_database import Env, env  # noqa: F401  (fixture)
from test_escrow import Table

KEYS = list(range(0, 3000, 100))  # 30 small rows: one leaf


@pytest.fixture
def tb(env):
    t = Table(env, rows=KEYS)
    yield t
    t.end()


def key(tb, ses, t):
    lib, ffi = tb.env.lib, tb.env.ffi
    buf, pcb = ffi.new("char[4]"), ffi.new("uint32_t *")
    assert lib.JetRetrieveColumn(ses, t, tb.ck, buf, 4, pcb, 0, ffi.NULL) == 0
    return struct.unpack("<i", ffi.buffer(buf, 4)[:])[0]


def text(tb, ses, t):
    lib, ffi = tb.env.lib, tb.env.ffi
    buf, pcb = ffi.new("char[256]"), ffi.new("uint32_t *")
    assert lib.JetRetrieveColumn(ses, t, tb.cv, buf, 256, pcb, 0, ffi.NULL) == 0
    return bytes(ffi.buffer(buf, pcb[0]))


def move(tb, ses, t, n):
    return tb.env.lib.JetMove(ses, t, n, 0)


def on_copied_leaf(tb, ses, t, k=1000, backwards=False):
    """Stand on key k after a step (the step copies the leaf)."""
    assert tb.seek(ses, t, k - 100 if not backwards else k + 100) == 0
    assert move(tb, ses, t, -1 if backwards else 1) == 0
    assert key(tb, ses, t) == k


def insert(tb, ses, t, k, v=None):
    env, lib, ffi, C = tb.env, tb.env.lib, tb.env.ffi, tb.env.C
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, tb.ck, struct.pack("<i", k), 4, 0, ffi.NULL) == 0
    v = v if v is not None else b"v%d" % k
    assert lib.JetSetColumn(ses, t, tb.cv, v, len(v), 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0


def committed(tb, ses, fn):
    lib = tb.env.lib
    assert lib.JetBeginTransaction(ses) == 0
    fn()
    assert lib.JetCommitTransaction(ses, 0) == 0


def scan_rest(tb, ses, t, direction=1):
    out = []
    while move(tb, ses, t, direction) == 0:
        out.append(key(tb, ses, t))
    return out


@pytest.mark.parametrize("backwards", [False, True])
def test_an_insert_next_to_the_cursor_is_seen(tb, backwards):
    a, ta = tb.session()
    b, tbl = tb.session()
    on_copied_leaf(tb, a, ta, backwards=backwards)
    committed(tb, b, lambda: insert(tb, b, tbl, 950 if backwards else 1050))
    assert move(tb, a, ta, -1 if backwards else 1) == 0
    assert key(tb, a, ta) == (950 if backwards else 1050)
    assert text(tb, a, ta) == (b"v950" if backwards else b"v1050")


@pytest.mark.parametrize("backwards", [False, True])
def test_a_deleted_neighbour_is_skipped(tb, backwards):
    lib = tb.env.lib
    a, ta = tb.session()
    b, tbl = tb.session()
    on_copied_leaf(tb, a, ta, backwards=backwards)
    gone = 900 if backwards else 1100

    def delete():
        assert tb.seek(b, tbl, gone) == 0
        assert lib.JetDelete(b, tbl) == 0

    committed(tb, b, delete)
    assert move(tb, a, ta, -1 if backwards else 1) == 0
    assert key(tb, a, ta) == (800 if backwards else 1200)


def test_a_replaced_neighbour_shows_its_new_value(tb):
    a, ta = tb.session()
    b, tbl = tb.session()
    on_copied_leaf(tb, a, ta)
    committed(tb, b, lambda: tb.replace(b, tbl, b"changed", k=1100))
    assert move(tb, a, ta, 1) == 0
    assert key(tb, a, ta) == 1100
    assert text(tb, a, ta) == b"changed"


@pytest.mark.parametrize("backwards", [False, True])
def test_a_split_of_the_leaf_under_the_cursor(tb, backwards):
    """Another session fills the gap next to the cursor until its leaf splits
    (several times): the scan goes on with every key once, in order."""
    a, ta = tb.session()
    b, tbl = tb.session()
    on_copied_leaf(tb, a, ta, backwards=backwards)
    new = list(range(1001, 1100)) if not backwards else list(range(901, 1000))

    def fill():
        for k in new:
            insert(tb, b, tbl, k, b"x" * 250)

    committed(tb, b, fill)
    rest = scan_rest(tb, a, ta, -1 if backwards else 1)
    if backwards:
        assert rest == sorted([k for k in KEYS if k < 1000] + new, reverse=True)
    else:
        assert rest == sorted([k for k in KEYS if k > 1000] + new)


def test_an_uncommitted_insert_then_its_rollback(tb):
    lib = tb.env.lib
    a, ta = tb.session()
    b, tbl = tb.session()
    on_copied_leaf(tb, a, ta)
    assert lib.JetBeginTransaction(b) == 0
    insert(tb, b, tbl, 1050)
    tb.replace(b, tbl, b"uncommitted", k=1100)
    assert move(tb, a, ta, 1) == 0  # not yet committed: invisible
    assert key(tb, a, ta) == 1100 and text(tb, a, ta) == b"v1100"
    assert move(tb, a, ta, -1) == 0 and key(tb, a, ta) == 1000
    assert lib.JetRollback(b, 0) == 0
    assert move(tb, a, ta, 1) == 0
    assert key(tb, a, ta) == 1100 and text(tb, a, ta) == b"v1100"
    # and now committed
    on_copied_leaf(tb, a, ta)
    committed(tb, b, lambda: insert(tb, b, tbl, 1050))
    assert move(tb, a, ta, 1) == 0 and key(tb, a, ta) == 1050


def test_the_sessions_own_cursor_changes_the_leaf(tb):
    """Same session, another cursor, inside the session's transaction."""
    lib, ffi = tb.env.lib, tb.env.ffi
    a, ta = tb.session()
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetDupCursor(a, ta, pt, 0) == 0
    t2 = pt[0]
    assert lib.JetBeginTransaction(a) == 0
    on_copied_leaf(tb, a, ta)
    insert(tb, a, t2, 1050)
    assert move(tb, a, ta, 1) == 0 and key(tb, a, ta) == 1050
    assert tb.seek(a, t2, 1100) == 0 and lib.JetDelete(a, t2) == 0
    assert move(tb, a, ta, 1) == 0 and key(tb, a, ta) == 1200
    assert lib.JetRollback(a, 0) == 0
    assert lib.JetCloseTable(a, t2) == 0


def test_the_cursor_deletes_its_own_record_and_moves_on(tb):
    lib = tb.env.lib
    a, ta = tb.session()
    on_copied_leaf(tb, a, ta)
    assert lib.JetBeginTransaction(a) == 0
    assert lib.JetDelete(a, ta) == 0
    assert move(tb, a, ta, 1) == 0 and key(tb, a, ta) == 1100
    assert lib.JetCommitTransaction(a, 0) == 0
    assert move(tb, a, ta, -1) == 0 and key(tb, a, ta) == 900


def test_goto_bookmark_after_the_leaf_split(tb):
    lib, ffi = tb.env.lib, tb.env.ffi
    a, ta = tb.session()
    b, tbl = tb.session()
    on_copied_leaf(tb, a, ta)
    bm, pcb = ffi.new("char[64]"), ffi.new("uint32_t *")
    assert lib.JetGetBookmark(a, ta, bm, 64, pcb) == 0
    assert move(tb, a, ta, 1) == 0 and key(tb, a, ta) == 1100

    def fill():
        for k in range(1001, 1100):
            insert(tb, b, tbl, k, b"y" * 250)

    committed(tb, b, fill)
    assert lib.JetGotoBookmark(a, ta, bm, pcb[0]) == 0
    assert key(tb, a, ta) == 1000
    assert move(tb, a, ta, 1) == 0 and key(tb, a, ta) == 1001
    assert text(tb, a, ta) == b"y" * 250


def test_a_transaction_keeps_its_snapshot_across_the_copy(tb):
    """The copy is re-read after the change, but the version store still
    hides a commit made after the reader's transaction began."""
    lib = tb.env.lib
    a, ta = tb.session()
    b, tbl = tb.session()
    assert lib.JetBeginTransaction(a) == 0
    on_copied_leaf(tb, a, ta)
    committed(tb, b, lambda: insert(tb, b, tbl, 1050))
    committed(tb, b, lambda: tb.replace(b, tbl, b"later", k=1100))
    assert move(tb, a, ta, 1) == 0
    assert key(tb, a, ta) == 1100 and text(tb, a, ta) == b"v1100"
    assert lib.JetCommitTransaction(a, 0) == 0
    assert move(tb, a, ta, -1) == 0 and key(tb, a, ta) == 1050


def test_an_insert_after_every_key_of_several_leaves(env):
    """Rows of 250 bytes: about a dozen a leaf, five leaves.  From every key
    (in the middle of a copied leaf, or its last node, where the next move
    goes to the next leaf without latching this one again: LC2) another
    session inserts the key's successor and the move must land on it."""
    tb = Table(env, rows=())
    try:
        a, ta = tb.session()
        b, tbl = tb.session()
        keys = list(range(0, 6000, 100))
        committed(tb, b, lambda: [insert(tb, b, tbl, k, b"r" * 250) for k in keys])
        prev = keys[0]
        for k in keys[1:-1]:
            assert tb.seek(a, ta, prev) == 0 and move(tb, a, ta, 1) == 0  # the step copies the leaf
            assert key(tb, a, ta) == k
            prev = k + 1
            committed(tb, b, lambda: insert(tb, b, tbl, k + 1, b"s" * 250))
            assert move(tb, a, ta, 1) == 0
            assert key(tb, a, ta) == k + 1
        assert tb.seek(a, ta, 0) == 0
        assert scan_rest(tb, a, ta) == sorted(keys[1:] + [k + 1 for k in keys[1:-1]])
    finally:
        tb.end()
