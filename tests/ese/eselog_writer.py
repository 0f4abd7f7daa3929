"""A test-only writer of Windows ESE log generations (format 8, 4 KiB segments),
for synthetic recovery cases no sample log holds (tests/ese/test_ese_synthetic_logs.py).

Facts: ../shared/reference/ese-log-format.md §1.2-1.5 (header and its XOR
checksum, segment header, ECC segment checksum with the sector index as page
number, how records are packed and fragmented) and §2 (record layouts).

* ``pack(records, gen, isec_first, ib_first, ...)`` packs raw records into
  segments exactly as ESE's writer does: back to back after the 40-byte segment
  header; a record that does not fit is fragmented (FragmentBegin, then
  Fragment pieces at the start of the following segments) unless fewer than 32
  bytes remain, in which case the rest is zero (NOP) fill.
* ``segment(gen, isec, payload, logtime)`` builds one sector with its header
  and checksum.
* ``append_records(path, records)`` writes records after the last good
  segment of an existing log file (its header unchanged).
* ``header_checksum`` / ``with_header_checksum`` for the file header.
* record builders (``begin0``, ``commit0``, ``macro_begin``, ``macro_commit``,
  ``page_move``, ``split2``, ``replace``, ``insert``, ``delete``, ...) give the
  raw bytes of one record.

The writer is checked by re-packing every record of the sample logs and
comparing the segments byte for byte with the originals.
"""
import struct

from ese_checksums import segment_checksum

SECTOR = 4096
SEGHDR = 40
MIN_FRAGMENT = 32
DBTIME_NIL = 0xFFFFFFFFFFFFFFFF

LRTYP_BEGIN0 = 8
LRTYP_COMMIT0 = 9
LRTYP_MACROBEGIN = 11
LRTYP_MACROCOMMIT = 12
LRTYP_INSERT = 29
LRTYP_REPLACE = 33
LRTYP_DELETE = 35
LRTYP_SETEXTERNALHEADER = 38
LRTYP_CONVERTFDP2 = 58
LRTYP_SPLIT2 = 62
LRTYP_MERGE2 = 63
LRTYP_PAGEMOVE = 65
LRTYP_EXTENDDB = 68
LRTYP_FRAGMENTBEGIN = 76
LRTYP_FRAGMENT = 77


# ---- file header and segments -------------------------------------------------------------

def header_checksum(hdr):
    """XOR of the 32-bit words at bytes 4..4095, seeded with 0x89ABCDEF (reference §1.2)."""
    x = 0x89ABCDEF
    for (w,) in struct.iter_unpack("<I", bytes(hdr[4:SECTOR])):
        x ^= w
    return x


def with_header_checksum(hdr):
    b = bytearray(hdr)
    struct.pack_into("<I", b, 0, header_checksum(b))
    return bytes(b)


def segment(gen, isec, payload, logtime=bytes(8), pgno=None):
    """One sector: LGSEGHDR (checksum, lgposSegment (gen, isec, 0), logtimeSegmentStart,
    flags 0x2000) and 4056 bytes of records (zero-padded).  pgno: the page number the
    checksum uses (isec; isec - 1 makes a shadow copy of the previous segment)."""
    assert len(payload) <= SECTOR - SEGHDR and len(logtime) == 8
    b = bytearray(SECTOR)
    struct.pack_into("<HHi", b, 8, 0, isec, gen)
    b[16:24] = logtime
    struct.pack_into("<I", b, 36, 0x2000)
    b[SEGHDR:SEGHDR + len(payload)] = payload
    struct.pack_into("<Q", b, 0, segment_checksum(bytes(b), isec if pgno is None else pgno))
    return bytes(b)


def pack(records, first_ib=SEGHDR, first_payload=b""):
    """Pack raw records into segment payloads (lists of bytes, 4056 each at most).
    A None in records ends the current segment there (zero fill), as when ESE's writer
    closed the log (Term) or flushed and moved on.
    Returns (payloads, positions): positions[k] = (segment index, ib) of the k-th record, ib 0
    for a segment's first record as ESE numbers it.  first_payload: the records already
    in the first segment (its bytes from offset 40), first_ib = 40 + len(first_payload)."""
    payloads = [bytearray(first_payload)]
    positions = []
    for rec in records:
        if rec is None:                     # the writer moved on: the rest of the segment stays NOP fill
            if payloads[-1]:
                payloads[-1] += bytes(SECTOR - SEGHDR - len(payloads[-1]))
                payloads.append(bytearray())
            continue
        rec = bytes(rec)
        while True:
            cur = payloads[-1]
            ib = SEGHDR + len(cur)
            left = SECTOR - ib
            if len(rec) <= left:
                positions.append((len(payloads) - 1, 0 if ib == SEGHDR else ib))
                cur += rec
                break
            if left < MIN_FRAGMENT:
                cur += bytes(left)          # NOP fill
                payloads.append(bytearray())
                continue
            positions.append((len(payloads) - 1, 0 if ib == SEGHDR else ib))
            piece = left - 7
            cur += struct.pack("<BIH", LRTYP_FRAGMENTBEGIN, len(rec), piece) + rec[:piece]
            rest = rec[piece:]
            while rest:
                payloads.append(bytearray())
                n = min(len(rest), SECTOR - SEGHDR - 3)
                payloads[-1] += struct.pack("<BH", LRTYP_FRAGMENT, n) + rest[:n]
                rest = rest[n:]
            break
    return [bytes(p) for p in payloads], positions


