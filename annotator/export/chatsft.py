"""``chat-sft``: one supervised fine-tuning row per step, in an upstream model's own layout,
prompts and action language (``--dialect``; the contracts are in exports/README.md):

- ``aguvis`` (xlang-ai/aguvis): ``{id, image, conversations: [{from, value}]}`` rows as its
  ``LazySupervisedDataset`` reads them: the system message, a human turn ``<image>`` +
  ``user_instruction`` (the task and the previous steps' instructions), then the assistant
  split in two: ``recipient: all`` (``Thought: ...\\nAction: <instruction>``) and
  ``recipient: os`` (the PyAutoGUI code, coordinates in [0, 1]); ``aguvis_<split>.yaml``
  registers the files as ``data/stage2.yaml`` does.
- ``opencua-qwen25`` (xlang-ai/OpenCUA, OpenCUA-7B/32B): ``{messages, images}`` laid out as
  ``evaluation/agentnetbench/agent/opencua.py`` prompts: the L1/L2/L3 system prompt, the last
  two screenshots and the last ten steps as ``# Step n:`` / ``## Action:`` turns, the
  screenshot and ``# Task Instruction:``, then the answer ``## Thought:`` / ``## Action:`` /
  ``## Code:`` with integer pixels of the smart-resized image (min_pixels 3,136,
  max_pixels 12,845,056).
- ``uitars-1000`` and ``uitars15`` (bytedance/UI-TARS): ``{messages, images}`` laid out as
  ``data/training_example.json``: "You are a helpful assistant.", the action-space prompt and
  the task in the first user turn, older answers as assistant turns, the last five screenshots
  as user turns before their answers, ``loss_mask`` 1 on the answer only.  ``uitars-1000``:
  the README_v1 computer prompt, [0, 1000) grid; ``uitars15``: ``COMPUTER_USE_DOUBAO``,
  pixels of the smart-resized image (min_pixels 100*28*28, max_pixels 16384*28*28).

Images are ``<image>`` placeholders in the text (one per image, in order) with the files in
``images``.  A step the dialect cannot say is left out and counted (``counts.unsupported``); it
still appears in the natural-language history of the steps after it.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from annotator.export import prompts as T
from annotator.export.actions import Space, Unsupported
from annotator.export.actions import pyautogui as P
from annotator.export.actions import uitars as U
from annotator.export.base import Writer, dumps, image_name, why
from annotator.export.images import Encoded
from annotator.export.opencua import json_configs

DIALECTS = ("aguvis", "opencua-qwen25", "uitars-1000", "uitars15")
IMAGE_TOKEN = "<image>"
LANGUAGE = "English"  # UI-TARS prompts name the language of the Thought part
UITARS_SYSTEM = "You are a helpful assistant."  # data/training_example.json
UITARS_IMAGES = 5  # data/training_example.json: the last five screenshots
OPENCUA_IMAGES = 3  # opencua.py default image="image_3": two earlier screenshots + the current
OPENCUA_HISTORY = 10  # opencua.py default max_history_length
# AGUVIS declares functions beyond PyAutoGUI in its system message (agent_system_message);
# the desktop ones, as OpenCUA (same group) declares them, and AGUVIS's wait.
AGUVIS_WAIT_FUNC = {"name": "computer.wait", "description": "wait for the change to happen",
                    "parameters": {"type": "object", "properties": {"seconds": {
                        "type": "number", "description": "The seconds to wait"}},
                        "required": ["seconds"]}}
AGUVIS_SYSTEM = (T.AGUVIS_GROUNDING_SYSTEM + "\n\nYou have access to the following functions:\n"
                 + "".join(f"- {json.dumps(f)}\n" for f in (
                     T.OPENCUA_TRIPLE_CLICK_FUNC, AGUVIS_WAIT_FUNC, T.OPENCUA_TERMINATE_FUNC)))


@dataclass(frozen=True)
class Grid:
    """A dialect's coordinates for an image of w x h."""

    kind: str  # norm, grid, abs
    factor: int = 28
    min_pixels: int = 0
    max_pixels: int = 0

    def space(self, w: int, h: int) -> Space:
        if self.kind == "abs":
            return Space.resized(w, h, self.factor, self.min_pixels, self.max_pixels)
        return Space(self.kind, w, h)

    def describe(self) -> dict[str, Any]:
        if self.kind == "abs":
            return {"coordinates": "integer pixels of the smart-resized image",
                    "factor": self.factor, "min_pixels": self.min_pixels,
                    "max_pixels": self.max_pixels}
        return Space(self.kind, 1, 1).describe()


