"""Drafts of a real recording: Xvfb, the private accessibility bus, a Qt window of labelled
controls (a menu, buttons, a field with its label beside it, a list) and one unlabelled icon
button, the real recorder, xdotool clicking, typing and pressing a hotkey.  The drafts must
name the right control for every labelled one and mark the icon button weak; with the
accessibility records ignored (OCR only), the same for every control with visible text."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from annotator.bundle import Bundle
from annotator.drafts import Drafter, Guard
from annotator.drafts.frames import BundleFrames
from annotator.drafts.inputs import BundleContext, derived_inputs
from annotator.steps import load_or_derive
from tests.a11y.conftest import a11y_app_env, wait_registered
from tests.a11y.test_capture_a11y import centre, start_recording, stop_recording

pytestmark = pytest.mark.x11

CLICKS = ["Save draft", "Customer", "Receipts", "icon", "File", "Export report",
          "Send invoice"]


def xdo(env, *args):
    subprocess.run(["xdotool", *args], env=env, check=True, timeout=60)


def click_at(env, b):
    x, y = centre(b)
    xdo(env, "mousemove", str(x), str(y))
    time.sleep(0.25)  # hover settles before the press, as a hand would
    xdo(env, "click", "1")
    time.sleep(0.35)


def test_drafts_name_every_labelled_control_with_and_without_accessibility(
        xserver, a11y_env, start_env_app, tmp_path):
    env = a11y_env
    app = start_env_app("tests.apps.drafts_app", a11y_app_env(env))
    boxes = json.loads(next(x for x in app.lines if x.startswith("ready "))[6:])
    wait_registered(env["DBUS_SESSION_BUS_ADDRESS"], app.proc.pid)
    out = tmp_path / "rec"
    proc = start_recording(env, out)
    try:
        click_at(env, boxes["Save draft"])
        click_at(env, boxes["Customer"])
        xdo(env, "type", "--delay", "60", "Acme")
        time.sleep(0.3)
        xdo(env, "key", "ctrl+s")
        time.sleep(0.3)
        click_at(env, boxes["Receipts"])
        click_at(env, boxes["icon"])
        click_at(env, boxes["File"])
        items = json.loads(app.read_until("popup ")[6:])
        click_at(env, items["Export report"])
        click_at(env, boxes["Send invoice"])
    finally:
        stop_recording(proc)
    app.close()

    b = Bundle.open(out)
    assert b.manifest["a11y"]["available"] is True
    steps = load_or_derive(out).steps
    assert [s.type for s in steps] == ["click", "click", "type", "hotkey", "click", "click",
                                       "click", "click", "click"]
    clicks = [i for i, s in enumerate(steps) if s.type == "click"]
    ctx = BundleContext(b)
    with_a11y = derived_inputs(steps, ctx)

    def fresh(i: int) -> bool:  # the recorder's element, read before the screen changed
        el = with_a11y[i].element
        return bool(el) and not el.get("stale")

    assert any(fresh(i) for i in clicks), "no click got its element"
    ocr_only = derived_inputs(steps, ctx)
    for si in ocr_only:
        si.element = si.focus = None
    frames = BundleFrames(out, b.video_path)
    try:
        for mode, inputs in (("accessibility", with_a11y), ("OCR only", ocr_only)):
            drafter = Drafter(Guard(), frames, context=ctx)
            drafts = [drafter.draft(inputs, i) for i in range(len(steps))]
            for i, name in zip(clicks, CLICKS, strict=True):
                d = drafts[i]
                if name == "icon":
                    assert d.weak and "unlabelled" in d.text, (mode, d)
                    continue
                assert not d.weak and d.target.name == name, (mode, name, d)
            assert drafts[2].text == 'Type "Acme" into the Customer field', (mode, drafts[2])
            assert drafts[3].text == "Press Ctrl+S to save"
            assert drafts[clicks[1]].text == "Click the Customer field"
            if mode == "accessibility":
                # What only the element says, where the recorder got one: its hit test has a
                # budget of its own, which a heavily loaded machine may exceed (the draft then
                # reads the screen, as checked above).
                if fresh(clicks[0]):
                    assert drafts[clicks[0]].target.source == "a11y"
                    assert drafts[clicks[0]].target.box == boxes["Save draft"]
                assert drafts[clicks[2]].text in ('Select "Receipts"', 'Click "Receipts"')
                if fresh(clicks[4]):
                    assert drafts[clicks[4]].text == 'Open the "File" menu'
    finally:
        frames.close()
