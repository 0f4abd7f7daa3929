"""esepy.ProgressBar: the one progress helper of the CLI, the demo and scripts."""
import io

import esepy


def test_backup_reports_become_bytes_with_units(tmp_path):
    f = io.StringIO()
    folder = str(tmp_path) + "/"
    with esepy.Instance("pb", system_path=folder, log_path=folder) as inst:
        with inst.begin_session() as s:
            db = s.create_database(folder + "a.edb")
            t = db.create_table("t", {"id": "long", "v": "longbinary"}, primary_key=["id"])
            with s.transaction():
                for i in range(20):
                    t.insert({"id": i, "v": bytes(20000)})
            t.close()
            db.close()
        reports = []
        with esepy.ProgressBar("backup", unit="B", scale=1024, file=f) as bar:
            def progress(p):
                reports.append(p)
                bar(p)
            (tmp_path / "bk").mkdir()
            inst.backup(tmp_path / "bk", progress=progress)
    last = reports[-1]
    assert last.stage == "complete" and last.done_bytes == last.done * 1024 == last.total_bytes
    assert bar.done == last.done_bytes and bar.total == last.total_bytes
    text = f.getvalue()
    assert "100%" in text and ("kB/" in text or "MB/" in text)  # bytes with units, not a bare count


def test_a_disabled_bar_counts_silently():
    f = io.StringIO()
    bar = esepy.ProgressBar("pages", total=10, unit="page", file=f, enabled=False)
    bar.update(3)
    bar.update(2)  # never goes back
    bar.update(10, 12)
    bar.close()
    assert (bar.done, bar.total, bar.updates) == (10, 12, 3)
    assert f.getvalue() == ""
