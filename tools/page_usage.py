"""Per-page space accounting of an esepy database file (issue 20, space).

    python tools/page_usage.py [--rows N] [--keep DIR]
    python tools/page_usage.py --people [--rows N] [--build-index]


Builds the benchmark's kv table (16-byte binary key, 100-byte binary value)
in key order (fillseq) and in random order (fillrandom), closes it, then walks
every page of the file and reports bytes per row by category: page headers,
slots, node headers, keys, record headers, record bodies, free bytes.  Parses
pages itself (layout of csrc/btree/btree_int.h) so it measures what is on disk.

--people builds benchmarks/run.py's index3 table instead (people: id long primary key, email
text, age long, city text; indexes by_email unique, by_age, by_city_age; --build-index adds
by_age_email by a build) and reports each tree (by its objid, named from the catalog's order of
creation) on its own: leaves, entries per leaf, key and data bytes per entry after the page's
key prefix, prefix and free bytes per leaf, bytes per row (issue 20, idx20b).
"""
import argparse
import os
import random
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import esepy  # noqa: E402

VALUE = b"v" * 100
BTP_LEAF, BTP_INTERNAL = 0x1, 0x2


def build(folder, order):
    inst = esepy.Instance("pu", system_path=folder + "/", log_path=folder + "/logs/",
                          temp_path=folder + "/tmp.edb", create_path_if_not_exist=True)
    inst.init()
    s = inst.begin_session()
    path = os.path.join(folder, "bench.edb")
    db = s.create_database(path)
    t = db.create_table("kv", {"k": "binary", "v": "binary"}, primary_key=["k"])
    for b in range(0, len(order), 1000):
        with s.transaction(lazy=True):
            t.insert_many([(k, VALUE) for k in order[b:b + 1000]], columns=("k", "v"), batch=1000)
    s.end()
    inst.term()
    return path


