"""End to end under Xvfb: a scripted scenario driven by xdotool on a test window, recorded by
the real recorder, gives exactly the scripted steps."""

from __future__ import annotations

import argparse
import selectors
import signal
import time

import pytest

from annotator.cli import steps_cmd
from annotator.steps import derive_bundle
from tests.apps import steps_app
from tests.conftest import start_annotator

WIN = (150, 100)  # the test window's origin (root pixels; no window manager moves it)
REGION = (100, 50, 1000, 700)  # recorded with --region: steps are relative to its origin
PAUSE_S = 0.7  # between actions: longer than the multi-click, scroll and key-repeat gaps


def root(widget: tuple[int, int, int, int], dx: int, dy: int) -> tuple[int, int]:
    """Root pixels of a point (dx, dy) inside a child of the test window."""
    return WIN[0] + widget[0] + dx, WIN[1] + widget[1] + dy


def shot(p: tuple[int, int]) -> tuple[int, int]:
    """The same point in pixels of the stored screenshot."""
    return p[0] - REGION[0], p[1] - REGION[1]


def move(p):
    return ["mousemove", str(p[0]), str(p[1])]


def drag_cmd(points):
    cmd = move(points[0]) + ["mousedown", "1"]
    for p in points[1:]:
        cmd += ["sleep", "0.05"] + move(p)
    return cmd + ["sleep", "0.05", "mouseup", "1"]


CANVAS, LIST, F1, F2 = steps_app.CANVAS, steps_app.LIST, steps_app.FIELD1, steps_app.FIELD2
DRAG1 = [root(CANVAS, 50, 150), root(CANVAS, 110, 200), root(CANVAS, 180, 250),
         root(CANVAS, 250, 300), root(CANVAS, 300, 320)]
DRAG2 = [root(CANVAS, 150, 50), root(CANVAS, 120, 120), root(CANVAS, 60, 260),
         root(CANVAS, 30, 280)]
OUTSIDE = (20, 20)  # left of and above the recorded region

# (expected step, xdotool arguments or a list of invocations).  Expected: (type, point or
# text or keys, ...).
SCENARIO = [
    (("click", root(CANVAS, 100, 100)), move(root(CANVAS, 100, 100)) + ["click", "1"]),
    (("click", root(LIST, 80, 30)), move(root(LIST, 80, 30)) + ["click", "1"]),
    (("double_click", root(LIST, 90, 80)),
     move(root(LIST, 90, 80)) + ["click", "--repeat", "2", "--delay", "80", "1"]),
    (("right_click", root(CANVAS, 250, 200)), move(root(CANVAS, 250, 200)) + ["click", "3"]),
    (("drag", DRAG1[0], DRAG1[-1]), drag_cmd(DRAG1)),
    (("scroll", root(LIST, 130, 200), 3),
     move(root(LIST, 130, 200)) + ["click", "--repeat", "3", "--delay", "60", "5"]),
    (("scroll", root(LIST, 130, 200), -2),
     move(root(LIST, 130, 200)) + ["click", "--repeat", "2", "--delay", "60", "4"]),
    (("click", root(F1, 150, 20)), move(root(F1, 150, 20)) + ["click", "1"]),
    # Three invocations: xdotool's `type` takes the rest of its command line as text.
    (("type", "Hello world"),
     [["type", "--delay", "90", "Hello wrold"],
      ["key", "--delay", "90", "BackSpace", "BackSpace", "BackSpace", "BackSpace"],
      ["type", "--delay", "90", "orld"]]),
    (("key", "enter"), ["key", "Return"]),
    (("key", "tab"), ["key", "Tab"]),
    (("click", root(F2, 100, 20)), move(root(F2, 100, 20)) + ["click", "1"]),
    (("type", "abc"), ["type", "--delay", "90", "abc"]),
    (("hotkey", "ctrl+s"), ["key", "ctrl+s"]),
    (("hotkey", "ctrl+shift+t"), ["key", "ctrl+shift+t"]),
    (("key", "escape"), ["key", "Escape"]),
    (("middle_click", root(CANVAS, 150, 350)), move(root(CANVAS, 150, 350)) + ["click", "2"]),
    (("triple_click", root(F1, 200, 20)),
     move(root(F1, 200, 20)) + ["click", "--repeat", "3", "--delay", "80", "1"]),
    (("type", "New text"), ["type", "--delay", "90", "New text"]),
    (("key", "left"), ["key", "Left"]),
    (("hotkey", "ctrl+a"), ["key", "ctrl+a"]),
    (("scroll", root(CANVAS, 350, 100), 2),
     move(root(CANVAS, 350, 100)) + ["click", "--repeat", "2", "--delay", "60", "5"]),
    (None, move(OUTSIDE) + ["click", "1"]),  # outside the region: no step
    (("click", root(CANVAS, 110, 160)), move(root(CANVAS, 110, 160)) + ["click", "1"]),
    (("drag", DRAG2[0], DRAG2[-1]), drag_cmd(DRAG2)),
    (("key", "f2"), ["key", "F2"]),
    (("key", "up"), ["key", "Up"]),
    (("hotkey", "shift+tab"), ["key", "shift+Tab"]),
    (("click", root(F2, 60, 20)), move(root(F2, 60, 20)) + ["click", "1"]),
    (("type", "xyz"), ["type", "--delay", "90", "xyz"]),
    (("key", "enter"), ["key", "Return"]),
    (("scroll", root(LIST, 200, 250), -1), move(root(LIST, 200, 250)) + ["click", "4"]),
]
EXPECTED = [e for e, _ in SCENARIO if e is not None]


