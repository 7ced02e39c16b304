"""Action strings: formatting, parsing back with ast, bounds, dialect vocabularies."""

import pytest

from annotator.export import actions as A


def step(**kw):
    base = {"action_type": "click", "x": 960.0, "y": 540.0, "button": "left", "keys": None,
            "path": None, "scroll_dx": None, "scroll_dy": None, "text": None, "repeat": 1,
            "terminal_status": None, "duration_ms": None}
    base.update(kw)
    return base


def test_pyautogui_normalized_4_decimals_round_trips():
    space = A.Space("norm", 1920, 1080)
    calls = A.pyautogui_calls(step(x=1866.6, y=1047.7), space)
    code = A.format_calls(calls)
    assert code == "pyautogui.click(x=0.9722, y=0.9701)"
    assert A.same_calls(A.parse_pyautogui(code), calls, 1e-4)
    assert A.check_pyautogui(code, space) == []


def test_every_desktop_action_has_a_pyautogui_form():
    space = A.Space("norm", 1920, 1080)
    cases = [
        step(action_type="drag", path=[{"x": 10.0, "y": 10.0}, {"x": 700.0, "y": 400.0}]),
        step(action_type="scroll", scroll_dy=3.0, scroll_dx=-1.0),
        step(action_type="type", text="it's \"quoted\"\nnext line"),
        step(action_type="key", keys=["ctrl", "shift", "t"]),
        step(action_type="key", keys=["down"], repeat=3),
        step(action_type="click", keys=["ctrl"]),
        step(action_type="triple_click"), step(action_type="right_click"),
        step(action_type="wait"), step(action_type="terminate", terminal_status="success"),
    ]
    for s in cases:
        code = A.format_calls(A.pyautogui_calls(s, space))
        assert A.check_pyautogui(code, space) == [], code
    assert A.format_calls(A.pyautogui_calls(cases[1], space)) == (
        "pyautogui.moveTo(x=0.5, y=0.5)\npyautogui.scroll(-3)\npyautogui.hscroll(-1)")
    assert A.format_calls(A.pyautogui_calls(cases[4], space)) == \
        "pyautogui.press('down', presses=3)"


def test_parser_never_evaluates_code():
    for bad in ["pyautogui.click(x=__import__('os').getpid(), y=0.1)",
                "import os", "os.system('true')", "pyautogui.click(x=1+1, y=0)"]:
        with pytest.raises((ValueError, SyntaxError)):
            A.parse_pyautogui(bad)
    problems = A.check_pyautogui("pyautogui.click(x=1.5, y=0.2)", A.Space("norm", 10, 10))
    assert any("outside" in p for p in problems)
    assert A.check_pyautogui("pyautogui.press('nosuchkey')", A.Space("norm", 10, 10))


def test_smart_resize_matches_qwen25_vl():
    assert A.smart_resize(1080, 1920) == (1092, 1932)
    h, w = A.smart_resize(2160, 3840, max_pixels=1280 * 28 * 28)
    assert h % 28 == 0 and w % 28 == 0 and h * w <= 1280 * 28 * 28
    space = A.Space("abs", 1920, 1080, 1932, 1092)
    assert space.point(1919.0, 1079.0) == (1931, 1091)


def test_uitars_grid_and_round_trip():
    space = A.Space("grid", 1920, 1080)
    calls = A.uitars_calls(step(x=1919.0, y=0.0), space)
    text = A.format_calls(calls, "\n\n")
    assert text == "click(start_box='<|box_start|>(999,0)<|box_end|>')"
    assert A.check_uitars(text, space) == []
    with pytest.raises(A.Unsupported):
        A.uitars_calls(step(action_type="triple_click"), space)
    keys = A.format_calls(A.uitars_calls(step(action_type="key", keys=["ctrl", "c"]), space))
    assert keys == "hotkey(key='ctrl c')"


def test_anthropic_and_openai_actions():
    s = step(action_type="scroll", x=100.0, y=50.0, scroll_dy=-2.0, scroll_dx=0.0)
    assert A.anthropic_action(s, 1280, 720) == {"action": "scroll", "coordinate": [100, 50],
                                                "scroll_direction": "up", "scroll_amount": 2}
    assert A.openai_actions(s, 1280, 720) == [{"type": "scroll", "x": 100, "y": 50,
                                               "scroll_x": 0, "scroll_y": -200}]
    k = step(action_type="key", keys=["ctrl", "enter"])
    assert A.anthropic_action(k, 10, 10) == {"action": "key", "text": "ctrl+Return"}
    assert A.openai_actions(k, 10, 10) == [{"type": "keypress", "keys": ["ctrl", "enter"]}]
