"""The package's ``steps.json``: the kept steps as the reviewer and the exporter get them.

Times are on the rendered video's clock, coordinates are pixels of the rendered frame (the
renderer neither scales nor crops, so they are the recording's screenshot pixels), typed text
is masked where the contributor masked it, and every text field is scrubbed of the strings
the contributor redacted.  Field by field in docs/store.md ("steps.json").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotator.edits.apply import ResultStep
from annotator.edits.model import EditList
from annotator.edits.redactions import PLACEHOLDER, masked_text
from annotator.edits.timeline import Timeline
from annotator.steps.model import TERMINATE, step_id

STEPS_FORMAT = "annotator-package-steps"
STEPS_VERSION = 1
# Redacted strings shorter than this are not scrubbed from other text fields (a masked "a"
# would otherwise eat every "a"); the mask itself still applies where it was set.
SCRUB_MIN_LEN = 3
# Derived step flag added here: the observation frame before a kept range's start was cut
# away, so the step's frame is the first picture of its kept range.
FLAG_OBS_AT_KEPT_START = "obs_at_kept_start"
FLAG_OBS_OF_SPLIT_PART = "obs_before_part"  # a later part of a split burst: just before it
SCRUBBED_FIELDS = ("text", "keys", "window_title", "window_app", "target", "instruction",
                   "thought")
# The origin of an instruction as exports call it (``text_source``): the drafter's words the
# contributor accepted, the drafter's words reworked, or the contributor's own.
TEXT_SOURCES = {"accepted": "drafted", "edited": "edited", "written": "written"}


class Scrubber:
    """Replaces every occurrence of the redacted strings (case-insensitive) in text."""

    def __init__(self, strings: Iterable[str]) -> None:
        items = sorted({s.strip() for s in strings if len(s.strip()) >= SCRUB_MIN_LEN},
                       key=len, reverse=True)
        self._re = re.compile("|".join(re.escape(s) for s in items), re.IGNORECASE) \
            if items else None
        self.replaced = 0

    def text(self, value: str) -> str:
        if self._re is None or not value:
            return value
        out, n = self._re.subn(PLACEHOLDER, value)
        self.replaced += n
        return out

    def json(self, value: Any) -> Any:
        """A copy of JSON data with every string (keys included) scrubbed."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.json(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.json(v) for v in value]
        return value


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def only_placeholders(text: str | None) -> bool:
    """True when nothing but placeholders and white space is left of a text."""
    return not (text or "").replace(PLACEHOLDER, "").replace("•", "").strip()


@dataclass
class MaskIndex:
    """The contributor's masks from the edit list, by step."""

    text: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)

    @classmethod
    def from_edits(cls, edits: EditList) -> MaskIndex:
        idx = cls()
        for r in edits.redactions:
            kind = r.get("kind")
            if kind == "text" and r.get("step_id"):
                idx.text.setdefault(r["step_id"], []).append(r)
            elif kind == "keys" and r.get("step_id"):
                idx.keys.add(r["step_id"])
            elif kind == "title" and r.get("title"):
                idx.titles.add(r["title"])
        return idx


def part_text(part: Any, masks: MaskIndex, whole: Mapping[str, str]) -> tuple[str, bool]:
    """The exported text of one part of a step, and whether anything in it was masked."""
    text = part.text or ""
    src = part.source
    if _get(src, "masked", False):  # typed into a password field: never recorded
        return (PLACEHOLDER if text else ""), bool(text)
    src_text = _get(src, "text") or ""
    if part.text_offset == 0 and len(text) == len(src_text) and part.source_id in whole:
        out = whole[part.source_id]
        return out, out != text
    spans = []
    lo, hi = part.text_offset, part.text_offset + len(text)
    for mk in masks.text.get(part.source_id, ()):
        a, b = max(lo, int(mk["start"])), min(hi, int(mk["end"]))
        if a < b:
            spans.append({"start": a - lo, "end": b - lo,
                          "placeholder": mk.get("placeholder", PLACEHOLDER)})
    if not spans:
        return text, False
    return masked_text(text, spans), True


def _kept_range(timeline: Timeline, t_us: int) -> tuple[int, int]:
    for k0, k1 in timeline.kept:
        if k0 <= t_us < k1:
            return k0, k1
    # A kept step starts in a kept range (apply_edits); the end of the result otherwise.
    k0, k1 = timeline.kept[-1]
    return k0, k1


