"""Readers of the exported actions written from the upstream grammars, for the round trips.

Where the upstream parser is packaged it is used as it is (UI-TARS: ``ui_tars.action_parser``;
OpenAI: the ``openai`` package's request types).  Where it is not (AgentNet's
``PyAutoGUIAction.from_string`` lives in a script folder of xlang-ai/OpenCUA; Anthropic's
reference tool is a demo app), the reader here follows the quoted upstream lines.  Nothing
here imports ``annotator.export``: each reader turns an action back into the canonical step
it must have come from (type, point in image pixels, keys, text, repeats, scroll).
"""

from __future__ import annotations

import ast
from typing import Any

# -- AgentNet PyAutoGUI ------------------------------------------------------------------------
# xlang-ai/OpenCUA data/data-process/src/schema/action.py, PyAutoGUIAction.from_string:
#     tree = ast.parse(action_string)
#     call = tree.body[0].value
#     if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute) ...
#     def _parse_ast_node(node): ast.Constant -> node.value; ast.List -> [...];
#         ast.UnaryOp(USub) -> -operand
# One call per line (a step's code is lines, e.g. "pyautogui.moveTo(...)\npyautogui.dragTo(...)").


def _node(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List):
        return [_node(e) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_node(node.operand)
    raise TypeError(f"Unsupported AST node type: {type(node)}")


def agentnet_calls(code: str) -> list[tuple[str, str, list[Any], dict[str, Any]]]:
    out = []
    for line in code.split("\n"):
        call = ast.parse(line).body[0].value
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        module = call.func.value.id
        assert module in ("pyautogui", "computer"), line
        out.append((module, call.func.attr, [_node(a) for a in call.args],
                    {k.arg: _node(k.value) for k in call.keywords}))
    return out


def agentnet_step(code: str, to_pixel) -> dict[str, Any]:
    """The canonical step of an AgentNet code string; ``to_pixel(x, y)`` maps its
    coordinates to image pixels (fractions, or smart-resized pixels)."""
    calls = agentnet_calls(code)
    mod, name, args, kw = calls[0]
    clicks = {"click": "click", "doubleClick": "double_click", "rightClick": "right_click",
              "middleClick": "middle_click", "tripleClick": "triple_click",
              "triple_click": "triple_click"}
    if name in clicks and len(calls) == 1:
        return {"action_type": clicks[name], "xy": to_pixel(kw["x"], kw["y"])}
    if name == "moveTo":
        start = to_pixel(kw["x"], kw["y"])
        rest = calls[1:]
        if not rest:
            return {"action_type": "mouse_move", "xy": start}
        if rest[0][1] == "dragTo":
            end = rest[0][3]
            return {"action_type": "drag", "xy": start, "end": to_pixel(end["x"], end["y"]),
                    "button": end["button"]}
        # raw_to_standardized.py: hscroll(clicks=dx), scroll(clicks=dy) with up positive
        dx = sum(a[0] for _, n, a, _ in rest if n == "hscroll")
        dy = -sum(a[0] for _, n, a, _ in rest if n == "scroll")
        return {"action_type": "scroll", "xy": start, "scroll": (dx, dy)}
    if name == "write":
        return {"action_type": "type", "text": kw["message"]}
    if name in ("press", "hotkey"):
        assert all(c == calls[0] for c in calls), code  # a repeated key: the same line again
        return {"action_type": "key", "keys": list(kw["keys"]), "repeat": len(calls)}
    if name == "wait":
        return {"action_type": "wait"}
    if name == "terminate":
        return {"action_type": "terminate", "status": kw["status"]}
    raise AssertionError(f"not an AgentNet action: {code!r}")


# -- UI-TARS (the ui-tars package) -------------------------------------------------------------
def uitars_steps(answer: str, version: str, w: int, h: int) -> list[dict[str, Any]]:
    """Each action of a UI-TARS answer, read by ``parse_action_to_structure_output``.  For
    v1 the box tokens are dropped first: they are special tokens, which decoding with
    ``skip_special_tokens=True`` removes before the parser sees the text (README: "response
    = "Thought: Click the button\\nAction: click(start_box='(100,200)')"")."""
    from ui_tars.action_parser import parse_action_to_structure_output

    if version == "v1":
        text = answer.replace("<|box_start|>", "").replace("<|box_end|>", "")
        parsed = parse_action_to_structure_output(text, 1000, h, w, model_type="qwen2vl")
    else:
        parsed = parse_action_to_structure_output(answer, 28, h, w, model_type="qwen25vl")
    out = []
    for p in parsed:
        a, t = p["action_inputs"], p["action_type"]

        def pt(key: str, a=a) -> tuple[float, float]:
            x1, y1, _x2, _y2 = ast.literal_eval(a[key])
            return x1 * w, y1 * h

        kind = {"click": "click", "left_double": "double_click",
                "right_single": "right_click"}.get(t)
        if kind:
            out.append({"action_type": kind, "xy": pt("start_box")})
        elif t == "drag":
            out.append({"action_type": "drag", "xy": pt("start_box"), "end": pt("end_box")})
        elif t == "scroll":
            out.append({"action_type": "scroll", "xy": pt("start_box"),
                        "direction": a["direction"]})
        elif t == "hotkey":
            out.append({"action_type": "key", "keys": a["key"].split(" ")})
        elif t == "type":
            out.append({"action_type": "type", "text": a["content"]})
        elif t == "wait":
            out.append({"action_type": "wait"})
        elif t == "finished":
            out.append({"action_type": "terminate", "status": "success"})
        elif t == "call_user":
            out.append({"action_type": "terminate", "status": "failure"})
        else:
            raise AssertionError(f"not a UI-TARS action: {t}")
    return out


# -- Anthropic's reference computer tool -------------------------------------------------------
# anthropics/anthropic-quickstarts computer-use-demo/computer_use_demo/tools/computer.py
# (ComputerTool20250124.__call__ and BaseComputerTool.__call__):
#     if action in ("left_click", "right_click", "double_click", "triple_click", "middle_click"):
#         if text is not None: raise ToolError(f"text is not accepted for {action}")
#         ... if key: command_parts.append(f"keydown {key}")
#     if action == "scroll": ... scroll_direction in up/down/left/right,
#         scroll_amount a non-negative int; if text: command_parts.append(f"keydown {text}")
#     if action in ("mouse_move", "left_click_drag"): coordinate required; text not accepted
#     if action in ("key", "type"): text required; coordinate not accepted
#     if action in ("hold_key", "wait"): duration a number, 0..100
#     validate_and_get_coordinates: a list of two non-negative ints
XDOTOOL = {"Return": "enter", "Tab": "tab", "Escape": "escape", "BackSpace": "backspace",
           "Delete": "delete", "Up": "up", "Down": "down", "Left": "left", "Right": "right",
           "Home": "home", "End": "end", "Page_Up": "pageup", "Page_Down": "pagedown",
           "space": "space", "super": "cmd", "ctrl": "ctrl", "alt": "alt", "shift": "shift"}


def _coord(v: Any) -> tuple[int, int]:
    assert isinstance(v, list) and len(v) == 2 and all(isinstance(i, int) and i >= 0
                                                       for i in v), v
    return v[0], v[1]


def _xkeys(text: str) -> list[str]:
    return [XDOTOOL.get(k, k.lower()) for k in text.split("+")]


def anthropic_step(inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """The canonical step of one assistant turn's computer tool inputs."""
    a = inputs[0]
    act = a["action"]
    clicks = {"left_click": "click", "double_click": "double_click",
              "triple_click": "triple_click", "right_click": "right_click",
              "middle_click": "middle_click"}
    if act in clicks:
        assert "text" not in a, a  # "text is not accepted for {action}"
        return {"action_type": clicks[act], "xy": _coord(a["coordinate"]),
                "mods": _xkeys(a["key"]) if a.get("key") else []}
    if act == "mouse_move":
        return {"action_type": "mouse_move", "xy": _coord(a["coordinate"])}
    if act == "left_click_drag":
        assert "text" not in a
        return {"action_type": "drag", "xy": _coord(a["start_coordinate"]),
                "end": _coord(a["coordinate"])}
    if act == "scroll":
        dx = dy = 0
        for s in inputs:
            assert s["scroll_direction"] in ("up", "down", "left", "right")
            assert isinstance(s["scroll_amount"], int) and s["scroll_amount"] >= 0
            n = s["scroll_amount"]
            dy += {"down": n, "up": -n}.get(s["scroll_direction"], 0)
            dx += {"right": n, "left": -n}.get(s["scroll_direction"], 0)
        return {"action_type": "scroll", "xy": _coord(a["coordinate"]), "scroll": (dx, dy),
                "mods": _xkeys(a["text"]) if a.get("text") else []}
    if act == "type":
        assert "coordinate" not in a
        return {"action_type": "type", "text": a["text"]}
    if act == "key":
        combos = a["text"].split(" ")  # xdotool key -- A B C: pressed one after the other
        assert len(set(combos)) == 1
        return {"action_type": "key", "keys": _xkeys(combos[0]), "repeat": len(combos)}
    if act == "wait":
        assert isinstance(a["duration"], int | float) and 0 <= a["duration"] <= 100
        return {"action_type": "wait", "seconds": a["duration"]}
    raise AssertionError(f"not a computer_20250124 action: {a}")


# -- OpenAI computer_call ----------------------------------------------------------------------
OPENAI_KEYS = {"arrowup": "up", "arrowdown": "down", "arrowleft": "left", "arrowright": "right",
               "esc": "escape", "enter": "enter", "ctrl": "ctrl", "shift": "shift",
               "alt": "alt", "space": "space", "tab": "tab"}


def openai_item_adapter():
    """The openai package's input item type, to validate items against."""
    from openai.types.responses.response_input_item_param import ResponseInputItemParam
    from pydantic import TypeAdapter

    return TypeAdapter(ResponseInputItemParam)


def openai_step(actions: list[dict[str, Any]]) -> dict[str, Any]:
    a = actions[0]
    t = a["type"]
    mods = [OPENAI_KEYS.get(k, k) for k in a.get("keys") or []] if t != "keypress" else []
    if t == "click":
        kind = {"left": "click", "right": "right_click", "wheel": "middle_click"}[a["button"]]
        return {"action_type": kind, "xy": (a["x"], a["y"]), "mods": mods}
    if t == "double_click":
        return {"action_type": "double_click", "xy": (a["x"], a["y"]), "mods": mods}
    if t == "move":
        return {"action_type": "mouse_move", "xy": (a["x"], a["y"]), "mods": mods}
    if t == "drag":
        p = a["path"]
        return {"action_type": "drag", "xy": (p[0]["x"], p[0]["y"]),
                "end": (p[-1]["x"], p[-1]["y"]), "mods": mods}
    if t == "scroll":
        # openai-cua-sample-app base_playwright.py: window.scrollBy(scroll_x, scroll_y)
        return {"action_type": "scroll", "xy": (a["x"], a["y"]),
                "scroll_px": (a["scroll_x"], a["scroll_y"]), "mods": mods}
    if t == "type":
        return {"action_type": "type", "text": a["text"]}
    if t == "keypress":
        assert all(x == a for x in actions)
        return {"action_type": "key", "keys": [OPENAI_KEYS.get(k, k) for k in a["keys"]],
                "repeat": len(actions)}
    if t == "wait":
        return {"action_type": "wait"}
    raise AssertionError(f"not a computer_call action: {a}")
