"""The crash simulator itself: the OS layer's journal, the disk model and the
write-ahead checker (tests/crash/crashsim.py, docs/reliability.md)."""
from __future__ import annotations

import os
import re
import struct
import sys

import pytest

import esepy

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import crashsim  # noqa: E402
import jetffi  # noqa: E402
from crashsim import (ALLOCATE, DIRSYNC, MARK, OPEN, RENAME, SYNC, SYNCFAIL, TRUNCATE, UNLINK, WRITE,  # noqa: E402
                      Op)

CSRC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "csrc")


@pytest.fixture(scope="module")
def jet():
    return jetffi.load()


def op(kind, fid=0, off=0, path="", path2="", data=b""):
    return Op(kind, fid, off, path, path2, data)


def test_journal_replayed_whole_equals_the_files(jet, tmp_path):
    """Every state-changing call is journaled with its data: replaying the whole
    journal ("all" at the end) gives exactly the files on disk."""
    root = str(tmp_path / "w")
    os.makedirs(root)
    base = crashsim.snapshot(root)
    assert jet.lib.EsepyTestCrashJournal(1) == 0
    try:
        with esepy.Instance("cj", system_path=root + "/", log_path=root + "/logs/", temp_path=root + "/t.edb",
                            create_path_if_not_exist=True, log_file_size_kb=64) as inst:
            s = inst.begin_session()
            t = s.create_database(root + "/a.edb").create_table("t", {"k": "long", "v": "longtext"},
                                                                primary_key=["k"])
            assert jet.lib.EsepyTestCrashMark(77) == 0
            for i in range(40):  # several log generations
                with s.transaction():
                    t.insert({"k": i, "v": "x" * 3000})
            t.close()
    finally:
        assert jet.lib.EsepyTestCrashJournal(0) == 0
    ops = crashsim.read_journal(jet)
    cb = jet.ffi.new("uint64_t *")
    small = jet.ffi.new("unsigned char[]", 16)
    assert jet.lib.EsepyTestCrashJournalRead(small, 16, cb) == jet.C.JET_errBufferTooSmall
    assert cb[0] > 16
    assert jet.lib.EsepyTestCrashJournalRead(small, 16, jet.ffi.NULL) == jet.C.JET_errInvalidParameter
    assert jet.lib.EsepyTestCrashJournal(-1) == 0
    kinds = {o.op for o in ops}
    assert {OPEN, WRITE, SYNC, RENAME, DIRSYNC, ALLOCATE, MARK} <= kinds
    assert [o.off for o in ops if o.op == MARK] == [77]
    on_disk = crashsim.snapshot(root)[1]
    on_disk.pop(root + "/t.edb", None)  # the temporary database is deleted at term
    disk = crashsim.Disk(root, base)
    for o in ops:
        disk.apply(o)
    replayed = disk.files("all")
    replayed.pop(root + "/t.edb", None)
    assert sorted(replayed) == sorted(on_disk)
    for p in on_disk:
        assert replayed[p] == on_disk[p], p
    # after a clean term everything that matters is durable: the power-cut
    # view is the same but for the pre-allocated next generation (contents
    # meaningless; its name is made durable when it is used) and the
    # pre-allocated reserve logs (not synced: every writer open re-creates or
    # re-sizes them, and one in use gets a synced header first; log_writer.c)
    synced = disk.files("synced")
    synced.pop(root + "/t.edb", None)
    for name in ("edbtmp.log", "edbres00001.jrs", "edbres00002.jrs"):
        replayed.pop(root + "/logs/" + name)
        synced.pop(root + "/logs/" + name, None)
    assert synced == replayed


def test_journal_off_by_default_and_after_stop(jet, tmp_path):
    assert jet.lib.EsepyTestCrashJournal(-1) == 0
    root = str(tmp_path / "w")
    with esepy.Instance("cj2", system_path=root + "/", log_path=root + "/", temp_path=root + "/t.edb",
                        create_path_if_not_exist=True):
        pass
    assert crashsim.read_journal(jet) == []


def test_disk_model_drops_what_was_not_made_durable(tmp_path):
    root = str(tmp_path)
    f, g = root + "/f", root + "/g"
    d = crashsim.Disk(root, ({root}, {}))
    d.apply(op(OPEN, 1, crashsim.OS_FILE_CREATE, f))
    d.apply(op(WRITE, 1, 0, data=b"a" * 4096))
    assert d.files("synced") == {}  # new name not durable
    assert d.files("all") == {f: b"a" * 4096}
    d.apply(op(DIRSYNC, path=root))
    assert d.files("synced") == {f: b""}  # name durable, data not
    d.apply(op(SYNC, 1))
    assert d.files("synced") == {f: b"a" * 4096}
    d.apply(op(WRITE, 1, 0, data=b"b" * 8192))
    assert d.files("torn512") == {f: b"b" * 512 + b"a" * 3584}
    assert d.files("torn4k") == {f: b"b" * 4096}
    assert d.files("synced_torn") == {f: b"b" * 512 + b"a" * 3584}
    d.apply(op(WRITE, 1, 8192, data=b"c" * 100))
    assert d.files("torn512") is None  # the last write is not longer than 512 bytes
    assert d.files("reorder") == {f: b"a" * 4096 + b"\0" * 4096 + b"c" * 100}  # newest overtook
    d.apply(op(SYNC, 1))
    d.apply(op(RENAME, path=f, path2=g))
    assert set(d.files("synced")) == {f} and set(d.files("all")) == {g}
    d.apply(op(DIRSYNC, path=root))
    assert set(d.files("synced")) == {g}
    d.apply(op(TRUNCATE, 1, 10))
    assert len(d.files("synced")[g]) == 8292 and len(d.files("all")[g]) == 10
    d.apply(op(UNLINK, path=g))
    assert set(d.files("synced")) == {g} and d.files("all") == {}


