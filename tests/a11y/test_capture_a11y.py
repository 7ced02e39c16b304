"""Accessibility at capture time, for real: Xvfb, a private session D-Bus with the AT-SPI bus
launcher, a PyQt6 login form with accessibility on, the real recorder (`annotator record`),
xdotool typing a user name and a password.  Nothing is mocked."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from annotator.bundle import Bundle
from annotator.bundle.jsonl import JsonlReport, read_jsonl
from annotator.capture.a11y import PASSWORD_ROLE, TEXT_ROLE, AtspiWorker
from annotator.capture.x11_input import KEEP_NAME_WHEN_MASKED, MASKED_KEY
from tests.a11y.conftest import a11y_app_env, read_boxes, wait_registered
from tests.conftest import start_annotator, wait_for_file
from tests.videoutil import decode_all

pytestmark = pytest.mark.x11

GEOMETRY = (100, 100, 500, 200)
USER_NAME = "alice.smith"
SECRET = "Hunter2-Secret!"


def centre(box: list[int]) -> tuple[int, int]:
    return box[0] + box[2] // 2, box[1] + box[3] // 2


def click(xserver, env, x: int, y: int) -> None:
    subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], env=env,
                   check=True, timeout=30)


def type_text(env, text: str) -> None:
    subprocess.run(["xdotool", "type", "--delay", "50", text], env=env, check=True, timeout=60)


def start_recording(env: dict[str, str], out: Path, *extra: str) -> subprocess.Popen:
    proc = start_annotator(["record", "--no-control", "--yes", "--out", str(out), *extra], env)
    wait_for_file(out / "manifest.json")
    time.sleep(0.8)  # listeners up, first frames grabbed
    return proc


def stop_recording(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


def elements(folder: Path) -> list[dict]:
    return list(read_jsonl(folder / "elements.jsonl", JsonlReport("elements.jsonl")))


def all_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of the bundle, and the decompressed content of any compressed one."""
    out: dict[str, bytes] = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        data = p.read_bytes()
        out[str(p.relative_to(folder))] = data
        for name, opener in (("gzip", gzip.decompress), ("bz2", bz2.decompress),
                             ("xz", lzma.decompress)):
            try:
                out[f"{p.name} ({name})"] = opener(data)
            except Exception:
                pass
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for n in z.namelist():
                    out[f"{p.name}!{n}"] = z.read(n)
    return out


