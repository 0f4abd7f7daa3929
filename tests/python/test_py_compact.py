"""Database.compact / Session.compact (JetCompact) and Database.grow through the Python API."""
from __future__ import annotations

import os
import threading

import pytest

import esepy
from esepy import errors


def make_instance(tmp_path, name="cmp"):
    return esepy.Instance(name, system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                          temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                          log_file_size_kb=256)


def fill(s, path, n=200):
    db = s.create_database(path)
    t = db.create_table("kv", {"k": "long", "v": "text", "big": "longbinary"}, primary_key=["k"])
    with s.transaction():
        for k in range(n):
            t.insert({"k": k, "v": f"v{k}", "big": bytes([k % 256]) * 20000})
    with s.transaction():
        for k in range(n):
            if k % 10:
                t.delete(k)
    t.close()
    return db


def test_database_compact_copies_and_reports_progress(tmp_path):
    src, dest = str(tmp_path / "a.edb"), str(tmp_path / "b.edb")
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = fill(s, src)
        calls = []
        db.compact(dest, progress=lambda done, total: calls.append((done, total)))
        assert calls and calls[-1] == (20, 20)
        assert [c[0] for c in calls] == sorted(c[0] for c in calls)
        with db.open_table("kv") as t:
            want = list(t)
        assert len(want) == 20
        db.close()
        s.detach_database(src)
        new = s.attach_database(dest)
        with new.open_table("kv") as t:
            assert list(t) == want
        assert os.path.getsize(dest) < os.path.getsize(src)


def test_compact_callback_exception_cancels(tmp_path):
    src, dest = str(tmp_path / "a.edb"), str(tmp_path / "b.edb")

    class Stop(Exception):
        pass

    def progress(done, total):
        raise Stop(done)

    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        fill(s, src, n=20).close()
        s.detach_database(src)
        with pytest.raises(Stop):
            s.compact(src, dest, progress=progress)
        assert not os.path.exists(dest)
        assert not any(n.startswith("b.edb") for n in os.listdir(tmp_path))
        with open(dest, "wb") as f:
            f.write(b"x")
        with pytest.raises(errors.DatabaseDuplicate):
            s.compact(src, dest)
        assert open(dest, "rb").read() == b"x"


def test_compact_progress_on_calling_thread(tmp_path):
    """The progress callback runs on the thread that called compact (the
    engine, which runs without the GIL, takes it back for the call)."""
    src, dest = str(tmp_path / "a.edb"), str(tmp_path / "b.edb")
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        fill(s, src, n=50).close()
        seen = []
        s.compact(src, dest, progress=lambda d, t: seen.append(threading.get_ident()))
        assert set(seen) == {threading.get_ident()}


def test_grow(tmp_path):
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "a.edb"))
        before = db.grow(0)
        assert db.grow(before + 50) == before + 50
        assert db.grow(1) == before + 50
