"""Damage to the current log generation (edb.log) never costs an acknowledged commit
quietly (log.h, invariants L6-L9; log_reader.c, R4-R5).

A workload commits rows one durable transaction at a time and the instance stops
dirty.  Then edb.log is damaged -- one flipped bit, a zeroed 4 KiB block, a
truncation -- at many places inside what was durably flushed, or edb.log is
deleted while archived generations exist.  JetInit must either give back every
acknowledged row or fail with a specific error; it must never succeed with rows
missing.  A write cut after the last acknowledged commit (a torn tail) still
recovers every acknowledged row.
"""
import os
import random
import shutil
import struct

import pytest

from test_database import Env, keys_of, make_kv, open_kv
from test_recovery import init_new

ROWS = 120
LOG_KB = 64
DAMAGE = {"LogFileCorrupt", "MissingLogFile", "RequiredLogFilesMissing"}


def _commit_rows(env, t, ck, cv, first, count):
    lib, ses = env.lib, env.ses
    for k in range(first, first + count):
        assert lib.JetBeginTransaction(ses) == 0
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"v" * (20 + k % 50))]) == 0
        assert lib.JetCommitTransaction(ses, 0) == 0  # durable: acknowledged once it returns


@pytest.fixture(scope="module")
def template(jet, tmp_path_factory):
    """A folder whose instance committed ROWS rows durably, then stopped dirty.
    Returns (folder, data_end, last_flush_start) for its edb.log.  Logs name the
    database by absolute path, so every case runs in this very folder, reset
    from a pristine copy (_fresh)."""
    base = tmp_path_factory.mktemp("log_damage")
    folder = base / "work"
    folder.mkdir()
    env = Env(jet, folder, LogFileSize=LOG_KB)
    dbid, t, ck, cv = make_kv(env)
    _commit_rows(env, t, ck, cv, 0, ROWS)
    assert env.term(env.C.JET_bitTermDirty) == env.C.JET_errDirtyShutdown
    assert len([n for n in os.listdir(folder) if n.startswith("edb0")]) >= 1  # archived generations exist
    data = (folder / "edb.log").read_bytes()
    end = len(data.rstrip(b"\0"))
    assert end > 4096 + 2048, "the workload must leave records in edb.log"
    shutil.copytree(folder, base / "pristine")
    return folder, (end + 511) // 512 * 512, _last_flush_start(folder / "edb.log", end)


def _last_flush_start(path, end):
    """Where the last flush of edb.log began (its trailer's offDurable)."""
    from esepy import errors
    from esepy.inspection import LogFile
    last = None
    try:
        for rec in LogFile(str(path)).records(include_padding=True):
            if rec.type == 4:  # Flush trailer
                last = struct.unpack_from("<Q", rec.payload, 0)[0]
    except errors.BadLogVersion:  # a format without trailers: assume a small last flush
        return max(4096 + 8192, end - 1024)
    assert last is not None and 4096 <= last < end
    return last


def _fresh(folder):
    """Put the folder back as the workload left it."""
    shutil.rmtree(folder)
    shutil.copytree(folder.parent / "pristine", folder)
    return folder


def _recover(jet, folder, unacked=0):
    """JetInit on the folder: None when it succeeded with every acknowledged row, else
    the error's name (the test fails if it succeeded with rows missing).  `unacked`:
    rows of a last transaction whose commit was never acknowledged; its commit record
    may have landed all the same, so it is there entirely or not at all."""
    err, inst = init_new(jet, folder)
    assert jet.lib.JetTerm(inst) == 0 or err != 0
    if err != 0:
        return jet.err_name(err)
    env = Env(jet, folder, "check")  # the logs' size is adopted
    try:
        path = str(folder / "a.edb").encode()
        assert env.lib.JetAttachDatabase(env.ses, path, 0) == 0
        t, ck = open_kv(env, path)
        keys = keys_of(env, t, ck)
        assert keys in (list(range(ROWS)), list(range(ROWS + unacked))), \
            "JetInit succeeded but acknowledged commits are gone"
    finally:
        assert env.term() == 0
    return None


def _name(n):
    return n[len("JET_err"):] if n and n.startswith("JET_err") else n


def _patch(path, off, data):
    with open(path, "r+b") as f:
        f.seek(off)
        f.write(data)


def test_flipped_bit_in_durable_log(jet, template, tmp_path, caplog):
    """Every row back (the bit corrected, and reported) or LogFileCorrupt."""
    folder, end, _ = template
    rng = random.Random(14)
    positions = sorted(rng.sample(range(4096, end), 24))
    refused = corrected = 0
    for i, off in enumerate(positions):
        f = _fresh(folder)
        b = (f / "edb.log").read_bytes()[off]
        _patch(f / "edb.log", off, bytes([b ^ (1 << rng.randrange(8))]))
        caplog.clear()
        res = _recover(jet, f)
        assert res is None or _name(res) == "LogFileCorrupt", (off, res)
        refused += res is not None
        corrected += any("log records corrected" in r.getMessage() for r in caplog.records)
    # a bit only goes unnoticed when it lands in bytes no record covers (block-end
    # filler) or in the last flush's own trailer (its records are all intact)
    assert refused + corrected >= len(positions) * 3 // 4
    assert corrected >= len(positions) // 2


