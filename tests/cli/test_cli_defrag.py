"""esepy defrag (offline compaction, like esentutl /d)."""
from __future__ import annotations

import hashlib
import os

import esepy


def make_db(folder, n=200):
    """folder/d.edb with table kv (n rows inserted, 9 in 10 deleted), cleanly shut down."""
    path = os.path.join(folder, "d.edb")
    with esepy.Instance("defrag-src", system_path=os.path.join(folder, ""), log_path=os.path.join(folder, "logs", ""),
                        temp_path=os.path.join(folder, "tmp.edb"), create_path_if_not_exist=True,
                        log_file_size_kb=256) as inst, inst.begin_session() as s:
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
        db.close()
    return path


def rows(folder, path):
    with esepy.Instance("defrag-read", system_path=os.path.join(folder, "r", ""),
                        log_path=os.path.join(folder, "r", ""), temp_path=os.path.join(folder, "r", "tmp.edb"),
                        create_path_if_not_exist=True, recovery="off") as inst, inst.begin_session() as s:
        db = s.attach_database(path, read_only=True)
        with db.open_table("kv") as t:
            return list(t)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_defrag_in_place(tmp_path, esepy_cli):
    folder = str(tmp_path)
    path = make_db(folder)
    want = rows(folder, path)
    assert len(want) == 20
    before = os.path.getsize(path)
    r = esepy_cli("defrag", path, "--json")
    assert r.code == 0, r
    assert r.json["bytes_before"] == before and r.json["bytes_after"] == os.path.getsize(path) < before
    assert rows(folder, path) == want
    assert sorted(n for n in os.listdir(folder) if n.startswith("d.edb")) == ["d.edb"]  # no temp or backup left


def test_defrag_output_leaves_source(tmp_path, esepy_cli):
    folder = str(tmp_path)
    path = make_db(folder)
    want = rows(folder, path)
    h = digest(path)
    out = str(tmp_path / "small.edb")
    r = esepy_cli("defrag", path, "--output", out)
    assert r.code == 0, r
    assert "Compacted" in r.out
    assert digest(path) == h
    assert rows(folder, out) == want
    assert os.path.getsize(out) < os.path.getsize(path)
    # an existing output is never replaced
    r = esepy_cli("defrag", path, "-o", out)
    assert r.code != 0 and "DatabaseDuplicate" in r.err


def test_defrag_dirty_database_untouched(dirty_folder, copy_of, esepy_cli):
    folder = copy_of(dirty_folder)
    path = os.path.join(folder, "w.edb")
    h = digest(path)
    r = esepy_cli("defrag", path)
    assert r.code != 0 and "DirtyShutdown" in r.err, r
    assert digest(path) == h
    assert sorted(n for n in os.listdir(folder) if n.startswith("w.edb")) == ["w.edb"]
