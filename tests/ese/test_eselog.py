"""The reader of Windows ESE log records (csrc/esefmt/eselog.c, eselogchain.c,
esepy.eselog) on the real SRUM logs of tests/data/ese/srum_win11_dirty, with
the values of the log-format reference (sections 4.2-4.4), and on damaged
copies: single-bit errors corrected and reported, worse damage refused by
name, broken generation chains and other databases' logs refused."""
import hashlib
import os
import random
import shutil
import struct
import subprocess
import sys
import textwrap

import pytest

from esepy import errors, eselog

SEC = 4096
GENS = {89: "SRU00059.log", 90: "SRU0005A.log", 91: "SRU0005B.log", 92: "SRU.log"}


# ---- helpers: the checksums of the format (reference §1.2, §1.3), to build damaged copies ----

from ese_checksums import segment_checksum  # noqa: E402



def fix_segment(data, isec):
    """Re-stamp sector isec's checksum after an edit."""
    blk = bytes(data[isec * SEC:(isec + 1) * SEC])
    data[isec * SEC:isec * SEC + 8] = struct.pack("<Q", segment_checksum(blk, isec))


def fix_header(data):
    """Re-stamp a log header's XOR checksum after an edit."""
    words = struct.unpack("<1024I", bytes(data[:SEC]))
    x = 0x89ABCDEF
    for w in words[1:]:
        x ^= w
    data[0:4] = struct.pack("<I", x)


@pytest.fixture
def logs(srum_dir, tmp_path):
    """A scratch copy of the SRUM log folder (logs and checkpoint only)."""
    d = tmp_path / "logs"
    d.mkdir()
    for n in list(GENS.values()) + ["SRU.chk", "SRUtmp.log", "SRUres00001.jrs"]:
        shutil.copy(os.path.join(srum_dir, n), d / n)
    return d


def edit(path, fn):
    data = bytearray(open(path, "rb").read())
    fn(data)
    open(path, "wb").write(bytes(data))


def types(recs):
    return [r["type"] for r in recs]


# ---- the real logs, as the reference describes them ----

@pytest.mark.parametrize("gen,count,first,last,end,good,kind", [
    (89, 688, (89, 1, 0), (89, 14, 3991), (89, 15, 0), 14, "full"),
    (90, 584, (90, 1, 0), (90, 14, 3878), (90, 15, 0), 14, "full"),
    (91, 466, (91, 1, 0), (91, 14, 616), (91, 15, 0), 14, "full"),
    (92, 21, (92, 1, 0), (92, 9, 759), (92, 10, 0), 9, "zero"),
])
def test_records_per_generation(srum_dir, gen, count, first, last, end, good, kind):
    with eselog.open_log(os.path.join(srum_dir, GENS[gen])) as lf:
        recs = list(lf.records())
        info = lf.info
    assert len(recs) == count
    assert recs[0]["lgpos"] == first and recs[-1]["lgpos"] == last
    assert info["end"] == end and info["good_segments"] == good and info["end_kind"] == kind
    assert info["corrected_segments"] == 0 and info["integrity_error"] == 0
    # records in strictly increasing position order, within the data
    pos = [r["lgpos"] for r in recs]
    assert pos == sorted(pos) and len(set(pos)) == len(pos) and pos[-1] < end


def test_gen92_counts_by_type(srum_dir):
    with eselog.open_log(os.path.join(srum_dir, "SRU.log")) as lf:
        recs = list(lf.records())
        assert lf.info["closed_normally"] is False  # it ends at an AttachDB (then NOP2 filler)
    assert eselog.count_by_type(recs) == {"NOP2": 6, "SetDbVersion": 3, "ShutDownMark": 3, "Term2": 3,
                                          "Init2": 3, "AttachDB": 3}
    # from the checkpoint (92,8,0) on
    tail = [r for r in recs if r["lgpos"] >= (92, 8, 0)]
    assert eselog.count_by_type(tail) == {"Term2": 1, "Init2": 1, "AttachDB": 1, "NOP2": 1}
    assert [(r["type"], r["lgpos"]) for r in recs if r["type"] != "NOP2"] == [
        ("SetDbVersion", (92, 1, 0)), ("ShutDownMark", (92, 1, 54)), ("Term2", (92, 2, 0)), ("Init2", (92, 3, 0)),
        ("AttachDB", (92, 3, 616)), ("SetDbVersion", (92, 4, 0)), ("ShutDownMark", (92, 4, 54)),
        ("Term2", (92, 5, 0)), ("Init2", (92, 6, 0)), ("AttachDB", (92, 6, 616)), ("SetDbVersion", (92, 7, 0)),
        ("ShutDownMark", (92, 7, 54)), ("Term2", (92, 8, 0)), ("Init2", (92, 9, 0)), ("AttachDB", (92, 9, 616))]
    assert recs[-1]["type"] == "NOP2" and recs[-1]["lgpos"] == (92, 9, 759)


