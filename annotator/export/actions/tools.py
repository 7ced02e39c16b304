"""The computer-use tools' actions: Anthropic's ``computer`` tool (``computer_20250124``, as
the reference implementation anthropics/anthropic-quickstarts ``computer-use-demo/
computer_use_demo/tools/computer.py`` accepts it) and OpenAI's ``computer_call`` actions
(openai/openai-python ``types/responses/response_computer_tool_call_param.py``).

Coordinates are integer pixels of the screenshot given with them.  A step may become several
actions (a scroll with both a vertical and a horizontal part; a repeated key for OpenAI);
what a tool cannot do raises ``Unsupported``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from annotator.export.actions import (
    GrammarError,
    Unsupported,
    end_point,
    modifiers,
    repeat,
    scroll_clicks,
)
from annotator.export.actions.keys import (
    OPENAI_KEYS,
    XDOTOOL_KEYS,
    all_mapped,
    openai_key,
    xdotool_key,
)

SCROLL_PX_PER_CLICK = 100  # OpenAI scrolls in pixels; a wheel click is 100 px in Chromium
MAX_WAIT_S = 100  # the reference tool refuses longer waits


def _ipt(x: float, y: float, w: int, h: int) -> list[int]:
    return [min(w - 1, max(0, int(round(x)))), min(h - 1, max(0, int(round(y))))]


def _combo(keys: Iterable[str], what: str) -> str:
    names = all_mapped(keys, xdotool_key)
    if names is None:
        raise Unsupported(f"{what} {'+'.join(keys)} has no xdotool name")
    return "+".join(names)


# -- Anthropic ---------------------------------------------------------------------------------
_A_CLICKS = {"click": "left_click", "double_click": "double_click",
             "triple_click": "triple_click", "right_click": "right_click",
             "middle_click": "middle_click"}


def anthropic_actions(step: Mapping[str, Any], w: int, h: int) -> list[dict[str, Any]]:
    """The ``input`` of each ``computer`` tool_use for the step."""
    t = step["action_type"]
    mods = modifiers(step)
    if t in _A_CLICKS:
        name = _A_CLICKS[t]
        if t == "click" and step.get("button") in ("right", "middle"):
            name = f"{step['button']}_click"
        out: dict[str, Any] = {"action": name, "coordinate": _ipt(step["x"], step["y"], w, h)}
        if mods:  # computer.py: ``if key: command_parts.append(f"keydown {key}")``
            out["key"] = _combo(mods, "modifier")
        return [out]
    if mods and t != "scroll":
        raise Unsupported(f"{t} with {'+'.join(mods)} held")
    if t == "mouse_move":
        return [{"action": "mouse_move", "coordinate": _ipt(step["x"], step["y"], w, h)}]
    if t == "drag":
        if (step.get("button") or "left") != "left":
            raise Unsupported(f"drag with the {step['button']} button")
        return [{"action": "left_click_drag",
                 "start_coordinate": _ipt(step["x"], step["y"], w, h),
                 "coordinate": _ipt(*end_point(step), w, h)}]
    if t == "scroll":
        dx, dy = scroll_clicks(step)
        parts = ([("down" if dy > 0 else "up", abs(dy))] if dy else []) + \
            ([("right" if dx > 0 else "left", abs(dx))] if dx else [])
        if not parts:
            raise Unsupported("scroll of less than one click")
        outs = []
        for direction, amount in parts:
            out = {"action": "scroll", "coordinate": _ipt(step["x"], step["y"], w, h),
                   "scroll_direction": direction, "scroll_amount": amount}
            if mods:  # computer.py: ``if text: command_parts.append(f"keydown {text}")``
                out["text"] = _combo(mods, "modifier")
            outs.append(out)
        return outs
    if t == "type":
        return [{"action": "type", "text": step["text"]}]
    if t == "key":
        combo = _combo(step["keys"], "key")
        return [{"action": "key", "text": " ".join([combo] * repeat(step))}]
    if t == "wait":
        seconds = (step.get("duration_ms") or 1000) / 1000
        return [{"action": "wait", "duration": min(MAX_WAIT_S, round(seconds, 3))}]
    raise Unsupported(t)


def _coordinate(v: Any, w: int, h: int, what: str) -> tuple[int, int]:
    if not (isinstance(v, list) and len(v) == 2
            and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in v)):
        raise GrammarError(f"{what} {v!r} is not a list of two non-negative integers")
    if not (v[0] < w and v[1] < h):
        raise GrammarError(f"{what} {v} is outside the {w}x{h} display")
    return v[0], v[1]


def _xdotool_keys(text: Any, what: str, *, sequence: bool) -> None:
    if not isinstance(text, str) or not text:
        raise GrammarError(f"{what} {text!r} is not a key combination")
    for combo in (text.split(" ") if sequence else [text]):
        for k in combo.split("+"):
            if k not in XDOTOOL_KEYS:
                raise GrammarError(f"{what}: {k!r} is not an xdotool key name")


# Each action's parameters as the reference tool accepts them: required, optional.
_A_PARAMS: dict[str, tuple[set[str], set[str]]] = {
    **{a: ({"coordinate"}, {"key"}) for a in _A_CLICKS.values()},
    "mouse_move": ({"coordinate"}, set()),
    "left_click_drag": ({"start_coordinate", "coordinate"}, set()),
    "scroll": ({"coordinate", "scroll_direction", "scroll_amount"}, {"text"}),
    "type": ({"text"}, set()),
    "key": ({"text"}, set()),
    "wait": ({"duration"}, set()),
    "screenshot": (set(), set()),
}


def _parameters(obj: Any, kind: str, table: dict[str, tuple[set[str], set[str]]],
                what: str) -> None:
    """``obj`` is a dict naming one of ``table``'s actions in ``kind``, with its required
    parameters and no others."""
    if not isinstance(obj, dict) or obj.get(kind) not in table:
        raise GrammarError(f"{str(obj)[:80]} is not a {what} action")
    required, optional = table[obj[kind]]
    keys = set(obj) - {kind}
    if not required <= keys or keys - required - optional:
        raise GrammarError(f"{obj[kind]} takes {sorted(required)} "
                           f"(optional {sorted(optional)}), not {sorted(keys)}")


def check_anthropic(inp: Any, w: int, h: int) -> None:
    """One ``computer`` tool input, against the actions and parameters of the reference
    tool; raises ``GrammarError``."""
    _parameters(inp, "action", _A_PARAMS, "computer_20250124")
    for k in ("coordinate", "start_coordinate"):
        if k in inp:
            _coordinate(inp[k], w, h, k)
    a = inp["action"]
    if a == "scroll":
        if inp["scroll_direction"] not in ("up", "down", "left", "right"):
            raise GrammarError(f"scroll_direction {inp['scroll_direction']!r}")
        if not (isinstance(inp["scroll_amount"], int) and inp["scroll_amount"] > 0):
            raise GrammarError(f"scroll_amount {inp['scroll_amount']!r} is not a count")
        if "text" in inp:
            _xdotool_keys(inp["text"], "held keys", sequence=False)
    elif a == "key":
        _xdotool_keys(inp["text"], "key", sequence=True)
    elif "key" in inp:
        _xdotool_keys(inp["key"], "held keys", sequence=False)
    elif a == "type" and not (isinstance(inp["text"], str) and inp["text"]):
        raise GrammarError("type without text")
    elif a == "wait" and not (isinstance(inp["duration"], int | float)
                              and 0 <= inp["duration"] <= MAX_WAIT_S):
        raise GrammarError(f"wait duration {inp['duration']!r}")


# -- OpenAI ------------------------------------------------------------------------------------
def _openai_keys(keys: Iterable[str], what: str) -> list[str]:
    names = all_mapped(keys, openai_key)
    if names is None:
        raise Unsupported(f"{what} {'+'.join(keys)} has no OpenAI key name")
    return names


def openai_actions(step: Mapping[str, Any], w: int, h: int) -> list[dict[str, Any]]:
    """The ``action`` of each ``computer_call`` for the step."""
    t = step["action_type"]
    mods = modifiers(step)
    held = {"keys": _openai_keys(mods, "modifier")} if mods else {}
    if t in ("click", "right_click", "middle_click"):
        button = {"click": step.get("button") or "left", "right_click": "right",
                  "middle_click": "middle"}[t]
        x, y = _ipt(step["x"], step["y"], w, h)
        return [{"type": "click", "x": x, "y": y,
                 "button": {"middle": "wheel"}.get(button, button), **held}]
    if t == "double_click":
        x, y = _ipt(step["x"], step["y"], w, h)
        return [{"type": "double_click", "x": x, "y": y, "keys": held.get("keys")}]
    if t == "mouse_move":
        x, y = _ipt(step["x"], step["y"], w, h)
        return [{"type": "move", "x": x, "y": y, **held}]
    if t == "drag":
        if (step.get("button") or "left") != "left":
            raise Unsupported(f"drag with the {step['button']} button")
        pts = [_ipt(p["x"], p["y"], w, h) for p in step["path"]]
        return [{"type": "drag", "path": [{"x": x, "y": y} for x, y in pts], **held}]
    if t == "scroll":
        dx, dy = scroll_clicks(step)
        if not (dx or dy):
            raise Unsupported("scroll of less than one click")
        x, y = _ipt(step["x"], step["y"], w, h)
        return [{"type": "scroll", "x": x, "y": y, "scroll_x": dx * SCROLL_PX_PER_CLICK,
                 "scroll_y": dy * SCROLL_PX_PER_CLICK, **held}]
    if t == "type":
        return [{"type": "type", "text": step["text"]}]
    if t == "key":
        return [{"type": "keypress", "keys": _openai_keys(step["keys"], "key")}] * repeat(step)
    if t == "wait":
        return [{"type": "wait"}]
    raise Unsupported(t)


_O_PARAMS: dict[str, tuple[set[str], set[str]]] = {
    "click": ({"x", "y", "button"}, {"keys"}),
    "double_click": ({"x", "y", "keys"}, set()),
    "drag": ({"path"}, {"keys"}),
    "keypress": ({"keys"}, set()),
    "move": ({"x", "y"}, {"keys"}),
    "scroll": ({"x", "y", "scroll_x", "scroll_y"}, {"keys"}),
    "type": ({"text"}, set()),
    "wait": (set(), set()),
    "screenshot": (set(), set()),
}


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_openai(act: Any, w: int, h: int) -> None:
    """One ``computer_call`` action against the SDK's action types; raises ``GrammarError``."""
    _parameters(act, "type", _O_PARAMS, "computer_call")
    pts = [(act["x"], act["y"])] if "x" in act else []
    if act["type"] == "drag":
        path = act["path"]
        if not (isinstance(path, list) and len(path) >= 2
                and all(isinstance(p, dict) and set(p) == {"x", "y"} for p in path)):
            raise GrammarError("drag.path is not a list of 2+ {x, y} points")
        pts += [(p["x"], p["y"]) for p in path]
    for x, y in pts:
        if not (_int(x) and _int(y) and 0 <= x < w and 0 <= y < h):
            raise GrammarError(f"({x}, {y}) is outside the {w}x{h} display")
    if act["type"] == "click" and act["button"] not in ("left", "right", "wheel", "back",
                                                        "forward"):
        raise GrammarError(f"click button {act['button']!r}")
    if act["type"] == "scroll" and not (_int(act["scroll_x"]) and _int(act["scroll_y"])):
        raise GrammarError("scroll_x and scroll_y must be integers")
    if act["type"] == "type" and not (isinstance(act["text"], str) and act["text"]):
        raise GrammarError("type without text")
    held = act.get("keys")
    if held is not None or act["type"] == "keypress":
        if not (isinstance(held, list) and held and all(k in OPENAI_KEYS for k in held)):
            raise GrammarError(f"keys {held!r} are not OpenAI key names")


