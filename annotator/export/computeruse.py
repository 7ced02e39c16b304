"""``computer-use``: each episode as an Anthropic ``computer`` tool transcript and as an OpenAI
``computer_call`` transcript, for evaluation replay and distillation.

Screenshots are scaled to fit ``DISPLAY`` (WXGA, 1280x800; aspect ratio kept, never
enlarged; the reference tool scales screens above XGA/WXGA down the same way) and every
coordinate is scaled to match; both tools declare the exported size.

- ``anthropic/<split>.jsonl``: ``{episode_id, system, tools: [computer_20250124,
  display_width_px/height_px], messages}``: the user gives the task; the assistant takes a
  screenshot; then, for each step, the user turn answers every pending ``tool_use`` with a
  ``tool_result`` (the last one holding the step's observation) and the assistant's
  ``tool_use`` blocks are the step's actions (``actions/tools.py``).
- ``openai/<split>.jsonl``: ``{episode_id, tools: [computer_use_preview], input}``: the task
  message, then ``computer_call`` (with ``id``, ``call_id``, ``action``,
  ``pending_safety_checks``, ``status``) and ``computer_call_output`` (``computer_screenshot``)
  items in turn.
- The terminal step becomes the assistant's closing message (``DONE``, or ``GAVE_UP`` for a
  failed, impossible or abandoned task): neither tool has an action for it.
- Images are referenced by path (``images/...``), to inline as base64 when replaying.
"""

from __future__ import annotations

from typing import Any

from annotator.export.actions import Unsupported
from annotator.export.actions.tools import anthropic_actions, openai_actions
from annotator.export.base import Writer, dumps, image_name, why
from annotator.export.images import Encoded
from annotator.export.opencua import json_configs

DISPLAY = (1280, 800)
ANTHROPIC_TOOL = "computer_20250124"
SYSTEM = "You operate a computer with the computer tool to complete the user's task."
DONE = "I have completed the task."
GAVE_UP = "I could not complete the task."


def environment(platform: str | None) -> str:
    return {"windows": "windows", "macos": "mac", "linux": "linux", "web": "browser"}.get(
        platform or "linux", "linux")


