"""``opencua``: AgentNet-style JSONL trajectories (xlang-ai/OpenCUA) and an images folder.

``<split>.jsonl``: one line per episode, ``{task_id, instruction, traj: [{index, image,
value: {code, observation, thought, action, last_step_correct, last_step_redundant,
reflection}}], task_completed, alignment_score, efficiency_score, task_difficulty, reason,
actual_task, natural_language_task}``; ``images/<task_id>_<index>.<ext>``.  ``code`` is
PyAutoGUI with coordinates normalized to [0, 1] and rounded to 4 decimals.
"""

from __future__ import annotations

from typing import Any

from annotator.export.actions import (
    Space,
    format_calls,
    parse_pyautogui,
    pyautogui_calls,
    same_calls,
)
from annotator.export.base import Writer, dumps, image_name
from annotator.export.errors import BadSubmission
from annotator.export.images import Encoded


class OpenCUAWriter(Writer):
    name = "opencua"

    def begin(self) -> None:
        self.lines: dict[str, list[str]] = {}

    def start_episode(self, ep, episode: dict[str, Any]) -> None:
        self.ep, self.episode, self.traj = ep, episode, []

    def step(self, row: dict[str, Any], img: Encoded) -> None:
        name = image_name(row["episode_id"], row["step_index"], self.ctx.ext)
        self.write_bytes(f"images/{name}", img.data)
        space = Space("norm", img.width, img.height)
        calls = pyautogui_calls(row, space)
        code = format_calls(calls)
        if not same_calls(parse_pyautogui(code), calls, 1e-4):
            raise BadSubmission(self.ep.submission_id, f"step {row['step_index']}: the code "
                                f"{code!r} does not parse back to the same action.")
        self.traj.append({"index": row["step_index"], "image": name, "value": {
            "code": code, "observation": row.get("observation_desc"),
            "thought": row.get("thought"), "action": row.get("low_level_instruction"),
            "last_step_correct": not row.get("is_error"),
            "last_step_redundant": bool(row.get("is_redundant")),
            "reflection": row.get("reflection")}})

    def end_episode(self) -> None:
        e = self.episode
        variants = e.get("task_variants") or {}
        rec = {"task_id": e["episode_id"], "instruction": e["task_instruction"],
               "traj": self.traj, "task_completed": e.get("outcome") == "success",
               "alignment_score": None, "efficiency_score": None,
               "task_difficulty": (e.get("quality") or {}).get("difficulty"),
               "reason": None,
               "actual_task": variants.get("actual_task") or e["task_instruction"],
               "natural_language_task": variants.get("natural_language_task")
               or e["task_instruction"]}
        self.lines.setdefault(e["split"], []).append(dumps(rec))

    def finish(self, episodes: list[dict[str, Any]]) -> None:
        for split, lines in sorted(self.lines.items()):
            self.write_text(f"{split}.jsonl", "\n".join(lines) + "\n")
