"""Every datetime the Windows-file reader returns is timezone-aware with a zero
UTC offset (issue 17 item 4): DateTime column values (also inside multi-valued
lists), database / log / checkpoint header times, log folder scans and log
records."""
import datetime

import esepy
from esepy import ese, eselog

ZERO = datetime.timedelta(0)


def walk(v, path, found):
    if isinstance(v, datetime.datetime):
        found.append((path, v))
    elif isinstance(v, dict):
        for k, x in v.items():
            walk(x, f"{path}.{k}", found)
    elif isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            walk(x, f"{path}[{i}]", found)


def check(found):
    naive = [(p, v) for p, v in found if v.tzinfo is None or v.utcoffset() != ZERO]
    assert naive == []


def test_datetime_columns_and_headers_are_utc(samples):
    found = []
    for name in ("dissect_multi_4k.edb", "qmgr_win11_24h2_16k.db", "srum_win11_dirty/SRUDB.dat"):
        with esepy.open_ese(samples(name)) as db:
            walk(db.header, f"{name}:header", found)
            for t in db.tables:
                for i, r in enumerate(t):
                    walk(dict(r), f"{name}:{t.name}[{i}]", found)
    columns = [v for p, v in found if ":header" not in p]
    assert len(columns) > 1000  # SRUM's TimeStamp columns and the multi-valued DateTime sample
    assert any(p.startswith("srum_win11_dirty/SRUDB.dat:{") for p, _ in found)
    check(found)
    srum = [v for p, v in found if p.startswith("srum_win11_dirty/SRUDB.dat:{")]
    assert all(v.tzinfo is datetime.timezone.utc for v in srum)


def test_log_and_checkpoint_times_are_utc(samples):
    found = []
    folder = samples("srum_win11_dirty")
    walk(ese.read_log_header(f"{folder}/SRU.log"), "SRU.log", found)
    walk(ese.read_checkpoint(f"{folder}/SRU.chk"), "SRU.chk", found)
    walk(ese.scan_log_folder(folder), "scan", found)
    with eselog.open_log(f"{folder}/SRU0005A.log") as log:
        walk(log.segments(), "segments", found)
        walk([r for _, r in zip(range(2000), log.records())], "records", found)
    assert len(found) > 10
    check(found)


def test_logtime_without_the_utc_flag_is_aware_and_round_trips():
    t = ese._time((2010, 5, 6, 7, 8, 9, 10, 0))
    assert t.utcoffset() == ZERO and t.tzinfo is ese.LOCAL_AS_UTC
    assert eselog._sign_tuple({"random": 1, "created": t})["created"][-1] == 0
    u = ese._time((2010, 5, 6, 7, 8, 9, 10, 1))
    assert u.tzinfo is datetime.timezone.utc and u == t
    assert eselog._sign_tuple({"random": 1, "created": u})["created"][-1] == 1
