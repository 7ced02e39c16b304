"""The checks of the transcript formats (``check_export`` dispatches here): AgentNet
trajectories (OpenCUA), the chat SFT dialects (AGUVIS, OpenCUA-Qwen2.5, UI-TARS) and the
computer-use transcripts (Anthropic's and OpenAI's tools).  The rules they apply, and their
names, are ``annotator.export.checks``'s.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotator.export import prompts as T
from annotator.export.actions import Space
from annotator.export.actions import pyautogui as P
from annotator.export.actions import tools as TL
from annotator.export.actions import uitars as U
from annotator.export.checks import (
    Report,
    Terminal,
    TextRules,
    check_grammar,
    check_image,
    jsonl_records,
    read_member,
)

_OPENCUA_KEYS = {"task_id", "instruction", "traj", "task_completed", "alignment_score",
                 "efficiency_score", "task_difficulty", "reason", "actual_task",
                 "natural_language_task"}
_VALUE_KEYS = {"code", "observation", "thought", "action", "last_step_correct",
               "last_step_redundant", "reflection"}


def check_opencua(folder: Path, manifest: dict[str, Any], report: Report, text: TextRules
             ) -> set[str]:
    seen: set[str] = set()
    term = Terminal(report, manifest)
    for rel, n, rec in jsonl_records(folder, "*.jsonl", report):
        if not isinstance(rec, dict) or set(rec) != _OPENCUA_KEYS \
                or not isinstance(rec["traj"], list):
            report.add(rel, "schema", f"line {n}: not an AgentNet trajectory (keys)")
            continue
        ep = rec["task_id"]
        seen.add(ep)
        diff = rec["task_difficulty"]
        if diff is not None and not (isinstance(diff, int) and 0 <= diff <= 10):
            report.add(rel, "schema", f"line {n}: task_difficulty {diff!r} is not 0-10")
        text.walk(rel, ep, f"line {n} instruction", rec.get("instruction"))
        for i, st in enumerate(rec["traj"]):
            where = f"line {n} traj[{i}]"
            v = st.get("value") if isinstance(st, dict) else None
            if not isinstance(v, dict) or set(v) != _VALUE_KEYS or st.get("index") != i:
                report.add(rel, "schema", f"{where}: not an AgentNet step (index, image, "
                           "value keys)")
                continue
            size = check_image(report, rel, where, read_member(folder, f"images/{st.get('image')}"))
            code = v.get("code") or ""
            if size:
                calls = check_grammar(report, rel, where, P.parse, code, Space("norm", *size),
                                 "agentnet")
                if calls:
                    term.see(rel, ep, where, calls[0].status,
                             i == len(rec["traj"]) - 1, "opencua")
            report.checked["steps"] += 1
            text.walk(rel, ep, where, {k: v.get(k) for k in ("observation", "thought",
                                                             "action", "reflection")})
            text.check(rel, ep, f"{where} code", code)
    term.finish("*.jsonl", "opencua")
    return seen


def _template(template: str, **groups: str) -> re.Pattern[str]:
    """A regex matching ``template`` with each ``{name}`` a group of ``groups[name]``."""
    out, pos = [], 0
    for m in re.finditer(r"\{(\w+)\}", template):
        out.append(re.escape(template[pos:m.start()]))
        out.append(f"(?P<{m.group(1)}>{groups.get(m.group(1), '.*')})")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out), re.S)


_AGUVIS_HUMAN = _template("<image>" + T.AGUVIS_USER_INSTRUCTION)
_OPENCUA_ANSWER = [(T.OPENCUA_L3_SYSTEM, _template(T.OPENCUA_STEP + T.OPENCUA_L3_RESPONSE)),
                   (T.OPENCUA_L2_SYSTEM, _template(T.OPENCUA_STEP + T.OPENCUA_L2_RESPONSE)),
                   (T.OPENCUA_L1_SYSTEM, _template(T.OPENCUA_STEP + T.OPENCUA_L1_RESPONSE))]
_OPENCUA_USER = _template("<image>" + T.OPENCUA_INSTRUCTION)
_UITARS_ANSWER = re.compile(r"(?:Thought: (?P<thought>.+?)\n)?Action: (?P<action>.+)", re.S)


def check_chat(folder: Path, manifest: dict[str, Any], report: Report, text: TextRules
          ) -> set[str]:
    from annotator.export.chatsft import AGUVIS_SYSTEM, GRIDS, UITARS_SYSTEM, uitars_prompt

    dialect = (manifest.get("export") or {}).get("dialect") or "aguvis"
    grid = GRIDS.get(dialect)
    if grid is None:
        report.add("manifest.json", "manifest", f"unknown chat-sft dialect {dialect!r}")
        return set()
    seen: set[str] = set()
    last: dict[str, int] = {}
    term = Terminal(report, manifest)
    steps_of = {e["episode_id"]: e["steps"] for e in manifest["episodes"]}
    rows_of: dict[str, list[tuple[str, int, int, str | None]]] = defaultdict(list)
    for rel, n, rec in jsonl_records(folder, "data/*.jsonl", report):
        where = f"line {n} ({rec.get('id') if isinstance(rec, dict) else '?'})"
        ep = rec.get("episode_id") if isinstance(rec, dict) else None
        if not isinstance(ep, str) or not isinstance(rec.get("step_index"), int):
            report.add(rel, "schema", f"{where}: no episode_id and step_index")
            continue
        seen.add(ep)
        if rec["step_index"] <= last.get(ep, -1):
            report.add(rel, "order", f"{where}: steps of the episode out of order")
        last[ep] = rec["step_index"]
        report.checked["steps"] += 1
        if dialect == "aguvis":
            images, texts = _aguvis_layout(report, rel, where, rec, AGUVIS_SYSTEM)
        else:
            images, texts = _messages_layout(report, rel, where, rec, dialect, UITARS_SYSTEM,
                                             uitars_prompt)
        if images is None:
            continue
        count = sum(t.count("<image>") for t in texts)
        if count != len(images):
            report.add(rel, "chat", f"{where}: {count} <image> tag(s) for {len(images)} "
                       "image(s)")
        size = None
        for im in images:
            size = check_image(report, rel, where, read_member(folder, im))
        action = texts[-1] if dialect == "aguvis" else None
        if dialect == "opencua-qwen25":
            action = _opencua_code(report, rel, where, rec)
        elif dialect.startswith("uitars"):
            m = _UITARS_ANSWER.fullmatch(texts[-1])
            action = m.group("action") if m else None
            if m is None:
                report.add(rel, "layout", f"{where}: the answer is not 'Thought: ...\\n"
                           "Action: ...'")
        status = None
        if size and action is not None:
            space = grid.space(*size)
            if dialect in ("aguvis", "opencua-qwen25"):
                calls = check_grammar(report, rel, where, P.parse, action, space,
                                 "aguvis" if dialect == "aguvis" else "opencua")
                status = calls[0].status if calls else None
            else:
                version = "v1" if dialect == "uitars-1000" else "v15"
                acts = check_grammar(report, rel, where, U.parse, action, version, space) or []
                if any(a.name in ("finished", "call_user") for a in acts):
                    status = "success" if acts[-1].name == "finished" else "failure"
        rows_of[ep].append((rel, rec["step_index"], n, status))
        text.walk(rel, ep, where, texts[1:])  # not the system prompt: upstream's text
    for ep, rows in rows_of.items():
        for k, (rel, idx, n, status) in enumerate(rows):
            term.see(rel, ep, f"line {n}", status, last=idx == steps_of.get(ep, 0) - 1
                     and k == len(rows) - 1, target=dialect)
    term.finish("data/*.jsonl", dialect)
    return seen


def _aguvis_layout(report: Report, rel: str, where: str, rec: dict[str, Any], system: str
                   ) -> tuple[list[str] | None, list[str]]:
    conv = rec.get("conversations")
    image = rec.get("image")
    if not isinstance(conv, list) or not isinstance(image, str) or len(conv) < 3 or not all(
            isinstance(c, dict) and isinstance(c.get("value"), str) for c in conv):
        report.add(rel, "layout", f"{where}: not an AGUVIS row (image, conversations of "
                   "{from, value})")
        return None, []
    froms = [c.get("from") for c in conv]
    if froms not in (["system", "human", "gpt", "gpt"], ["system", "human", "gpt"]):
        report.add(rel, "layout", f"{where}: turns are {froms}")
        return None, []
    if conv[0]["value"] != system:
        report.add(rel, "layout", f"{where}: the system message is not AGUVIS's")
    if not _AGUVIS_HUMAN.fullmatch(conv[1]["value"]):
        report.add(rel, "layout", f"{where}: the human turn is not <image> + AGUVIS's "
                   "user_instruction")
    if len(conv) == 4 and (conv[2].get("recipient"), conv[2].get("end_turn")) != ("all", False):
        report.add(rel, "layout", f"{where}: the inner monologue is not recipient all")
    if (conv[-1].get("recipient"), conv[-1].get("end_turn")) != ("os", True):
        report.add(rel, "layout", f"{where}: the code is not recipient os, end of turn")
    return [f"images/{image}"], [c["value"] for c in conv]


def _messages_layout(report: Report, rel: str, where: str, rec: dict[str, Any], dialect: str,
                     uitars_system: str, uitars_prompt: Callable[..., str]
                     ) -> tuple[list[str] | None, list[str]]:
    msgs, images = rec.get("messages"), rec.get("images")
    if not isinstance(msgs, list) or not isinstance(images, list) or len(msgs) < 3 or not all(
            isinstance(m, dict) and isinstance(m.get("content"), str) for m in msgs):
        report.add(rel, "layout", f"{where}: no messages of {{role, content}} and images")
        return None, []
    roles = [m.get("role") for m in msgs]
    texts = [m["content"] for m in msgs]
    if roles[0] != "system" or roles[-1] != "assistant" or roles[-2] != "user" \
            or any(r not in ("user", "assistant") for r in roles[1:]):
        report.add(rel, "layout", f"{where}: roles are {roles}")
        return None, texts
    if dialect == "opencua-qwen25":
        if texts[0] not in {s for s, _ in _OPENCUA_ANSWER}:
            report.add(rel, "layout", f"{where}: the system prompt is not OpenCUA's")
        if not _OPENCUA_USER.fullmatch(texts[-2]):
            report.add(rel, "layout", f"{where}: the last user turn is not <image> + "
                       "OpenCUA's task instruction")
    else:
        if texts[0] != uitars_system or roles[1] != "user":
            report.add(rel, "layout", f"{where}: not UI-TARS's system and first user turn")
        else:
            m = _template(uitars_prompt(dialect, "{instruction}")).fullmatch(texts[1])
            if m is None:
                report.add(rel, "layout", f"{where}: the first user turn is not the UI-TARS "
                           "prompt and the task")
            else:
                texts[1] = m.group("instruction")  # the prompt itself is not the data
        masks = [m.get("loss_mask") for m in msgs]
        if masks != [0] * (len(msgs) - 1) + [1]:
            report.add(rel, "layout", f"{where}: loss_mask is not 1 on the answer only")
    return images, texts


def _opencua_code(report: Report, rel: str, where: str, rec: dict[str, Any]) -> str | None:
    system, answer = rec["messages"][0]["content"], rec["messages"][-1]["content"]
    for sys_prompt, rx in _OPENCUA_ANSWER:
        m = rx.fullmatch(answer)
        if m and sys_prompt == system:
            return m.group("code")
    report.add(rel, "layout", f"{where}: the answer is not OpenCUA's '# Step n:' ... "
               "'## Code:' for its system prompt")
    return None


def check_computer_use(folder: Path, manifest: dict[str, Any], report: Report,
                       text: TextRules) -> set[str]:
    """Both layouts of the computer-use export: Anthropic's and OpenAI's transcripts."""
    term = Terminal(report, manifest)
    seen = _anthropic(folder, report, text, term)
    _openai(folder, report, text, term)
    term.finish("anthropic/*.jsonl", "anthropic")
    term.finish("openai/*.jsonl", "openai")
    return seen


def _anthropic(folder: Path, report: Report, text: TextRules, term: Terminal) -> set[str]:
    """Anthropic's computer tool (computer_20250124): messages alternate user and
    assistant, every tool_use is answered by its tool_result before the next."""
    seen: set[str] = set()
    for rel, n, rec in jsonl_records(folder, "anthropic/*.jsonl", report):
        ep = rec.get("episode_id")
        seen.add(ep)
        tool = (rec.get("tools") or [{}])[0]
        w, h = tool.get("display_width_px"), tool.get("display_height_px")
        if tool.get("type") != "computer_20250124" or not (isinstance(w, int)
                                                           and isinstance(h, int)):
            report.add(rel, "layout", f"line {n}: no computer_20250124 tool with its display")
            continue
        msgs = rec.get("messages") or []
        pending: list[str] = []
        shown = False
        for i, msg in enumerate(msgs):
            where = f"line {n} messages[{i}]"
            if msg.get("role") != ("user" if i % 2 == 0 else "assistant"):
                report.add(rel, "layout", f"{where}: the roles do not alternate user, assistant")
            blocks = msg.get("content") or []
            results = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
            if msg.get("role") == "user" and pending and results != pending:
                report.add(rel, "layout", f"{where}: the tool results {results} do not answer "
                           f"the calls {pending}")
            if msg.get("role") == "user" and results:
                pending = []
            for b in blocks:
                if b.get("type") == "tool_result":
                    for c in b.get("content") or []:
                        url = ((c.get("source") or {}).get("url")) or ""
                        size = check_image(report, rel, where, read_member(folder, url))
                        if size and (size[0] > w or size[1] > h):
                            report.add(rel, "image", f"{where}: the screenshot is "
                                       f"{size[0]}x{size[1]}, larger than the display")
                        shown = True
                elif b.get("type") == "tool_use":
                    inp = b.get("input") or {}
                    if inp.get("action") != "screenshot":
                        report.checked["steps"] += 1
                        if not shown:
                            report.add(rel, "observation-before-action", f"{where}: an action "
                                       "with no screenshot given since the last one")
                    check_grammar(report, rel, where, TL.check_anthropic, inp, w, h)
                    pending.append(b.get("id"))
                    text.walk(rel, ep, where, {"text": inp.get("text")})
                elif b.get("type") == "text":
                    text.check(rel, ep, where, b.get("text") or "")
            if msg.get("role") == "assistant":
                shown = False
        closing = [b.get("text") for b in (msgs[-1].get("content") or [])
                   if b.get("type") == "text"] if msgs else []
        _closing(term, rel, ep, f"line {n}", closing, "anthropic")
    return seen


def _openai(folder: Path, report: Report, text: TextRules, term: Terminal) -> None:
    """OpenAI's computer_use_preview: every computer_call is answered by its
    computer_call_output before the next, with a screenshot."""
    for rel, n, rec in jsonl_records(folder, "openai/*.jsonl", report):
        ep = rec.get("episode_id")
        tool = (rec.get("tools") or [{}])[0]
        w, h = tool.get("display_width"), tool.get("display_height")
        if tool.get("type") != "computer_use_preview" or not (isinstance(w, int)
                                                              and isinstance(h, int)):
            report.add(rel, "layout", f"line {n}: no computer_use_preview tool with its "
                       "display")
            continue
        pending_call: str | None = None
        shown = False
        ids: set[str] = set()
        items = rec.get("input") or []
        for i, item in enumerate(items):
            where = f"line {n} input[{i}]"
            kind = item.get("type")
            if kind == "computer_call":
                act = item.get("action") or {}
                if pending_call is not None:
                    report.add(rel, "layout", f"{where}: a call before {pending_call} was "
                               "answered")
                for k in ("id", "call_id"):
                    if not isinstance(item.get(k), str) or item[k] in ids:
                        report.add(rel, "layout", f"{where}: {k} missing or not unique")
                    ids.add(item.get(k))
                if item.get("status") != "completed" or item.get("pending_safety_checks") != []:
                    report.add(rel, "layout", f"{where}: not a completed call")
                if act.get("type") != "screenshot":
                    report.checked["steps"] += 1
                    if not shown:
                        report.add(rel, "observation-before-action", f"{where}: an action "
                                   "with no screenshot given since the last one")
                    shown = False
                check_grammar(report, rel, where, TL.check_openai, act, w, h)
                pending_call = item.get("call_id")
                text.walk(rel, ep, where, {"text": act.get("text")})
            elif kind == "computer_call_output":
                if item.get("call_id") != pending_call:
                    report.add(rel, "layout", f"{where}: output for {item.get('call_id')} "
                               "answers no pending call")
                pending_call = None
                out = item.get("output") or {}
                url = out.get("image_url") or ""
                if out.get("type") != "computer_screenshot" or read_member(folder, url) is None:
                    report.add(rel, "image", f"{where}: {url} is missing")
                shown = True
            elif kind == "message":
                text.walk(rel, ep, where, item.get("content"))
            else:
                report.add(rel, "layout", f"{where}: unknown item type {kind!r}")
        last = items[-1] if items else {}
        _closing(term, rel, ep, f"line {n} (openai)",
                 [last.get("content")] if last.get("type") == "message"
                 and last.get("role") == "assistant" else [], "openai")


def _closing(term: Terminal, rel: str, ep: str, where: str, texts: list[Any],
             target: str) -> None:
    from annotator.export.computeruse import DONE, GAVE_UP

    status = {DONE: "success", GAVE_UP: "failure"}
    for t in texts:
        if t in status:
            term.see(rel, ep, where, status[t], True, target)
