"""AgentNet's PyAutoGUI action language (xlang-ai/OpenCUA ``data/data-process/src/schema/
action.py``), in the flavours its consumers read:

- ``agentnet``: the AgentNet trajectories (``opencua`` format): coordinates normalized to
  [0, 1] at 4 decimals, ``computer.tripleClick`` as the schema's ``ComputerActionType`` names it;
- ``aguvis``: the same, with ``computer.triple_click`` as the declared function is named
  and ``computer.wait(seconds=2.0)`` as AGUVIS's wait function takes the seconds;
- ``opencua``: OpenCUA-7B/32B's language: the same calls with integer pixels of the
  Qwen2.5-VL smart-resized image, ``computer.triple_click``.

A step is one or more lines, each one call::

    pyautogui.click(x=0.9722, y=0.9701)      doubleClick, rightClick, middleClick, moveTo
    pyautogui.moveTo(x=.., y=..)\\npyautogui.dragTo(x=.., y=.., button='left')
    pyautogui.moveTo(x=.., y=..)\\npyautogui.hscroll(2)\\npyautogui.scroll(-3)
    pyautogui.write(message='text')          the text as Python's repr writes it
    pyautogui.press(keys=['enter'])          one key; a repeated key is repeated lines
    pyautogui.hotkey(keys=['ctrl', 'c'])
    computer.tripleClick(x=.., y=..)  computer.wait()  computer.terminate(status='success')

AgentNet has no way to hold a key during a mouse action (no keyDown/keyUp among its action
types): such steps are left out (``Unsupported``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from annotator.export.actions import (
    GrammarError,
    Space,
    Unsupported,
    end_point,
    modifiers,
    repeat,
    scroll_clicks,
)
from annotator.export.actions.keys import PYAUTOGUI_KEYS, all_mapped, pyautogui_key

FLAVORS = {"agentnet": "computer.tripleClick", "aguvis": "computer.triple_click",
           "opencua": "computer.triple_click"}
_CLICKS = {"click": "click", "double_click": "doubleClick", "right_click": "rightClick",
           "middle_click": "middleClick"}
_BUTTON_CLICK = {"left": "click", "right": "rightClick", "middle": "middleClick"}


def _num(v: Any) -> str:
    return repr(v)  # AgentNet's to_command: repr(round(value, 4)) for floats


def _xy(space: Space, x: float, y: float) -> str:
    px, py = space.point(x, y)
    return f"x={_num(px)}, y={_num(py)}"


def write(step: Mapping[str, Any], space: Space, flavor: str = "agentnet",
          platform: str | None = None) -> str:
    """The step as AgentNet PyAutoGUI lines, or ``Unsupported``."""
    t = step["action_type"]
    mods = modifiers(step)
    if mods:
        raise Unsupported(f"{t} with {'+'.join(mods)} held")
    if t in _CLICKS:
        name = _CLICKS[t]
        if t == "click":
            name = _BUTTON_CLICK.get(step.get("button") or "left", "click")
        return f"pyautogui.{name}({_xy(space, step['x'], step['y'])})"
    if t == "triple_click":
        return f"{FLAVORS[flavor]}({_xy(space, step['x'], step['y'])})"
    if t == "mouse_move":
        return f"pyautogui.moveTo({_xy(space, step['x'], step['y'])})"
    if t == "drag":
        button = step.get("button") or "left"
        return (f"pyautogui.moveTo({_xy(space, step['x'], step['y'])})\n"
                f"pyautogui.dragTo({_xy(space, *end_point(step))}, button={button!r})")
    if t == "scroll":
        dx, dy = scroll_clicks(step)
        if not (dx or dy):
            raise Unsupported("scroll of less than one click")
        lines = [f"pyautogui.moveTo({_xy(space, step['x'], step['y'])})"]
        if dx:  # raw_to_standardized.py: hscroll first, then scroll; scroll(+n) is up
            lines.append(f"pyautogui.hscroll({dx})")
        if dy:
            lines.append(f"pyautogui.scroll({-dy})")
        return "\n".join(lines)
    if t == "type":
        return f"pyautogui.write(message={step['text']!r})"
    if t == "key":
        keys = all_mapped(step["keys"], pyautogui_key, platform)
        if keys is None:
            raise Unsupported(f"key {'+'.join(step['keys'])} has no PyAutoGUI name")
        name = "press" if len(keys) == 1 else "hotkey"
        return "\n".join([f"pyautogui.{name}(keys={keys!r})"] * repeat(step))
    if t == "wait":
        if flavor == "aguvis":  # AGUVIS's wait function takes the seconds
            return f"computer.wait(seconds={round((step.get('duration_ms') or 1000) / 1000, 3)!r})"
        return "computer.wait()"
    if t == "terminate":
        status = "success" if step.get("terminal_status") == "success" else "failure"
        return f"computer.terminate(status={status!r})"
    raise Unsupported(t)


# -- the grammar -------------------------------------------------------------------------------
_STR = r"(?:'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\")"
# Fractions: a float of at most 4 decimals (its range is checked with the image); pixels:
# integers.
_NUMS = {"norm": r"(?:\d+\.\d{1,4})", "grid": r"(?:0|[1-9]\d{0,2})",
         "abs": r"(?:0|[1-9]\d*)"}


@dataclass(frozen=True)
class Call:
    name: str  # click, doubleClick, ..., write, press, hotkey, tripleClick, wait, terminate
    x: Any = None
    y: Any = None
    button: str | None = None
    clicks: int | None = None
    text: str | None = None
    keys: tuple[str, ...] = ()
    status: str | None = None
    seconds: float | None = None


def _grammar(flavor: str, kind: str) -> list[tuple[str, re.Pattern[str]]]:
    n = _NUMS[kind]
    xy = rf"x=(?P<x>{n}), y=(?P<y>{n})"
    triple = re.escape(FLAVORS[flavor])
    return [
        ("point", re.compile(rf"pyautogui\.(?P<name>click|doubleClick|rightClick|middleClick"
                             rf"|moveTo)\({xy}\)")),
        ("dragTo", re.compile(rf"pyautogui\.dragTo\({xy}, button='(?P<button>left|right"
                              r"|middle)'\)")),
        ("wheel", re.compile(r"pyautogui\.(?P<name>scroll|hscroll)\((?P<clicks>-?[1-9]\d*)\)")),
        ("write", re.compile(rf"pyautogui\.write\(message=(?P<text>{_STR})\)")),
        ("keys", re.compile(rf"pyautogui\.(?P<name>press|hotkey)\(keys=\[(?P<keys>{_STR}"
                            rf"(?:, {_STR})*)\]\)")),
        ("tripleClick", re.compile(rf"{triple}\({xy}\)")),
        ("wait", re.compile(r"computer\.wait\(seconds=(?P<seconds>\d+(?:\.\d+)?)\)"
                            if flavor == "aguvis" else r"computer\.wait\(\)")),
        ("terminate", re.compile(r"computer\.terminate\(status='(?P<status>success|failure)'\)")),
    ]


_GRAMMARS: dict[tuple[str, str], list[tuple[str, re.Pattern[str]]]] = {}


def _literal(src: str) -> str:
    value = ast.literal_eval(src)  # a string literal only (the regex admits nothing else)
    if not isinstance(value, str) or repr(value) != src:
        raise GrammarError(f"{src!r} is not a string as Python's repr writes it")
    return value


def _number(src: str) -> Any:
    return float(src) if "." in src else int(src)


def parse_line(line: str, flavor: str, kind: str) -> Call:
    key = (flavor, kind)
    if key not in _GRAMMARS:
        _GRAMMARS[key] = _grammar(flavor, kind)
    for what, rx in _GRAMMARS[key]:
        m = rx.fullmatch(line)
        if m is None:
            continue
        g = m.groupdict()
        if what in ("point", "tripleClick"):
            return Call(g.get("name") or "tripleClick", _number(g["x"]), _number(g["y"]))
        if what == "dragTo":
            return Call("dragTo", _number(g["x"]), _number(g["y"]), button=g["button"])
        if what == "wheel":
            return Call(g["name"], clicks=int(g["clicks"]))
        if what == "write":
            text = _literal(g["text"])
            if not text:
                raise GrammarError("write() of an empty message")
            return Call("write", text=text)
        if what == "keys":
            keys = tuple(_literal(k) for k in re.findall(_STR, g["keys"]))
            if g["name"] == "press" and len(keys) != 1:
                raise GrammarError("press() takes exactly one key (AgentNet's press)")
            if g["name"] == "hotkey" and len(keys) < 2:
                raise GrammarError("hotkey() needs two keys or more (one key is press())")
            bad = [k for k in keys if k not in PYAUTOGUI_KEYS]
            if bad:
                raise GrammarError(f"{bad[0]!r} is not a PyAutoGUI key name")
            return Call(g["name"], keys=keys)
        if what == "wait":
            return Call("wait", seconds=float(g["seconds"]) if g.get("seconds") else None)
        return Call("terminate", status=g["status"])
    raise GrammarError(f"{line[:80]!r} is not an AgentNet PyAutoGUI action")


def parse(code: str, space: Space, flavor: str = "agentnet") -> list[Call]:
    """Read one step's code: every line a call of the language, in an order the language
    has (moveTo alone, moveTo + dragTo, moveTo + hscroll/scroll, repeated press or hotkey,
    typing followed by key presses, or a single other call), every point inside the image.  Raises ``GrammarError``."""
    if not code:
        raise GrammarError("empty code")
    calls = [parse_line(line, flavor, space.kind) for line in code.split("\n")]
    for c in calls:
        if c.x is not None and not space.inside(c.x, c.y):
            raise GrammarError(f"{c.name} at ({c.x}, {c.y}) is outside the image "
                               f"({space.describe()['coordinates']})")
    names = [c.name for c in calls]
    first = names[0]
    if first == "moveTo":
        rest = names[1:]
        ok = (rest in ([], ["dragTo"], ["hscroll"], ["scroll"], ["hscroll", "scroll"]))
    elif first in ("press", "hotkey"):
        ok = all(c == calls[0] for c in calls)
    elif first == "write":  # AgentNet joins typing and the keys that end it: write + press
        ok = all(n in ("press", "hotkey") for n in names[1:])
    else:
        ok = len(calls) == 1 and first != "dragTo" and first not in ("scroll", "hscroll")
    if not ok:
        raise GrammarError("the calls " + " + ".join(names) + " do not make one AgentNet step")
    return calls
