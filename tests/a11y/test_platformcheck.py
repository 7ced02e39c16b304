"""The up-front platform checks (``annotator check``, the app's first start) against real
sessions: an X server, a session D-Bus with and without the accessibility bus, Tesseract's
data present and hidden."""

from __future__ import annotations

import json

from annotator import platformcheck as pc
from tests.conftest import run_annotator


def _by_key(out: str) -> dict[str, dict]:
    return {c["key"]: c for c in json.loads(out)}


def test_everything_present(a11y_env, tmp_path):
    res = run_annotator(["--workspace", str(tmp_path / "ws"), "check", "--json"], a11y_env)
    checks = _by_key(res.stdout)
    assert checks["display"]["ok"], checks["display"]
    assert checks["accessibility"]["ok"], checks["accessibility"]
    assert checks["ocr"]["ok"], checks["ocr"]
    assert checks["disk"]["ok"]
    assert res.returncode == 0, res.stderr  # the keyring is only recommended


def test_missing_pieces_say_what_they_mean(bare_bus_env, tmp_path):
    empty = tmp_path / "no-tessdata"
    empty.mkdir()
    env = bare_bus_env | {"TESSDATA_PREFIX": str(empty)}
    env.pop("DISPLAY")
    res = run_annotator(["--workspace", str(tmp_path / "ws"), "check"], env)
    assert res.returncode == 1, res.stderr  # a required piece (display, OCR) is missing
    text = res.stdout
    assert "✗ X11 session" in text and "You cannot record on this session" in text
    assert "✗ Accessibility bus" in text
    assert "Password fields cannot be detected" in text and "mask it yourself" in text
    assert "submitting stays blocked" in text
    assert text.count("What to do:") >= 3


def test_no_session_bus_and_wayland(monkeypatch, xdisplay):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    a = pc.check_accessibility()
    assert not a.ok and "no session D-Bus" in a.found
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    d = pc.check_display()
    assert not d.ok and d.level == pc.RECOMMENDED and "Wayland" in d.found
    assert "X11 session" in d.fix


def test_a_failing_check_does_not_stop_the_others(monkeypatch, tmp_path):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(pc, "check_keyring", lambda root=None: broken())
    checks = {c.key: c for c in pc.run_checks(tmp_path)}
    assert not checks["keyring"].ok and "boom" in checks["keyring"].found
    assert set(checks) == {"display", "accessibility", "keyring", "ocr", "disk",
                           "preferences"}
