"""Canonical steps as the action strings and objects of each target, and their parsers.

Every string written is parsed back (``ast`` for PyAutoGUI and UI-TARS calls) and compared
with the calls it was made from: the exporter and ``--check`` use the same parsers.

- PyAutoGUI (AgentNet/OpenCUA, AGUVIS): coordinates normalized to [0, 1], 4 decimals; or
  absolute pixels of the Qwen2.5-VL smart-resized image (``opencua-qwen25``).
- UI-TARS v1 grid: ``click(start_box='<|box_start|>(x,y)<|box_end|>')``, x and y integers in
  [0, 1000).
- Anthropic computer tool (``computer_20250124``) and OpenAI ``computer_call`` actions:
  integer pixels of the screenshot given with them.
"""

from __future__ import annotations

import ast
import math
import re
import string
from collections.abc import Mapping
from typing import Any

Call = tuple[str, tuple[Any, ...], dict[str, Any]]

# -- key names ---------------------------------------------------------------------------------
PYAUTOGUI_KEYS = frozenset(
    list(string.printable.replace("\x0b", "").replace("\x0c", ""))
    + ["accept", "add", "alt", "altleft", "altright", "apps", "backspace", "browserback",
       "browserfavorites", "browserforward", "browserhome", "browserrefresh", "browsersearch",
       "browserstop", "capslock", "clear", "convert", "ctrl", "ctrlleft", "ctrlright",
       "decimal", "del", "delete", "divide", "down", "end", "enter", "esc", "escape",
       "execute", "final", "fn", "hanguel", "hangul", "hanja", "help", "home", "insert",
       "junja", "kana", "kanji", "launchapp1", "launchapp2", "launchmail",
       "launchmediaselect", "left", "modechange", "multiply", "nexttrack", "nonconvert",
       "numlock", "pagedown", "pageup", "pause", "pgdn", "pgup", "playpause", "prevtrack",
       "print", "printscreen", "prntscrn", "prtsc", "prtscr", "return", "right", "scrolllock",
       "select", "separator", "shift", "shiftleft", "shiftright", "sleep", "space", "stop",
       "subtract", "tab", "up", "volumedown", "volumemute", "volumeup", "win", "winleft",
       "winright", "yen", "command", "option", "optionleft", "optionright"]
    + [f"f{i}" for i in range(1, 25)] + [f"num{i}" for i in range(10)])
_PG_RENAME = {"cmd": "win", "super": "win", "altgr": "altright", "caps_lock": "capslock",
              "num_lock": "numlock", "scroll_lock": "scrolllock", "print_screen": "printscreen",
              "menu": "apps", "page_up": "pageup", "page_down": "pagedown"}
_XDOTOOL = {"ctrl": "ctrl", "alt": "alt", "shift": "shift", "cmd": "super", "super": "super",
            "altgr": "ISO_Level3_Shift", "enter": "Return", "tab": "Tab", "escape": "Escape",
            "backspace": "BackSpace", "delete": "Delete", "insert": "Insert", "home": "Home",
            "end": "End", "pageup": "Page_Up", "pagedown": "Page_Down", "up": "Up",
            "down": "Down", "left": "Left", "right": "Right", "space": "space",
            "capslock": "Caps_Lock", "caps_lock": "Caps_Lock", "menu": "Menu",
            "print_screen": "Print", "pause": "Pause"}
_XDOTOOL_VALID = frozenset(_XDOTOOL.values()) | {f"F{i}" for i in range(1, 25)}
_OPENAI = {"up": "arrowup", "down": "arrowdown", "left": "arrowleft", "right": "arrowright",
           "escape": "esc", "cmd": "cmd", "super": "super", "altgr": "alt",
           "caps_lock": "capslock"}
