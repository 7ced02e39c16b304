"""A PostgreSQL cluster for tests, benchmarks and ``annotator server-up`` (Debian's
``postgresql`` package).

``initdb`` in a temporary folder, the server listening on 127.0.0.1 at a free port with its
unix socket in that folder, a random password for TCP connections (scram-sha-256), and
everything removed by ``stop()``.  With ``folder=`` the cluster lives there and is kept: a
second start finds it and starts it again (with the same ``password``, which the caller
keeps).  ``initdb`` and ``pg_ctl`` refuse to run as root, so as root (CI) they run as the
``postgres`` user through ``runuser``.

    with PgCluster() as pg:
        url = pg.create_database("t1")

Run by hand: ``python -m annotator.store.pgcluster`` starts one and prints its URL until
Ctrl+C.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from annotator.store.errors import StoreUnavailable

INSTALL_HINT = "Install PostgreSQL (Debian: apt-get install postgresql)."


def find_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if found:
        return found
    raise StoreUnavailable(f"PostgreSQL's {name} was not found.", INSTALL_HINT)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    def __init__(self, *, fast: bool = True, user: str = "postgres",
                 folder: str | os.PathLike[str] | None = None,
                 password: str | None = None) -> None:
        self.fast = fast
        self.user = user
        self.port = 0
        self.password = password or secrets.token_urlsafe(18)
        self.keep = folder is not None
        self.folder = Path(folder) if folder is not None else None
        self.tmp: Path | None = None
        self._as_other: list[str] = []
        self._started = False

    @property
    def data_dir(self) -> Path:
        assert self.tmp is not None
        return self.tmp / "data"

    def _run(self, *cmd: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        out = subprocess.run([*self._as_other, *cmd], capture_output=True, text=True,
                             timeout=timeout)
        if out.returncode != 0:
            raise StoreUnavailable(
                f"{Path(cmd[0]).name} failed ({out.returncode}): "
                f"{(out.stderr or out.stdout).strip()[-2000:]}",
                INSTALL_HINT,
            )
        return out

    def start(self) -> PgCluster:
        initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.tmp = self.folder
        else:
            self.tmp = Path(tempfile.mkdtemp(prefix="annotator-pg-"))
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam(self.user)
            except KeyError:
                raise StoreUnavailable(
                    f"Running as root, and there is no {self.user!r} user to run PostgreSQL as.",
                    INSTALL_HINT,
                ) from None
            if not shutil.which("runuser"):
                raise StoreUnavailable("runuser (util-linux) is needed to run PostgreSQL as "
                                       "root.", "Install util-linux.")
            os.chown(self.tmp, pw.pw_uid, pw.pw_gid)
            self._as_other = ["runuser", "-u", self.user, "--"]
        try:
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb(initdb)
            opts = ["-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.tmp}",
                    "-c max_connections=100", "-c shared_buffers=64MB"]
            if self.fast:
                opts += ["-c fsync=off", "-c synchronous_commit=off",
                         "-c full_page_writes=off"]
            for _attempt in range(5):
                self.port = free_port()
                try:
                    self._run(pg_ctl, "-D", str(self.data_dir), "-l",
                              str(self.tmp / "server.log"), "-w", "-t", "60",
                              "-o", " ".join([*opts, f"-p {self.port}"]), "start")
                    break
                except StoreUnavailable:
                    if "could not bind" not in self.log_tail():
                        raise
            else:
                raise StoreUnavailable("PostgreSQL found no free port to listen on.")
            self._started = True
            atexit.register(self.stop)  # a crashed script leaves no server behind
        except BaseException:
            self.stop()
            raise
        return self

    def _initdb(self, initdb: str) -> None:
        assert self.tmp is not None
        pwfile = self.tmp / "pw"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.password + "\n")
        try:
            if self._as_other:
                os.chown(pwfile, pwd.getpwnam(self.user).pw_uid, -1)
            self._run(initdb, "-D", str(self.data_dir), "-U", "postgres", "-E", "UTF8",
                      "--no-locale", "--auth-local=trust", "--auth-host=scram-sha-256",
                      f"--pwfile={pwfile}")
        finally:
            pwfile.unlink(missing_ok=True)

    def log_tail(self, n: int = 4000) -> str:
        try:
            if self.tmp is None:
                return ""
            return (self.tmp / "server.log").read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def url(self, dbname: str = "postgres", *, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://postgres:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg

        with psycopg.connect(self.url(dbname, driver="postgresql"), autocommit=True) as conn:
            conn.execute(sql)

    def has_database(self, name: str) -> bool:
        import psycopg

        with psycopg.connect(self.url("postgres", driver="postgresql")) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                (name,)).fetchone() is not None

    def create_database(self, name: str, *, template: str | None = None) -> str:
        tmpl = f" TEMPLATE {template}" if template else ""
        for attempt in range(20):
            try:
                self.execute(f"CREATE DATABASE {name}{tmpl}")
                break
            except Exception as exc:  # noqa: BLE001 - template busy: retry shortly
                if "being accessed by other users" not in str(exc) or attempt == 19:
                    raise
                time.sleep(0.1)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        atexit.unregister(self.stop)
        if self.tmp is None:
            return
        if self._started:
            # A kept cluster shuts down cleanly; a throwaway one needs no checkpoint.
            with contextlib.suppress(Exception):
                self._run(find_bin("pg_ctl"), "-D", str(self.data_dir), "-m",
                          "fast" if self.keep else "immediate", "-w", "-t", "30", "stop",
                          timeout=60)
            self._started = False
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = None

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    with PgCluster() as pg:
        print(pg.url(), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
