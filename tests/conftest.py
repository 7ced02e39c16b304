"""Shared fixtures: a real X server (Xvfb) at a free display number, test apps, xdotool."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The team server set-up (PostgreSQL, Redis, SeaweedFS, API, worker): one per session; a
# small tmpfs for full disks and read-only folders.
pytest_plugins = ["tests.teamsetup", "tests.tmpfs"]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def settings_follow_the_environment(monkeypatch):
    """annotator reads the environment once per command (annotator.settings); a test that
    changes it with ``monkeypatch`` and calls the code in-process gets the settings read
    again, as a new command would."""
    from annotator import settings

    setenv, delenv = monkeypatch.setenv, monkeypatch.delenv

    def set_and_reload(*args, **kwargs):
        setenv(*args, **kwargs)
        settings.reload()

    def del_and_reload(*args, **kwargs):
        delenv(*args, **kwargs)
        settings.reload()

    monkeypatch.setenv, monkeypatch.delenv = set_and_reload, del_and_reload
    settings.reload()
    yield
    monkeypatch.undo()  # the environment back first, then read it again
    settings.reload()


class XServer:
    def __init__(self, display: str, proc: subprocess.Popen, width: int, height: int) -> None:
        self.display = display
        self.proc = proc
        self.width = width
        self.height = height

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DISPLAY"] = self.display
        env.pop("WAYLAND_DISPLAY", None)
        env["QT_QPA_PLATFORM"] = "xcb"
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        return env

    def xdotool(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True,
                             timeout=30)
        if check and out.returncode != 0:
            raise RuntimeError(f"xdotool {args} failed: {out.stderr}")
        return out.stdout


def start_xvfb(width: int = 1920, height: int = 1080) -> XServer:
    if not shutil.which("Xvfb"):
        pytest.fail("Xvfb is not installed: run the README's test command, which installs it")
    r, w = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(w), "-screen", "0", f"{width}x{height}x24",
         # -noreset: by default Xvfb resets when its last client leaves, and a test
         # connecting during that reset is refused ("Connection reset by peer").
         "-nolisten", "tcp", "-noreset", "+extension", "RECORD"],
        pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(w)
    num = b""
    deadline = time.monotonic() + 20
    while not num.endswith(b"\n") and time.monotonic() < deadline:
        chunk = os.read(r, 16)
        if not chunk:
            break
        num += chunk
    os.close(r)
    if not num.strip():
        proc.kill()
        pytest.fail("Xvfb did not start")
    return XServer(f":{num.decode().strip()}", proc, width, height)


@pytest.fixture(scope="session")
def xserver():
    srv = start_xvfb()
    yield srv
    srv.proc.terminate()
    try:
        srv.proc.wait(10)
    except subprocess.TimeoutExpired:
        srv.proc.kill()


@pytest.fixture
def xdisplay(xserver, monkeypatch):
    """DISPLAY set for this test's process (in-process recorder use)."""
    monkeypatch.setenv("DISPLAY", xserver.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    return xserver


class App:
    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.lines: list[str] = []

    def read_until(self, prefix: str, timeout: float = 20) -> str:
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sel.select(timeout=0.2):
                line = self.proc.stdout.readline()
                if not line:
                    break
                self.lines.append(line.rstrip("\n"))
                if line.startswith(prefix):
                    return line
        raise TimeoutError(f"app did not print {prefix!r}; got {self.lines[-5:]}")

    def close(self) -> list[str]:
        self.proc.terminate()
        try:
            rest, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rest, _ = self.proc.communicate()
        self.lines.extend(x for x in (rest or "").splitlines())
        return self.lines


@pytest.fixture
def start_app(xserver):
    apps: list[App] = []

    def start(module: str, *args: str) -> App:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args], env=xserver.env, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
        )
        app = App(proc)
        apps.append(app)
        app.read_until("ready")
        time.sleep(0.3)
        return app

    yield start
    for app in apps:
        if app.proc.poll() is None:
            app.close()


def run_annotator(args: list[str], env: dict[str, str], timeout: float = 120,
                  **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "annotator", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, **kw)


def start_annotator(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "annotator", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_file(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{path} did not appear")


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """One demo recording for the session (the editor's and the drafter's tests); tests copy
    it (recording is the slow part)."""
    from PyQt6.QtWidgets import QApplication

    from annotator.ui.demo import make_demo
    from annotator.workspace import Workspace

    _app = QApplication.instance() or QApplication([])
    ws = Workspace.open(tmp_path_factory.mktemp("demo-ws"))
    return make_demo(ws)