OPENAI_KEYS = frozenset({"alt", "arrowdown", "arrowleft", "arrowright", "arrowup",
                         "backspace", "capslock", "cmd", "ctrl", "delete", "end", "enter",
                         "esc", "home", "insert", "option", "pagedown", "pageup", "shift",
                         "space", "super", "tab", "win"}
                        | {f"f{i}" for i in range(1, 13)})


def pyautogui_key(k: str) -> str:
    return _PG_RENAME.get(k, k)


def xdotool_key(k: str) -> str:
    if k in _XDOTOOL:
        return _XDOTOOL[k]
    if re.fullmatch(r"f\d{1,2}", k):
        return k.upper()
    return k


def xdotool_valid(k: str) -> bool:
    return k in _XDOTOOL_VALID or (len(k) == 1 and k.isprintable())


def openai_key(k: str) -> str:
    return _OPENAI.get(k, k)


def openai_valid(k: str) -> bool:
    return k in OPENAI_KEYS or (len(k) == 1 and k.isprintable())


# -- coordinate spaces -------------------------------------------------------------------------
def smart_resize(height: int, width: int, factor: int = 28, min_pixels: int = 56 * 56,
                 max_pixels: int = 14 * 14 * 4 * 16384) -> tuple[int, int]:
    """Qwen2.5-VL's ``smart_resize`` (transformers ``image_processing_qwen2_vl``): both sides
    multiples of ``factor``, the area within [min_pixels, max_pixels], the aspect ratio
    nearly kept.  Returns (height, width)."""
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


class Space:
    """Maps a pixel of the exported image to a target's coordinates."""

    def __init__(self, kind: str, w: int, h: int, rw: int | None = None,
                 rh: int | None = None) -> None:
        self.kind, self.w, self.h = kind, w, h
        self.rw, self.rh = rw or w, rh or h

    def point(self, x: float, y: float) -> tuple[Any, Any]:
        if self.kind == "norm":
            return round(x / self.w, 4), round(y / self.h, 4)
        if self.kind == "grid":
            return min(999, int(x / self.w * 1000)), min(999, int(y / self.h * 1000))
        # "abs": integer pixels of a (possibly resized) image of rw x rh
        return (min(self.rw - 1, round(x * self.rw / self.w)),
                min(self.rh - 1, round(y * self.rh / self.h)))

    def inside(self, x: Any, y: Any) -> bool:
        if self.kind == "norm":
            return 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0
        if self.kind == "grid":
            return (isinstance(x, int) and isinstance(y, int) and 0 <= x <= 999
                    and 0 <= y <= 999)
        return isinstance(x, int) and isinstance(y, int) and 0 <= x < self.rw and 0 <= y < self.rh


class Unsupported(Exception):
    """The target has no way to say this step."""


# -- PyAutoGUI ---------------------------------------------------------------------------------
def _end(step: Mapping[str, Any]) -> tuple[float, float]:
    p = step["path"][-1]
    return p["x"], p["y"]


