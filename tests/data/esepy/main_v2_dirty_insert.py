"""How tests/data/esepy/main_v2_dirty_insert.tar.gz was made (log20, issue 20): run with the
esepy of commit 6f59edc (log format 2 before PAGEDIFF / INSERTU records) as
``python main_v2_dirty_insert.py FOLDER``, then the reserve logs removed and
``tar --sort=name -cf - edb.chk edb.log edb00001.log old.edb | gzip -9n``.
400 committed rows (k, k % 251 repeated 100 times) and row 400 = b"last";
rows 1000..1299 inserted by a transaction that never committed; dirty stop."""
import os, sys, shutil
import esepy
from esepy import errors
root = sys.argv[1]
shutil.rmtree(root, ignore_errors=True)
p = dict(system_path=root + "/", log_path=root + "/", temp_path=root + "/tmp.edb",
         create_path_if_not_exist=True, log_file_size_kb=128, circular_log=True)
inst = esepy.Instance("old", **p)
inst.init()
s = inst.begin_session()
path = os.path.join(root, "old.edb")
db = s.create_database(path)
s.begin_transaction()
t = db.create_table("kv", {"k": "long", "v": "binary"}, primary_key=["k"])
s.commit()
for b in range(0, 400, 100):
    s.begin_transaction()
    for k in range(b, b + 100):
        t.insert({"k": k, "v": bytes([k % 251]) * 100})
    s.commit()
s2 = inst.begin_session()
t2 = s2.open_database(path).open_table("kv")
s2.begin_transaction()
for k in range(1000, 1300):
    t2.insert({"k": k, "v": b"u" * 100})
s.begin_transaction()
t.insert({"k": 400, "v": b"last"})
s.commit()
try:
    inst.term(grbit=esepy.TERM_DIRTY)
except errors.DirtyShutdown:
    pass
print(esepy.__file__)