def observation_time(step: ResultStep, timeline: Timeline) -> tuple[int, list[str]]:
    """Recording-clock time of the picture to show as the step's observation: the derived
    observation, kept inside the step's kept range (a cut-away picture is never shown)."""
    first = step.sources[0] if step.sources else None
    t0 = step.orig_t_start_us
    flags: list[str] = []
    if step.split_of is not None and step.text_offset > 0:
        want = t0 - 1
        flags.append(FLAG_OBS_OF_SPLIT_PART)
    else:
        obs = _get(first, "obs_t_us")
        want = int(obs) if obs is not None else t0
    k0, _ = _kept_range(timeline, t0)
    t = min(want, t0)
    if t < k0:
        t = k0
        flags.append(FLAG_OBS_AT_KEPT_START)
    return t, flags


@dataclass
class StepsBuild:
    steps: list[dict[str, Any]]
    typed_text_included: bool
    window_titles_included: bool
    still_times: list[int]  # recording clock, per step: the observation picture


def build_steps(kept: Sequence[ResultStep], timeline: Timeline, edits: EditList, *,
                whole_masked: Mapping[str, str], scrub: Scrubber,
                targets: Mapping[str, Mapping[str, Any]] | None = None,
                weak: Collection[str] = ()) -> StepsBuild:
    """``targets``: by step id, the target the drafter found (name, role, box) for steps
    whose own target (accessibility) has no box; ``weak``: ids of steps whose instruction is
    a weak draft accepted as it was."""
    masks = MaskIndex.from_edits(edits)
    out: list[dict[str, Any]] = []
    typed = titles = False
    times: list[int] = []
    for n, s in enumerate(kept):
        first = s.sources[0] if s.sources else None
        text, text_masked = _step_text(s, masks, whole_masked)
        keys = _get(first, "keys")
        keys_masked = any(sid in masks.keys for sid in s.source_ids)
        if keys_masked:
            keys = None
        title = _get(first, "window_title")
        if title and title in masks.titles:
            title = PLACEHOLDER
        target = _step_target(_get(first, "target"), (targets or {}).get(s.id), masks)
        path = _get(first, "path")
        if path:
            path = [{"x": pt.get("x"), "y": pt.get("y"),
                     "t_us": timeline.to_result_clamped(int(pt.get("t_us", s.orig_t_start_us)))}
                    for pt in path]
        obs_t, obs_flags = observation_time(s, timeline)
        times.append(obs_t)
        flags = _step_flags(s, obs_flags)
        kinds = {_get(src, "type") for src in s.sources}
        step = {
            "index": n,
            "id": s.id,
            "type": s.type,
            "t_start_us": s.t_start_us,
            "t_end_us": s.t_end_us,
            "x": _get(first, "x"),
            "y": _get(first, "y"),
            "button": _get(first, "button"),
            "path": path or None,
            "scroll_dx": _get(first, "scroll_dx"),
            "scroll_dy": _get(first, "scroll_dy"),
            "text": text,
            "text_masked": text_masked,
            "keys": list(keys) if keys else None,
            "keys_masked": keys_masked,
            "repeat": int(_get(first, "repeat", 1) or 1),
            "duration_us": _get(first, "duration_us"),
            "terminal_status": _get(first, "terminal_status"),
            "window_title": title,
            "window_app": _get(first, "window_app"),
            "target": target,
            "instruction": s.label.instruction,
            "instruction_origin": s.label.instruction_origin or None,
            "instruction_weak": s.id in weak,
            "text_source": {
                "low_level_instruction": TEXT_SOURCES.get(s.label.instruction_origin),
                "thought": "written" if s.label.thought.strip() else None},
            "thought": s.label.thought,
            "mistake": s.label.mistake,
            "redundant": s.label.redundant,
            "flags": flags,
            "merged_from": list(s.source_ids) if s.merged else None,
            "split_of": s.split_of,
            "observation": {
                "frame": f"frames/{n:04d}.png",
                "thumbnail": f"thumbs/{n:04d}.jpg",
                "t_us": timeline.to_result_clamped(obs_t),
            },
        }
        for key in SCRUBBED_FIELDS:  # free text only: ids, kinds and paths stay as they are
            step[key] = scrub.json(step[key])
        if step["text"] is not None and ("type" in kinds) and not only_placeholders(step["text"]):
            typed = True
        if step["window_title"] not in (None, "", PLACEHOLDER) or (
                isinstance(step["target"], Mapping)
                and step["target"].get("window_title") not in (None, "", PLACEHOLDER)):
            titles = True
        out.append(step)
    outcome = edits.task.outcome
    if outcome and timeline.kept:
        last = terminal_step(len(out), outcome, timeline, edits)
        if out:  # on the window the demonstration ended in (as a derivation puts it)
            last["window_title"] = out[-1]["window_title"]
            last["window_app"] = out[-1]["window_app"]
        for key in SCRUBBED_FIELDS:
            last[key] = scrub.json(last[key])
        out.append(last)
        times.append(terminal_observation_time(timeline))
    return StepsBuild(out, typed, titles, times)


