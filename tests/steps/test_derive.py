"""Table-driven tests: hand-written raw event streams -> the steps a trainer expects."""

from __future__ import annotations

import pytest

from annotator.steps import Params
from tests.steps.helpers import Script, summary

S = Script

CASES = [
    # -- clicks --------------------------------------------------------------------------
    ("click", lambda: S().click(100, 200), [("click", 100, 200)]),
    ("right click", lambda: S().click(100, 200, "right"), [("right_click", 100, 200)]),
    ("middle click", lambda: S().click(100, 200, "middle"), [("middle_click", 100, 200)]),
    ("double click", lambda: S().click(100, 200).click(101, 201, ms=120),
     [("double_click", 100, 200)]),
    ("two clicks too slow for a double click",
     lambda: S().click(100, 200).click(100, 200, ms=600),
     [("click", 100, 200), ("click", 100, 200)]),
    ("two quick clicks too far apart for a double click",
     lambda: S().click(100, 200).click(120, 200, ms=100),
     [("click", 100, 200), ("click", 120, 200)]),
    ("triple click", lambda: S().click(50, 60).click(50, 60, ms=100).click(50, 60, ms=100),
     [("triple_click", 50, 60)]),
    ("four quick clicks: a triple click, then a click",
     lambda: S().click(50, 60).click(50, 60, ms=100).click(50, 60, ms=100)
     .click(50, 60, ms=100),
     [("triple_click", 50, 60), ("click", 50, 60)]),
    ("right clicks never make a double click",
     lambda: S().click(10, 10, "right").click(10, 10, "right", ms=100),
     [("right_click", 10, 10), ("right_click", 10, 10)]),
    ("ctrl+click keeps the modifier",
     lambda: S().key_down("ctrl").click(300, 300).key_up("ctrl"),
     [("click", 300, 300, ("ctrl",))]),
    # -- drags ---------------------------------------------------------------------------
    ("drag", lambda: S().drag([(10, 10), (40, 30), (90, 80), (100, 100)]),
     [("drag", (10, 10), (100, 100))]),
    ("click with jitter is a click",
     lambda: S().drag([(200, 200), (202, 201), (203, 199), (202, 202)]),
     [("click", 200, 200)]),
    ("a move of 5 px is still a click", lambda: S().drag([(200, 200), (205, 200)]),
     [("click", 200, 200)]),
    ("a move of 6 px is a drag", lambda: S().drag([(200, 200), (206, 200)]),
     [("drag", (200, 200), (206, 200))]),
    ("jitter away and back is a drag",
     lambda: S().drag([(200, 200), (230, 200), (201, 200)]),
     [("drag", (200, 200), (201, 200))]),
    ("a drag after a click is not a double click",
     lambda: S().click(100, 100).drag([(100, 100), (150, 150)], ms=100),
     [("click", 100, 100), ("drag", (100, 100), (150, 150))]),
    # -- scrolls -------------------------------------------------------------------------
    ("scroll down, merged", lambda: S().scroll(300, 300, 1).scroll(300, 300, 1)
     .scroll(301, 300, 1), [("scroll", 300, 300, 0, 3)]),
    ("scroll up is negative", lambda: S().scroll(300, 300, -1).scroll(300, 300, -1),
     [("scroll", 300, 300, 0, -2)]),
    ("horizontal scroll", lambda: S().scroll(300, 300, 0, dx=1).scroll(300, 300, 0, dx=1),
     [("scroll", 300, 300, 2, 0)]),
    ("a reversal starts a new scroll", lambda: S().scroll(300, 300, 1).scroll(300, 300, 1)
     .scroll(300, 300, -1), [("scroll", 300, 300, 0, 2), ("scroll", 300, 300, 0, -1)]),
    ("a gap starts a new scroll", lambda: S().scroll(300, 300, 1).scroll(300, 300, 1, ms=700),
     [("scroll", 300, 300, 0, 1), ("scroll", 300, 300, 0, 1)]),
    ("scrolling somewhere else starts a new scroll",
     lambda: S().scroll(300, 300, 1).scroll(300, 360, 1),
     [("scroll", 300, 300, 0, 1), ("scroll", 300, 360, 0, 1)]),
    ("ctrl+scroll keeps the modifier",
     lambda: S().key_down("ctrl").scroll(300, 300, -1).key_up("ctrl"),
     [("scroll", 300, 300, 0, -1)]),
    # -- typing --------------------------------------------------------------------------
    ("typing", lambda: S().type("hello world"), [("type", "hello world")]),
    ("typing with shift", lambda: S().type("Hello World!"), [("type", "Hello World!")]),
    ("typing with backspace", lambda: S().type("helo").backspace(2).type("llo"),
     [("type", "hello")]),
    ("typing then deleting everything",
     lambda: S().type("ab").backspace(2), [("type", "")]),
    ("backspace with nothing typed is a key",
     lambda: S().press("backspace"), [("key", "backspace")]),
    ("held backspace: one key step, repeated",
     lambda: S().backspace(3, ms=80), [("key", "backspace", 3)]),
    ("typing interrupted by a click",
     lambda: S().type("abc").click(400, 300).type("def"),
     [("type", "abc"), ("click", 400, 300), ("type", "def")]),
    ("typing ended by Enter", lambda: S().type("abc").press("enter").type("def"),
     [("type", "abc"), ("key", "enter"), ("type", "def")]),
    ("typing ended by Tab", lambda: S().type("abc").press("tab").type("def"),
     [("type", "abc"), ("key", "tab"), ("type", "def")]),
    ("typing ended by idle", lambda: S().type("ab").wait(2500).type("cd"),
     [("type", "ab"), ("type", "cd")]),
    ("an arrow key ends typing", lambda: S().type("ab").press("left").type("c"),
     [("type", "ab"), ("key", "left"), ("type", "c")]),
    ("key rollover stays in the burst",
     lambda: S().key_down("a", "a").key_down("b", "b", 20).key_up("a", "a", 10)
     .key_up("b", "b"), [("type", "ab")]),
    ("caps lock folded into the text",
     lambda: S().press("caps_lock").type("abc").press("caps_lock").type("d"),
     [("type", "ABCd")]),
    ("shift with caps lock gives lower case",
     lambda: S().press("caps_lock").type("A").press("caps_lock"), [("type", "a")]),
    ("altgr character is typed",
     lambda: S().key_down("altgr").key_down("q", "@").key_up("q", "@").key_up("altgr"),
     [("type", "@")]),
    # -- keys and hotkeys ----------------------------------------------------------------
    ("typed capital is not a hotkey", lambda: S().type("A"), [("type", "A")]),
    ("ctrl+s", lambda: S().hotkey("ctrl", "s"), [("hotkey", "ctrl+s")]),
    ("ctrl+shift+t", lambda: S().hotkey("ctrl", "shift", "t"), [("hotkey", "ctrl+shift+t")]),
    ("modifier order is canonical", lambda: S().hotkey("shift", "ctrl", "t"),
     [("hotkey", "ctrl+shift+t")]),
    ("alt+f", lambda: S().hotkey("alt", "f"), [("hotkey", "alt+f")]),
    ("shift+tab as X reports it",
     lambda: S().key_down("shift").key_down("keysym_65056").key_up("shift")
     .key_up("tab"), [("hotkey", "shift+tab")]),
    ("escape", lambda: S().press("escape"), [("key", "escape")]),
    ("function key", lambda: S().press("f5"), [("key", "f5")]),
    ("arrows", lambda: S().press("up").press("down", ms=700), [("key", "up"), ("key", "down")]),
    ("the same key pressed slowly is two steps",
     lambda: S().press("escape").press("escape", ms=800),
     [("key", "escape"), ("key", "escape")]),
    ("ctrl held for two hotkeys",
     lambda: S().key_down("ctrl").key_down("c", "c").key_up("c", "c")
     .key_down("v", "v", 300).key_up("v", "v").key_up("ctrl"),
     [("hotkey", "ctrl+c"), ("hotkey", "ctrl+v")]),
    ("hotkey ends typing", lambda: S().type("abc").hotkey("ctrl", "a").type("x"),
     [("type", "abc"), ("hotkey", "ctrl+a"), ("type", "x")]),
    # -- dropped input -------------------------------------------------------------------
    ("lone modifiers are dropped",
     lambda: S().press("shift").press("ctrl").key_down("alt").key_up("alt").click(5, 5),
     [("click", 5, 5)]),
    ("the recorder's hotkey leaves lone modifiers",
     lambda: S().key_down("ctrl").key_down("alt", ms=20).pause(30).resume()
     .click(20, 20), [("click", 20, 20)]),
    ("unknown kinds are ignored",
     lambda: S().raw("gesture", x=1).click(1, 1).raw("touch"), [("click", 1, 1)]),
]