GRIDS = {"aguvis": Grid("norm"), "opencua-qwen25": Grid("abs", 28, 3136, 12845056),
         "uitars-1000": Grid("grid"), "uitars15": Grid("abs", 28, 100 * 28 * 28,
                                                      16384 * 28 * 28)}


def uitars_prompt(dialect: str, instruction: str) -> str:
    if dialect == "uitars15":
        return T.UITARS15_COMPUTER_USE.format(language=LANGUAGE, instruction=instruction)
    # README_v1.md: ``prompt + instruction``; its language line is the one thing set.
    return T.UITARS_V1_COMPUTER.replace("Use Chinese in", f"Use {LANGUAGE} in") + instruction


def action_text(dialect: str, row: dict[str, Any], w: int, h: int,
                platform: str | None = None) -> str:
    """The step's action in the dialect's language (``Unsupported`` if it has none)."""
    space = GRIDS[dialect].space(w, h)
    if dialect == "aguvis":
        return P.write(row, space, "aguvis", platform)
    if dialect == "opencua-qwen25":
        return P.write(row, space, "opencua", platform)
    return U.write(row, space, "v1" if dialect == "uitars-1000" else "v15", platform)


def uitars_answer(row: dict[str, Any], action: str) -> str:
    """``Thought: ...\\nAction: ...``: the thought, then the step's one-sentence summary
    (the prompt: "Write a small plan and finally summarize your next action ... in one
    sentence in `Thought` part")."""
    thought = " ".join(t.strip() for t in (row.get("thought"), row.get("low_level_instruction"))
                       if t and t.strip())
    return f"Thought: {thought}\nAction: {action}" if thought else f"Action: {action}"


def opencua_answer(row: dict[str, Any], code: str) -> tuple[str, str]:
    """(system prompt, answer) at the richest level the step's labels fill (L3, L2, L1)."""
    obs, thought = row.get("observation_desc"), row.get("thought")
    action = row.get("low_level_instruction") or ""
    head = T.OPENCUA_STEP.format(step_num=row["step_index"] + 1)
    if obs and thought:
        return T.OPENCUA_L3_SYSTEM, head + T.OPENCUA_L3_RESPONSE.format(
            observation=obs, thought=thought, action=action, code=code)
    if thought:
        return T.OPENCUA_L2_SYSTEM, head + T.OPENCUA_L2_RESPONSE.format(
            thought=thought, action=action, code=code)
    return T.OPENCUA_L1_SYSTEM, head + T.OPENCUA_L1_RESPONSE.format(action=action, code=code)