def pyautogui_calls(step: Mapping[str, Any], space: Space) -> list[Call]:
    t = step["action_type"]
    calls: list[Call] = []
    mods = [pyautogui_key(k) for k in step.get("keys") or ()] if t != "key" else []

    def xy() -> dict[str, Any]:
        x, y = space.point(step["x"], step["y"])
        return {"x": x, "y": y}

    for k in mods:
        calls.append(("pyautogui.keyDown", (k,), {}))
    if t in ("click", "right_click", "middle_click", "double_click"):
        name = {"click": "click", "right_click": "rightClick", "middle_click": "middleClick",
                "double_click": "doubleClick"}[t]
        kw = xy()
        if t == "click" and step.get("button") not in (None, "left"):
            name = {"right": "rightClick", "middle": "middleClick"}.get(step["button"], name)
        calls.append((f"pyautogui.{name}", (), kw))
    elif t == "triple_click":
        calls.append(("computer.tripleClick", (), xy()))
    elif t == "mouse_move":
        calls.append(("pyautogui.moveTo", (), xy()))
    elif t == "drag":
        ex, ey = space.point(*_end(step))
        calls.append(("pyautogui.moveTo", (), xy()))
        calls.append(("pyautogui.dragTo", (), {"x": ex, "y": ey,
                                               "button": step.get("button") or "left"}))
    elif t == "scroll":
        calls.append(("pyautogui.moveTo", (), xy()))
        dy, dx = int(step.get("scroll_dy") or 0), int(step.get("scroll_dx") or 0)
        if dy:
            calls.append(("pyautogui.scroll", (-dy,), {}))  # scroll(+n) is up
        if dx:
            calls.append(("pyautogui.hscroll", (dx,), {}))
    elif t == "type":
        calls.append(("pyautogui.write", (), {"message": step["text"]}))
    elif t == "key":
        keys = [pyautogui_key(k) for k in step["keys"]]
        n = int(step.get("repeat") or 1)
        if len(keys) == 1:
            calls.append(("pyautogui.press", (keys[0],), {"presses": n} if n > 1 else {}))
        else:
            calls.extend(("pyautogui.hotkey", tuple(keys), {}) for _ in range(n))
    elif t == "wait":
        calls.append(("computer.wait", (), {}))
    elif t == "terminate":
        calls.append(("computer.terminate", (),
                      {"status": "success" if step.get("terminal_status") == "success"
                       else "failure"}))
    else:
        raise Unsupported(t)
    for k in reversed(mods):
        calls.append(("pyautogui.keyUp", (k,), {}))
    return calls


def format_calls(calls: list[Call], sep: str = "\n") -> str:
    def val(v: Any) -> str:
        return repr(v) if not isinstance(v, float) else f"{v:.4f}".rstrip("0").rstrip(".") \
            if v != int(v) else f"{v:.1f}"

    parts = []
    for name, args, kw in calls:
        inner = [val(a) for a in args] + [f"{k}={val(v)}" for k, v in kw.items()]
        parts.append(f"{name}({', '.join(inner)})")
    return sep.join(parts)


_ALLOWED_NAMES = {"pyautogui", "computer"}


def parse_calls(code: str, *, names: set[str] | None = None) -> list[Call]:
    """Parse a sequence of calls with literal arguments (``ast``: never evaluated)."""
    tree = ast.parse(code, mode="exec")
    out: list[Call] = []
    for node in tree.body:
        if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
            raise ValueError(f"not a call: {ast.unparse(node)[:60]!r}")
        call = node.value
        f = call.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            if names is not None and f.value.id not in names:
                raise ValueError(f"unknown module {f.value.id!r}")
            name = f"{f.value.id}.{f.attr}"
        elif isinstance(f, ast.Name) and names is None:
            name = f.id
        else:
            raise ValueError(f"unexpected callee {ast.unparse(f)!r}")
        args = tuple(ast.literal_eval(a) for a in call.args)
        kw = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
        out.append((name, args, kw))
    return out


def parse_pyautogui(code: str) -> list[Call]:
    return parse_calls(code, names=_ALLOWED_NAMES)


def same_calls(a: list[Call], b: list[Call], tol: float) -> bool:
    if len(a) != len(b):
        return False
    for (n1, a1, k1), (n2, a2, k2) in zip(a, b, strict=True):
        if n1 != n2 or len(a1) != len(a2) or set(k1) != set(k2):
            return False
        for v1, v2 in list(zip(a1, a2, strict=True)) + [(k1[k], k2[k]) for k in k1]:
            if isinstance(v1, int | float) and isinstance(v2, int | float) \
                    and not isinstance(v1, bool):
                if abs(v1 - v2) > tol:
                    return False
            elif v1 != v2:
                return False
    return True


_POINT_CALLS = {"pyautogui.click", "pyautogui.rightClick", "pyautogui.middleClick",
                "pyautogui.doubleClick", "computer.tripleClick", "pyautogui.moveTo",
                "pyautogui.dragTo"}


