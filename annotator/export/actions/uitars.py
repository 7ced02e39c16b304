"""UI-TARS's action language (bytedance/UI-TARS), in its two versions:

- ``v1`` (``uitars-1000``, UI-TARS on Qwen2-VL; the computer prompt of README_v1.md): points
  are ``start_box='<|box_start|>(x,y)<|box_end|>'`` with x and y on the [0, 1000) grid;
  ``finished()`` ends a task, ``call_user()`` gives up on one that cannot be done;
- ``v15`` (``uitars15``, UI-TARS-1.5 on Qwen2.5-VL; ``COMPUTER_USE_DOUBAO`` in
  codes/ui_tars/prompt.py): points are ``point='<point>x y</point>'`` in integer pixels of
  the smart-resized image (factor 28, min_pixels 100*28*28, max_pixels 16384*28*28);
  ``finished(content='')`` ends a task; it has no action for giving up.

Both: ``click``, ``left_double``, ``right_single``, ``drag``, ``scroll`` (a direction only),
``hotkey(key='ctrl c')`` (lowercase PyAutoGUI names split by spaces, at most 3 keys, also for a
single key), ``type(content='...')`` (a single-quoted string: ``\\'``, ``\\\\`` and ``\\n`` are
the only escapes), ``wait()``.  Several actions in one answer are separated by a blank line,
as ``parse_action_to_structure_output`` splits them.

What the grammar cannot say raises ``Unsupported``: a triple or middle click, a mouse move,
a drag with another button than the left one, anything done with a key held, a hotkey of more
than 3 keys, and typed text the upstream parser would change (leading spaces, which it strips;
``')``, which ends its ``type(content='...')`` pattern early; ``point=``, ``<point>``,
``Action: ``, ``[EOS]`` and special tokens ``<|``, which it rewrites or splits on).
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
from annotator.export.actions.keys import all_mapped, pyautogui_key

VERSIONS = ("v1", "v15")
MAX_KEYS = 3
# Substrings the reference parser rewrites, splits on or strips (see the module docstring).
_HAZARDS = ("')", "point=", "<point>", "Action: ", "[EOS]", "<|")
_KEY = r"[a-z0-9]+|[!-&(-/:-@\[\]^_`{-~]"


def escape(text: str) -> str:
    """A string as the prompt asks: single-quoted, with ``\\'``, ``\\\\`` and ``\\n``."""
    return text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")


def sayable(text: str) -> str | None:
    """Why the reference parser would not give ``text`` back, or None."""
    if text[:1].isspace():
        return "typed text starting with white space (the parser strips it)"
    for h in _HAZARDS:
        if h in text:
            return f"typed text holding {h!r} (the parser rewrites or splits on it)"
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        return "typed text holding control characters"
    return None


def _pt(version: str, space: Space, x: float, y: float) -> str:
    px, py = space.point(x, y)
    if version == "v1":
        return f"'<|box_start|>({px},{py})<|box_end|>'"
    return f"'<point>{px} {py}</point>'"


def write(step: Mapping[str, Any], space: Space, version: str,
          platform: str | None = None) -> str:
    """The step as UI-TARS actions (blank-line separated), or ``Unsupported``."""
    t = step["action_type"]
    point = "start_box" if version == "v1" else "point"
    mods = modifiers(step)
    if mods:
        raise Unsupported(f"{t} with {'+'.join(mods)} held")

    def at(x: float, y: float) -> str:
        return _pt(version, space, x, y)

    if t in ("click", "double_click", "right_click"):
        button = step.get("button") or "left"
        name = {"click": "click", "double_click": "left_double", "right_click": "right_single"}[t]
        if t == "click" and button == "right":
            name = "right_single"
        elif t == "click" and button != "left":
            raise Unsupported(f"{button} click")
        return f"{name}({point}={at(step['x'], step['y'])})"
    if t == "drag":
        if (step.get("button") or "left") != "left":
            raise Unsupported(f"drag with the {step['button']} button")
        a, b = ("start_box", "end_box") if version == "v1" else ("start_point", "end_point")
        return f"drag({a}={at(step['x'], step['y'])}, {b}={at(*end_point(step))})"
    if t == "scroll":
        dx, dy = scroll_clicks(step)
        out = []
        if dy:
            out.append("down" if dy > 0 else "up")
        if dx:
            out.append("right" if dx > 0 else "left")
        if not out:
            raise Unsupported("scroll of less than one click")
        return "\n\n".join(f"scroll({point}={at(step['x'], step['y'])}, direction={d!r})"
                           for d in out)
    if t == "type":
        why = sayable(step["text"])
        if why:
            raise Unsupported(why)
        return f"type(content='{escape(step['text'])}')"
    if t == "key":
        if len(step["keys"]) > MAX_KEYS:
            raise Unsupported(f"hotkey of {len(step['keys'])} keys (at most {MAX_KEYS})")
        keys = all_mapped(step["keys"], pyautogui_key, platform)
        if keys is None or not all(re.fullmatch(_KEY, k) for k in keys):
            raise Unsupported(f"key {'+'.join(step['keys'])} has no UI-TARS name")
        return "\n\n".join([f"hotkey(key='{' '.join(keys)}')"] * repeat(step))
    if t == "wait":
        return "wait()"
    if t == "terminate":
        ok = step.get("terminal_status") == "success"
        if version == "v1":
            return "finished()" if ok else "call_user()"
        if ok:
            return "finished(content='')"
        raise Unsupported("a failed or impossible task (COMPUTER_USE_DOUBAO has no call_user)")
    raise Unsupported(t)