def near(a: tuple[int, int], x: int | None, y: int | None) -> bool:
    ex, ey = shot(a)
    return x is not None and abs(x - ex) <= 2 and abs(y - ey) <= 2


def matches(step, expected) -> bool:
    kind = expected[0]
    if step.type != kind:
        return False
    if kind == "type":
        return step.text == expected[1]
    if kind in ("key", "hotkey"):
        return "+".join(step.keys) == expected[1] and step.repeat == 1
    if kind == "drag":
        p0, p1 = step.path[0], step.path[-1]
        return near(expected[1], p0["x"], p0["y"]) and near(expected[2], p1["x"], p1["y"])
    if kind == "scroll":
        return near(expected[1], step.x, step.y) and (step.scroll_dx, step.scroll_dy) == \
            (0, expected[2])
    return near(expected[1], step.x, step.y)


def wait_for_line(proc, prefix: str, timeout: float = 30) -> None:
    sel = selectors.DefaultSelector()
    sel.register(proc.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        if sel.select(timeout=0.2):
            line = proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith(prefix):
                return
    raise AssertionError(f"the recorder did not start: {''.join(seen)}")


@pytest.mark.x11
@pytest.mark.slow
def test_recorded_scenario_gives_the_scripted_steps(xserver, start_app, tmp_path, capsys):
    assert len(EXPECTED) >= 25
    app = start_app("tests.apps.steps_app", "--geometry", f"{WIN[0]},{WIN[1]}")
    env = dict(xserver.env, ANNOTATOR_HOME=str(tmp_path / "home"))
    out = tmp_path / "rec"
    region = ",".join(str(v) for v in REGION)
    rec = start_annotator(["record", "--no-control", "--yes", "--out", str(out),
                           "--region", region], env)
    try:
        wait_for_line(rec, "Recording to")
        time.sleep(0.8)  # the first focus record and a few settled frames
        for _, cmd in SCENARIO:
            for invocation in cmd if isinstance(cmd[0], list) else [cmd]:
                xserver.xdotool(*invocation)
            time.sleep(PAUSE_S)
    finally:
        rec.send_signal(signal.SIGTERM)
        _, err = rec.communicate(timeout=60)
    assert rec.returncode == 0, err
    lines = app.close()
    # The script did what it says to the window (so the steps are checked against reality).
    assert "text first 'Hello world'" in lines and "text first 'New text'" in lines, lines
    assert any(line.startswith("double Row") for line in lines)

    doc = derive_bundle(out)
    got = doc.steps
    report = "\n".join(f"{s.type} {s.describe()}" for s in got)
    assert len(got) == len(EXPECTED), report
    for step, expected in zip(got, EXPECTED, strict=True):
        assert matches(step, expected), f"{step.type} {step.describe()} != {expected}\n{report}"
    assert doc.out_of_area == 2  # the press and release outside the region
    assert doc.counts["dropped"]["lone_modifier"] == 0
    for s in got:
        assert s.window_title == "Steps test", s
        assert s.obs_t_us is not None and s.obs_t_us < s.t_start_us
        assert (s.display_id, s.scale) == (doc.screen["display_id"], doc.screen["scale"])
    assert doc.screen["width"] == REGION[2] and doc.screen["height"] == REGION[3]

    # `annotator steps` on the fresh recording prints them and stores steps.json.
    p = argparse.ArgumentParser()
    steps_cmd.add_parser(p.add_subparsers(dest="command"))
    assert steps_cmd.run(p.parse_args(["steps", str(out), "--thumbs"])) == 0
    printed = capsys.readouterr().out
    assert "'Hello world'" in printed and "ctrl+shift+t" in printed
    assert "outside the captured area (no step): 2 event(s)" in printed
    assert (out / "steps.json").is_file() and any((out / "thumbs").iterdir())
