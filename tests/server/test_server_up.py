"""``annotator server-up``: the whole trial starts, answers, lets store-level commands reach
the team's database and object store through the environment file it writes (secrets in
files only its user can read, never on the screen or in a log), stops every service on
SIGTERM even when a second SIGTERM arrives during the clean-up, and a second start finds
the same data and secrets."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import ROOT
from tests.server.listeners import assert_only_api_and_s3_open, postmaster_pid, process_tree

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict[str, str], *args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "annotator", "server-up", *args], env=env,
                            cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    lines: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Ctrl+C"):
            break
    return proc, "".join(lines)


def _abandon(proc: subprocess.Popen) -> None:
    """After a failed check: let server-up stop what it started (a SIGKILL would leave its
    PostgreSQL, Redis and SeaweedFS running), then make sure it is gone."""
    with contextlib.suppress(Exception):
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=120)
    if proc.poll() is None:
        proc.kill()


def _stop(proc: subprocess.Popen, *, twice: bool = False) -> str:
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGTERM)
    if twice:  # a second SIGTERM while it cleans up must not cut the clean-up short
        out = proc.stdout.readline() + proc.stdout.readline()
        assert "Stopping" in out, out
        proc.send_signal(signal.SIGTERM)
    else:
        out = ""
    rest = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0, out + rest
    time.sleep(1)
    alive = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert not alive, [c.cmdline() for c in alive]
    return out + rest


def test_server_up_keeps_secrets_private_and_stops_cleanly(tmp_path):
    port = _free_port()
    folder = tmp_path / "trial"
    env = dict(os.environ, ANNOTATOR_PASSPHRASE="trial admin passphrase",
               ANNOTATOR_HOME=str(tmp_path / "ws"))
    for k in [k for k in env if k.startswith(("ANNOTATOR_S3_", "ANNOTATOR_DATABASE_URL",
                                               "ANNOTATOR_REDIS_URL"))]:
        del env[k]
    # one API process: what is tested here is the set-up around it (cheaper to start)
    args = ("--admin", "boss", "--port", str(port), "--dir", str(folder), "--api-workers", "1")
    proc, out = _start(env, *args)
    try:
        assert "Team server ready" in out, out
        url = re.search(r"ready in [\d.]+ s at (\S+)", out).group(1)
        r = httpx.post(f"{url}/v1/auth/token",
                       json={"name": "boss", "passphrase": "trial admin passphrase"}, timeout=60)
        assert r.status_code == 201, r.text
        env_file = folder / "server.env"
        assert str(env_file) in out
        store_env = dict(re.findall(r"^export (ANNOTATOR_\w+)=(\S+)$", env_file.read_text(),
                                    re.M))
        assert {"ANNOTATOR_DATABASE_URL", "ANNOTATOR_S3_ENDPOINT",
                "ANNOTATOR_S3_SECRET_KEY", "ANNOTATOR_REDIS_URL"} <= set(store_env)
        # A store-level command on this machine reads the team's store (PostgreSQL + S3).
        cli = subprocess.run(
            [sys.executable, "-m", "annotator", "export", "--withdrawn-since", "2020-01-01",
             "--json", "--user", "boss"], env={**env, **store_env}, cwd=ROOT, text=True,
            capture_output=True, timeout=120)
        assert cli.returncode == 0, cli.stderr
        assert cli.stdout.strip() == "[]"
        # Secrets: generated, in files only this user can read, shown nowhere.
        secrets_file = folder / "secrets" / "secrets.json"
        kept = secrets_file.read_text()
        import json

        values = list(json.loads(kept).values())
        assert len(values) >= 8
        private = [secrets_file, env_file, *folder.glob("seaweedfs/*.*"),
                   *folder.glob("redis/*.conf")]
        assert len(private) >= 8  # keys, certificates, security.toml, s3.json, redis.conf...
        for path in private:
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
        assert stat.S_IMODE((folder / "secrets").stat().st_mode) == 0o700
        logs = list((folder / "logs").glob("*.log")) + list(folder.glob("*/*.log"))
        assert len(logs) >= 4
        for text in [out, *(p.read_text(errors="replace") for p in logs)]:
            assert not [v for v in values if v in text]
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 4  # PostgreSQL, Redis, SeaweedFS, API, worker...
        # Only the API and the S3 gateway talk to a client without credentials: every
        # socket of the stack (PostgreSQL's server is detached by pg_ctl: found apart).
        from annotator.server.launcher import TeamSetup

        pg = postmaster_pid(TeamSetup(folder=folder, keep=True).pg_folder / "data")
        s3_port = int(store_env["ANNOTATOR_S3_ENDPOINT"].rsplit(":", 1)[1])
        answers = assert_only_api_and_s3_open(process_tree(proc.pid, pg), port, s3_port)
        assert len(answers) >= 12, answers  # PostgreSQL, Redis, SeaweedFS's ten, the API
        for c in children:
            assert not [v for v in values if v in " ".join(c.cmdline())]
    except BaseException:
        _abandon(proc)
        raise
    rest = _stop(proc, twice=True)
    assert "Stopped" in rest and folder.is_dir()

    # The next start finds the same data and the same secrets, and deletes the trial when
    # asked to (--discard).
    proc, out = _start(env, *args, "--discard")
    try:
        assert "Team server ready" in out and "earlier start are kept" in out, out
        url = re.search(r"ready in [\d.]+ s at (\S+)", out).group(1)
        r = httpx.post(f"{url}/v1/auth/token",
                       json={"name": "boss", "passphrase": "trial admin passphrase"}, timeout=60)
        assert r.status_code == 201, r.text  # the admin (in the kept database) is still there
        assert secrets_file.read_text() == kept
    except BaseException:
        _abandon(proc)
        raise
    _stop(proc)
    assert not folder.exists()
    assert not Path(tmp_path / "ws" / "server-up").exists()