def record_header_size(data):
    """Bytes of a record that are not column values (header, size/offset arrays)."""
    if not data:
        return 0
    if data[0] == 0x01:          # format 1: 4-byte header, F size bytes, 2*V offsets
        F, V = data[1], data[2]
        return 4 + F + 2 * V
    if data[0] & 3 == 2:         # format 2: 1- or 3-byte header, F size bytes, V lengths, NULL bitmap
        wide = data[0] & 0x8
        F, V = (data[1], data[2]) if wide else ((data[0] >> 4) & 3, data[0] >> 6)
        return (3 if wide else 1) + F + V + ((V + 7) // 8 if data[0] & 0x4 else 0)
    return 0


def walk(path, cb_page):
    st = dict(pages=0, leaf=0, internal=0, other=0, page_hdr=0, slots=0, node_hdr=0, keys=0,
              rec_hdr=0, rec_body=0, internal_nodes=0, free=0, frag=0, leaf_nodes=0, tail_leaf_free=[])
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        cb_page = struct.unpack("<I", f.read(16)[12:16])[0]
        pgno = 1
        while (pgno + 2) * cb_page <= size:
            f.seek((pgno + 1) * cb_page)
            pg = f.read(cb_page)
            pgno += 1
            st["pages"] += 1
            flags = struct.unpack_from("<I", pg, 20)[0]
            if not flags & (BTP_LEAF | BTP_INTERNAL):
                st["other"] += 1
                continue
            cslot, ibheap, cbfrag = struct.unpack_from("<HHH", pg, 32)
            st["page_hdr"] += 40
            st["keys"] += pg[39]  # the page's key prefix, kept once
            st["slots"] += 2 * cslot
            st["frag"] += cbfrag
            st["free"] += cb_page - 2 * cslot - ibheap
            leaf = bool(flags & BTP_LEAF)
            st["leaf" if leaf else "internal"] += 1
            for i in range(cslot):
                off = struct.unpack_from("<H", pg, cb_page - 2 * (i + 1))[0]
                cbk, cbd, _ = struct.unpack_from("<HHH", pg, off)
                cbk &= 0x7FFF  # bit 15: key stored whole, not after the page's key prefix (byte 39)
                if not leaf:
                    st["internal_nodes"] += 6 + cbk + cbd
                    continue
                st["leaf_nodes"] += 1
                st["node_hdr"] += 6
                st["keys"] += cbk
                data = pg[off + 6 + cbk: off + 6 + cbk + cbd]
                h = record_header_size(data)
                st["rec_hdr"] += h
                st["rec_body"] += cbd - h
    st["cb_page"] = cb_page
    return st


def people_rows(n):
    rnd = random.Random(1)  # as benchmarks/run.py's people_rows
    return [(i, f"user{i:08d}@example.org", rnd.randrange(100), f"city{rnd.randrange(1000)}") for i in range(n)]


def build_people(folder, n, build_index):
    inst = esepy.Instance("pu", system_path=folder + "/", log_path=folder + "/logs/",
                          temp_path=folder + "/tmp.edb", create_path_if_not_exist=True)
    inst.init()
    s = inst.begin_session()
    path = os.path.join(folder, "bench.edb")
    db = s.create_database(path)
    t = db.create_table("people", {"id": "long", "email": "text", "age": "long", "city": "text"},
                        primary_key=["id"])
    t.create_index("by_email", ["email"], unique=True)
    t.create_index("by_age", ["age"])
    t.create_index("by_city_age", ["city", "age"])
    rows = people_rows(n)
    for b in range(0, n, 1000):
        with s.transaction(lazy=True):
            t.insert_many(rows[b:b + 1000], columns=("id", "email", "age", "city"))
    if build_index:
        t.create_index("by_age_email", ["age", "email"])
    t.close()
    db.close()
    s.end()
    inst.term()
    return path


def walk_trees(path):
    """Per objid: leaf and internal pages, leaf entries, key/data bytes, prefix and free bytes."""
    trees = {}
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        cb_page = struct.unpack("<I", f.read(16)[12:16])[0]
        for pgno in range(1, size // cb_page - 1):
            f.seek((pgno + 1) * cb_page)
            pg = f.read(cb_page)
            objid, flags = struct.unpack_from("<II", pg, 16)
            if not flags & (BTP_LEAF | BTP_INTERNAL):
                continue
            c = trees.setdefault(objid, dict(leaf=0, internal=0, entries=0, key=0, data=0, prefix=0, free=0))
            if not flags & BTP_LEAF:
                c["internal"] += 1
                continue
            cslot, ibheap = struct.unpack_from("<HH", pg, 32)
            c["leaf"] += 1
            c["free"] += cb_page - 2 * cslot - ibheap
            c["prefix"] += pg[39]
            for i in range(cslot):
                off = struct.unpack_from("<H", pg, cb_page - 2 * (i + 1))[0]
                cbk, cbd = struct.unpack_from("<HH", pg, off)
                c["entries"] += 1
                c["key"] += cbk & 0x7FFF
                c["data"] += cbd
    return trees, cb_page


def people(args):
    names = ["catalog", "people (primary)", "people (long values)", "by_email", "by_age", "by_city_age",
             "by_age_email"]
    with tempfile.TemporaryDirectory() as d:
        path = build_people(d, args.rows, args.build_index)
        trees, cb_page = walk_trees(path)
        n = args.rows
        print(f"people, {n} rows: file {os.path.getsize(path) / n:.1f} B/row")
        print(f"{'tree':22s} {'leaves':>7s} {'internal':>8s} {'per leaf':>8s} {'key B':>6s} {'data B':>6s} "
              f"{'prefix/leaf':>11s} {'free/leaf':>9s} {'B/row':>6s}")
        for objid in sorted(trees):
            c = trees[objid]
            name = names[objid - 1] if 0 < objid <= len(names) else f"objid {objid}"
            e = max(1, c["entries"])
            leaves = max(1, c["leaf"])
            print(f"{name:22s} {c['leaf']:7d} {c['internal']:8d} {c['entries'] / leaves:8.1f} "
                  f"{c['key'] / e:6.1f} {c['data'] / e:6.1f} {c['prefix'] / leaves:11.1f} "
                  f"{c['free'] / leaves:9.0f} {(c['leaf'] + c['internal']) * cb_page / n:6.1f}")
        print("(per entry add 6 bytes of node header and 2 of slot; key B is what a node stores after "
              "its page's key prefix)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--page", type=int, default=4096)
    ap.add_argument("--people", action="store_true", help="the index3 table, tree by tree")
    ap.add_argument("--build-index", action="store_true", help="with --people: build by_age_email too")
    args = ap.parse_args()
    if args.people:
        return people(args)
    ks = [i.to_bytes(16, "big") for i in range(args.rows)]
    rnd = ks[:]
    random.Random(1).shuffle(rnd)
    for name, order in (("fillseq", ks), ("fillrandom", rnd)):
        with tempfile.TemporaryDirectory() as d:
            path = build(d, order)
            st = walk(path, args.page)
            args.page = st["cb_page"]
            n = args.rows
            print(f"{name}: file {os.path.getsize(path) / n:.1f} B/row, pages {st['pages']} "
                  f"(leaf {st['leaf']}, internal {st['internal']}, other {st['other']}), "
                  f"{st['leaf_nodes'] / max(1, st['leaf']):.1f} rows/leaf")
            for k in ("page_hdr", "slots", "node_hdr", "keys", "rec_hdr", "rec_body", "internal_nodes",
                      "free", "frag"):
                print(f"  {k:15s} {st[k] / n:7.2f} B/row")
            print(f"  {'other pages':15s} {st['other'] * args.page / n:7.2f} B/row")


if __name__ == "__main__":
    main()