# -- the grammar -------------------------------------------------------------------------------
_CONTENT = r"(?:[^'\\\n]|\\['\"\\n])*"


@dataclass(frozen=True)
class Action:
    name: str
    points: tuple[tuple[int, int], ...] = ()
    direction: str | None = None
    keys: tuple[str, ...] = ()
    content: str | None = None


def _grammar(version: str) -> list[tuple[str, re.Pattern[str]]]:
    if version == "v1":
        p = r"'<\|box_start\|>\((\d{{1,3}}),(\d{{1,3}})\)<\|box_end\|>'"
        one, a, b = "start_box", "start_box", "end_box"
        finished = r"finished\(\)"
        extra = [("call_user", re.compile(r"call_user\(\)"))]
    else:
        p = r"'<point>(\d{{1,5}}) (\d{{1,5}})</point>'"
        one, a, b = "point", "start_point", "end_point"
        finished = rf"finished\(content='(?P<content>{_CONTENT})'\)"
        extra = []
    pt = p.format()
    return [
        ("point", re.compile(rf"(?P<name>click|left_double|right_single)\({one}={pt}\)")),
        ("drag", re.compile(rf"drag\({a}={pt}, {b}={pt}\)")),
        ("scroll", re.compile(rf"scroll\({one}={pt}, direction='(?P<direction>up|down|left"
                              r"|right)'\)")),
        ("hotkey", re.compile(rf"hotkey\(key='(?P<keys>(?:{_KEY})(?: (?:{_KEY})){{0,2}})'\)")),
        ("type", re.compile(rf"type\(content='(?P<content>{_CONTENT})'\)")),
        ("wait", re.compile(r"wait\(\)")),
        ("finished", re.compile(finished)),
        *extra,
    ]


_GRAMMARS = {v: _grammar(v) for v in VERSIONS}
_POINT = {"v1": re.compile(r"<\|box_start\|>\((\d+),(\d+)\)<\|box_end\|>"),
          "v15": re.compile(r"<point>(\d+) (\d+)</point>")}


def _decode(content: str) -> str:
    return str(ast.literal_eval("'" + content + "'"))


def parse_action(text: str, version: str, space: Space) -> Action:
    for what, rx in _GRAMMARS[version]:
        m = rx.fullmatch(text)
        if m is None:
            continue
        points = tuple((int(x), int(y)) for x, y in _POINT[version].findall(text)) \
            if what in ("point", "drag", "scroll") else ()
        for x, y in points:
            if not space.inside(x, y):
                raise GrammarError(f"{what} at ({x}, {y}) is outside the image "
                                   f"({space.describe()['coordinates']})")
        g = m.groupdict()
        content = _decode(g["content"]) if g.get("content") is not None else None
        if what == "type":
            why = "empty typed text" if not content else sayable(content)
            if why:
                raise GrammarError(why)
        name = g.get("name") or what
        keys = tuple(g["keys"].split(" ")) if g.get("keys") else ()
        return Action(name, points, g.get("direction"), keys, content)
    raise GrammarError(f"{text[:80]!r} is not a UI-TARS {version} action")


def parse(text: str, version: str, space: Space) -> list[Action]:
    """Read an ``Action:`` part: one or more actions separated by a blank line, each in the
    version's grammar with its points inside the image.  Raises ``GrammarError``."""
    if not text:
        raise GrammarError("no action")
    return [parse_action(a, version, space) for a in text.split("\n\n")]
