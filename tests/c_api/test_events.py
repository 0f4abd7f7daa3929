"""The event sink through the C API (EsepySetEventCallback)."""
import pytest


@pytest.fixture
def events(jet):
    """Install a C callback that records events; restore Python's sink after."""
    got = []

    @jet.ffi.callback("void(const ESEPY_EVENT *, void *)")
    def sink(ev, ctx):
        fields = {jet.ffi.string(ev.rgfields[i].szKey).decode(): jet.ffi.string(ev.rgfields[i].szValue).decode()
                  for i in range(ev.cfields)}
        got.append({"id": ev.eventid, "level": ev.level, "err": ev.err, "instance": ev.instance,
                    "name": jet.ffi.string(ev.szInstanceName).decode(),
                    "op": jet.ffi.string(ev.szOperation).decode(),
                    "message": jet.ffi.string(ev.szMessage).decode(), "fields": fields})

    assert jet.lib.EsepySetEventCallback(sink, jet.ffi.NULL) == 0
    yield got
    import esepy._events
    assert jet.lib.EsepySetEventCallback(jet.ffi.NULL, jet.ffi.NULL) == 0
    esepy._events.install()


def test_init_and_term_events(jet, events, tmp_path):
    C, lib = jet.C, jet.lib
    inst = jet.instance_in(tmp_path, "ev")
    assert lib.JetInit(jet.ffi.new("JET_INSTANCE *", inst)) == 0
    assert lib.JetTerm(inst) == 0
    ids = [e["id"] for e in events]
    assert ids == [C.ESEPY_EVENT_INIT_BEGIN, C.ESEPY_EVENT_INIT_DONE, C.ESEPY_EVENT_TERM_DONE]
    done = events[1]
    assert done["name"] == "ev" and done["instance"] == inst and done["level"] == C.ESEPY_LEVEL_INFO
    assert done["fields"]["log_path"] == str(tmp_path)
    assert done["fields"]["base_name"] == "edb"
    assert done["op"] == "JetInit"


def test_failed_init_event_carries_the_error(jet, events, tmp_path):
    C, lib = jet.C, jet.lib
    inst = jet.instance_in(tmp_path, "bad", LogFilePath=str(tmp_path / "nope"))
    assert lib.JetInit(jet.ffi.new("JET_INSTANCE *", inst)) == C.JET_errInvalidPath
    assert lib.JetTerm(inst) == C.JET_errInvalidParameter  # freed by the failed init
    failed = [e for e in events if e["id"] == C.ESEPY_EVENT_INIT_FAILED]
    assert len(failed) == 1
    assert failed[0]["err"] == C.JET_errInvalidPath and failed[0]["level"] == C.ESEPY_LEVEL_ERROR
    assert "JET_errInvalidPath" in failed[0]["message"]


def test_dirty_term_event(jet, events, tmp_path):
    C, lib = jet.C, jet.lib
    inst = jet.instance_in(tmp_path, "dirty")
    assert lib.JetInit(jet.ffi.new("JET_INSTANCE *", inst)) == 0
    assert lib.JetTerm2(inst, C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    assert events[-1]["id"] == C.ESEPY_EVENT_TERM_DIRTY and events[-1]["level"] == C.ESEPY_LEVEL_WARNING


def test_event_levels_follow_parameters(jet, events, tmp_path):
    C, lib = jet.C, jet.lib
    inst = jet.instance_in(tmp_path, "quiet", NoInformationEvent=1)
    assert lib.JetInit(jet.ffi.new("JET_INSTANCE *", inst)) == 0
    assert lib.JetTerm(inst) == 0
    assert events == []
    inst = jet.instance_in(tmp_path, "quiet2", NoInformationEvent=1, LogFilePath=str(tmp_path / "missing"))
    assert lib.JetInit(jet.ffi.new("JET_INSTANCE *", inst)) == C.JET_errInvalidPath
    assert lib.JetTerm(inst) == C.JET_errInvalidParameter  # freed by the failed init
    assert [e["id"] for e in events] == [C.ESEPY_EVENT_INIT_FAILED]  # errors still reported
    events.clear()
    inst = jet.instance_in(tmp_path, "silent", EventLoggingLevel=0, LogFilePath=str(tmp_path / "missing"))
    assert lib.JetInit(jet.ffi.new("JET_INSTANCE *", inst)) == C.JET_errInvalidPath
    assert lib.JetTerm(inst) == C.JET_errInvalidParameter  # freed by the failed init
    assert events == []