def _step_text(s: ResultStep, masks: MaskIndex,
               whole_masked: Mapping[str, str]) -> tuple[str | None, bool]:
    """The typed text as submitted, part by part (a merged step joins its parts' texts),
    and whether any of it was masked."""
    if s.text is None:
        return None, False
    pieces = []
    text_masked = False
    for p in s.parts:
        piece, masked = part_text(p, masks, whole_masked)
        pieces.append(piece)
        text_masked = text_masked or masked
    return "".join(pieces), text_masked


def _step_target(target: Any, found: Mapping[str, Any] | None, masks: MaskIndex) -> Any:
    """The click target as submitted: the recorded one, completed by what the drafter
    found when it has no box; a hidden name or a masked window title as the placeholder."""
    if found is not None and found.get("name_hidden") and isinstance(target, Mapping):
        target = {**target, "name": PLACEHOLDER}  # sensitive, or redacted since
    elif found is not None and not (isinstance(target, Mapping) and target.get("box")):
        target = {**(target or {}), **found}
        target.pop("reason", None)
    if isinstance(target, Mapping):
        target = dict(target)
        if target.get("window_title") in masks.titles:
            target["window_title"] = PLACEHOLDER
    return target


def _step_flags(s: ResultStep, obs_flags: Sequence[str]) -> list[str]:
    """The flags of the step's sources and of its observation frame, each once, in order."""
    flags: list[str] = []
    for src in s.sources:
        for f in _get(src, "flags") or ():
            if f not in flags:
                flags.append(f)
    flags.extend(f for f in obs_flags if f not in flags)
    return flags


def terminal_observation_time(timeline: Timeline) -> int:
    """Recording-clock time of the terminal step's picture: the last kept instant (the
    screen the demonstration ends on)."""
    k0, k1 = timeline.kept[-1]
    return max(k0, k1 - 1)


def terminal_step(n: int, outcome: str, timeline: Timeline, edits: EditList) -> dict[str, Any]:
    """The step that ends the demonstration with the contributor's outcome (success, failure,
    infeasible, abandoned): last, at the end of the rendered video, showing its final
    screen.  Derived steps have no outcome (the contributor sets it while editing), so the
    package adds it here; its id is the one a derivation with the outcome gives."""
    sid = step_id(TERMINATE, None)
    label = edits.label(sid)  # the editor shows no terminal step: normally unlabelled
    end = timeline.result_duration_us
    return {
        "index": n, "id": sid, "type": TERMINATE, "t_start_us": end, "t_end_us": end,
        "x": None, "y": None, "button": None, "path": None, "scroll_dx": None,
        "scroll_dy": None, "text": None, "text_masked": False, "keys": None,
        "keys_masked": False, "repeat": 1, "duration_us": None, "terminal_status": outcome,
        "window_title": None, "window_app": None, "target": None,
        "instruction": label.instruction, "thought": label.thought,
        "mistake": label.mistake, "redundant": label.redundant, "flags": [], "merged_from": None,
        "split_of": None,
        "observation": {"frame": f"frames/{n:04d}.png", "thumbnail": f"thumbs/{n:04d}.jpg",
                        "t_us": timeline.to_result_clamped(terminal_observation_time(timeline))},
    }
