"""Regenerate the seed files of tests/fuzz/corpus/ (seed-*; the crash inputs
found while fuzzing, crash-*, and the coverage-adding inputs kept from runs,
cov-*, are left as they are).

    python tests/fuzz/make_seeds.py [SAMPLES_FOLDER]

Seeds come from two places: the Windows ESE sample files (default
$ESEPY_SAMPLES, else the repository's tests/data/ese materialised by
tests/sampledata.py), cut to their first pages so the
corpus stays small, and files the engine writes (a database with a few
records and a long value, its log, checkpoint and a backup set), made in a
temporary folder with 4 KiB pages and 128 KiB logs.
"""
import gzip
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def _put(target: str, name: str, data: bytes) -> None:
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"seed-{name}"), "wb") as f:
        f.write(data)


def _sample(samples: str, name: str) -> bytes:
    p = os.path.join(samples, name)
    if os.path.exists(p):
        with open(p, "rb") as f:
            return f.read()
    with gzip.open(p + ".gz", "rb") as f:
        return f.read()


def _trim_zero_tail(b: bytes, unit: int) -> bytes:
    n = len(b)
    while n >= unit and not any(b[n - unit:n]):
        n -= unit
    return b[:n]


def windows_seeds(samples: str) -> None:
    for name, cb, pages in [("dissect_binary_4k.edb", 4096, 36), ("stroz_decompress_7bit_8k.edb", 8192, 34),
                            ("qmgr_win11_24h2_16k.db", 16384, 8)]:
        b = _sample(samples, name)
        _put("esefmt_db", name, b[:pages * cb])
    _put("esefmt_db", "header-only", _sample(samples, "dissect_text_4k.edb")[:2 * 4096])
    srum = os.path.join(samples, "srum_win11_dirty")
    with open(os.path.join(srum, "SRU00059.log"), "rb") as f:
        _put("esefmt_log", "SRU00059.log", _trim_zero_tail(f.read(), 512))
    with open(os.path.join(srum, "SRU.chk"), "rb") as f:
        _put("esefmt_log", "SRU.chk", f.read())
    with open(os.path.join(srum, "SRUres00001.jrs"), "rb") as f:
        _put("esefmt_log", "SRUres00001.jrs", f.read(4096))
    # ese_log_records: the first byte is the harness's mode (bit 0: re-stamp the
    # segment checksums and csecLGFile of a cut file; bit 1: no ECC correction)
    with open(os.path.join(srum, "SRU.log"), "rb") as f:
        _put("ese_log_records", "SRU.log", b"\x00" + f.read())                 # whole (64 KiB): valid as is
    for name, cb, mode in [("SRU.log", 40960, 1), ("SRU00059.log", 32768, 1), ("SRU0005A.log", 16384, 3),
                           ("SRUtmp.log", 20480, 1)]:
        with open(os.path.join(srum, name), "rb") as f:
            _put("ese_log_records", f"{name}-{cb // 1024}k-mode{mode}", bytes([mode]) + f.read(cb))
    # ese_recover: mode byte, le32 size + database, [le32 size + checkpoint], log (fuzz_ese_recover.c)
    db = _sample(samples, os.path.join("srum_win11_dirty", "SRUDB.dat"))[:8 * 4096]
    with open(os.path.join(srum, "SRU.chk"), "rb") as f:
        chk = f.read()
    with open(os.path.join(srum, "SRU.log"), "rb") as f:
        log = f.read()
    size = len(db).to_bytes(4, "little")
    _put("ese_recover", "SRUDB-8pages-SRU.chk-SRU.log", b"\x02" + size + db + len(chk).to_bytes(4, "little") + chk + log)
    _put("ese_recover", "SRUDB-8pages-SRU.log-40k-restamped", b"\x01" + size + db + log[:40960])


def engine_seeds() -> None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
    import esepy
    tmp = tempfile.mkdtemp(prefix="esepy-seeds-")
    try:
        sysdir, logdir = os.path.join(tmp, "sys"), os.path.join(tmp, "logs")
        dbpath = os.path.join(tmp, "app.edb")
        with esepy.Instance("seeds", database_page_size=4096, db_extension_size=8, system_path=sysdir + "/", log_path=logdir + "/",
                            log_file_size_kb=128, create_path_if_not_exist=True) as inst:
            with inst.begin_session() as s:
                db = s.create_database(dbpath)
                t = db.create_table("people", {"id": "long", "name": "text", "note": "longtext"},
                                    primary_key=["id"])
                with s.transaction():
                    for i in range(120):
                        t.insert({"id": i, "name": f"name {i}" * (i % 7 + 1),
                                  "note": ("long value " * 500) if i % 40 == 0 else None})
                with s.transaction():
                    for i in range(0, 120, 3):
                        t.delete(i)
            inst.backup(os.path.join(tmp, "backup"))
        with open(dbpath, "rb") as f:
            b = f.read()
        cb = int.from_bytes(b[12:16], "little")
        for pgno in range(1, len(b) // cb - 1):
            page = b[(pgno + 1) * cb:(pgno + 2) * cb]
            if any(page) and pgno <= 12:
                _put("btree_page", f"esepy-page{pgno}", page)
        _put("btree_page", "esepy-blank", bytes(4096))
        _put("inspect", "esepy-app.edb-8pages", b[:8 * cb])
        for pgno in (1, 2, 3, 4):
            _put("inspect", f"esepy-page{pgno}", b[(pgno + 1) * cb:(pgno + 2) * cb])
        for name in sorted(os.listdir(logdir)):
            if name.endswith(".log") and not name.endswith("tmp.log"):
                with open(os.path.join(logdir, name), "rb") as f:
                    data = _trim_zero_tail(f.read(), 512)
                    _put("log_reader", "esepy-" + name, data)
                    if len(data) <= 32768:  # keep the corpus small
                        _put("inspect", "esepy-" + name, data)
        for folder in (sysdir, logdir):
            for name in os.listdir(folder):
                if name.endswith(".chk"):
                    with open(os.path.join(folder, name), "rb") as f:
                        data = f.read()
                        _put("log_checkpoint", "esepy-" + name, data)
                        _put("inspect", "esepy-" + name, data)
        bk = os.path.join(tmp, "backup")
        for dp, _, files in os.walk(bk):
            for name in files:
                if name.endswith(".edb"):
                    with open(os.path.join(dp, name), "rb") as f:
                        _put("backup_set", "esepy-" + name, f.read())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _samples_folder() -> str:
    """The Windows samples: $ESEPY_SAMPLES, else the repository's own (tests/data)."""
    if os.environ.get("ESEPY_SAMPLES"):
        return os.environ["ESEPY_SAMPLES"]
    sys.path.insert(0, os.path.dirname(HERE))
    import sampledata
    return sampledata.materialize(tempfile.mkdtemp(prefix="esepy-samples-"))


if __name__ == "__main__":
    windows_seeds(sys.argv[1] if len(sys.argv) > 1 else _samples_folder())
    engine_seeds()
