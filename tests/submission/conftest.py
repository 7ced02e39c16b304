"""A real recording for the submission tests, made once per module: Xvfb, the PyQt6 login
form, the real recorder (`annotator record --region`), xdotool clicking and typing a secret
into the (visible) user name field.  Each test gets its own copy of the bundle."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, App, start_annotator, wait_for_file

SECRET = "Wombat7-Qz-Xylo"
GEOMETRY = (100, 100, 500, 200)  # the login window (root pixels; no window manager)
REGION = (80, 80, 560, 260)  # recorded area: the window and a margin
USER = "ana.contrib"


@dataclass
class Recording:
    folder: Path
    boxes: dict[str, list[int]]  # widget boxes in pixels of the recording (region origin)


def _centre(box: list[int]) -> tuple[int, int]:
    return box[0] + box[2] // 2, box[1] + box[3] // 2


def _xdo(env: dict[str, str], *args: str) -> None:
    subprocess.run(["xdotool", *args], env=env, check=True, timeout=60)


@pytest.fixture(scope="module")
def recording(xserver, tmp_path_factory) -> Recording:
    tmp = tmp_path_factory.mktemp("rec")
    env = dict(xserver.env)
    env["ANNOTATOR_HOME"] = str(tmp / "recorder-ws")
    for var in ("DBUS_SESSION_BUS_ADDRESS", "AT_SPI_BUS_ADDRESS"):
        env.pop(var, None)  # no accessibility bus: the recorder says so and records
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.apps.login_app", "--geometry",
         ",".join(map(str, GEOMETRY)), "--title", "Login test"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        bufsize=1)
    app = App(proc)
    try:
        line = app.read_until("ready")
        boxes = json.loads(line[len("ready "):])
        time.sleep(0.3)
        out = tmp / "bundle"
        rec = start_annotator(["record", "--no-control", "--yes", "--out", str(out),
                               "--region", ",".join(map(str, REGION))], env)
        try:
            wait_for_file(out / "manifest.json")
            time.sleep(0.8)
            _xdo(env, "mousemove", *map(str, _centre(boxes["user"])), "click", "1")
            time.sleep(0.4)
            _xdo(env, "type", "--delay", "40", SECRET)
            time.sleep(0.5)
            _xdo(env, "mousemove", *map(str, _centre(boxes["button"])), "click", "1")
            time.sleep(0.6)
        finally:
            rec.send_signal(signal.SIGTERM)
            _, err = rec.communicate(timeout=60)
        assert rec.returncode == 0, err
    finally:
        lines = app.close()
    assert f"user {SECRET}" in lines
    local = {k: [v[0] - REGION[0], v[1] - REGION[1], v[2], v[3]] for k, v in boxes.items()}
    return Recording(out, local)


@pytest.fixture
def bundle(recording, tmp_path) -> Path:
    """A private copy of the recording."""
    dest = tmp_path / "recordings" / "rec-1"
    shutil.copytree(recording.folder, dest)
    return dest
