"""``opencua``: AgentNet trajectories (xlang-ai/OpenCUA ``data/cot-generate/README.md``) and an
images folder: what OpenCUA's ``gen_cot.py --traj_path --image_folder`` reads.

``<split>.jsonl``: one line per episode, ``{task_id, instruction, traj: [{index, image, value:
{code, observation, thought, action, last_step_correct, last_step_redundant, reflection}}],
task_completed, alignment_score, efficiency_score, task_difficulty, reason, actual_task,
natural_language_task}``; ``images/<task_id>_<step>.<ext>``.  ``code`` is AgentNet's
PyAutoGUI (``actions/pyautogui.py``, flavour ``agentnet``).  ``task_difficulty`` is 0-10
upstream ("0 means trivial, 10 means very complex"): the contributor's 1-5 rating times two,
null when unrated.  Steps AgentNet cannot say (a click with a key held) are left out of the
trajectory and counted.
"""

from __future__ import annotations

from typing import Any

from annotator.export.actions import Space, Unsupported
from annotator.export.actions import pyautogui as P
from annotator.export.base import Writer, dumps, image_name, why
from annotator.export.images import Encoded


def opencua_difficulty(rating: int | None) -> int | None:
    """OpenCUA's 0-10 ``task_difficulty`` from the 1-5 rating: twice it (5 -> 10); 0, which
    upstream keeps for trivial tasks, is never produced."""
    return None if rating is None else 2 * int(rating)


class OpenCUAWriter(Writer):
    name = "opencua"
    loading = """```python
import datasets  # or OpenCUA: python gen_cot.py --traj_path train.jsonl --image_folder images
ds = datasets.load_dataset("json", data_files={"train": "train.jsonl"})
```"""

    def begin(self) -> None:
        self.lines: dict[str, list[str]] = {}

    def start_episode(self, episode: dict[str, Any]) -> None:
        self.episode = episode
        self.traj: list[dict[str, Any]] = []

    def step(self, row: dict[str, Any], img: Encoded) -> None:
        try:
            code = P.write(row, Space("norm", img.width, img.height), "agentnet",
                           self.episode.get("platform"))
        except Unsupported as exc:
            self.ctx.unsupported[why(f"opencua:{row['action_type']}", exc)] += 1
            return
        name = image_name(row["episode_id"], row["step_index"], self.ctx.ext)
        self.write_bytes(f"images/{name}", img.data)
        self.traj.append({"index": len(self.traj), "image": name, "value": {
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
               "task_difficulty": opencua_difficulty((e.get("quality") or {}).get("difficulty")),
               "reason": None,
               "actual_task": variants.get("actual_task") or e["task_instruction"],
               "natural_language_task": variants.get("natural_language_task")
               or e["task_instruction"]}
        self.lines.setdefault(e["split"], []).append(dumps(rec))

    def finish(self, episodes: list[dict[str, Any]]) -> None:
        for split, lines in sorted(self.lines.items()):
            self.write_text(f"{split}.jsonl", "\n".join(lines) + "\n")

    def card_yaml(self, splits: list[str]) -> list[str]:
        return json_configs(splits, "{split}.jsonl")


def json_configs(splits: list[str], pattern: str) -> list[str]:
    """Card YAML naming each split's JSON Lines file, for ``load_dataset(<folder>)``."""
    lines = ["configs:", "- config_name: default", "  data_files:"]
    for s in splits:
        lines += [f"  - split: {s}", f"    path: {pattern.format(split=s)}"]
    return lines