class ComputerUseWriter(Writer):
    name = "computer-use"
    fit = DISPLAY
    loading = """```python
import json
episodes = [json.loads(line) for line in open("anthropic/train.jsonl")]
# messages: replay with the Anthropic API (tools as given; inline images/... as base64)
# openai/train.jsonl: the same episodes as Responses API input items
```"""

    def begin(self) -> None:
        self.lines: dict[str, dict[str, list[str]]] = {"anthropic": {}, "openai": {}}

    def start_episode(self, episode: dict[str, Any]) -> None:
        self.episode = episode
        task = episode["task_instruction"]
        self.size: tuple[int, int] | None = None
        self.n = 0
        self.pending_a = ["toolu_000000"]  # tool_use ids waiting for their result
        self.msgs: list[dict[str, Any]] = [
            {"role": "user", "content": [{"type": "text", "text": task}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_000000",
                                               "name": "computer",
                                               "input": {"action": "screenshot"}}]}]
        self.pending_o: str | None = "call_000000_0"
        self.items: list[dict[str, Any]] = [
            {"type": "message", "role": "user", "content": [{"type": "input_text",
                                                             "text": task}]},
            {"type": "computer_call", "id": "cu_000000_0", "call_id": "call_000000_0",
             "action": {"type": "screenshot"}, "pending_safety_checks": [],
             "status": "completed"}]

    def _observe(self, url: str) -> None:
        """The step's observation answers what is pending, before the step's action."""
        if self.pending_a:
            results: list[dict[str, Any]] = [{"type": "tool_result", "tool_use_id": i}
                                             for i in self.pending_a]
            results[-1]["content"] = [{"type": "image", "source": {
                "type": "url", "url": url}}]
            self.msgs.append({"role": "user", "content": results})
            self.pending_a = []
        if self.pending_o:
            self.items.append({"type": "computer_call_output", "call_id": self.pending_o,
                               "output": {"type": "computer_screenshot", "image_url": url}})
            self.pending_o = None

    def step(self, row: dict[str, Any], img: Encoded) -> None:
        t = row["action_type"]
        w, h = img.width, img.height
        try:
            a_acts = anthropic_actions(row, w, h) if t != "terminate" else []
        except Unsupported as exc:
            self.ctx.unsupported[why(f"anthropic:{t}", exc)] += 1
            a_acts = None
        try:
            o_acts = openai_actions(row, w, h) if t != "terminate" else []
        except Unsupported as exc:
            self.ctx.unsupported[why(f"openai:{t}", exc)] += 1
            o_acts = None
        if a_acts is None and o_acts is None:
            return  # neither transcript says it: the next observation answers the last call
        url = f"images/{image_name(row['episode_id'], row['step_index'], self.ctx.ext)}"
        self.write_bytes(url, img.data)
        self.size = (w, h)
        self.n += 1
        n = self.n
        if a_acts is not None:
            self._observe_a(url)
            if t == "terminate":
                self.msgs.append({"role": "assistant", "content": [
                    {"type": "text", "text": _closing(row)}]})
            else:
                ids = [f"toolu_{n:06d}{chr(97 + k) if k else ''}" for k in range(len(a_acts))]
                self.msgs.append({"role": "assistant", "content": [
                    {"type": "tool_use", "id": i, "name": "computer", "input": a}
                    for i, a in zip(ids, a_acts, strict=True)]})
                self.pending_a = ids
        if o_acts is not None:
            self._observe_o(url)
            if t == "terminate":
                self.items.append({"type": "message", "role": "assistant",
                                   "content": _closing(row)})
            for k, act in enumerate(o_acts):
                if k:  # a repeated key: the recording has no picture between the presses
                    self._observe_o(url)
                self.items.append({"type": "computer_call", "id": f"cu_{n:06d}_{k}",
                                   "call_id": f"call_{n:06d}_{k}", "action": act,
                                   "pending_safety_checks": [], "status": "completed"})
                self.pending_o = f"call_{n:06d}_{k}"

    def _observe_a(self, url: str) -> None:
        pending_o, self.pending_o = self.pending_o, None
        self._observe(url)
        self.pending_o = pending_o

    def _observe_o(self, url: str) -> None:
        pending_a, self.pending_a = self.pending_a, []
        self._observe(url)
        self.pending_a = pending_a

    def end_episode(self) -> None:
        e = self.episode
        w, h = self.size or DISPLAY
        a = {"episode_id": e["episode_id"], "system": SYSTEM,
             "tools": [{"type": ANTHROPIC_TOOL, "name": "computer", "display_width_px": w,
                        "display_height_px": h, "display_number": 1}],
             "messages": self.msgs}
        o = {"episode_id": e["episode_id"],
             "tools": [{"type": "computer_use_preview", "display_width": w,
                        "display_height": h, "environment": environment(e.get("platform"))}],
             "input": self.items}
        self.lines["anthropic"].setdefault(e["split"], []).append(dumps(a))
        self.lines["openai"].setdefault(e["split"], []).append(dumps(o))

    def finish(self, episodes: list[dict[str, Any]]) -> None:
        for api, by_split in self.lines.items():
            for split, lines in sorted(by_split.items()):
                self.write_text(f"{api}/{split}.jsonl", "\n".join(lines) + "\n")

    def card_yaml(self, splits: list[str]) -> list[str]:
        lines = json_configs(splits, "anthropic/{split}.jsonl")
        lines[1] = "- config_name: anthropic"
        more = json_configs(splits, "openai/{split}.jsonl")[1:]
        more[0] = "- config_name: openai"
        return lines + more


def _closing(row: dict[str, Any]) -> str:
    return DONE if row.get("terminal_status") == "success" else GAVE_UP