def good_segments(path):
    """The sectors of a log file whose checksum is valid at their own position with
    lgposSegment = (gen, isec, 0), up to the first one that is not."""
    data = open(path, "rb").read()
    gen = struct.unpack_from("<i", data, 4)[0]
    csec = struct.unpack_from("<H", data, 12)[0]
    out = []
    for isec in range(1, csec - 1):
        s = data[isec * SECTOR:(isec + 1) * SECTOR]
        if struct.unpack_from("<Q", s, 0)[0] != segment_checksum(s, isec):
            break
        if struct.unpack_from("<HHi", s, 8) != (0, isec, gen):
            break
        out.append(isec)
    return gen, csec, out


def append_records(path, records, logtime=None):
    """Write records in new segments after the last good segment of the log file at path
    (the rest of that segment stays NOP fill, as after a forced flush; the sectors after
    the new ones are zeroed: the end of data).  Returns the lgpos of each record.  The
    file header is unchanged; the records must fit in the file."""
    data = bytearray(open(path, "rb").read())
    gen, csec, good = good_segments(path)
    assert good, "no good segment to continue"
    last = good[-1]
    logtime = bytes(data[last * SECTOR + 16:last * SECTOR + 24]) if logtime is None else logtime
    payloads, positions = pack(records)
    assert last + len(payloads) <= csec - 2, "the records do not fit in the file"
    for i, p in enumerate(payloads):
        isec = last + 1 + i
        data[isec * SECTOR:(isec + 1) * SECTOR] = segment(gen, isec, p, logtime)
    for isec in range(last + 1 + len(payloads), csec):
        data[isec * SECTOR:(isec + 1) * SECTOR] = bytes(SECTOR)
    with open(path, "wb") as f:
        f.write(data)
    return [(gen, last + 1 + i, ib) for i, ib in positions]


# ---- records ---------------------------------------------------------------------------------

def begin0(procid, trx, levels=1):
    return struct.pack("<BHBI", 8, procid, (levels << 4) | 0, trx)


def commit0(procid, trx):
    return struct.pack("<BHBI", LRTYP_COMMIT0, procid, 0, trx)


def macro_begin(procid, dbtime):
    return struct.pack("<BHQ", LRTYP_MACROBEGIN, procid, dbtime)


def macro_commit(procid, dbtime):
    return struct.pack("<BHQ", LRTYP_MACROCOMMIT, procid, dbtime)


def lrpage(lrtyp, procid, pgno, dbtime, dbtime_before, trx, level=1, iline=0, flags=0, dbid=1):
    """The 32-byte LRPAGE_ prefix (reference §2.1)."""
    return struct.pack("<BHBIQQIBHB", lrtyp, procid, dbid, pgno, dbtime, dbtime_before, trx, level, iline, flags)


def lrnode(lrtyp, procid, pgno, dbtime, dbtime_before, trx, pgno_fdp, objid_fdp, iline=0, flags=0, rceid=0,
           level=1):
    return lrpage(lrtyp, procid, pgno, dbtime, dbtime_before, trx, level, iline, flags) + \
        struct.pack("<III", rceid, pgno_fdp, objid_fdp)


def replace(procid, pgno, dbtime, dbtime_before, trx, pgno_fdp, objid_fdp, iline, old_size, data, flags=0):
    """Replace (33): cbData @44 (the after-image), cbOldData @46, cbNewData @48."""
    return lrnode(LRTYP_REPLACE, procid, pgno, dbtime, dbtime_before, trx, pgno_fdp, objid_fdp, iline, flags) + \
        struct.pack("<HHH", len(data), old_size, len(data)) + bytes(data)


def insert(procid, pgno, dbtime, dbtime_before, trx, pgno_fdp, objid_fdp, iline, key, data, key_prefix=0, flags=0):
    """Insert (29): cbSuffix @44, cbPrefix @46, cbData @48; the key (prefix part then
    suffix) and the data follow."""
    return lrnode(LRTYP_INSERT, procid, pgno, dbtime, dbtime_before, trx, pgno_fdp, objid_fdp, iline, flags) + \
        struct.pack("<HHH", len(key) - key_prefix, key_prefix, len(data)) + bytes(key) + bytes(data)


def delete(procid, pgno, dbtime, dbtime_before, trx, pgno_fdp, objid_fdp, iline, flags=0):
    return lrnode(LRTYP_DELETE, procid, pgno, dbtime, dbtime_before, trx, pgno_fdp, objid_fdp, iline, flags)


