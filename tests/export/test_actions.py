"""The action grammars on their own: every step type in and out of each language, the
coordinate spaces, and actions outside a grammar refused (without evaluating anything)."""

import pytest

from annotator.export.actions import GrammarError, Space, Unsupported
from annotator.export.actions import pyautogui as P
from annotator.export.actions import tools as TL
from annotator.export.actions import uitars as U


def step(**kw):
    base = {"action_type": "click", "x": 960.0, "y": 540.0, "button": "left", "keys": None,
            "path": None, "scroll_dx": None, "scroll_dy": None, "text": None, "repeat": 1,
            "terminal_status": None, "duration_ms": None}
    base.update(kw)
    return base


def test_spaces_round_to_the_nearest_value_they_have():
    norm, grid = Space("norm", 1920, 1080), Space("grid", 1920, 1080)
    assert norm.point(1866.6, 1047.7) == (0.9722, 0.9701)  # raw_example.jsonl's first click
    assert grid.point(1919.0, 0.0) == (999, 0)  # never 1000: [0, 1000)
    assert grid.point(959.0, 539.0) == (499, 499)  # rounded, not truncated (499.48, 499.07)
    qwen = Space.resized(1920, 1080, 28, 3136, 12845056)
    assert (qwen.rw, qwen.rh) == (1932, 1092) and qwen.point(1919.0, 1079.0) == (1931, 1091)
    for x in (0.0, 1.0, 517.0, 1918.0):  # read back within half a pixel of the image
        px, _ = qwen.pixel(*qwen.point(x, 0.0))
        assert abs(px - x) <= 0.5


def test_agentnet_grammar_reads_what_it_writes_and_nothing_else():
    space = Space("norm", 1920, 1080)
    for s in [step(), step(action_type="triple_click"), step(action_type="right_click"),
              step(action_type="drag", path=[{"x": 10.0, "y": 10.0}, {"x": 700.0, "y": 400.0}]),
              step(action_type="scroll", scroll_dy=3.0, scroll_dx=-1.0),
              step(action_type="type", text="it's \"quoted\"\nnext line \\ é"),
              step(action_type="key", keys=["ctrl", "shift", "t"]),
              step(action_type="key", keys=["down"], repeat=3),
              step(action_type="wait"), step(action_type="terminate", terminal_status="success")]:
        code = P.write(s, space)
        assert P.parse(code, space), code
    with pytest.raises(Unsupported):
        P.write(step(keys=["ctrl"]), space)  # no keyDown/keyUp in AgentNet
    with pytest.raises(Unsupported):
        P.write(step(action_type="key", keys=["keysym_12345"]), space)
    for bad in ["pyautogui.click(x=__import__('os').getpid(), y=0.1)", "import os",
                "os.system('true')", "pyautogui.click(x=1+1, y=0)", "pyautogui.click(0.5, 0.5)",
                "pyautogui.press('enter')", "pyautogui.press(keys=['enter', 'tab'])",
                "pyautogui.hotkey(keys=['ctrl'])", "pyautogui.dragTo(x=0.5, y=0.5, button='left')",
                "pyautogui.scroll(0)", "pyautogui.write(message='')", "computer.wait(1)",
                "pyautogui.click(x=0.5, y=0.5)\npyautogui.click(x=0.5, y=0.5)",
                "pyautogui.moveTo(x=0.5, y=0.5)\npyautogui.scroll(-3)\npyautogui.hscroll(1)",
                "pyautogui.click(x=0.12345, y=0.5)", "pyautogui.click(x=2.0, y=0.5)", ""]:
        with pytest.raises((GrammarError, SyntaxError, ValueError)):
            P.parse(bad, space)
    # Pixels in the OpenCUA dialect: integers only.
    qwen = Space.resized(1920, 1080, 28, 3136, 12845056)
    assert P.parse("pyautogui.click(x=1931, y=0)", qwen, "opencua")
    with pytest.raises(GrammarError):
        P.parse("pyautogui.click(x=0.5, y=0.5)", qwen, "opencua")
    with pytest.raises(GrammarError):
        P.parse("pyautogui.click(x=1932, y=0)", qwen, "opencua")  # past the resized width