@pytest.mark.parametrize("name,build,expected", CASES, ids=[c[0] for c in CASES])
def test_derivation_table(derive, name, build, expected):
    doc = derive(build())
    assert [summary(s) for s in doc.steps] == expected


def test_every_press_and_release_of_a_click_belongs_to_it(derive):
    s = S().key_down("ctrl").click(300, 300).key_up("ctrl")
    doc = derive(s)
    assert doc.steps[0].raw_event_ids == [e["id"] for e in s.events]
    assert doc.steps[0].keys == ["ctrl"]


def test_drag_path_holds_every_point(derive):
    doc = derive(S().drag([(10, 10), (20, 15), (40, 30), (60, 60)]))
    (step,) = doc.steps
    assert [(p["x"], p["y"]) for p in step.path] == [(10, 10), (20, 15), (40, 30), (60, 60)]
    assert [p["t_us"] for p in step.path] == sorted(p["t_us"] for p in step.path)
    assert step.button == "left"


def test_drag_leaving_the_area_is_clamped(derive):
    doc = derive(S().drag([(700, 500), (790, 590), (900, 700)]))
    (step,) = doc.steps
    assert step.type == "drag"
    assert step.path[-1] == {"x": 799, "y": 599, "t_us": step.path[-1]["t_us"]}
    assert "path_clamped" in step.flags