class ChatSFTWriter(Writer):
    name = "chat-sft"

    @property
    def loading(self) -> str:  # type: ignore[override]
        if self.dialect == "aguvis":
            return """```python
import datasets
ds = datasets.load_dataset("json", data_files={"train": "data/train.jsonl"})
# AGUVIS: train.py --data_path aguvis_train.yaml --image_folder <this folder>
```"""
        return """```python
import datasets
ds = datasets.load_dataset("json", data_files={"train": "data/train.jsonl"})
# each row: messages (role, content with one <image> per image) and images (paths)
```"""

    def begin(self) -> None:
        self.dialect = self.ctx.dialect or "aguvis"
        self.lines: dict[str, list[str]] = {}
        opts = {"dialect_limits": GRIDS[self.dialect].describe()}
        if self.dialect.startswith("uitars"):
            opts["history"] = {"images": UITARS_IMAGES, "language": LANGUAGE}
        elif self.dialect == "opencua-qwen25":
            opts["history"] = {"images": OPENCUA_IMAGES, "steps": OPENCUA_HISTORY}
        self.ctx.options.update(opts)

    def start_episode(self, episode: dict[str, Any]) -> None:
        self.episode = episode
        self.said: list[str] = []  # every earlier step's instruction (or action)
        self.images: deque[str] = deque(maxlen=OPENCUA_IMAGES - 1)  # opencua: earlier images
        self.answers: list[tuple[str, str]] = []  # uitars: (image, answer) of written rows

    def step(self, row: dict[str, Any], img: Encoded) -> None:
        name = image_name(row["episode_id"], row["step_index"], self.ctx.ext)
        try:
            act = action_text(self.dialect, row, img.width, img.height,
                              self.episode.get("platform"))
            rec = self.record(row, name, act)
            shown = 1 if "image" in rec else len(rec["images"])
            if sum(t.count(IMAGE_TOKEN) for t in self._texts(rec)) != shown:
                raise Unsupported(f"text holding {IMAGE_TOKEN} (the image placeholder)")
        except Unsupported as exc:
            self.ctx.unsupported[why(f"{self.dialect}:{row['action_type']}", exc)] += 1
            act = None
        else:
            self.write_bytes(f"images/{name}", img.data)
            self.lines.setdefault(self.episode["split"], []).append(dumps(rec))
            if self.dialect.startswith("uitars"):
                self.answers.append((name, rec["messages"][-1]["content"]))
        # The history: what was done, whether or not this dialect could say it.
        self.said.append(row.get("low_level_instruction") or (act or "").replace("\n", "; "))
        if self.dialect == "opencua-qwen25":  # the earlier screenshots, every step's
            if act is None:
                self.write_bytes(f"images/{name}", img.data)
            self.images.append(name)

    def _texts(self, rec: dict[str, Any]) -> list[str]:
        if "conversations" in rec:
            return [c["value"] for c in rec["conversations"]]
        return [m["content"] for m in rec["messages"]]

    def record(self, row: dict[str, Any], image: str, act: str) -> dict[str, Any]:
        e = self.episode
        rid = {"id": f"{row['episode_id']}_{row['step_index']:05d}",
               "episode_id": row["episode_id"], "step_index": row["step_index"]}
        if self.dialect == "aguvis":
            prev = "\n".join(f"Step {i + 1}: {s}" for i, s in enumerate(self.said)) or "None"
            conv: list[dict[str, Any]] = [
                {"from": "system", "value": AGUVIS_SYSTEM},
                {"from": "human", "value": IMAGE_TOKEN + T.AGUVIS_USER_INSTRUCTION.format(
                    overall_goal=e["task_instruction"], previous_actions=prev)}]
            thought, lli = row.get("thought"), row.get("low_level_instruction")
            inner = "\n".join(p for p in ((f"Thought: {thought}" if thought else None),
                                          (f"Action: {lli}" if lli else None)) if p)
            if inner:
                conv.append({"from": "gpt", "value": inner, "recipient": "all",
                             "end_turn": False})
            conv.append({"from": "gpt", "value": act, "recipient": "os", "end_turn": True})
            return {**rid, "image": image, "conversations": conv}
        if self.dialect == "opencua-qwen25":
            system, answer = opencua_answer(row, act)
            msgs: list[dict[str, Any]] = [{"role": "system", "content": system}]
            images = []
            n = len(self.said)
            first_image = n - len(self.images)  # self.images: the last steps', in order
            for i, said in enumerate(self.said):
                if i >= first_image:
                    msgs.append({"role": "user", "content": IMAGE_TOKEN})
                    images.append(f"images/{self.images[i - first_image]}")
                if i >= n - OPENCUA_HISTORY:
                    msgs.append({"role": "assistant", "content": T.OPENCUA_STEP.format(
                        step_num=i + 1) + T.OPENCUA_ACTION_HISTORY.format(action=said)})
            msgs.append({"role": "user", "content": IMAGE_TOKEN + T.OPENCUA_INSTRUCTION.format(
                instruction=e["task_instruction"])})
            msgs.append({"role": "assistant", "content": answer})
            return {**rid, "messages": msgs, "images": images + [f"images/{image}"]}
        # UI-TARS
        msgs = [{"role": "system", "content": UITARS_SYSTEM, "loss_mask": 0},
                {"role": "user", "content": uitars_prompt(self.dialect, e["task_instruction"]),
                 "loss_mask": 0}]
        images = []
        shown = len(self.answers) - (UITARS_IMAGES - 1)
        for i, (img, answer) in enumerate(self.answers):
            if i >= shown:
                msgs.append({"role": "user", "content": IMAGE_TOKEN, "loss_mask": 0})
                images.append(f"images/{img}")
            msgs.append({"role": "assistant", "content": answer, "loss_mask": 0})
        msgs.append({"role": "user", "content": IMAGE_TOKEN, "loss_mask": 0})
        msgs.append({"role": "assistant", "content": uitars_answer(row, act), "loss_mask": 1})
        return {**rid, "messages": msgs, "images": images + [f"images/{image}"]}

    def finish(self, episodes: list[dict[str, Any]]) -> None:
        for split, lines in sorted(self.lines.items()):
            self.write_text(f"data/{split}.jsonl", "\n".join(lines) + "\n")
            if self.dialect == "aguvis":  # as data/stage2.yaml registers a file
                self.write_text(f"aguvis_{split}.yaml", "datasets:\n"
                                f"  - json_path: data/{split}.jsonl\n"
                                "    images_folder: images/\n"
                                "    sampling_strategy: \"all\"\n")

    def card_yaml(self, splits: list[str]) -> list[str]:
        return json_configs(splits, "data/{split}.jsonl")
