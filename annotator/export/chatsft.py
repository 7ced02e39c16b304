"""``chat-sft``: one row per step for VLM supervised fine-tuning (Qwen2.5-VL, LLaMA-Factory,
ms-swift, TRL): ``{id, episode_id, step_index, messages: [system, user, assistant], images}``.

The user turn is ``<image>`` (the observation), the task instruction and the previous
actions; the assistant turn is ``Thought: ...\\nAction: ...`` in the dialect's action
language.  Dialects (``--dialect``):

- ``aguvis``: PyAutoGUI with coordinates normalized to [0, 1] (4 decimals).
- ``uitars-1000``: UI-TARS v1 actions, ``start_box='<|box_start|>(x,y)<|box_end|>'`` on the
  [0, 1000) grid.
- ``opencua-qwen25`` (alias ``uitars15``): PyAutoGUI with absolute pixels of the Qwen2.5-VL
  ``smart_resize``d image (factor 28, ``min_pixels``/``max_pixels`` in the manifest).

Steps a dialect cannot express (a triple or middle click in UI-TARS) are left out and counted
in the manifest (``unsupported``).  ``dataset_info.json`` registers the files for
LLaMA-Factory (sharegpt formatting).
"""

from __future__ import annotations

from typing import Any

from annotator.export.actions import (
    Space,
    Unsupported,
    format_calls,
    parse_calls,
    parse_pyautogui,
    pyautogui_calls,
    same_calls,
    smart_resize,
    uitars_calls,
)
from annotator.export.base import Writer, dumps, image_name
from annotator.export.errors import BadSubmission
from annotator.export.images import Encoded

DIALECTS = ("aguvis", "uitars-1000", "opencua-qwen25", "uitars15")
MIN_PIXELS = 56 * 56
MAX_PIXELS = 14 * 14 * 4 * 16384  # Qwen2.5-VL's preprocessor default (12,845,056)
HISTORY = 8  # previous actions listed in the user turn

SYSTEMS = {
    "aguvis": "You are a GUI agent. You are given a task and a screenshot of the screen. "
              "Reply with your thought and the next action as PyAutoGUI code; coordinates "
              "are fractions of the screen width and height.",
    "uitars-1000": "You are a GUI agent. You are given a task and a screenshot. Reply with "
                   "Thought: and Action: using click, left_double, right_single, drag, "
                   "hotkey, type, scroll, wait and finished; points are on a 1000x1000 grid.",
    "opencua-qwen25": "You are a GUI agent. You are given a task and a screenshot. Reply with "
                      "your thought and the next action as PyAutoGUI code with absolute "
                      "pixel coordinates of the screenshot as you see it.",
}
SYSTEMS["uitars15"] = SYSTEMS["opencua-qwen25"]


def limits(dialect: str) -> dict[str, Any]:
    if dialect in ("opencua-qwen25", "uitars15"):
        return {"coordinates": "absolute pixels of the smart-resized image", "factor": 28,
                "min_pixels": MIN_PIXELS, "max_pixels": MAX_PIXELS}
    if dialect == "uitars-1000":
        return {"coordinates": "integer grid [0, 1000)"}
    return {"coordinates": "normalized [0, 1], 4 decimals"}


def action_text(dialect: str, row: dict[str, Any], w: int, h: int) -> str:
    """The action string of ``row`` in ``dialect``, checked by parsing it back."""
    if dialect == "uitars-1000":
        calls = uitars_calls(row, Space("grid", w, h))
        text = format_calls(calls, "\n\n")
        ok = same_calls(parse_calls(text.replace("\n\n", "\n")), calls, 0)
    elif dialect in ("opencua-qwen25", "uitars15"):
        rh, rw = smart_resize(h, w, 28, MIN_PIXELS, MAX_PIXELS)
        calls = pyautogui_calls(row, Space("abs", w, h, rw, rh))
        text = format_calls(calls)
        ok = same_calls(parse_pyautogui(text), calls, 0)
    else:
        calls = pyautogui_calls(row, Space("norm", w, h))
        text = format_calls(calls)
        ok = same_calls(parse_pyautogui(text), calls, 1e-4)
    if not ok:
        raise ValueError(f"{text!r} does not parse back to the same action")
    return text


class ChatSFTWriter(Writer):
    name = "chat-sft"

    def begin(self) -> None:
        self.dialect = self.ctx.dialect or "aguvis"
        self.lines: dict[str, list[str]] = {}
        self.ctx.options["dialect_limits"] = limits(self.dialect)

    def start_episode(self, ep, episode: dict[str, Any]) -> None:
        self.ep, self.episode, self.history = ep, episode, []

    def step(self, row: dict[str, Any], img: Encoded) -> None:
        try:
            act = action_text(self.dialect, row, img.width, img.height)
        except Unsupported as exc:
            self.ctx.unsupported[_why(f"{self.dialect}:{row['action_type']}", exc)] += 1
            return
        except ValueError as exc:
            raise BadSubmission(self.ep.submission_id, f"step {row['step_index']}: {exc}") \
                from None
        name = image_name(row["episode_id"], row["step_index"], self.ctx.ext)
        self.write_bytes(f"images/{name}", img.data)
        prev = "\n".join(f"Step {i + 1}: {a}" for i, a in
                         list(enumerate(self.history))[-HISTORY:]) or "None"
        user = (f"<image>\nInstruction: {self.episode['task_instruction']}\n"
                f"Previous actions:\n{prev}")
        thought = row.get("thought") or row.get("low_level_instruction") or ""
        assistant = f"Thought: {thought}\nAction: {act}"
        rec = {"id": f"{row['episode_id']}_{row['step_index']:05d}",
               "episode_id": row["episode_id"], "step_index": row["step_index"],
               "messages": [{"role": "system", "content": SYSTEMS[self.dialect]},
                            {"role": "user", "content": user},
                            {"role": "assistant", "content": assistant}],
               "images": [f"images/{name}"]}
        self.lines.setdefault(self.episode["split"], []).append(dumps(rec))
        self.history.append(row.get("low_level_instruction") or act.replace("\n", "; "))

    def finish(self, episodes: list[dict[str, Any]]) -> None:
        info = {}
        for split, lines in sorted(self.lines.items()):
            self.write_text(f"data/{split}.jsonl", "\n".join(lines) + "\n")
            info[f"{self.ctx.name}_{split}"] = {
                "file_name": f"data/{split}.jsonl", "formatting": "sharegpt",
                "columns": {"messages": "messages", "images": "images"},
                "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                         "assistant_tag": "assistant", "system_tag": "system"}}
        self.write_text("dataset_info.json", dumps(info) + "\n")


def _why(what: str, exc: Exception) -> str:
    detail = str(exc)
    return what if not detail or what.endswith(":" + detail) else f"{what} ({detail})"