def test_gen92_record_fields(srum_dir):
    with eselog.open_log(os.path.join(srum_dir, "SRU.log")) as lf:
        recs = {r["lgpos"]: r for r in lf.records()}
    att = recs[(92, 9, 616)]
    assert att["dbid"] == 1 and att["lgpos_consistent"] == (92, 7, 54)
    assert att["path"].lower().endswith("srudb.dat")
    assert att["sign_db"]["random"] == 0x0716B55F and att["sign_log"]["random"] == 0x25894C02
    assert [recs[p]["lgpos_consistent"] for p in ((92, 3, 616), (92, 6, 616))] == [(92, 1, 54), (92, 4, 54)]
    init = recs[(92, 9, 0)]
    assert init["time"].isoformat() == "2022-07-19T16:57:14.970000+00:00"
    term = recs[(92, 8, 0)]
    assert term["lgpos_back"] == (92, 6, 0) and term["lgpos_redo_from"] == (0, 0, 0) and term["hard"] is False
    assert recs[(92, 1, 0)]["version"] == (1568, 200, 440) and recs[(92, 1, 0)]["dbid"] == 1


def test_page_records_carry_their_fields(srum_dir):
    with eselog.open_log(os.path.join(srum_dir, "SRU00059.log")) as lf:
        recs = list(lf.records())
    ins = recs[0]
    assert ins["type"] == "Insert" and ins["lgpos"] == (89, 1, 0)
    assert ins["dbid"] == 1 and ins["pgno"] == 377 and ins["dbtime"] == 42852 and ins["dbtime_before"] == 42849
    assert ins["procid"] == 10 and ins["level"] == 2 and ins["page_flags"] & 1
    assert len(ins["key"]) == 5 and ins["key_prefix"] == 4 and len(ins["data"]) == 14
    assert ins["size"] == 50 + len(ins["key"]) + len(ins["data"])
    fragmented = [r for r in recs if "fragments" in r]
    assert fragmented and all(r["fragments"] == 2 for r in fragmented)
    # every Begin0 opens levels from 0, every Commit0 carries a trx
    for r in recs:
        if r["type"] == "Begin0":
            assert r["level_begin_from"] == 0 and r["levels"] >= 1 and r["trx"] > 0
        if r["type"] == "Split2":
            assert r["split_type"] in (0, 1, 2)


def test_fragments_and_sizes_over_all_generations(srum_dir):
    """58 fragmented records in the win11 + win10 sets; the largest is 2,663 bytes (a Split2)."""
    n = 0
    biggest = 0
    for gen in GENS:
        with eselog.open_log(os.path.join(srum_dir, GENS[gen])) as lf:
            for r in lf.records():
                if "fragments" in r:
                    n += 1
                    biggest = max(biggest, r["size"])
    assert n > 0 and biggest <= 2663


def test_accumulated_checksums(srum_dir):
    want = {89: 0x5A8F5A8FEF0D9509, 90: 0x3FDB3FDB0CF1D5B8, 91: 0x45B445B4F2360844}
    for gen, acc in want.items():
        with eselog.open_log(os.path.join(srum_dir, GENS[gen])) as lf:
            assert lf.info["checksum_all_segments"] == acc
        nxt = eselog.open_log(os.path.join(srum_dir, GENS[gen + 1]))
        assert nxt.header["checksum_prev_log_all_segments"] == acc
        nxt.close()


def test_segments_classified(srum_dir):
    with eselog.open_log(os.path.join(srum_dir, "SRU.log")) as lf:
        segs = lf.segments()
    assert [s["status"] for s in segs] == ["good"] * 9 + ["zero"] * 6
    assert all(s["checksum"] == s["checksum_computed"] for s in segs[:9])
    assert segs[0]["lgpos"] == (92, 1, 0)