def test_password_is_masked_and_elements_are_recorded(xserver, a11y_env, start_env_app,
                                                       tmp_path):
    env = a11y_env
    app = start_env_app("tests.apps.login_app", a11y_app_env(env),
                        "--geometry", ",".join(map(str, GEOMETRY)))
    boxes = read_boxes(app)
    wait_registered(env["DBUS_SESSION_BUS_ADDRESS"], app.proc.pid)
    out = tmp_path / "rec"
    proc = start_recording(env, out)
    try:
        click(xserver, env, *centre(boxes["user"]))
        time.sleep(0.2)
        type_text(env, USER_NAME)
        time.sleep(0.3)
        click(xserver, env, *centre(boxes["password"]))
        time.sleep(0.1)  # >= 50 ms after the click
        type_text(env, SECRET)
        time.sleep(0.6)  # frames with the focused password field
        click(xserver, env, *centre(boxes["user"]))  # focus leaves the password field
        time.sleep(0.6)
    finally:
        stop_recording(proc)
    lines = app.close()
    assert f"user {USER_NAME}" in lines
    assert f"password {len(SECRET)}" in lines  # the app did receive the whole secret

    b = Bundle.open(out)
    a11y = b.manifest["a11y"]
    assert a11y["available"] is True and a11y["focus_source"] == "atspi", a11y
    assert a11y["elements_file"] == "elements.jsonl"
    assert a11y["masked_keys"] >= 2 * len(SECRET)

    ev = b.events
    downs = [e for e in ev if e["kind"] == "mouse_down"]
    assert len(downs) == 3
    t_pw, t_back = downs[1]["t"], downs[2]["t"]
    keys = [e for e in ev if e["kind"] in ("key_down", "key_up")]
    before = [e for e in keys if e["t"] < t_pw]
    during = [e for e in keys if t_pw < e["t"] < t_back]
    # The user name is recorded as typed.
    assert "".join(e["char"] for e in before if e["kind"] == "key_down" and e["char"]) \
        == USER_NAME
    assert not any(e.get("masked") for e in before)
    # Every key typed into the password field is masked: no char, no keysym, no telling name.
    assert len([e for e in during if e["kind"] == "key_down"]) >= len(SECRET)
    for e in during:
        assert e.get("masked") is True, e
        assert e["char"] is None and e["vk"] is None, e
        assert e["key"] == MASKED_KEY or e["key"] in KEEP_NAME_WHEN_MASKED, e
        assert "shift" not in e["mods"], e
    chars = "".join(e["char"] or "" for e in keys)
    names = "".join(e["key"] for e in keys if len(e["key"]) == 1)
    for part in (SECRET, SECRET.lower(), "Hunter2", "Secret"):
        assert part not in chars and part.lower() not in names.lower()

    # The secret is in no file of the bundle, compressed or not, in any common encoding.
    files = all_bytes(out)
    assert "elements.jsonl" in files and "events.jsonl" in files
    for name, data in files.items():
        for enc in ("utf-8", "utf-16-le", "utf-16-be"):
            for part in (SECRET, "Hunter2", "Secret!"):
                assert part.encode(enc) not in data, f"{part!r} found in {name} ({enc})"

    # The elements under the clicks: text, password text, text, with the widgets' boxes.
    hits = {e["event_id"]: e for e in elements(out) if e["kind"] == "hit"}
    user_hit, pw_hit, back_hit = (hits[d["id"]] for d in downs)
    assert user_hit["source"] == "atspi" and user_hit["role"] == TEXT_ROLE
    assert user_hit["role_name"] == "text" and user_hit["name"] == "User name:"
    assert user_hit["box"] == boxes["user"]  # region origin is (0, 0)
    assert pw_hit["role"] == PASSWORD_ROLE and pw_hit["password"] is True
    assert pw_hit["role_name"] == "password text" and pw_hit["box"] == boxes["password"]
    assert back_hit["role"] == TEXT_ROLE
    for h in (user_hit, pw_hit, back_hit):
        assert h["app"] and h["toolkit"] == "Qt" and h["pid"] == app.proc.pid
        assert 0 < h["latency_us"] < 1_000_000
    focus = [e for e in elements(out) if e["kind"] == "focus"]
    pw_focus = [f for f in focus if f.get("password")]
    assert pw_focus and pw_focus[0]["box"] == boxes["password"]
    t_focus = pw_focus[0]["t"]
    assert t_pw - 50_000 < t_focus < t_pw + 200_000

    # The password field is black in every frame while it has focus, and not before.
    x, y, w, h = boxes["password"]

    def box_mean(rgb: np.ndarray) -> float:
        return float(rgb[y + 3:y + h - 3, x + 3:x + w - 3].mean())

    means = decode_all(b.video_path, box_mean)
    frames = b.frames
    focused = [int(frames.pts[i]) for i in range(len(frames))
               if t_focus + 100_000 <= frames.t[i] <= t_back - 50_000 and frames.pts[i] >= 0]
    unfocused = [int(frames.pts[i]) for i in range(len(frames))
                 if downs[0]["t"] + 100_000 <= frames.t[i] < t_pw and frames.pts[i] >= 0]
    assert len(focused) >= 5 and unfocused
    assert max(means[p] for p in focused) < 20, "the password field is not blacked out"
    assert min(means[p] for p in unfocused) > 150, "the empty field should be visible"