def extend_db(pgno_last, dbid=1):
    """ExtendDB (68, an ignorable record: type, u32 payload size 5, dbid, pgnoLast)."""
    return struct.pack("<BIBI", LRTYP_EXTENDDB, 5, dbid, pgno_last)


def page_move(procid, pgno, dest, dbtime, befores, trx, pgno_fdp, objid_fdp, parent, iline_parent, left=0,
              right=0, page_image=None, page_size=SECTOR, move_flags=0):
    """PageMove (65): the source page's image as header part (page header and the data
    up to ibMicFree) and trailer part (the tag array).  befores: dbtimes before of
    (source, left, right, parent)."""
    hdr_size = 40 if page_size <= 8192 else 80
    ib_mic_free = struct.unpack_from("<H", page_image, 32)[0]
    ctag = struct.unpack_from("<H", page_image, 34)[0] & 0xFFF
    head = page_image[:hdr_size + ib_mic_free]
    trail = page_image[page_size - 4 * ctag:]
    src_before, left_before, right_before, parent_before = befores
    return lrpage(LRTYP_PAGEMOVE, procid, pgno, dbtime, src_before, trx) + \
        struct.pack("<IIIIQQQIIiIII", dest, left, right, parent, left_before, right_before, parent_before,
                    pgno_fdp, objid_fdp, iline_parent, move_flags, len(head), len(trail)) + head + trail


def split2(procid, pgno, dbtime, dbtime_before, trx, pgno_fdp, objid_fdp, *, pgno_new, split_type, clines,
           new_flags, split_flags, pgno_right=0, right_before=DBTIME_NIL, pgno_parent=0, parent_before=DBTIME_NIL,
           split_oper=0, iline_oper=0, iline_split=0, unc_free_src=0, unc_free_dest=0, iline_prefix_split=-1,
           iline_prefix_new=-1, key_parent=b"", prefix_old=b"", prefix_new=b"", level=1):
    """Split2 (62): reference §2.3 (LRSPLIT_)."""
    return lrpage(LRTYP_SPLIT2, procid, pgno, dbtime, dbtime_before, trx, level) + \
        struct.pack("<IIQIQIIBBHHHIIhhiiHHHII", pgno_new, pgno_right, right_before, pgno_parent, parent_before,
                    pgno_fdp, objid_fdp, split_type, split_oper, iline_oper, iline_split, clines, new_flags,
                    split_flags, unc_free_src, unc_free_dest, iline_prefix_split, iline_prefix_new,
                    len(prefix_old), len(prefix_new), len(key_parent), 0, 0) + \
        bytes(key_parent) + bytes(prefix_old) + bytes(prefix_new)


def convert_fdp2(procid, pgno, dbtime, dbtime_before, trx, objid, pgno_oe, pgno_ae, pgno_parent,
                 pgno_secondary_first, cpg_primary, cpg_secondary, rgbit_avail, page_flags, flags=0x04):
    """ConvertFDP2 (58): objidFDP @32, pgnoOE @36, pgnoAE @40, pgnoFDPParent @44,
    pgnoSecondaryFirst @48, cpgPrimary @52, cpgSecondary @56, rgbitAvail @60, page flags @64."""
    return lrpage(LRTYP_CONVERTFDP2, procid, pgno, dbtime, dbtime_before, trx, flags=flags) + \
        struct.pack("<IIIIIIIII", objid, pgno_oe, pgno_ae, pgno_parent, pgno_secondary_first, cpg_primary,
                    cpg_secondary, rgbit_avail, page_flags)


def merge2(procid, pgno, dbtime, dbtime_before, trx, pgno_fdp, objid_fdp, *, merge_type, merge_flags, iline=0,
           pgno_right=0, right_before=DBTIME_NIL, pgno_left=0, left_before=DBTIME_NIL, pgno_parent=0,
           parent_before=DBTIME_NIL, size_total=0, size_max_total=0, unc_free_dest=0, iline_merge=0,
           key_parent_sep=b"", level=1):
    """Merge2 (63): reference §2.3 (LRMERGE_); no before-image."""
    return lrpage(LRTYP_MERGE2, procid, pgno, dbtime, dbtime_before, trx, level, iline) + \
        struct.pack("<IQIQIQIIHHHHBBHII", pgno_right, right_before, pgno_left, left_before, pgno_parent,
                    parent_before, pgno_fdp, objid_fdp, size_total, size_max_total, unc_free_dest, iline_merge,
                    merge_flags, merge_type, len(key_parent_sep), 0, 0) + bytes(key_parent_sep)


def scrub(procid, pgno, dbtime, dbtime_before, trx, objid_fdp, ops, unused_page=False, padding=0):
    """Scrub (64): LRNODE_, flags u32 @44 (0x1 unused page), operation count u32 @48, data
    size u16 @52, then one operation byte per line and padding (ESE pads scrub records)."""
    ops = bytes(ops)
    return lrnode(64, procid, pgno, dbtime, dbtime_before, trx, 0, objid_fdp) + \
        struct.pack("<IIH", 1 if unused_page else 0, len(ops), len(ops) + padding) + ops + bytes(padding)