def test_chain_of_the_sample(srum_dir):
    with eselog.open_log_chain(srum_dir) as chain:
        info = chain.info
        gens = chain.generations()
        recs = list(chain.records())
        redo = list(chain.records("redo"))
    assert info["base"] == "SRU" and (info["first_generation"], info["last_generation"]) == (89, 92)
    assert info["transitions"] == 3 and info["transitions_ok"] == 3 and info["missing_generation"] == 0
    assert [g["file"] for g in gens] == ["SRU00059.log", "SRU0005A.log", "SRU0005B.log", "SRU.log"]
    assert [g["prev_gen_linked"] for g in gens] == [None, True, True, True]
    assert [g["checksum_linked"] for g in gens] == [None, True, True, True]
    assert info["end"] == (92, 10, 0) and info["error"] == ""
    # checkpoint: both copies valid and equal, (92,8,0), no attach info -> faked to (92,1,0)
    assert info["checkpoint"] == (92, 8, 0) and info["checkpoint_copies_valid"] == (True, True)
    assert info["checkpoint_copies_equal"] is True and info["checkpoint_fake"] is True
    assert info["redo_start"] == (92, 1, 0)
    (att,) = info["attached"]
    assert att["lgpos_attach"] == (91, 14, 616) and att["lgpos_consistent"] == (91, 12, 2838)
    assert len(recs) == 688 + 584 + 466 + 21
    assert len(redo) == 21 and redo[0]["lgpos"] == (92, 1, 0)


def test_checkpoint_copies(logs):
    edit(logs / "SRU.chk", lambda d: d.__setitem__(SEC + 100, d[SEC + 100] ^ 0x40))  # the second copy
    with eselog.open_log_chain(logs) as chain:
        info = chain.info
    assert info["checkpoint_copies_valid"] == (True, False) and info["checkpoint_copies_equal"] is False
    assert info["checkpoint"] == (92, 8, 0) and info["redo_start"] == (92, 1, 0)


def test_checkpoint_of_another_log_set_refused(logs):
    def resign(d):
        for base in (0, SEC):
            d[base + 20] ^= 0x01  # signLog random
            fix_header(memoryview(d)[base:base + SEC])
    edit(logs / "SRU.chk", resign)
    with pytest.raises(errors.BadCheckpointSignature, match=r"SRU\.chk"):
        eselog.open_log_chain(logs)


def test_chain_from_checkpoint_generation(srum_dir):
    with eselog.open_log_chain(srum_dir, first_generation=-1) as chain:
        assert (chain.info["first_generation"], chain.info["last_generation"]) == (92, 92)
        assert len(list(chain.records())) == 21


def test_chain_with_the_database(srum_dir):
    with eselog.open_log_chain(srum_dir, database=os.path.join(srum_dir, "SRUDB.dat")) as chain:
        assert chain.info["sign_log"]["random"] == 0x25894C02


def test_logs_of_another_database_refused(srum_dir):
    # the esentutl /p copy has a new (zero) log signature: these logs are not its logs
    with pytest.raises(errors.BadLogSignature, match="another database"):
        eselog.open_log_chain(srum_dir, database=os.path.join(srum_dir, "SRUDB.repaired-by-esentutl-p.dat"))


def test_generation_of_another_log_set_refused(logs):
    def resign(d):
        d[44] ^= 0x5A  # signLog random
        fix_header(d)
    edit(logs / "SRU0005A.log", resign)
    with pytest.raises(errors.BadLogSignature, match=r"SRU0005A\.log \(generation 90\)"):
        eselog.open_log_chain(logs)
    with eselog.open_log_chain(logs, inspect=True) as chain:
        assert [g["sign_matches"] for g in chain.generations()] == [True, False, True, True]
        assert chain.info["transitions_ok"] == 1


def test_missing_generation_named(logs):
    os.remove(logs / "SRU0005A.log")
    with pytest.raises(errors.MissingLogFile, match=r"generation 90 \(SRU0005A\.log\) is missing"):
        eselog.open_log_chain(logs)
    with eselog.open_log_chain(logs, inspect=True) as chain:
        assert chain.info["missing_generation"] == 90
        with pytest.raises(errors.MissingLogFile):
            list(chain.records())
    # from the generation after the gap the chain is whole
    with eselog.open_log_chain(logs, first_generation=91) as chain:
        assert chain.info["transitions_ok"] == 1


def test_previous_generation_time_checked(logs):
    def retime(d):
        d[24] ^= 1  # tmPrevGen seconds
        fix_header(d)
    edit(logs / "SRU0005B.log", retime)
    with pytest.raises(errors.InvalidLogSequence, match=r"SRU0005B\.log \(generation 91\)"):
        eselog.open_log_chain(logs)