def test_disk_model_loses_writes_behind_a_failed_sync(jet, tmp_path):
    root = str(tmp_path)
    f = root + "/f"
    d = crashsim.Disk(root, ({root}, {f: b"old!"}))
    d.apply(op(OPEN, 1, 2, f))
    d.apply(op(WRITE, 1, 0, data=b"new!"))
    d.apply(op(SYNCFAIL, 1))
    d.apply(op(SYNC, 1))  # "succeeds", but the data was dropped
    assert d.files("all") == d.files("synced") == {f: b"old!"}
    # the OS layer journals a failed fdatasync (here an injected one)
    assert jet.lib.EsepyTestCrashJournal(1) == 0
    inst = esepy.Instance("cj3", system_path=root + "/", log_path=root + "/", temp_path=root + "/t.edb",
                          create_path_if_not_exist=True)
    try:
        inst.init()
        s = inst.begin_session()
        s.create_database(root + "/a.edb")
        assert jet.lib.EsepyTestFailIO(jet.C.ESEPY_IO_FSYNC, 1, 0, jet.C.JET_errDiskIO, jet.ffi.NULL) == 0
        with pytest.raises(esepy.errors.JetError):
            s.create_database(root + "/b.edb")
    finally:
        try:
            inst.term()
        except esepy.errors.JetError:
            pass  # logging halted after the failed fdatasync
        jet.lib.EsepyTestFailIO(jet.C.ESEPY_IO_FSYNC, 0, 0, 0, jet.ffi.NULL)
        assert jet.lib.EsepyTestCrashJournal(0) == 0
    ops = crashsim.read_journal(jet)
    assert jet.lib.EsepyTestCrashJournal(-1) == 0
    assert any(o.op == SYNCFAIL for o in ops)


def _log_header(gen):
    h = bytearray(4096)
    struct.pack_into("<i", h, 12, gen)
    return bytes(h)


def _page(pgno, lsn, size=4096):
    p = bytearray(size)
    struct.pack_into("<IIQ", p, 0, 1, pgno, lsn)
    return bytes(p)


def test_wal_checker_flags_a_page_written_before_its_log(tmp_path):
    root = str(tmp_path)
    log, db = root + "/edb.log", root + "/a.edb"
    rec = b"\x20" + b"\1" * 31
    lsn = (3 << 32) | (1 << 16) | 0
    common = [op(OPEN, 1, 6, log), op(WRITE, 1, 0, data=_log_header(3)), op(SYNC, 1),
              op(OPEN, 2, 6, db), op(WRITE, 1, 4096, data=rec)]
    bad = common + [op(WRITE, 2, 3 * 4096, data=_page(2, lsn)), op(SYNC, 1)]
    good = common + [op(SYNC, 1), op(WRITE, 2, 3 * 4096, data=_page(2, lsn))]
    v = crashsim.wal_violations(root, bad, baseline=({root}, {}))
    assert len(v) == 1 and "page 2" in v[0] and "(3,1,0)" in v[0]
    assert crashsim.wal_violations(root, good, baseline=({root}, {})) == []
    # a log position in another generation is not covered either
    other = common + [op(SYNC, 1), op(WRITE, 2, 3 * 4096, data=_page(2, (4 << 32) | (1 << 16)))]
    assert len(crashsim.wal_violations(root, other, baseline=({root}, {}))) == 1


# Calls that touch files; outside csrc/os only what is listed may use them.
_CALLS = re.compile(r"(?<![\w.>])(open|openat|creat|fopen|pwrite|pwritev|write|pread|read|fsync|fdatasync|"
                    r"rename|renameat|unlink|unlinkat|ftruncate|truncate|fallocate|posix_fallocate|mkdir|"
                    r"rmdir|sync_file_range|mmap|copy_file_range|sendfile|splice)\s*\(")
_ALLOWED = {("isam/db.c", 'fopen("/dev/urandom", "rb")')}  # read-only entropy for signatures


def test_no_file_io_bypasses_the_os_layer():
    """All file I/O of the engine goes through csrc/os, so the fault injection
    and the crash journal see every call."""
    found = []
    for d, _sub, files in os.walk(CSRC):
        rel = os.path.relpath(d, CSRC)
        if rel == "os" or rel.startswith("os/"):
            continue
        for name in files:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(d, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
            text = re.sub(r"//[^\n]*", "", text)
            text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
            for lineno, line in enumerate(text.splitlines(), 1):
                for m in _CALLS.finditer(line):
                    key = os.path.join(rel, name)
                    with open(path, encoding="utf-8") as f:
                        orig = f.read().splitlines()[lineno - 1]
                    if any(key == a and s in orig for a, s in _ALLOWED):
                        continue
                    found.append(f"{key}:{lineno}: {orig.strip()}")
    assert not found, "\n".join(found)
