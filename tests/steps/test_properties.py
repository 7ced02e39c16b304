"""Property tests over random raw event streams (hypothesis)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.steps import Params, derive_bundle
from annotator.steps import model as m
from tests.steps.helpers import Script, make_bundle

W, H = 200, 150
PRESS_KINDS = {"mouse_down", "mouse_up", "key_down", "key_up", "scroll"}
KEYS = ["a", "b", "x", "1", "space", "enter", "tab", "backspace", "escape", "up", "f5",
        "shift", "ctrl", "alt", "altgr", "cmd", "caps_lock", "keysym_65056"]
BUTTONS = ["left", "left", "left", "right", "middle"]

coord_x = st.one_of(st.integers(0, W - 1), st.integers(0, 12), st.integers(-30, W + 30))
coord_y = st.one_of(st.integers(0, H - 1), st.integers(0, 12), st.integers(-30, H + 30))
point = st.tuples(coord_x, coord_y)
gap = st.sampled_from([0, 1, 10, 50, 120, 300, 600, 2500])

op = st.one_of(
    st.tuples(st.just("move"), point),
    st.tuples(st.just("down"), st.sampled_from(BUTTONS), point),
    st.tuples(st.just("up"), st.sampled_from(BUTTONS), point),
    st.tuples(st.just("click"), st.sampled_from(BUTTONS), point),
    st.tuples(st.just("drag"), st.sampled_from(BUTTONS), st.lists(point, min_size=2,
                                                                   max_size=5)),
    st.tuples(st.just("scroll"), point, st.integers(-2, 2), st.integers(-2, 2)),
    st.tuples(st.just("kdown"), st.sampled_from(KEYS)),
    st.tuples(st.just("kup"), st.sampled_from(KEYS)),
    st.tuples(st.just("press"), st.sampled_from(KEYS)),
    st.tuples(st.just("type"), st.text(alphabet="abAB !", min_size=1, max_size=6)),
    st.tuples(st.just("hotkey"), st.lists(st.sampled_from(["ctrl", "shift", "alt"]),
                                          min_size=1, max_size=2, unique=True),
              st.sampled_from(["a", "x", "enter", "tab", "f5"])),
    st.tuples(st.just("multiclick"), point, st.integers(2, 4), st.sampled_from([40, 150, 450])),
    st.tuples(st.just("pause")),
    st.tuples(st.just("resume")),
    st.tuples(st.just("unknown")),
)


def char_for(key: str, mods: set[str]) -> str | None:
    if key in ("a", "b", "x"):
        return key.upper() if "shift" in mods else key
    if key == "1":
        return "!" if "shift" in mods else "1"
    if key == "space":
        return " "
    return None


def play(ops) -> Script:
    s = Script(t0_ms=200)
    for ms, o in ops:
        s.wait(ms)
        kind = o[0]
        if kind == "move":
            s.move(*o[1], ms=0)
        elif kind == "down":
            s.down(*o[2], button=o[1], ms=0)
        elif kind == "up":
            s.up(*o[2], button=o[1], ms=0)
        elif kind == "click":
            s.click(*o[2], button=o[1], ms=0)
        elif kind == "drag":
            s.drag(o[2], button=o[1], ms=0)
        elif kind == "scroll":
            s.scroll(*o[1], dy=o[2], dx=o[3], ms=0)
        elif kind == "kdown":
            s.key_down(o[1], char_for(o[1], s.mods), ms=0)
        elif kind == "kup":
            s.key_up(o[1], char_for(o[1], s.mods), ms=0)
        elif kind == "press":
            c = char_for(o[1], s.mods)
            s.key_down(o[1], c, ms=0).key_up(o[1], c, ms=20)
        elif kind == "type":
            s.type(o[1], ms=0)
        elif kind == "hotkey":
            s.hotkey(*o[1], o[2], ms=0)
        elif kind == "multiclick":
            for i in range(o[2]):
                s.click(*o[1], ms=0 if i == 0 else o[3])
        elif kind == "pause":
            s.pause(0)
        elif kind == "resume":
            s.resume(0)
        else:
            s.raw("mystery", ms=0, x=1)
    return s


@st.composite
def frame_index(draw):
    times = sorted(set(draw(st.lists(st.integers(0, 12_000_000), max_size=80))))
    rows, last_pts = [], None
    for i, t in enumerate(times):
        changed = i == 0 or draw(st.booleans())
        stored = changed and draw(st.integers(0, 9)) > 0 or (not changed and draw(
            st.integers(0, 9)) == 0 and last_pts is not None)
        if stored:
            last_pts = t
        rows.append({"i": i, "t": t, "pts": last_pts, "stored": stored, "changed": changed})
    return rows


@st.composite
def focus_records(draw):
    out = []
    for t in sorted(set(draw(st.lists(st.integers(0, 12_000_000), max_size=4)))):
        box = draw(st.one_of(st.none(), st.tuples(st.integers(-300, 300), st.integers(-300, 300),
                                                  st.integers(1, 300), st.integers(1, 300))))
        out.append({"t": t, "kind": "focus", "title": f"w{t}", "app": "app",
                    "window_id": t, "box": list(box) if box else None})
    return out


def inside(x, y) -> bool:
    return 0 <= x < W and 0 <= y < H


# STEPS_EXAMPLES=5000 for a longer soak than the suite's default.
@settings(max_examples=int(os.environ.get("STEPS_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(gap, op), max_size=40), frames=frame_index(),
       windows=focus_records(), outcome=st.sampled_from([None, "success"]),
       waits=st.sampled_from([None, 1_000_000]))
def test_step_invariants(ops, frames, windows, outcome, waits):
    s = play(ops)
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_bundle(Path(tmp) / "b", s, frames=frames, windows=windows, size=(W, H))
        params = Params(wait_min_us=waits)
        doc = derive_bundle(folder, params=params, outcome=outcome)
        again = derive_bundle(folder, params=params, outcome=outcome)
    steps = doc.steps
    by_id = {e["id"]: e for e in s.events}

    # Deterministic, with unique ids and contiguous indices.
    assert again.to_dict() == doc.to_dict()
    assert len({x.id for x in steps}) == len(steps)
    assert [x.index for x in steps] == list(range(len(steps)))

    # Every press and release belongs to exactly one step, or is dropped once, with a reason.
    owner: dict[int, int] = {}
    for x in steps:
        for eid in x.raw_event_ids:
            assert eid not in owner, f"event {eid} in two steps"
            owner[eid] = x.index
            assert by_id[eid]["kind"] in PRESS_KINDS | {"mouse_move"}
    dropped = [eid for ids in doc.dropped.values() for eid in ids]
    assert len(dropped) == len(set(dropped))
    assert not set(dropped) & set(owner)
    for e in s.events:
        if e["kind"] in PRESS_KINDS:
            assert (e["id"] in owner) != (e["id"] in set(dropped)), e
        if e["kind"] == "mouse_down" and inside(e["x"], e["y"]):
            assert e["id"] in owner, e

    # Ordered and not overlapping.
    for a, b in zip(steps, steps[1:], strict=False):
        assert a.t_start_us <= b.t_start_us
        assert a.t_end_us <= b.t_start_us
    for x in steps:
        assert x.t_start_us <= x.t_end_us
        # Observation strictly earlier (also in whole milliseconds); result later.
        if x.obs_t_us is not None:
            assert x.obs_t_us < x.t_start_us
            assert x.obs_t_us // 1000 < x.t_start_us // 1000
            assert x.obs_pts is not None and 0 <= x.obs_pts <= x.obs_t_us
        else:
            assert "no_observation" in x.flags
        if x.result_t_us is not None:
            assert x.result_t_us > x.t_end_us or x.type == m.WAIT
        # Every coordinate inside its screenshot.
        if x.x is not None:
            assert inside(x.x, x.y)
        for p in x.path or []:
            assert inside(p["x"], p["y"])

    # What an exporter's validator requires of each type.
    for x in steps:
        if x.type == m.TYPE:
            assert isinstance(x.text, str) and (x.text or "empty_text" in x.flags)
        elif x.type in (m.KEY, m.HOTKEY):
            assert x.keys and x.keys[-1] not in ("shift", "ctrl", "alt", "altgr", "cmd")
            assert (x.type == m.HOTKEY) == (len(x.keys) > 1)
        elif x.type == m.SCROLL:
            assert (x.scroll_dx, x.scroll_dy) != (0, 0)
        elif x.type == m.DRAG:
            assert len(x.path) >= 2
        elif x.type == m.TERMINATE:
            assert x is steps[-1]
    assert (outcome is not None) == any(x.type == m.TERMINATE for x in steps)
