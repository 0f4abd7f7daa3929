"""Per-page space accounting of an esepy database file (issue 20, space).

    python tools/page_usage.py [--rows N] [--keep DIR]

Builds the benchmark's kv table (16-byte binary key, 100-byte binary value)
in key order (fillseq) and in random order (fillrandom), closes it, then walks
every page of the file and reports bytes per row by category: page headers,
slots, node headers, keys, record headers, record bodies, free bytes.  Parses
pages itself (layout of csrc/btree/btree_int.h) so it measures what is on disk.
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--page", type=int, default=4096)
    args = ap.parse_args()
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
