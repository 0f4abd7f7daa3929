"""Sessions through the C API: begin/end, limits, handle validation and the
one-thread-per-session rule."""
import threading
import time


def running(jet, folder, name="s", **extra):
    inst = jet.instance_in(folder, name, **extra)
    assert jet.lib.JetInit(jet.ffi.new("JET_INSTANCE *", inst)) == 0
    return inst


def begin(jet, inst):
    p = jet.ffi.new("JET_SESID *")
    err = jet.lib.JetBeginSession(inst, p, b"user", b"password")
    return err, p[0]


def test_begin_end(jet, tmp_path):
    C, lib = jet.C, jet.lib
    inst = running(jet, tmp_path)
    try:
        err, s = begin(jet, inst)
        assert err == 0 and s not in (0, C.JET_sesidNil)
        assert lib.JetEndSession(s, 1) == C.JET_errInvalidGrbit
        assert lib.JetEndSession(s, 0) == 0
        assert lib.JetEndSession(s, 0) == C.JET_errInvalidSesid
        assert lib.JetBeginSession(inst, jet.ffi.NULL, jet.ffi.NULL, jet.ffi.NULL) == C.JET_errInvalidParameter
    finally:
        assert lib.JetTerm(inst) == 0


def test_not_initialized(jet, tmp_path):
    C = jet.C
    inst = jet.instance_in(tmp_path, "notinit")
    try:
        assert begin(jet, inst)[0] == C.JET_errNotInitialized
    finally:
        jet.lib.JetTerm(inst)


def test_out_of_sessions_and_reuse(jet, tmp_path):
    C, lib = jet.C, jet.lib
    inst = running(jet, tmp_path, MaxSessions=2)
    try:
        e1, s1 = begin(jet, inst)
        e2, s2 = begin(jet, inst)
        assert (e1, e2) == (0, 0) and s1 != s2
        assert begin(jet, inst)[0] == C.JET_errOutOfSessions
        assert lib.JetEndSession(s1, 0) == 0
        e3, s3 = begin(jet, inst)
        assert e3 == 0 and s3 != s1  # the slot is reused under a new handle
        assert lib.JetEndSession(s1, 0) == C.JET_errInvalidSesid
    finally:
        assert lib.JetTerm(inst) == 0


def test_forged_session_handles(jet, tmp_path):
    C, lib = jet.C, jet.lib
    inst = running(jet, tmp_path)
    try:
        err, s = begin(jet, inst)
        for bogus in (0, C.JET_sesidNil, 1, s + (1 << 32), s ^ (1 << 16), inst):
            assert lib.JetEndSession(bogus, 0) == C.JET_errInvalidSesid
            assert lib.EsepyTestHoldSession(bogus, 0) == C.JET_errInvalidSesid
        assert lib.JetEndSession(s, 0) == 0
    finally:
        assert lib.JetTerm(inst) == 0


def test_term_ends_sessions(jet, tmp_path):
    C, lib = jet.C, jet.lib
    inst = running(jet, tmp_path)
    err, s = begin(jet, inst)
    assert err == 0
    assert lib.JetTerm(inst) == 0
    assert lib.JetEndSession(s, 0) == C.JET_errInvalidSesid


def test_one_thread_per_session(jet, tmp_path):
    C, lib = jet.C, jet.lib
    inst = running(jet, tmp_path)
    try:
        err, s = begin(jet, inst)
        entered = threading.Event()
        results = []

        def hold():
            entered.set()
            # The poller below enters the session briefly too: retry until we are in.
            while (r := lib.EsepyTestHoldSession(s, 500)) == C.JET_errSessionSharingViolation:
                pass
            results.append(r)  # cffi releases the GIL during the call

        t = threading.Thread(target=hold)
        t.start()
        entered.wait()
        # Wait until the engine really has the session busy.
        seen = None
        for _ in range(500):
            seen = lib.EsepyTestHoldSession(s, 0)
            if seen == C.JET_errSessionSharingViolation:
                break
            time.sleep(0.001)
        assert seen == C.JET_errSessionSharingViolation
        assert lib.JetEndSession(s, 0) == C.JET_errSessionSharingViolation
        t.join()
        assert results == [0]
        assert lib.JetEndSession(s, 0) == 0
    finally:
        assert lib.JetTerm(inst) == 0


def test_term_waits_for_calls_in_flight(jet, tmp_path):
    """JetTerm does not pull an instance from under a call in progress: it
    returns only after the call (which sleeps 300 ms inside the engine) left."""
    C, lib = jet.C, jet.lib
    inst = running(jet, tmp_path)
    err, s = begin(jet, inst)
    entered_at = []
    results = []

    def hold():
        while True:
            entered_at[:] = [time.monotonic()]  # the call cannot enter before this
            r = lib.EsepyTestHoldSession(s, 300)
            if r != C.JET_errSessionSharingViolation:
                break
        results.append(r)

    t = threading.Thread(target=hold)
    t.start()
    for _ in range(5000):
        if lib.EsepyTestHoldSession(s, 0) == C.JET_errSessionSharingViolation:
            break
        time.sleep(0.001)
    assert lib.JetTerm(inst) == 0
    term_returned = time.monotonic()
    t.join()
    assert results == [0]
    assert term_returned >= entered_at[0] + 0.3