def test_accumulated_checksum_checked(logs):
    def rechk(d):
        d[653] ^= 0x10  # checksumPrevLogAllSegments
        fix_header(d)
    edit(logs / "SRU.log", rechk)
    with pytest.raises(errors.LogSequenceChecksumMismatch, match="generation 91"):
        eselog.open_log_chain(logs)


# ---- damage ----

@pytest.mark.parametrize("isec,ib,bit", [(5, 100, 0), (5, 4095, 7), (1, 40, 3), (14, 2000, 5), (9, 9, 1)])
def test_single_bit_flip_corrected_and_reported(srum_dir, logs, isec, ib, bit):
    path = logs / "SRU00059.log"
    before = hashlib.sha256(open(path, "rb").read()).hexdigest()
    edit(path, lambda d: d.__setitem__(isec * SEC + ib, d[isec * SEC + ib] ^ (1 << bit)))
    flipped = hashlib.sha256(open(path, "rb").read()).hexdigest()
    with eselog.open_log(os.path.join(srum_dir, "SRU00059.log")) as good, eselog.open_log(path) as lf:
        assert list(lf.records()) == list(good.records())
        info = lf.info
        seg = lf.segments()[isec - 1]
    assert info["corrected_segments"] == 1 and info["integrity_error"] == 0 and info["end"] == (89, 15, 0)
    assert seg["status"] == "corrected" and seg["corrected_bit"] == ib * 8 + bit
    assert info["checksum_all_segments"] == 0x5A8F5A8FEF0D9509
    # the repair is in memory only; the chain still links
    assert hashlib.sha256(open(path, "rb").read()).hexdigest() == flipped != before
    with eselog.open_log_chain(logs) as chain:
        assert chain.info["transitions_ok"] == 3
        assert chain.generations()[0]["info"]["corrected_segments"] == 1
    # without correction the same flip is damage (segment 14 has a shadow copy in sector 15,
    # the trace of the last partial write, which then stands in for it)
    with eselog.open_log(path, correct=False) as lf:
        if isec == 14:
            assert lf.info["end_kind"] == "shadow" and lf.info["patched_segments"] == 1
        else:
            assert lf.info["end_kind"] == "damaged" and lf.info["end"] == (89, isec, 0)


def test_two_bit_flips_refused_as_damaged(logs):
    path = logs / "SRU00059.log"

    def flip2(d):
        d[5 * SEC + 100] ^= 0x01
        d[5 * SEC + 3000] ^= 0x10
    edit(path, flip2)
    with eselog.open_log(path) as lf:
        info = lf.info
        assert info["end_kind"] == "damaged" and info["end"] == (89, 5, 0)
        assert info["integrity_error"] == errors.LogFileCorrupt.code and "segment 5 is damaged" in info["error"]
        assert lf.segments()[4]["status"] == "damaged"
        got = []
        with pytest.raises(errors.LogFileCorrupt, match="segment 5 is damaged"):
            for r in lf.records():
                got.append(r)
        assert got and all(r["lgpos"] < (89, 5, 0) for r in got)
    with pytest.raises(errors.LogFileCorrupt, match=r"SRU00059\.log"):
        eselog.open_log_chain(logs)


def test_truncated_file_refused(logs):
    path = logs / "SRU.log"
    data = open(path, "rb").read()
    open(path, "wb").write(data[:10 * SEC])
    with pytest.raises(errors.LogFileSizeMismatch):
        eselog.open_log(path)
    with pytest.raises(errors.LogFileSizeMismatch, match=r"SRU\.log"):
        eselog.open_log_chain(logs)


def test_data_cut_short_by_zeros(logs):
    path = logs / "SRU.log"
    edit(path, lambda d: d.__setitem__(slice(7 * SEC, 10 * SEC), bytes(3 * SEC)))
    with eselog.open_log(path) as lf:
        recs = list(lf.records())
        info = lf.info
    assert info["end_kind"] == "zero" and info["end"] == (92, 7, 0)
    assert recs[-1]["lgpos"] < (92, 7, 0) and recs[-1]["type"] == "NOP2"
    assert types(recs).count("AttachDB") == 2