def check_pyautogui(code: str, space: Space) -> list[str]:
    """Problems with a PyAutoGUI string: syntax, vocabulary, keys, coordinate bounds, and
    that formatting the parsed calls gives the same string back."""
    try:
        calls = parse_pyautogui(code)
    except (SyntaxError, ValueError) as exc:
        return [f"does not parse as PyAutoGUI calls ({exc})"]
    problems = []
    for name, args, kw in calls:
        if name in _POINT_CALLS and not space.inside(kw.get("x"), kw.get("y")):
            problems.append(f"{name} at ({kw.get('x')}, {kw.get('y')}) is outside the image")
        if name in ("pyautogui.press", "pyautogui.hotkey", "pyautogui.keyDown",
                    "pyautogui.keyUp"):
            for k in args:
                if k not in PYAUTOGUI_KEYS:
                    problems.append(f"{name}: {k!r} is not a PyAutoGUI key")
    if format_calls(calls) != code:
        problems.append("does not round-trip (formatting the parsed calls differs)")
    return problems


# -- UI-TARS (v1 prompt, [0, 1000) grid) ------------------------------------------------------
def _box(p: tuple[int, int]) -> str:
    return f"<|box_start|>({p[0]},{p[1]})<|box_end|>"


_BOX = re.compile(r"^<\|box_start\|>\((\d+),(\d+)\)<\|box_end\|>$")


def uitars_calls(step: Mapping[str, Any], space: Space) -> list[Call]:
    t = step["action_type"]

    def pt() -> str:
        return _box(space.point(step["x"], step["y"]))

    if t in ("click", "double_click", "right_click"):
        if t == "click" and step.get("button") not in (None, "left"):
            raise Unsupported(f"{step['button']} click")
        name = {"click": "click", "double_click": "left_double", "right_click": "right_single"}
        return [(name[t], (), {"start_box": pt()})]
    if t == "drag":
        return [("drag", (), {"start_box": pt(), "end_box": _box(space.point(*_end(step)))})]
    if t == "scroll":
        dy, dx = step.get("scroll_dy") or 0, step.get("scroll_dx") or 0
        direction = (("down" if dy > 0 else "up") if abs(dy) >= abs(dx)
                     else ("right" if dx > 0 else "left"))
        return [("scroll", (), {"start_box": pt(), "direction": direction})]
    if t == "type":
        return [("type", (), {"content": step["text"]})]
    if t == "key":
        if len(step["keys"]) > 3:
            raise Unsupported("more than 3 keys")
        combo = " ".join(pyautogui_key(k).lower() for k in step["keys"])
        return [("hotkey", (), {"key": combo})] * int(step.get("repeat") or 1)
    if t == "wait":
        return [("wait", (), {})]
    if t == "terminate":
        return [("finished", (), {})]
    raise Unsupported(t)


def check_uitars(text: str, space: Space) -> list[str]:
    try:
        calls = parse_calls(text.replace("\n\n", "\n"))
    except (SyntaxError, ValueError) as exc:
        return [f"does not parse as UI-TARS actions ({exc})"]
    problems = []
    known = {"click", "left_double", "right_single", "drag", "scroll", "type", "hotkey",
             "wait", "finished"}
    for name, _args, kw in calls:
        if name not in known:
            problems.append(f"{name} is not a UI-TARS desktop action")
        for key in ("start_box", "end_box"):
            if key in kw:
                m = _BOX.match(kw[key])
                if not m or not space.inside(int(m.group(1)), int(m.group(2))):
                    problems.append(f"{name} {key}={kw[key]!r} is not a point in [0,1000)")
    if format_calls(calls, "\n\n") != text:
        problems.append("does not round-trip (formatting the parsed calls differs)")
    return problems


# -- Anthropic computer tool -------------------------------------------------------------------
def _ipt(x: float, y: float, w: int, h: int) -> list[int]:
    return [min(w - 1, max(0, int(round(x)))), min(h - 1, max(0, int(round(y))))]


