"""A Hypothesis state machine over the full record model: random insert /
replace / delete / set-long-value / add-index / commit / rollback /
crash-and-recover steps run against esepy and against a plain Python model, and
after every step every record, every long value and every secondary index is
checked against the model.

Commits are durable, so a crash (JET_bitTermDirty, then crash recovery at the
next init) keeps exactly the committed state and loses the open transaction."""
from __future__ import annotations

import os
import shutil
import tempfile
import warnings

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import esepy
from esepy import errors

KEYS = st.integers(min_value=0, max_value=40)
NAMES = st.text(alphabet="abcxyz", min_size=0, max_size=6)
SIZES = st.sampled_from([0, 10, 2000, 9000, 40000])  # in the record and out of it (long-value tree)
INDEXES = {"by_name": ["name", "id"], "by_tag": ["-tag", "id"], "by_name_tag": ["name", "tag", "id"]}


def blob(k, n):
    return bytes((k * 31 + i) & 0xFF for i in range(n))


class RecordModel(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.root = tempfile.mkdtemp(prefix="esepy-sm-")
        self.committed = {}      # id -> (name, tag, size)
        self.pending = None      # working copy inside a transaction, else None
        self.indexes = []        # index names created (committed: DDL here is outside transactions)
        self.inst = None
        self._open(create=True)

    # ---- engine plumbing -------------------------------------------------------------------

    def _kw(self):
        return dict(system_path=self.root + "/", log_path=self.root + "/", temp_path=self.root + "/tmp.edb",
                    log_file_size_kb=256)

    def _open(self, create=False):
        self.inst = esepy.Instance("sm", **self._kw())
        self.inst.init()
        self.s = self.inst.begin_session()
        path = self.root + "/sm.edb"
        if create:
            db = self.s.create_database(path)
            self.t = db.create_table("t", {"id": "long", "name": "text", "tag": "long", "body": "longbinary"},
                                     primary_key=["id"])
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", esepy.JetWarning)
                self.s.attach_database(path)
            self.t = self.s.open_database(path).open_table("t")

    def teardown(self):
        try:
            if self.inst is not None:
                self.inst.term()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def view(self):
        return self.pending if self.pending is not None else self.committed

    # ---- rules ----------------------------------------------------------------------------------

    @rule(k=KEYS, name=NAMES, tag=KEYS, size=SIZES)
    def insert(self, k, name, tag, size):
        if k in self.view:
            with pytest.raises(errors.KeyDuplicate):
                self.t.insert({"id": k, "name": name, "tag": tag, "body": blob(k, size)})
            return
        self.t.insert({"id": k, "name": name, "tag": tag, "body": blob(k, size)})
        self._write(k, (name, tag, size))

    @rule(k=KEYS, name=NAMES, size=SIZES)
    def replace(self, k, name, size):
        if self.t.seek(k) is None:
            assert k not in self.view
            return
        old = self.view[k]
        self.t.update_current({"name": name, "body": blob(k, size)})
        self._write(k, (name, old[1], size))

    @rule(k=KEYS)
    def delete(self, k):
        if self.t.seek(k) is None:
            assert k not in self.view
            return
        self.t.delete_current()
        self._write(k, None)

    @rule(k=KEYS, size=SIZES)
    def set_long_value(self, k, size):
        if self.t.seek(k) is None:
            return
        old = self.view[k]
        self.t.update_current({"body": blob(k + 1, size)})
        self._write(k, (old[0], old[1], -size - 1))  # -size-1 marks the blob(k + 1, ...) variant

    @precondition(lambda self: self.pending is None)
    @rule(name=st.sampled_from(sorted(INDEXES)))
    def add_index(self, name):
        if name in self.indexes:
            return
        self.t.create_index(name, INDEXES[name])
        self.indexes.append(name)

    @precondition(lambda self: self.pending is None)
    @rule()
    def begin(self):
        self.s.begin_transaction()
        self.pending = dict(self.committed)

    @precondition(lambda self: self.pending is not None)
    @rule()
    def commit(self):
        self.s.commit()
        self.committed, self.pending = self.pending, None

    @precondition(lambda self: self.pending is not None)
    @rule()
    def rollback(self):
        self.s.rollback()
        self.pending = None

    @rule()
    def crash_and_recover(self):
        with pytest.raises(errors.DirtyShutdown):
            self.inst.term(grbit=esepy.TERM_DIRTY)
        self.inst = None
        self.pending = None  # the open transaction never committed
        self._open()

    def _write(self, k, value):
        target = self.pending if self.pending is not None else self.committed
        if value is None:
            target.pop(k, None)
        else:
            target[k] = value

    # ---- checks ---------------------------------------------------------------------------------

    @invariant()
    def records_and_long_values_match(self):
        got = {}
        for r in self.t:
            got[r["id"]] = r
        assert sorted(got) == sorted(self.view)
        for k, (name, tag, size) in self.view.items():
            r = got[k]
            assert r["name"] == name and r["tag"] == tag
            body = blob(k + 1, -size - 1) if size < 0 else blob(k, size)
            assert (r["body"] or b"") == body

    @invariant()
    def indexes_match(self):
        for name in self.indexes:
            cols = INDEXES[name]
            rows = [(r["id"]) for r in self.t.range(index=name)]
            model = sorted(self.view.items(), key=lambda kv: tuple(
                (-kv[1][1] if c == "-tag" else kv[1][1]) if c in ("tag", "-tag") else
                (kv[1][0].lower() if c == "name" else kv[0]) for c in cols))
            assert rows == [k for k, _ in model], name
            assert self.t.count(index=name) == len(self.view)


TestRecordModel = RecordModel.TestCase
TestRecordModel.settings = settings(max_examples=int(os.environ.get("ESEPY_SM_EXAMPLES", "25")),
                                    stateful_step_count=30, deadline=None,
                                    suppress_health_check=[HealthCheck.too_slow])
