"""``computer-use``: transcripts as Anthropic computer-tool calls and OpenAI computer-call
actions, for evaluation replay and distillation.

Screenshots are scaled to fit ``DISPLAY`` (WXGA, 1280x800; aspect ratio kept, never
enlarged) and every coordinate is scaled to match; both tools declare that size.

- ``anthropic/<split>.jsonl``: one line per episode, ``{episode_id, system, tools:
  [computer_20250124 with display_width_px/height_px], messages}``.  The user asks the task;
  the assistant takes a screenshot; then for each step, the tool result carries the step's
  observation and the assistant's next ``tool_use`` is the step's action.  Images are
  ``{"type": "image", "source": {"type": "url", "url": "images/..."}}`` (paths relative to
  the export, to resolve or inline as base64 when replaying).
- ``openai/<split>.jsonl``: ``{episode_id, tools: [computer_use_preview, display_width/
  height, environment], input}`` with ``computer_call`` / ``computer_call_output``
  (``computer_screenshot``, ``image_url`` = the image path) items.
"""

from __future__ import annotations

from typing import Any

from annotator.export.actions import Unsupported, anthropic_action, openai_actions
from annotator.export.base import Writer, dumps, image_name
from annotator.export.images import MIME, Encoded

DISPLAY = (1280, 800)
ANTHROPIC_TOOL = "computer_20250124"
SYSTEM = "You operate a computer with the computer tool to complete the user's task."


class ComputerUseWriter(Writer):
    name = "computer-use"
    fit = DISPLAY

    def begin(self) -> None:
        self.lines: dict[str, dict[str, list[str]]] = {"anthropic": {}, "openai": {}}

    def start_episode(self, ep, episode: dict[str, Any]) -> None:
        self.episode = episode
        task = episode["task_instruction"]
        self.size: tuple[int, int] | None = None
        self.msgs: list[dict[str, Any]] = [
            {"role": "user", "content": [{"type": "text", "text": task}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_000000",
                                               "name": "computer",
                                               "input": {"action": "screenshot"}}]}]
        self.items: list[dict[str, Any]] = [
            {"type": "message", "role": "user", "content": [{"type": "input_text",
                                                             "text": task}]},
            {"type": "computer_call", "call_id": "call_000000",
             "action": {"type": "screenshot"}, "pending_safety_checks": [],
             "status": "completed"}]
        self.n = 0

    def step(self, row: dict[str, Any], img: Encoded) -> None:
        name = image_name(row["episode_id"], row["step_index"], self.ctx.ext)
        url = f"images/{name}"
        self.write_bytes(url, img.data)
        self.size = (img.width, img.height)
        last_a = self.msgs[-1]["content"][-1]["id"]
        last_o = self.items[-1]["call_id"]
        # The observation answers the previous call, strictly before this step's action.
        self.msgs.append({"role": "user", "content": [{
            "type": "tool_result", "tool_use_id": last_a,
            "content": [{"type": "image", "source": {"type": "url", "url": url,
                                                      "media_type": MIME[self.ctx.image_format]}}]}]})
        self.items.append({"type": "computer_call_output", "call_id": last_o,
                           "output": {"type": "computer_screenshot", "image_url": url}})
        t = row["action_type"]
        if t == "terminate":
            status = row.get("terminal_status") or "success"
            self.msgs.append({"role": "assistant", "content": [
                {"type": "text", "text": f"The task is finished ({status})."}]})
            self.items.append({"type": "message", "role": "assistant", "content": [
                {"type": "output_text", "text": f"The task is finished ({status})."}]})
            return
        self.n += 1
        try:
            a = anthropic_action(row, img.width, img.height)
            self.msgs.append({"role": "assistant", "content": [{
                "type": "tool_use", "id": f"toolu_{self.n:06d}", "name": "computer",
                "input": a}]})
        except Unsupported as exc:
            self.ctx.unsupported[_why(f"anthropic:{t}", exc)] += 1
            self.msgs.append({"role": "assistant", "content": [{
                "type": "tool_use", "id": f"toolu_{self.n:06d}", "name": "computer",
                "input": {"action": "screenshot"}}]})
        try:
            acts = openai_actions(row, img.width, img.height)
        except Unsupported as exc:
            self.ctx.unsupported[_why(f"openai:{t}", exc)] += 1
            acts = [{"type": "screenshot"}]
        for k, act in enumerate(acts):
            if k:  # repeated key presses: each call is answered before the next
                self.items.append({"type": "computer_call_output",
                                   "call_id": self.items[-1]["call_id"],
                                   "output": {"type": "computer_screenshot", "image_url": url}})
            self.items.append({"type": "computer_call",
                               "call_id": f"call_{self.n:06d}_{k}", "action": act,
                               "pending_safety_checks": [], "status": "completed"})

    def end_episode(self) -> None:
        e = self.episode
        w, h = self.size or DISPLAY
        a = {"episode_id": e["episode_id"], "system": SYSTEM,
             "tools": [{"type": ANTHROPIC_TOOL, "name": "computer", "display_width_px": w,
                        "display_height_px": h, "display_number": 1}],
             "messages": self.msgs}
        o = {"episode_id": e["episode_id"],
             "tools": [{"type": "computer_use_preview", "display_width": w,
                        "display_height": h, "environment": _env(e.get("platform"))}],
             "input": self.items}
        self.lines["anthropic"].setdefault(e["split"], []).append(dumps(a))
        self.lines["openai"].setdefault(e["split"], []).append(dumps(o))

    def finish(self, episodes: list[dict[str, Any]]) -> None:
        for api, by_split in self.lines.items():
            for split, lines in sorted(by_split.items()):
                self.write_text(f"{api}/{split}.jsonl", "\n".join(lines) + "\n")


def _env(platform: str | None) -> str:
    return {"windows": "windows", "macos": "mac", "linux": "linux", "web": "browser"}.get(
        platform or "linux", "linux")


def _why(what: str, exc: Exception) -> str:
    detail = str(exc)
    return what if not detail or what.endswith(":" + detail) else f"{what} ({detail})"