def test_log_ending_with_term_closed_normally(logs):
    edit(logs / "SRU.log", lambda d: d.__setitem__(slice(9 * SEC, 16 * SEC), bytes(7 * SEC)))
    with eselog.open_log(logs / "SRU.log") as lf:
        recs = list(lf.records())
        info = lf.info
    assert recs[-1]["type"] == "Term2" and recs[-1]["lgpos"] == (92, 8, 0)
    assert info["closed_normally"] is True and info["end"] == (92, 9, 0)


def test_stale_segment_ends_the_data(logs, srum_dir):
    old = open(os.path.join(srum_dir, "SRU00059.log"), "rb").read()
    edit(logs / "SRU.log", lambda d: d.__setitem__(slice(8 * SEC, 9 * SEC), old[8 * SEC:9 * SEC]))
    with eselog.open_log(logs / "SRU.log") as lf:
        info = lf.info
        assert [s["status"] for s in lf.segments()][7] == "stale"
        assert len(list(lf.records())) == 17
    assert info["end_kind"] == "stale" and info["end"] == (92, 8, 0)


def test_shadow_segment(logs):
    # a copy of segment 9 at sector 10 (as written after a partial flush) is a shadow: the end
    edit(logs / "SRU.log", lambda d: d.__setitem__(slice(10 * SEC, 11 * SEC), d[9 * SEC:10 * SEC]))
    with eselog.open_log(logs / "SRU.log") as lf:
        assert lf.info["end_kind"] == "shadow" and lf.info["end"] == (92, 10, 0)
        assert lf.segments()[9]["status"] == "shadow"
        assert len(list(lf.records())) == 21


def test_torn_segment_replaced_by_its_shadow(logs):
    def tear(d):
        d[10 * SEC:11 * SEC] = d[9 * SEC:10 * SEC]  # the shadow
        d[9 * SEC + 1000:9 * SEC + 1100] = bytes(range(7, 107))  # then segment 9 torn
    edit(logs / "SRU.log", tear)
    with eselog.open_log(logs / "SRU.log") as lf:
        info = lf.info
        assert lf.segments()[8]["status"] == "patched"
        assert len(list(lf.records())) == 21
    assert info["patched_segments"] == 1 and info["end"] == (92, 10, 0) and info["integrity_error"] == 0


def test_valid_segment_after_the_end_is_corruption(logs):
    def hole(d):
        d[5 * SEC:6 * SEC] = bytes(SEC)
    edit(logs / "SRU.log", hole)
    with eselog.open_log(logs / "SRU.log") as lf:
        info = lf.info
    assert info["end"] == (92, 5, 0)
    assert info["integrity_error"] == errors.LogFileCorrupt.code and "after the end of data" in info["error"]


@pytest.mark.parametrize("lrtyp,why", [(120, r"record type 120 at \(92,1,0\) is unknown"),
                                       (47, r"record type 47 \(UpgradeDB\) at \(92,1,0\) is obsolete"),
                                       (27, r"record type 27 \(Split\) at \(92,1,0\) is of the pre-format-8")])
def test_unknown_record_type_refused_by_name(logs, lrtyp, why):
    def retype(d):
        d[1 * SEC + 40] = lrtyp  # the SetDbVersion at (92,1,0)
        fix_segment(d, 1)
    edit(logs / "SRU.log", retype)
    with eselog.open_log(logs / "SRU.log") as lf:
        assert lf.info["corrected_segments"] == 0 and lf.info["integrity_error"] == 0
        with pytest.raises(errors.LogCorrupted, match=why):
            list(lf.records())
        assert eselog.lrtyp_name(lrtyp) == (None if lrtyp >= 102 else eselog.lrtyp_name(lrtyp))


def test_broken_fragment_refused(logs, srum_dir):
    path = logs / "SRU00059.log"
    with eselog.open_log(path) as lf:
        frag = next(r for r in lf.records() if "fragments" in r)
    g, isec, ib = frag["lgpos"]

    def cut(d):
        nxt = (isec + 1) * SEC + 40
        assert d[nxt] == 77  # Fragment
        d[nxt] = 0x05        # a Begin where the continuation should be
        fix_segment(d, isec + 1)
    edit(path, cut)
    with eselog.open_log(path) as lf:
        with pytest.raises(errors.LogCorrupted, match=rf"fragmented record at \({g},{isec},{ib}\)"):
            list(lf.records())


def test_record_names():
    assert eselog.lrtyp_name(29) == "Insert" and eselog.lrtyp_name(50) == "Term2"
    assert eselog.lrtyp_name(101) == "ExtentFreed2" and eselog.lrtyp_name(102) is None