def test_hotkey_and_typing_keep_their_keys(derive):
    doc = derive(S().hotkey("ctrl", "shift", "t").type("Ab"))
    hot, typ = doc.steps
    assert hot.keys == ["ctrl", "shift", "t"] and hot.text is None
    assert typ.text == "Ab" and typ.keys is None


def test_typing_with_enter_rollover_does_not_overlap(derive):
    s = S().key_down("o", "o").key_down("enter", None, 20).key_up("o", "o", 10) \
        .key_up("enter")
    doc = derive(s)
    typ, key = doc.steps
    assert (typ.text, key.keys) == ("o", ["enter"])
    assert typ.t_end_us <= key.t_start_us
    assert 3 in typ.raw_event_ids  # the late release stays with its key


def test_outside_area_input_makes_no_step_and_is_counted(derive):
    s = S().click(-10, 50).click(900, 100, ms=700).scroll(100, 700, 1).click(10, 10, ms=700)
    doc = derive(s)
    assert [summary(x) for x in doc.steps] == [("click", 10, 10)]
    assert doc.out_of_area == 5
    assert doc.counts["out_of_area"] == 5
    assert doc.dropped["outside_area"] == [1, 2, 3, 4, 5]


def test_drag_from_outside_into_the_area_is_outside(derive):
    doc = derive(S().drag([(-50, 10), (20, 10), (100, 10)]))
    assert doc.steps == []
    assert doc.dropped["outside_area"] == [1, 3]  # the press and release, not the move


def test_keys_to_a_window_outside_the_area_are_outside(derive):
    windows = [{"t": 0, "kind": "focus", "title": "Elsewhere", "app": "other",
                "window_id": 5, "box": [900, 0, 300, 200]}]
    doc = derive(S().type("secret"), windows=windows)
    assert doc.steps == []
    assert doc.out_of_area == 12


def test_lone_modifiers_are_listed(derive):
    s = S().press("shift").click(5, 5)
    doc = derive(s)
    assert doc.dropped["lone_modifier"] == [1, 2]
    assert doc.counts["dropped"]["lone_modifier"] == 2


def test_press_across_a_pause(derive):
    s = S().down(100, 100).pause().resume().up(100, 100).click(300, 300)
    doc = derive(s)
    click, after = doc.steps
    assert click.type == "click" and "no_release" in click.flags
    assert doc.dropped["orphan_release"] == [4]
    assert after.x == 300


def test_typing_does_not_continue_across_a_pause(derive):
    doc = derive(S().type("ab").pause().resume().type("cd", ms=10))
    assert [summary(s) for s in doc.steps] == [("type", "ab"), ("type", "cd")]


def test_focus_change_ends_typing(derive):
    s = S().type("ab")
    t = s.t + 50_000
    s.wait(400).type("cd")
    windows = [
        {"t": 0, "kind": "focus", "title": "One", "app": "one", "window_id": 1,
         "box": [0, 0, 800, 600]},
        {"t": t, "kind": "focus", "title": "Two", "app": "two", "window_id": 2,
         "box": [0, 0, 800, 600]},
    ]
    doc = derive(s, windows=windows)
    assert [(x.text, x.window_title, x.window_app) for x in doc.steps] == [
        ("ab", "One", "one"), ("cd", "Two", "two")]