def test_two_flipped_bits_are_refused(jet, template, tmp_path):
    folder, end, last = template
    for i, off in enumerate((4096 + 40, (4096 + last) // 2, last - 600)):
        f = _fresh(folder)
        data = (f / "edb.log").read_bytes()
        _patch(f / "edb.log", off, bytes([data[off] ^ 0x11]))
        assert _name(_recover(jet, f)) == "LogFileCorrupt", off


def test_zeroed_block_in_durable_log(jet, template, tmp_path):
    folder, _, last = template
    rng = random.Random(41)
    # blocks that end before the last flush (a zeroed last flush reads as writes
    # that never landed: see docs/backup-restore.md)
    starts = sorted(rng.sample(range(4096, last - 4096), 10))
    for i, off in enumerate(starts):
        f = _fresh(folder)
        _patch(f / "edb.log", off, b"\0" * 4096)
        res = _recover(jet, f)
        assert _name(res) == "LogFileCorrupt", (off, res)


def test_truncated_log(jet, template, tmp_path):
    folder, end, _ = template
    size = (folder / "edb.log").stat().st_size
    rng = random.Random(7)
    cuts = sorted(rng.sample(range(4096, end), 8)) + [end, size - 4096]
    for i, cut in enumerate(cuts):
        f = _fresh(folder)
        os.truncate(f / "edb.log", cut)
        res = _recover(jet, f)
        assert _name(res) == "LogFileCorrupt", (cut, res)


def test_deleted_current_log_with_archived_generations(jet, template, tmp_path):
    folder, _, _ = template
    f = _fresh(folder)
    os.unlink(f / "edb.log")
    res = _recover(jet, f)
    assert _name(res) in ("MissingLogFile", "RequiredLogFilesMissing"), res


def test_lost_current_log_accepted_with_ignore_lost_logs(jet, template, tmp_path):
    """JET_bitReplayIgnoreLostLogs: the caller accepts losing the logs from the end; what the
    archived generations hold comes back, in commit order."""
    folder, _, _ = template
    f = _fresh(folder)
    os.unlink(f / "edb.log")
    err, inst = init_new(jet, f, grbit=jet.C.JET_bitReplayIgnoreLostLogs)
    assert jet.lib.JetTerm(inst) == 0
    assert err == 0, jet.err_name(err)
    env = Env(jet, f, "check")  # the logs' size is adopted
    try:
        path = str(f / "a.edb").encode()
        assert env.lib.JetAttachDatabase(env.ses, path, 0) == 0
        t, ck = open_kv(env, path)
        keys = keys_of(env, t, ck)
        assert keys == list(range(len(keys))) and 0 < len(keys) < ROWS
    finally:
        assert env.term() == 0


def test_database_header_follows_the_log(jet, template):
    """genMaxRequired names the current generation, not the last one whose pages were written."""
    from esepy.inspection import LogFile, read_database_header
    folder, _, _ = template
    pristine = folder.parent / "pristine"
    gen = LogFile(str(pristine / "edb.log")).generation
    assert gen >= 2 and read_database_header(str(pristine / "a.edb")).gen_max_required == gen


def test_torn_unacknowledged_tail_recovers(jet, tmp_path):
    """A flush cut by the crash: some of its blocks landed, some did not.  Nothing in it
    was acknowledged, so recovery succeeds with every acknowledged row."""
    env = Env(jet, tmp_path, LogFileSize=1024)
    dbid, t, ck, cv = make_kv(env)
    _commit_rows(env, t, ck, cv, 0, ROWS)
    before = (tmp_path / "edb.log").read_bytes()
    acked_end = (len(before.rstrip(b"\0")) + 511) // 512 * 512
    # one more transaction, big enough for a multi-block flush, committed durably
    lib, ses = env.lib, env.ses
    assert lib.JetBeginTransaction(ses) == 0
    for k in range(ROWS, ROWS + 60):
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, os.urandom(200))]) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    after = (tmp_path / "edb.log").read_bytes()
    assert env.term(env.C.JET_bitTermDirty) == env.C.JET_errDirtyShutdown
    new_end = (len(after.rstrip(b"\0")) + 511) // 512 * 512
    assert new_end - acked_end >= 4 * 512
    nblocks = (new_end - acked_end) // 512
    cases = {
        "nothing landed": [],
        "only the first block landed": list(range(1, nblocks)),
        "a middle block missing": [nblocks // 2],
        "the trailer block missing": [nblocks - 1],
        "every other block": list(range(0, nblocks, 2)),
    }
    shutil.copytree(tmp_path, tmp_path.parent / (tmp_path.name + "_pristine"))
    for what, missing in cases.items():
        shutil.rmtree(tmp_path)
        shutil.copytree(tmp_path.parent / (tmp_path.name + "_pristine"), tmp_path)
        f = tmp_path
        img = bytearray(after)
        img[acked_end:new_end] = before[acked_end:new_end]  # what was there before the last flush
        for b in range(nblocks):
            if b not in missing and what != "nothing landed":
                o = acked_end + b * 512
                img[o:o + 512] = after[o:o + 512]
        (f / "edb.log").write_bytes(bytes(img))
        res = _recover(jet, f, unacked=60)   # a commit record before the lost trailer block counts
        assert res is None, (what, res)
