"""``annotator server-up``: the whole trial starts, answers, lets store-level commands reach
the team's database and object store with the environment it prints, and a plain ``kill``
(SIGTERM) stops every service and deletes the trial's data."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_up_serves_exports_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    env = dict(os.environ, ANNOTATOR_PASSPHRASE="trial admin passphrase",
               ANNOTATOR_HOME=str(tmp_path / "ws"))
    for k in [k for k in env if k.startswith(("ANNOTATOR_S3_", "ANNOTATOR_DATABASE_URL",
                                               "ANNOTATOR_REDIS_URL"))]:
        del env[k]
    proc = subprocess.Popen([sys.executable, "-m", "annotator", "server-up", "--admin", "boss",
                             "--port", str(port)], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Ctrl+C"):
                break
        out = "".join(lines)
        assert "Team server ready" in out, out
        url = re.search(r"ready in [\d.]+ s at (\S+)", out).group(1)
        r = httpx.post(f"{url}/v1/auth/token",
                       json={"name": "boss", "passphrase": "trial admin passphrase"})
        assert r.status_code == 201, r.text
        store_env = dict(re.findall(r"^\s+export (ANNOTATOR_\w+)=(\S+)$", out, re.M))
        assert {"ANNOTATOR_DATABASE_URL", "ANNOTATOR_S3_ENDPOINT",
                "ANNOTATOR_S3_SECRET_KEY"} <= set(store_env)
        # A store-level command on this machine reads the team's store (PostgreSQL + S3).
        cli = subprocess.run(
            [sys.executable, "-m", "annotator", "export", "--withdrawn-since", "2020-01-01",
             "--json", "--user", "boss"], env={**env, **store_env}, cwd=ROOT, text=True,
            capture_output=True, timeout=120)
        assert cli.returncode == 0, cli.stderr
        assert cli.stdout.strip() == "[]"
        folders = [Path(m) for m in re.findall(r"logs: (\S+)/logs", out)]
        assert folders and folders[0].is_dir()
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 4  # PostgreSQL, Redis, SeaweedFS, API, worker...
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0, rest
    assert "Stopping" in rest
    time.sleep(1)
    alive = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert not alive, [c.cmdline() for c in alive]
    assert not folders[0].exists()