def test_click_takes_the_window_it_focuses(derive):
    s = S().click(600, 100)
    t_click = s.events[0]["t"]
    s.wait(300).type("x")
    windows = [
        {"t": 0, "kind": "focus", "title": "Left", "app": "a", "window_id": 1,
         "box": [0, 0, 400, 600]},
        {"t": t_click + 90_000, "kind": "focus", "title": "Right", "app": "b",
         "window_id": 2, "box": [400, 0, 400, 600]},
    ]
    doc = derive(s, windows=windows)
    assert [(x.type, x.window_title) for x in doc.steps] == [("click", "Right"),
                                                             ("type", "Right")]


def test_typing_right_after_a_click_is_not_split_by_the_late_focus_record(derive):
    s = S().click(600, 100)
    t_click = s.events[0]["t"]
    s.type("hello", ms=40)
    windows = [{"t": t_click + 120_000, "kind": "focus", "title": "Right", "app": "b",
                "window_id": 2, "box": [400, 0, 400, 600]}]
    doc = derive(s, windows=windows)
    assert [summary(x) for x in doc.steps] == [("click", 600, 100), ("type", "hello")]
    assert doc.steps[1].window_title == "Right"


def test_waits_are_optional(derive):
    s = S().click(10, 10).wait(6000).click(20, 20)
    assert [x.type for x in derive(s).steps] == ["click", "click"]
    doc = derive(s, params=Params(wait_min_us=5_000_000))
    assert [x.type for x in doc.steps] == ["click", "wait", "click"]
    wait = doc.steps[1]
    assert wait.duration_us == wait.t_end_us - wait.t_start_us >= 5_000_000
    assert wait.raw_event_ids == []


def test_terminate_only_with_an_outcome(derive):
    s = S().click(10, 10)
    assert [x.type for x in derive(s).steps] == ["click"]
    doc = derive(s, outcome="success")
    assert [summary(x) for x in doc.steps] == [("click", 10, 10), ("terminate", "success")]
    assert doc.steps[-1].t_start_us >= doc.steps[0].t_end_us
    assert doc.outcome == "success"


def test_steps_carry_display_and_scale(derive):
    doc = derive(S().click(10, 10))
    step = doc.steps[0]
    assert (step.display_id, step.scale) == (":0.0", 1.0)
    assert doc.screen["width"] == 800 and doc.screen["height"] == 600


def test_masked_keys_become_placeholders_and_pair_their_releases():
    from annotator.steps.derive import MASK_CHAR, derive_events

    ev = [{"id": 1, "t": 1000, "kind": "mouse_down", "x": 10, "y": 10, "button": "left"},
          {"id": 2, "t": 1100, "kind": "mouse_up", "x": 10, "y": 10, "button": "left"}]
    t = 200_000
    for i in range(4):  # overlapping presses: down, down, up, up...
        ev.append({"id": 3 + 2 * i, "t": t + i * 50_000, "kind": "key_down", "key": "masked",
                   "char": None, "vk": None, "mods": [], "masked": True})
    for i in range(4):
        ev.append({"id": 4 + 2 * i, "t": t + 250_000 + i * 1000, "kind": "key_up",
                   "key": "masked", "char": None, "vk": None, "mods": [], "masked": True})
    der = derive_events(ev, width=100, height=100)
    kinds = [s.type for s in der.steps]
    assert kinds == ["click", "type"]
    typed = der.steps[1]
    assert typed.text == MASK_CHAR * 4 and typed.masked
    assert sorted(typed.raw_event_ids) == list(range(3, 11))


def test_a_title_change_of_the_focused_window_does_not_end_typing(derive):
    # An editor marks its title modified ("*Untitled") once typed into; the recorder
    # writes that as a focus record of the same window. Typing goes on.
    s = S().type("Meeting ")
    t = s.t + 20_000
    s.type("notes")
    windows = [
        {"t": 0, "kind": "focus", "title": "Untitled", "app": "ed", "window_id": 7,
         "box": [0, 0, 800, 600]},
        {"t": t, "kind": "focus", "title": "*Untitled", "app": "ed", "window_id": 7,
         "box": [0, 0, 800, 600]},
    ]
    doc = derive(s, windows=windows)
    assert [(x.text, x.window_title) for x in doc.steps] == [("Meeting notes", "Untitled")]
    # Another window under the same title is a focus change.
    windows[1]["window_id"] = 8
    doc = derive(s, windows=windows)
    assert [x.text for x in doc.steps] == ["Meeting ", "notes"]
