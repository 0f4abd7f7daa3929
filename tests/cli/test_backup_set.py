"""Read-only inspection of backup sets (esepy.inspection.read_backup_set) and
its Jupyter display: what restore would accept, said without writing a byte."""
import hashlib
import os

import pytest
from textfields import text_fields

import esepy
from esepy import errors, inspection


def digest(folder):
    return {n: hashlib.sha256(open(os.path.join(folder, n), "rb").read()).hexdigest()
            for n in sorted(os.listdir(folder)) if os.path.isfile(os.path.join(folder, n))}


@pytest.fixture
def backup_set(tmp_path):
    live = str(tmp_path / "live")
    bk = str(tmp_path / "bk")
    os.makedirs(bk)
    with esepy.Instance("bs", system_path=live + "/", log_path=live + "/", temp_path=live + "/tmp.edb",
                        create_path_if_not_exist=True) as inst, inst.begin_session() as s:
        t = s.create_database(live + "/a.edb").create_table("t", {"k": "long"}, primary_key=["k"])
        for k in range(50):
            t.insert({"k": k})
        t.close()
        inst.backup(bk)
    return bk


def test_complete_set(backup_set):
    before = digest(backup_set)
    bs = inspection.read_backup_set(backup_set)
    assert digest(backup_set) == before
    assert bs.complete and bs.problems == []
    assert [d.name for d in bs.databases] == ["a.edb"]
    d = bs.databases[0]
    assert d.has_marker and d.gen_low == bs.generations[0] and d.gen_high <= bs.generations[-1]
    assert d.pages > 0 and d.page_size == 4096 and d.mark.generation >= d.gen_low
    html = bs._repr_html_()
    assert html.startswith("<table") and "<td>a.edb</td>" in html and "<td>complete</td>" in html
    assert bs.to_dict()["complete"] is True


def test_incomplete_sets_are_explained(backup_set, tmp_path):
    os.unlink(os.path.join(backup_set, "a.pat"))
    bs = inspection.read_backup_set(backup_set)
    assert not bs.complete and any("PatchFileMissing" in p for p in bs.problems)
    with pytest.raises(errors.FileNotFound):
        inspection.read_backup_set(str(tmp_path / "nowhere"))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert any("MissingLogFile" in p for p in inspection.read_backup_set(str(empty)).problems)


def test_cli_dump_backup(backup_set, esepy_cli):
    r = esepy_cli("dump", "backup", backup_set, "--json")
    assert r.code == 0 and r.json["complete"] is True and r.json["databases"][0]["name"] == "a.edb", r
    r = esepy_cli("dump", "backup", backup_set)
    assert r.code == 0 and text_fields(r.out)["Complete"] == "yes", r
    os.unlink(os.path.join(backup_set, "a.pat"))
    r = esepy_cli("dump", "backup", backup_set)
    assert r.code == 1 and "JET_errPatchFileMissing" in r.err and "problem:" in r.out, r


def test_integrity_verifies_secondary_indexes(tmp_path, esepy_cli):
    live = str(tmp_path / "ix")
    with esepy.Instance("ix", system_path=live + "/", log_path=live + "/", temp_path=live + "/tmp.edb",
                        create_path_if_not_exist=True) as inst, inst.begin_session() as s:
        t = s.create_database(live + "/i.edb").create_table("t", {"k": "long", "n": "text"}, primary_key=["k"])
        t.create_index("by_n", ["n"])
        t.create_index("by_n_sparse", ["n"], ignore_null=True)
        for k in range(200):
            t.insert({"k": k, "n": None if k % 10 == 0 else f"n{k % 37}"})
        t.close()
    r = esepy_cli("integrity", live + "/i.edb", "--json")
    assert r.code == 0 and r.json["ok"] and r.json["problems_text"] == [], r
    assert r.json["records"]["records"] == 200
    names = {t["name"] for t in r.json["trees"]}
    assert {"t", "t/by_n", "t/by_n_sparse"} <= names or any("by_n" in n for n in names), names