# ---- CLI ----

def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "esepy", *args], capture_output=True, text=True)


def test_cli_dump_log_records(srum_dir):
    p = run_cli("dump", "log", os.path.join(srum_dir, "SRU.log"), "--records")
    assert p.returncode == 0, p.stderr
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("  (92,")]
    assert len(lines) == 21
    assert "AttachDB" in lines[5] and "lgpos_consistent=(92,1,54)" in lines[5]
    assert "end of data (92,10,0) (zero)" in p.stdout
    import json
    p = run_cli("dump", "log", os.path.join(srum_dir, "SRU.log"), "--records", "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["counts"] == {"NOP2": 6, "SetDbVersion": 3, "ShutDownMark": 3, "Term2": 3, "Init2": 3, "AttachDB": 3}
    recs = doc["files"][0]["records"]
    assert recs[5]["type"] == "AttachDB" and recs[5]["lgpos"] == [92, 3, 616]


def test_cli_dump_log_folder_records(srum_dir):
    import json
    p = run_cli("dump", "log", srum_dir, "--records", "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert [len(f["records"]) for f in doc["files"]] == [688, 584, 466, 21]
    assert doc["chain"]["transitions_ok"] == 3


def test_cli_dump_log_damaged_refused(logs):
    edit(logs / "SRU.log", lambda d: (d.__setitem__(3 * SEC + 50, d[3 * SEC + 50] ^ 1),
                                      d.__setitem__(3 * SEC + 900, d[3 * SEC + 900] ^ 4)))
    p = run_cli("dump", "log", str(logs / "SRU.log"), "--records")
    assert p.returncode != 0
    assert "segment 3 is damaged" in p.stdout + p.stderr


# ---- fuzz safety: random mutations never crash the reader ----

READER = textwrap.dedent('''
    import sys
    from esepy import errors, eselog
    out = []
    for path in sys.argv[1:]:
        try:
            with eselog.open_log(path) as lf:
                n = sum(1 for _ in lf.records())
                lf.segments()
                out.append("ok%d" % n)
        except errors.JetError as e:
            out.append(type(e).__name__)
    print(" ".join(out))
''')


def test_random_mutations_never_crash(srum_dir, tmp_path):
    rng = random.Random(1307)
    paths = []
    for i in range(48):
        src = GENS[89 + i % 4]
        d = bytearray(open(os.path.join(srum_dir, src), "rb").read())
        kind = i % 6
        if kind == 0:      # flip bits anywhere
            for _ in range(rng.randint(1, 24)):
                j = rng.randrange(len(d))
                d[j] ^= 1 << rng.randrange(8)
        elif kind == 1:    # scribble inside a segment and re-stamp its checksum: the walk meets nonsense
            isec = rng.randrange(1, 15)
            for _ in range(rng.randint(1, 12)):
                d[isec * SEC + rng.randrange(40, SEC)] = rng.randrange(256)
            fix_segment(d, isec)
        elif kind == 2:    # truncate
            d = d[:rng.randrange(len(d))]
        elif kind == 3:    # zero a run of sectors
            a = rng.randrange(1, 16)
            d[a * SEC:(a + rng.randint(1, 4)) * SEC] = bytes(len(d[a * SEC:(a + rng.randint(1, 4)) * SEC]))
        elif kind == 4:    # huge lengths in record fields, re-stamped
            isec = rng.randrange(1, 15)
            for _ in range(6):
                j = isec * SEC + rng.randrange(40, SEC - 2)
                d[j:j + 2] = b"\xff\xff"
            fix_segment(d, isec)
        else:              # swap two sectors
            a, b = rng.randrange(1, 16), rng.randrange(1, 16)
            sa, sb = bytes(d[a * SEC:(a + 1) * SEC]), bytes(d[b * SEC:(b + 1) * SEC])
            d[a * SEC:(a + 1) * SEC], d[b * SEC:(b + 1) * SEC] = sb, sa
        p = tmp_path / f"m{i}.log"
        p.write_bytes(bytes(d))
        paths.append(str(p))
    proc = subprocess.run([sys.executable, "-c", READER, *paths], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = proc.stdout.split()
    assert len(results) == len(paths)
    allowed = {"LogCorrupted", "LogFileCorrupt", "LogFileSizeMismatch", "FileInvalidType", "BadLogVersion"}
    assert all(r.startswith("ok") or r in allowed for r in results), results
