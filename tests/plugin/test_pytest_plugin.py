"""esepy's pytest plugin: the fixtures and the crash helper, used directly and
from a test project run by pytester (the way users meet them)."""
from __future__ import annotations

import os

import esepy
from esepy import inspection
from esepy.testing import CrashError, crash_point, run_and_kill

EXAMPLE = '''
import esepy
from esepy.testing import crash_point

def writer(folder, n):
    with esepy.Instance("w", system_path=folder + "/", log_path=folder + "/logs/",
                        create_path_if_not_exist=True) as inst, inst.begin_session() as s:
        t = s.create_database(folder + "/w.edb").create_table("t", {"k": "long"}, primary_key=["k"])
        for i in range(n):
            with s.transaction():
                t.insert({"k": i})
        crash_point("committed")
        s.begin_transaction()
        t.insert({"k": -1})
        crash_point("pending")

def test_instance(ese_instance, ese_paths):
    assert ese_instance.initialized
    assert ese_instance.get_param("log_path") == ese_paths["log_path"]

def test_database(ese_database, ese_session):
    t = ese_database.create_table("t", {"k": "long", "v": "text"}, primary_key=["k"])
    with ese_session.transaction():
        t.insert({"k": 1, "v": "one"})
    assert t.get(1) == {"k": 1, "v": "one"}

def test_crash_then_recover(crash):
    result = crash(writer, 20, at="pending")
    assert result.killed and result.markers == ["committed", "pending"]
    with esepy.Instance("r", system_path=result.folder + "/", log_path=result.folder + "/logs/") as inst:
        with inst.begin_session() as s:
            t = s.attach_database(result.folder + "/w.edb").open_table("t")
            assert [r["k"] for r in t] == list(range(20))

def test_fixtures_leave_nothing_behind():
    assert esepy.instances() == []
'''


def test_fixtures_in_a_users_project(pytester):
    pytester.makepyfile(test_user=EXAMPLE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=4)


def test_plugin_is_registered_by_entry_point(pytester):
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest_subprocess("--fixtures")
    out = result.stdout.str()
    for name in ("ese_instance", "ese_session", "ese_database", "ese_paths", "crash"):
        assert name in out, out


def test_fixtures_directly(ese_database, ese_session, ese_instance, tmp_path):
    assert ese_session.instance is ese_instance or ese_session.instance.handle == ese_instance.handle
    t = ese_database.create_table("x", {"k": "long"}, primary_key=["k"])
    with ese_session.transaction():
        t.insert({"k": 5})
    assert [r["k"] for r in t] == [5]
    t.close()
    assert ese_database.path == str(tmp_path / "ese" / "test.edb")


def _sleeper(folder, seconds):
    import time
    with open(os.path.join(folder, "started"), "w"):
        pass
    crash_point("started")
    time.sleep(seconds)


def _finisher(folder):
    crash_point("a")
    crash_point("b")


def _failer(folder):
    raise ValueError("boom")


def test_crash_after_a_delay(crash):
    r = crash(_sleeper, 30, at=0.2)
    assert r.killed and r.returncode == -9 and r.markers == ["started"]
    assert 0.2 <= r.elapsed < 10
    assert os.path.exists(os.path.join(r.folder, "started"))


def test_crash_at_a_random_moment_is_reproducible(crash, tmp_path):
    a = crash(_sleeper, 30, max_delay=0.3, seed=7, folder=tmp_path / "a")
    assert a.killed and a.elapsed < 10


def test_a_child_that_finishes_first(crash):
    r = crash(_finisher, at="never")
    assert not r.killed and r.returncode == 0 and r.markers == ["a", "b"]


def test_a_failing_child_raises(crash):
    try:
        crash(_failer, at="never")   # a failure, not a kill: never killed before it raises
    except CrashError as e:
        assert "ValueError: boom" in str(e)
    else:
        raise AssertionError("CrashError expected")


def test_functions_the_child_cannot_import_are_refused(tmp_path):
    try:
        run_and_kill(lambda folder: None, str(tmp_path))
    except ValueError as e:
        assert "module level" in str(e)
    else:
        raise AssertionError("ValueError expected")


def test_crash_point_outside_a_child_does_nothing():
    crash_point("nothing happens")


def _dirty(folder):
    with esepy.Instance("d", system_path=folder + "/", log_path=folder + "/logs/",
                        create_path_if_not_exist=True) as inst, inst.begin_session() as s:
        t = s.create_database(folder + "/d.edb").create_table("t", {"k": "long"}, primary_key=["k"])
        with s.transaction():
            t.insert({"k": 1})
        crash_point("now")


def test_the_crash_leaves_a_dirty_database(crash):
    r = crash(_dirty, at="now")
    assert inspection.read_database_header(os.path.join(r.folder, "d.edb")).state == "DirtyShutdown"
    assert esepy.instances() == []
