"""How tests/data/esepy/main_lv960.tar.gz was made (lv20, issue 20): run with the esepy of
commit 46f0463 (long-value chunks of 960 bytes on 4 KiB pages; lv.c now writes new values in
chunks of bt_node_max - 12 = 990 bytes, the size each value's root records) as
``python main_lv960.py FOLDER``, then the reserve logs removed and
``tar --sort=name -cf - edb.chk edb.log lv.edb | gzip -9n``.
Table "t" (id long, body longbinary): rows 0..5 with value(id), sizes SIZES; clean stop."""
import os, sys, shutil
import esepy

SIZES = [0, 1, 959, 960, 961, 100 * 1024]


def value(i, n):
    return bytes((i * 31 + j * 7 + j // 960) % 251 for j in range(n))


if __name__ == "__main__":
    root = sys.argv[1]
    shutil.rmtree(root, ignore_errors=True)
    p = dict(system_path=root + "/", log_path=root + "/", temp_path=root + "/tmp.edb",
             create_path_if_not_exist=True, log_file_size_kb=1024, circular_log=True)
    with esepy.Instance("old", **p) as inst:
        s = inst.begin_session()
        db = s.create_database(os.path.join(root, "lv.edb"))
        t = db.create_table("t", {"id": "long", "body": "longbinary"}, primary_key=["id"])
        with s.transaction():
            for i, n in enumerate(SIZES):
                t.insert({"id": i, "body": value(i, n)})
        t.close()
        db.close()
        s.end()
