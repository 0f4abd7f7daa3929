"""Crash simulation on top of the OS layer's journal (csrc/os/os_crash.c).

The engine runs a workload in this process with the journal recording
(``EsepyTestCrashJournal``): every state-changing file-system call, with the
data written, in the order it reached the operating system.  This module
replays that journal into :class:`Disk`, a model of a disk after a power cut:

* per file (inode) a *durable* image and the *pending* changes (writes,
  truncations, allocations) made since its last fdatasync;
* per folder the *durable* names (as of its last folder fsync) and the
  *current* names (creations, renames and unlinks since).

:meth:`Disk.materialise` writes the files one damage *variant* leaves behind
into the workload's folder (the engine is gone by then, so the paths recorded
in logs and headers stay valid), and the test recovers them in a fresh
instance.  Variants:

``all``       every call reached the disk, nothing lost (what SIGKILL leaves)
``synced``    only what was made durable: unsynced data, new names, renames and
              unlinks not followed by a folder fsync are lost

In every variant, the writes pending when an fdatasync failed are lost (Linux
may mark them clean after the error, so a later fdatasync "succeeds").
``torn512``   ``all``, but the last write, if longer, reached the disk only up to
              its first 512 bytes (one sector)
``torn4k``    the same at 4 KiB (one page of the file system)
``reorder``   ``synced`` plus, per file, only the newest unsynced write: a later
              write overtook the earlier ones, which are lost
``synced_torn`` ``synced`` plus the first 512 bytes of the last write

:func:`wal_violations` checks the write-ahead rule on the journal itself: when
a database page is written, the log record its lsn names must already be
durable (written and fdatasynced in the generation's file).

Layering: the OS layer only records calls (it never calls upward and knows no
file formats); everything that interprets bytes -- log headers, page lsns --
lives here, on the test side.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import struct
from typing import Dict, Iterator, List, Optional, Tuple

OPEN, WRITE, SYNC, TRUNCATE, ALLOCATE, RENAME, UNLINK, DIRSYNC, MKDIR, RMDIR, MARK, SYNCFAIL = range(1, 13)
OS_FILE_CREATE, OS_FILE_TRUNCATE = 0x4, 0x8

VARIANTS = ("all", "synced", "torn512", "torn4k", "reorder", "synced_torn")

_HDR = struct.Struct("<B3xIQQII")


class Op:
    __slots__ = ("op", "fid", "off", "path", "path2", "data")

    def __init__(self, op: int, fid: int, off: int, path: str, path2: str, data: bytes) -> None:
        self.op, self.fid, self.off, self.path, self.path2, self.data = op, fid, off, path, path2, data

    def __repr__(self) -> str:
        names = {OPEN: "open", WRITE: "write", SYNC: "sync", TRUNCATE: "truncate", ALLOCATE: "allocate",
                 RENAME: "rename", UNLINK: "unlink", DIRSYNC: "dirsync", MKDIR: "mkdir", RMDIR: "rmdir",
                 MARK: "mark", SYNCFAIL: "syncfail"}
        extra = f" {len(self.data)}B" if self.op == WRITE else ""
        arrow = " -> " + self.path2 if self.path2 else ""
        return f"<{names[self.op]} fid={self.fid} off={self.off} {self.path}{arrow}{extra}>"


def read_journal(jet) -> List[Op]:
    """The journal recorded so far (recording must be stopped or quiet)."""
    ffi, lib = jet.ffi, jet.lib
    cb = ffi.new("uint64_t *")
    err = lib.EsepyTestCrashJournalRead(ffi.NULL, 0, cb)
    assert err == 0, f"journal read failed: {err}"
    buf = ffi.new("unsigned char[]", max(cb[0], 1))
    err = lib.EsepyTestCrashJournalRead(buf, cb[0], cb)
    assert err == 0, f"journal read failed: {err}"
    return parse(bytes(ffi.buffer(buf, cb[0])))


def parse(raw: bytes) -> List[Op]:
    ops = []
    pos = 0
    while pos < len(raw):
        op, fid, off, cb, cp, cp2 = _HDR.unpack_from(raw, pos)
        pos += _HDR.size
        path = raw[pos:pos + cp].decode()
        pos += cp
        path2 = raw[pos:pos + cp2].decode()
        pos += cp2
        data = raw[pos:pos + cb]
        pos += cb
        ops.append(Op(op, fid, off, path, path2, data))
    return ops


def _apply(buf: bytearray, ch: tuple) -> None:
    kind = ch[0]
    if kind == "w":
        off, data = ch[1], ch[2]
        if len(buf) < off:
            buf.extend(bytes(off - len(buf)))
        buf[off:off + len(data)] = data
    elif kind == "t":
        if ch[1] < len(buf):
            del buf[ch[1]:]
        else:
            buf.extend(bytes(ch[1] - len(buf)))
    elif kind == "a":
        if len(buf) < ch[1]:
            buf.extend(bytes(ch[1] - len(buf)))


class Inode:
    __slots__ = ("durable", "pending", "ident")
    _next = 0

    def __init__(self, data: bytes = b"") -> None:
        self.durable = bytearray(data)
        self.pending: List[tuple] = []
        Inode._next += 1
        self.ident = Inode._next

    def content(self, pending: Optional[List[tuple]] = None) -> bytearray:
        buf = bytearray(self.durable)
        for ch in self.pending if pending is None else pending:
            _apply(buf, ch)
        return buf

    def sync(self) -> None:
        for ch in self.pending:
            _apply(self.durable, ch)
        self.pending = []


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


class Disk:
    """The model of one folder tree (``root``) as the journal changes it."""

    def __init__(self, root: str, baseline: Optional[Tuple[set, Dict[str, bytes]]] = None) -> None:
        """`baseline` (from :func:`snapshot`, taken when recording started): the
        folders and files then, all durable; None reads root as it is now."""
        self.root = os.path.abspath(root)
        dirs, files = baseline if baseline is not None else snapshot(self.root)
        self.dirs = set(dirs)
        self.current: Dict[str, Inode] = {}
        self.durable: Dict[str, Inode] = {}
        for p, data in files.items():
            self.current[p] = self.durable[p] = Inode(data)
        self.fids: Dict[int, Inode] = {}
        self.last_write: Optional[Tuple[Inode, int]] = None  # (inode, index in its pending list)
        self.marks: List[int] = []

    # -- replay ------------------------------------------------------------
    def apply(self, op: Op) -> None:
        self.last_write = None
        if op.op == MARK:
            self.marks.append(op.off)
        elif op.op == OPEN:
            if not _under(op.path, self.root):
                return
            ino = self.current.get(op.path)
            if ino is None:
                ino = Inode()
                self.current[op.path] = ino
            elif op.off & OS_FILE_TRUNCATE:
                ino.pending.append(("t", 0))
            self.fids[op.fid] = ino
        elif op.op == SYNCFAIL:
            # Linux may mark the unsynced pages clean after a failed fdatasync
            # (they never reach the disk, a later fdatasync succeeds): lost.
            ino = self.fids.get(op.fid)
            if ino is not None:
                ino.pending = []
        elif op.op in (WRITE, TRUNCATE, ALLOCATE, SYNC):
            ino = self.fids.get(op.fid)
            if ino is None:
                return
            if op.op == WRITE:
                ino.pending.append(("w", op.off, op.data))
                self.last_write = (ino, len(ino.pending) - 1)
            elif op.op == TRUNCATE:
                ino.pending.append(("t", op.off))
            elif op.op == ALLOCATE:
                ino.pending.append(("a", op.off))
            else:
                ino.sync()
        elif op.op == RENAME:
            src_in, dst_in = _under(op.path, self.root), _under(op.path2, self.root)
            ino = self.current.pop(op.path, None) if src_in else None
            if dst_in:
                if ino is None:
                    ino = Inode()
                self.current[op.path2] = ino
        elif op.op == UNLINK:
            self.current.pop(op.path, None)
        elif op.op == DIRSYNC:
            names = {p for p in list(self.current) + list(self.durable) if os.path.dirname(p) == op.path}
            for p in names:
                if p in self.current:
                    self.durable[p] = self.current[p]
                else:
                    self.durable.pop(p, None)
        elif op.op == MKDIR:
            if _under(op.path, self.root):
                self.dirs.add(op.path)
        elif op.op == RMDIR:
            self.dirs.discard(op.path)

    # -- crash states ------------------------------------------------------
    def files(self, variant: str) -> Optional[Dict[str, bytes]]:
        """The files (path -> bytes) a crash now leaves with `variant`, or None
        when the variant is the same as another one here (nothing to tear)."""
        lw = self.last_write
        if variant in ("torn512", "torn4k", "synced_torn"):
            cut = 4096 if variant == "torn4k" else 512
            if lw is None or len(lw[0].pending[lw[1]][2]) <= cut:
                return None
        if variant in ("all", "torn512", "torn4k"):
            names = self.current
        else:
            names = self.durable
        out = {}
        for p, ino in names.items():
            if variant == "all":
                out[p] = bytes(ino.content())
            elif variant in ("torn512", "torn4k"):
                if lw is not None and lw[0] is ino:
                    cut = 4096 if variant == "torn4k" else 512
                    pend = list(ino.pending)
                    w = pend[lw[1]]
                    pend[lw[1]] = ("w", w[1], w[2][:cut])
                    out[p] = bytes(ino.content(pend))
                else:
                    out[p] = bytes(ino.content())
            elif variant == "synced":
                out[p] = bytes(ino.durable)
            elif variant == "synced_torn":
                if lw is not None and lw[0] is ino:
                    w = ino.pending[lw[1]]
                    out[p] = bytes(ino.content([("w", w[1], w[2][:512])]))
                else:
                    out[p] = bytes(ino.durable)
            elif variant == "reorder":
                newest = [ch for ch in ino.pending if ch[0] == "w"][-1:]
                out[p] = bytes(ino.content(newest))
            else:
                raise ValueError(variant)
        return out

    def materialise(self, files: Dict[str, bytes]) -> None:
        """Replace everything under root by `files` (and the known folders)."""
        wipe(self.root)
        for d in sorted(self.dirs):
            os.makedirs(d, exist_ok=True)
        for p, data in files.items():
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)


def snapshot(root: str) -> Tuple[set, Dict[str, bytes]]:
    """The folders and files under root (take it before recording starts)."""
    root = os.path.abspath(root)
    dirs, files = set(), {}
    for d, _subdirs, names in os.walk(root):
        dirs.add(d)
        for f in names:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                files[p] = fh.read()
    return dirs, files


def wipe(root: str) -> None:
    for name in os.listdir(root):
        p = os.path.join(root, name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)


def state_digest(files: Dict[str, bytes]) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for p in sorted(files):
        h.update(p.encode() + b"\0" + hashlib.blake2b(files[p], digest_size=16).digest())
    return h.digest()


def crash_states(root: str, ops: List[Op], variants=VARIANTS, points=None, baseline=None
                 ) -> Iterator[Tuple[int, str, Dict[str, bytes], List[int]]]:
    """(crash point, variant, files, marks so far) for every I/O boundary
    (or only the given points): point k means the first k journal entries
    happened (k = 0: none).  Identical states are yielded once."""
    disk = Disk(root, baseline)
    seen = set()
    want = None if points is None else set(points)

    def emit(k):
        if want is not None and k not in want:
            return
        for v in variants:
            files = disk.files(v)
            if files is None:
                continue
            d = state_digest(files)
            if d in seen:
                continue
            seen.add(d)
            yield k, v, files, list(disk.marks)

    yield from emit(0)
    for k, op in enumerate(ops, 1):
        disk.apply(op)
        if op.op == MARK and want is None:
            continue
        yield from emit(k)


# ---------------------------------------------------------------------------
# The write-ahead rule, checked on the journal

LOG_MAGIC_OFFSET = 4
DATA_PAGE_LSN = 8


def _durable_record(ino: Inode, off: int) -> bool:
    """The 16-byte record header at `off` is in the durable image (non-zero) and
    no pending change touches it."""
    if len(ino.durable) < off + 16 or not any(ino.durable[off:off + 16]):
        return False
    for ch in ino.pending:
        if ch[0] == "w" and ch[1] < off + 16 and ch[1] + len(ch[2]) > off:
            return False
        if ch[0] == "t" and ch[1] < off + 16:
            return False
    return True


def wal_violations(root: str, ops: List[Op], db_suffix: str = ".edb", page_size: int = 4096,
                   exclude=("tmp.edb",), baseline=None) -> List[str]:
    """Every database page write whose lsn names a log position that was not
    durable at that moment.  A log position (gen, isec, ib) is durable when
    the 16 bytes of the record header at isec*4096+ib in the file holding
    generation gen were written and fdatasynced before the page write.

    The generation of a log file is read from its header (offset 12) when the
    header is written; files present before the journal count as durable."""
    disk = Disk(root, baseline)
    gen_of: Dict[int, int] = {}  # inode ident -> generation
    for p, ino in disk.current.items():
        if p.endswith((".log", ".jtx")) and len(ino.durable) >= 16:
            gen_of[ino.ident] = struct.unpack_from("<i", ino.durable, 12)[0]
    inodes_by_ident: Dict[int, Inode] = {ino.ident: ino for ino in disk.current.values()}
    fid_path: Dict[int, str] = {}
    problems = []
    for i, op in enumerate(ops):
        if op.op == OPEN:
            fid_path[op.fid] = op.path
        if op.op == WRITE and op.fid in disk.fids:
            ino = disk.fids[op.fid]
            path = fid_path.get(op.fid, "")
            inodes_by_ident[ino.ident] = ino
            if op.off == 0 and len(op.data) >= 16 and (path.endswith((".log", ".jtx"))):
                gen_of[ino.ident] = struct.unpack_from("<i", op.data, 12)[0]
            if path.endswith(db_suffix) and not path.endswith(exclude) and _under(path, disk.root):
                ps = page_size
                if op.off >= 2 * ps and op.off % ps == 0 and len(op.data) % ps == 0:
                    for j in range(0, len(op.data), ps):
                        lsn = struct.unpack_from("<Q", op.data, j + DATA_PAGE_LSN)[0]
                        if lsn == 0:
                            continue
                        gen, isec, ib = lsn >> 32, (lsn >> 16) & 0xFFFF, lsn & 0xFFFF
                        lino = [inodes_by_ident[x] for x, g in gen_of.items() if g == gen]
                        off = isec * 4096 + ib
                        if not any(_durable_record(x, off) for x in lino):
                            problems.append(f"journal entry {i}: page {op.off // ps - 1} of {path} written "
                                            f"with lsn ({gen},{isec},{ib}) before that log position was durable")
        disk.apply(op)
    return problems