def test_uitars_grammars():
    grid = Space("grid", 1920, 1080)
    assert U.write(step(x=1919.0, y=0.0), grid, "v1") == \
        "click(start_box='<|box_start|>(999,0)<|box_end|>')"
    assert U.write(step(action_type="key", keys=["ctrl", "c"]), grid, "v1") == \
        "hotkey(key='ctrl c')"
    for why in (step(action_type="triple_click"), step(action_type="middle_click"),
                step(keys=["shift"]), step(action_type="key", keys=["ctrl", "alt", "shift", "t"]),
                step(action_type="type", text=" lead"), step(action_type="type", text="f('x')"),
                step(action_type="type", text="a point=3"),
                step(action_type="drag", button="right", path=[{"x": 1, "y": 1}] * 2)):
        with pytest.raises(Unsupported):
            U.write(why, grid, "v1")
    v15 = Space.resized(1920, 1080, 28, 100 * 28 * 28, 16384 * 28 * 28)
    with pytest.raises(Unsupported):  # COMPUTER_USE_DOUBAO has no call_user
        U.write(step(action_type="terminate", terminal_status="failure"), v15, "v15")
    assert U.parse("finished(content='')", "v15", v15)[0].name == "finished"
    for bad, version in [("type(content=\"it's\")", "v1"), ("finished(content='x')", "v1"),
                         ("click(point='<point>1 2</point>')", "v1"),
                         ("click(start_box='<|box_start|>(1000,0)<|box_end|>')", "v1"),
                         ("call_user()", "v15"), ("hotkey(key='Ctrl C')", "v15"),
                         ("click(point='<point>1932 0</point>')", "v15"),
                         ("type(content='  x')", "v15"), ("type(content='a\\tb')", "v15")]:
        with pytest.raises(GrammarError):
            U.parse(bad, version, v15 if version == "v15" else grid)


def test_computer_tools():
    s = step(action_type="scroll", x=100.0, y=50.0, scroll_dy=-2.0, scroll_dx=0.0)
    assert TL.anthropic_actions(s, 1280, 720) == [{
        "action": "scroll", "coordinate": [100, 50], "scroll_direction": "up",
        "scroll_amount": 2}]
    assert TL.openai_actions(s, 1280, 720) == [{"type": "scroll", "x": 100, "y": 50,
                                                "scroll_x": 0, "scroll_y": -200}]
    k = step(action_type="key", keys=["ctrl", "enter"])
    assert TL.anthropic_actions(k, 10, 10) == [{"action": "key", "text": "ctrl+Return"}]
    assert TL.openai_actions(k, 10, 10) == [{"type": "keypress", "keys": ["ctrl", "enter"]}]
    with pytest.raises(Unsupported):
        TL.anthropic_actions(step(action_type="drag", keys=["shift"],
                                  path=[{"x": 1, "y": 1}] * 2), 10, 10)
    for bad in [{"action": "left_click", "coordinate": [1, 1], "text": "ctrl"},
                {"action": "left_click", "coordinate": [10, 1]},
                {"action": "key", "text": "Ctrl+Nope"}, {"action": "zoom"},
                {"action": "wait", "duration": 101}]:
        with pytest.raises(GrammarError):
            TL.check_anthropic(bad, 10, 10)
    for bad in [{"type": "click", "x": 1, "y": 1}, {"type": "double_click", "x": 1, "y": 1},
                {"type": "keypress", "keys": ["Enter!"]}, {"type": "triple_click"},
                {"type": "drag", "path": [{"x": 1, "y": 1}]}]:
        with pytest.raises(GrammarError):
            TL.check_openai(bad, 10, 10)
