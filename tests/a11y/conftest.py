"""Fixtures for the accessibility tests: a private session D-Bus per test, with the AT-SPI bus
launcher (Debian packages dbus and at-spi2-core), or without any accessibility bus.

Every process started here gets its own process group, and the whole group is ended at
teardown (the launcher starts the accessibility bus and the registry daemon as children).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, App

LAUNCHER = "/usr/libexec/at-spi-bus-launcher"

# A session bus that activates nothing: no org.a11y.Bus.
BARE_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def _end_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    else:
        try:  # the leader is gone; its children (bus, registry) may not be
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def _start_session_bus(env: dict[str, str], config: Path | None) -> tuple[subprocess.Popen, str]:
    if not shutil.which("dbus-daemon"):
        pytest.fail("dbus-daemon is not installed: run .ci/setup (Debian package dbus)")
    args = ["dbus-daemon", "--nofork", "--print-address=1"]
    args += [f"--config-file={config}"] if config else ["--session"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    line = proc.stdout.readline().strip()
    if not line:
        _end_group(proc)
        pytest.fail("dbus-daemon did not start")
    return proc, line


def _bus_env(xserver, tmp_path: Path) -> dict[str, str]:
    env = xserver.env
    run = tmp_path / "xdg-run"
    run.mkdir(mode=0o700, exist_ok=True)
    # The accessibility bus socket goes under XDG_RUNTIME_DIR: one per test, never shared.
    env["XDG_RUNTIME_DIR"] = str(run)
    env["ANNOTATOR_HOME"] = str(tmp_path / "ws")
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.pop("AT_SPI_BUS_ADDRESS", None)
    return env


def name_has_owner(address: str, name: str) -> bool:
    from jeepney import new_method_call
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(address) as conn:
        reply = conn.send_and_get_reply(
            new_method_call(message_bus, "NameHasOwner", "s", (name,)), timeout=2)
        return bool(reply.body[0])


@pytest.fixture
def a11y_env(xserver, tmp_path):
    """Environment (DISPLAY, DBUS_SESSION_BUS_ADDRESS...) of a session with an AT-SPI bus."""
    if not os.path.exists(LAUNCHER):
        pytest.fail(f"{LAUNCHER} is missing: run .ci/setup (Debian package at-spi2-core)")
    env = _bus_env(xserver, tmp_path)
    bus, address = _start_session_bus(env, None)
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    launcher = subprocess.Popen([LAUNCHER, "--launch-immediately"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 15
        while not name_has_owner(address, "org.a11y.Bus"):
            if time.monotonic() > deadline or launcher.poll() is not None:
                pytest.fail("at-spi-bus-launcher did not register org.a11y.Bus")
            time.sleep(0.05)
        yield env
    finally:
        _end_group(launcher)
        _end_group(bus)


@pytest.fixture
def bare_bus_env(xserver, tmp_path):
    """A session D-Bus on which there is no accessibility bus (and none can be activated)."""
    env = _bus_env(xserver, tmp_path)
    sock_dir = tmp_path / "bus"
    sock_dir.mkdir()
    config = tmp_path / "bare-bus.conf"
    config.write_text(BARE_BUS_CONFIG.format(dir=sock_dir))
    bus, address = _start_session_bus(env, config)
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        yield env
    finally:
        _end_group(bus)


def a11y_app_env(env: dict[str, str]) -> dict[str, str]:
    return env | {"QT_ACCESSIBILITY": "1", "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1"}


@pytest.fixture
def start_env_app():
    """Start a test app (``python -m module``) in a given environment; returns the App and
    the JSON of its "boxes" line when it prints one."""
    apps: list[App] = []

    def start(module: str, env: dict[str, str], *args: str) -> App:
        proc = subprocess.Popen([sys.executable, "-m", module, *args], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                bufsize=1)
        app = App(proc)
        apps.append(app)
        app.read_until("ready")
        return app

    yield start
    for app in apps:
        if app.proc.poll() is None:
            app.close()


def read_boxes(app: App) -> dict[str, list[int]]:
    """The widget boxes the login app printed on its "ready" line."""
    line = next(x for x in app.lines if x.startswith("ready "))
    return json.loads(line[len("ready "):])


def wait_registered(address: str, pid: int, timeout: float = 15) -> None:
    """Wait until the application with this pid is in the AT-SPI registry."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(address) as sess:
        a11y_addr = sess.send_and_get_reply(new_method_call(
            DBusAddress("/org/a11y/bus", "org.a11y.Bus", "org.a11y.Bus"), "GetAddress"),
            timeout=5).body[0]
    deadline = time.monotonic() + timeout
    with open_dbus_connection(a11y_addr) as bus:
        while time.monotonic() < deadline:
            apps = bus.send_and_get_reply(new_method_call(
                DBusAddress("/org/a11y/atspi/accessible/root", "org.a11y.atspi.Registry",
                            "org.a11y.atspi.Accessible"), "GetChildren"), timeout=2).body[0]
            for name, _path in apps:
                r = bus.send_and_get_reply(new_method_call(
                    message_bus, "GetConnectionUnixProcessID", "s", (name,)), timeout=2)
                if r.body and r.body[0] == pid:
                    return
            time.sleep(0.1)
    raise TimeoutError(f"pid {pid} did not register with AT-SPI")