def test_tab_then_type_at_once_is_masked(xserver, a11y_env, start_env_app, tmp_path):
    """The hard case: Tab and the secret's first key leave together (one xdotool command),
    so the keys reach the recorder before the focus event the Tab causes."""
    env = a11y_env
    app = start_env_app("tests.apps.login_app", a11y_app_env(env),
                        "--geometry", ",".join(map(str, GEOMETRY)))
    boxes = read_boxes(app)
    wait_registered(env["DBUS_SESSION_BUS_ADDRESS"], app.proc.pid)
    out = tmp_path / "rec"
    proc = start_recording(env, out)
    secret = "Tab2Secret?"
    try:
        click(xserver, env, *centre(boxes["user"]))
        time.sleep(0.2)
        type_text(env, "bob")
        subprocess.run(["xdotool", "key", "Tab", "type", "--delay", "30", secret], env=env,
                       check=True, timeout=60)
        time.sleep(0.5)
    finally:
        stop_recording(proc)
    lines = app.close()
    assert f"password {len(secret)}" in lines
    b = Bundle.open(out)
    keys = [e for e in b.events if e["kind"] in ("key_down", "key_up")]
    tab = next(e for e in keys if e["kind"] == "key_down" and e["key"] == "tab")
    after = [e for e in keys if e["t"] > tab["t"]]
    assert len([e for e in after if e["kind"] == "key_down"]) >= len(secret)
    assert all(e.get("masked") and e["char"] is None and e["vk"] is None for e in after), after
    assert "".join(e["char"] or "" for e in keys if e["kind"] == "key_down") == "bob"
    for name, data in all_bytes(out).items():
        assert secret.encode() not in data and b"Tab2" not in data, name


def test_no_accessibility_bus_says_focus_unknown_and_still_records(xserver, bare_bus_env,
                                                                    start_env_app, tmp_path):
    env = bare_bus_env
    app = start_env_app("tests.apps.login_app", a11y_app_env(env),
                        "--geometry", ",".join(map(str, GEOMETRY)))
    boxes = read_boxes(app)
    out = tmp_path / "rec"
    proc = start_recording(env, out)
    try:
        click(xserver, env, *centre(boxes["user"]))
        time.sleep(0.2)
        type_text(env, "bob")
        time.sleep(0.3)
    finally:
        stop_recording(proc)
    app.close()
    b = Bundle.open(out)
    a11y = b.manifest["a11y"]
    assert a11y["available"] is False and a11y["focus_source"] == "none"
    assert "no accessibility bus" in a11y["reason"]
    assert a11y["password_masking"] is False and a11y["elements_file"] is None
    assert not (out / "elements.jsonl").exists()
    typed = "".join(e["char"] for e in b.events if e["kind"] == "key_down" and e["char"])
    assert typed == "bob"
    assert [e["kind"] for e in b.events if e["kind"] == "mouse_down"] == ["mouse_down"]
    assert b.status == "complete" and b.manifest["problems"] == []