def test_many_threads_many_sessions(jet, tmp_path):
    C, lib = jet.C, jet.lib
    inst = running(jet, tmp_path, MaxSessions=64)
    errors = []

    def worker():
        for _ in range(200):
            err, s = begin(jet, inst)
            if err != 0:
                errors.append(err)
                continue
            if lib.EsepyTestHoldSession(s, 0) != 0 or lib.JetEndSession(s, 0) != 0:
                errors.append("end")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
    finally:
        assert lib.JetTerm(inst) == 0


def test_concurrent_instance_lifecycles(jet, tmp_path):
    lib = jet.lib
    errors = []

    def worker(i):
        d = tmp_path / f"w{i}"
        d.mkdir()
        for k in range(20):
            inst = jet.instance_in(d, f"w{i}-{k}")
            p = jet.ffi.new("JET_INSTANCE *", inst)
            if lib.JetInit(p) != 0 or lib.JetTerm(inst) != 0:
                errors.append((i, k))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# --- The lock-free entry (session.c, S1-S4): handles checked without the
# process lock must still be refused once stale, never dereferenced freed. ---

def test_end_session_under_a_hammering_thread(jet, tmp_path):
    """Thread A calls into a session in a loop while the main thread ends it:
    A's calls succeed or see the session busy until the end, then every call
    gets JET_errInvalidSesid, also once the slot is reused by a new session."""
    C, lib = jet.C, jet.lib
    inst = running(jet, tmp_path, MaxSessions=1)
    try:
        err, s = begin(jet, inst)
        assert err == 0
        seen = []
        stop = threading.Event()
        started = threading.Event()

        def hammer():
            while not stop.is_set():
                r = lib.EsepyTestHoldSession(s, 0)
                started.set()
                seen.append(r)

        t = threading.Thread(target=hammer)
        t.start()
        started.wait()
        while (r := lib.JetEndSession(s, 0)) == C.JET_errSessionSharingViolation:
            pass
        assert r == 0
        n_at_end = len(seen)
        err, s2 = begin(jet, inst)  # the only slot, under a new generation
        assert err == 0 and s2 != s
        while len(seen) < n_at_end + 200:
            time.sleep(0.001)
        stop.set()
        t.join()
        assert set(seen) <= {0, C.JET_errSessionSharingViolation, C.JET_errInvalidSesid}
        first_invalid = seen.index(C.JET_errInvalidSesid)
        assert all(r == C.JET_errInvalidSesid for r in seen[first_invalid:])
        assert lib.EsepyTestHoldSession(s2, 0) == 0
        assert lib.JetEndSession(s2, 0) == 0
    finally:
        assert lib.JetTerm(inst) == 0


def test_term_under_hammering_threads(jet, tmp_path):
    """JetTerm while four threads call into their sessions as fast as they
    can: it waits for the calls in flight, later calls are refused (term in
    progress, then invalid handle), and nothing crashes."""
    C, lib = jet.C, jet.lib
    inst = running(jet, tmp_path)
    sessions = [begin(jet, inst)[1] for _ in range(4)]
    results = [[] for _ in sessions]
    stop = threading.Event()
    started = threading.Barrier(len(sessions) + 1)

    def hammer(i):
        started.wait()
        while not stop.is_set():
            results[i].append(lib.EsepyTestHoldSession(sessions[i], 0))

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(len(sessions))]
    for t in threads:
        t.start()
    started.wait()
    while not all(0 in r for r in results):
        time.sleep(0.001)
    assert lib.JetTerm(inst) == 0
    after = [len(r) for r in results]
    time.sleep(0.02)
    stop.set()
    for t in threads:
        t.join()
    for i, r in enumerate(results):
        assert set(r) <= {0, C.JET_errTermInProgress, C.JET_errInvalidSesid}
        assert 0 in r
        # Calls that began after JetTerm returned: all refused.
        assert all(x != 0 for x in r[after[i] + 1:])
    assert all(lib.EsepyTestHoldSession(s, 0) == C.JET_errInvalidSesid for s in sessions)


def test_stop_service_refuses_the_lock_free_entry(jet, tmp_path):
    C, lib = jet.C, jet.lib
    inst = running(jet, tmp_path)
    try:
        err, s = begin(jet, inst)
        assert lib.EsepyTestHoldSession(s, 0) == 0
        assert lib.JetStopServiceInstance(inst) == 0
        assert lib.EsepyTestHoldSession(s, 0) == C.JET_errClientRequestToStopJetService
    finally:
        assert lib.JetTerm(inst) == 0


def test_session_context_keeps_other_threads_out(jet, tmp_path):
    """A session whose context is set is entered through the locked path: its
    own thread gets in, any other thread sees JET_errSessionSharingViolation,
    also after many lock-free entries of the same handle."""
    C, lib = jet.C, jet.lib
    inst = running(jet, tmp_path)
    try:
        err, s = begin(jet, inst)
        for _ in range(100):
            assert lib.EsepyTestHoldSession(s, 0) == 0
        assert lib.JetSetSessionContext(s, 1234) == 0
        assert lib.EsepyTestHoldSession(s, 0) == 0
        other = []
        t = threading.Thread(target=lambda: other.append(lib.EsepyTestHoldSession(s, 0)))
        t.start()
        t.join()
        assert other == [C.JET_errSessionSharingViolation]
        assert lib.JetResetSessionContext(s) == 0
        t = threading.Thread(target=lambda: other.append(lib.EsepyTestHoldSession(s, 0)))
        t.start()
        t.join()
        assert other[-1] == 0
        assert lib.JetEndSession(s, 0) == 0
    finally:
        assert lib.JetTerm(inst) == 0