def anthropic_action(step: Mapping[str, Any], w: int, h: int) -> dict[str, Any]:
    t = step["action_type"]
    mods = "+".join(xdotool_key(k) for k in step.get("keys") or ()) if t != "key" else ""
    if t in ("click", "double_click", "triple_click", "right_click", "middle_click"):
        name = {"click": "left_click"}.get(t, t)
        if t == "click" and step.get("button") in ("right", "middle"):
            name = f"{step['button']}_click"
        out: dict[str, Any] = {"action": name, "coordinate": _ipt(step["x"], step["y"], w, h)}
        if mods:
            out["text"] = mods  # keys held during the click (computer_20250124)
        return out
    if t == "mouse_move":
        return {"action": "mouse_move", "coordinate": _ipt(step["x"], step["y"], w, h)}
    if t == "drag":
        if (step.get("button") or "left") != "left":
            raise Unsupported("drag with another button than left")
        return {"action": "left_click_drag", "start_coordinate": _ipt(step["x"], step["y"], w, h),
                "coordinate": _ipt(*_end(step), w, h)}
    if t == "scroll":
        dy, dx = step.get("scroll_dy") or 0, step.get("scroll_dx") or 0
        if abs(dy) >= abs(dx):
            direction, amount = ("down" if dy > 0 else "up"), abs(dy)
        else:
            direction, amount = ("right" if dx > 0 else "left"), abs(dx)
        out = {"action": "scroll", "coordinate": _ipt(step["x"], step["y"], w, h),
               "scroll_direction": direction, "scroll_amount": int(amount)}
        if mods:
            out["text"] = mods
        return out
    if t == "type":
        return {"action": "type", "text": step["text"]}
    if t == "key":
        combo = "+".join(xdotool_key(k) for k in step["keys"])
        return {"action": "key", "text": " ".join([combo] * int(step.get("repeat") or 1))}
    if t == "wait":
        return {"action": "wait", "duration": round((step.get("duration_ms") or 1000) / 1000, 3)}
    raise Unsupported(t)


# -- OpenAI computer_call ----------------------------------------------------------------------
SCROLL_PX_PER_CLICK = 100


def openai_actions(step: Mapping[str, Any], w: int, h: int) -> list[dict[str, Any]]:
    t = step["action_type"]
    if t in ("click", "right_click", "middle_click"):
        button = {"click": step.get("button") or "left", "right_click": "right",
                  "middle_click": "middle"}[t]
        x, y = _ipt(step["x"], step["y"], w, h)
        return [{"type": "click", "x": x, "y": y,
                 "button": {"middle": "wheel"}.get(button, button)}]
    if t == "double_click":
        x, y = _ipt(step["x"], step["y"], w, h)
        return [{"type": "double_click", "x": x, "y": y}]
    if t == "mouse_move":
        x, y = _ipt(step["x"], step["y"], w, h)
        return [{"type": "move", "x": x, "y": y}]
    if t == "drag":
        pts = [_ipt(p["x"], p["y"], w, h) for p in step["path"]]
        return [{"type": "drag", "path": [{"x": x, "y": y} for x, y in pts]}]
    if t == "scroll":
        x, y = _ipt(step["x"], step["y"], w, h)
        return [{"type": "scroll", "x": x, "y": y,
                 "scroll_x": int((step.get("scroll_dx") or 0) * SCROLL_PX_PER_CLICK),
                 "scroll_y": int((step.get("scroll_dy") or 0) * SCROLL_PX_PER_CLICK)}]
    if t == "type":
        return [{"type": "type", "text": step["text"]}]
    if t == "key":
        keys = [openai_key(k) for k in step["keys"]]
        return [{"type": "keypress", "keys": keys}] * int(step.get("repeat") or 1)
    if t == "wait":
        return [{"type": "wait"}]
    raise Unsupported(t)