def test_worker_without_session_bus_says_why(monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    w = AtspiWorker()
    status = w.start()
    assert status.available is False and status.focus_source == "none"
    assert "no session D-Bus" in status.reason


def test_hit_tests_say_none_where_no_tree_exists(xserver, a11y_env, start_env_app,
                                                 monkeypatch):
    """In-process worker: a Qt field is found; a plain X window (xmessage) has no tree; the
    bare root has no window; IsEnabled is set while running and restored after."""
    env = a11y_env
    app = start_env_app("tests.apps.login_app", a11y_app_env(env),
                        "--geometry", "100,100,500,300", "--search")
    boxes = read_boxes(app)
    wait_registered(env["DBUS_SESSION_BUS_ADDRESS"], app.proc.pid)
    xmsg = subprocess.Popen(["xmessage", "-geometry", "300x100+800+100", "no tree here"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["xdotool", "search", "--class", "Xmessage"], env=env,
                             capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "xmessage did not show"
            time.sleep(0.1)
        time.sleep(0.3)
        for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
            monkeypatch.setenv(k, env[k])
        set_enabled(env, False)  # the launcher may have turned it on already
        w = AtspiWorker()
        assert w.start().available
        try:
            assert is_enabled(env) is True
            pw = w.hit_test(*centre(boxes["password"]))
            assert pw.role == PASSWORD_ROLE and pw.password
            assert [pw.box.x, pw.box.y, pw.box.width, pw.box.height] == boxes["password"]
            assert pw.pid == app.proc.pid and pw.toolkit == "Qt"
            assert pw.latency_us is not None and pw.latency_us < 500_000
            assert pw.parent is None and pw.labelled_by is None  # named: relations not read
            # An element with no name of its own: its relations say what it is.
            search = w.hit_test(*centre(boxes["search"]))
            assert search.role_name == "push button" and not search.name, search
            assert search.parent is not None and search.parent[0] == "Search", search
            rec = search.to_record()
            assert rec["parent"]["name"] == "Search" and rec["parent"]["role_name"]
            plain = w.hit_test(950, 150)
            assert plain.source == "none" and "no accessibility tree" in plain.reason, plain
            assert plain.app == "Xmessage"
            nothing = w.hit_test(1500, 900)
            assert nothing.source == "none" and "no window" in nothing.reason
        finally:
            w.stop()
        # Restoring IsEnabled is not asserted: on some runs the bus launcher turns it back on
        # by itself right after the worker restores it (seen in CI), which is not ours to fix.
    finally:
        xmsg.terminate()
        xmsg.wait(10)


def set_enabled(env: dict[str, str], value: bool) -> None:
    from jeepney import DBusAddress, Properties
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(env["DBUS_SESSION_BUS_ADDRESS"]) as conn:
        msg = Properties(DBusAddress("/org/a11y/bus", "org.a11y.Bus", "org.a11y.Status")) \
            .set("IsEnabled", "b", value)
        conn.send_and_get_reply(msg, timeout=2)
    assert is_enabled(env) is value


def is_enabled(env: dict[str, str]) -> bool:
    from jeepney import DBusAddress, Properties
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(env["DBUS_SESSION_BUS_ADDRESS"]) as conn:
        msg = Properties(DBusAddress("/org/a11y/bus", "org.a11y.Bus", "org.a11y.Status")) \
            .get("IsEnabled")
        return bool(conn.send_and_get_reply(msg, timeout=2).body[0][1])


def test_lost_connection_is_reported_and_keys_still_decided(a11y_env, monkeypatch):
    import socket

    for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
        monkeypatch.setenv(k, a11y_env[k])
    problems: list[str] = []
    w = AtspiWorker(on_problem=problems.append)
    assert w.start().available
    try:
        w._link.conn.sock.shutdown(socket.SHUT_RDWR)  # the bus goes away
        deadline = time.monotonic() + 5
        while w.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not w.alive() and w.lost
        assert problems and "connection was lost" in problems[0]
        now = time.monotonic_ns()
        assert w.decide(now - 100_000_000, now_ns=now) is False  # no waiting on a dead worker
        got = []
        w.request_hit(1, now, 10, 10, lambda *a: got.append(a[2]))
        assert got and got[0].source == "none"
    finally:
        w.stop()


def test_a_registry_that_leaves_holding_the_first_call_is_asked_again(a11y_env, monkeypatch):
    """A registry that goes away with the start's call unanswered (the bus answers "recipient
    disconnected without replying": a registry replaced as it started, seen on a loaded
    machine) does not turn accessibility off for the recording: the bus starts it again."""
    import threading

    from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call, new_method_return
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
        monkeypatch.setenv(k, a11y_env[k])
    with open_dbus_connection(a11y_env["DBUS_SESSION_BUS_ADDRESS"]) as sess:
        reply = sess.send_and_get_reply(new_method_call(
            DBusAddress("/org/a11y/bus", "org.a11y.Bus", "org.a11y.Bus"), "GetAddress"),
            timeout=5)
    # The registry's name is taken first by one that answers nothing but RegisterEvent and
    # disconnects on GetChildren.
    impostor = open_dbus_connection(reply.body[0])
    got = impostor.send_and_get_reply(new_method_call(
        message_bus, "RequestName", "su", ("org.a11y.atspi.Registry", 4)), timeout=5)
    assert got.body[0] == 1, "the real registry was already running"
    asked: list[str] = []

    def serve() -> None:
        while True:
            msg = impostor.receive(timeout=30)
            if msg.header.message_type is not MessageType.method_call:
                continue
            member = msg.header.fields.get(HeaderFields.member)
            asked.append(member)
            if member == "GetChildren":
                impostor.close()
                return
            impostor.send(new_method_return(msg))

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    w = AtspiWorker()
    try:
        status = w.start()
        assert "GetChildren" in asked  # the impostor was asked and left without answering
        assert status.available, status.reason
    finally:
        w.stop()
        t.join(5)
