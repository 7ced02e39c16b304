"""Render a recording as it would be submitted: the kept ranges, every redaction burned in,
then the leak check.  The one place that turns the contributor's edits into a render plan,
shared by ``annotator render``, the editor and (later) the submission package.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.edits import EditSession
from annotator.edits.redactions import allow_list, masked_text, orphaned_redactions
from annotator.jobs import Progress
from annotator.media.leakcheck import LeakCheckResult, check_render
from annotator.media.render import RenderResult, render_video
from annotator.redaction.fragments import FRAGMENT_CHECK, check_fragments
from annotator.redaction.leakscan import OCR_CHECK, check_ocr_text
from annotator.redaction.ocr import OcrOptions
from annotator.steps import load_or_derive


@dataclass
class RenderPlanFromEdits:
    kept_ranges: list[tuple[int, int]]
    boxes: list[dict[str, Any]]
    # Strings the contributor masked: the leak check looks for them in the output.  They stay
    # on this machine; a submission carries only their keyed hashes.
    redacted_strings: list[str] = field(default_factory=list)
    masked_step_texts: dict[str, str] = field(default_factory=dict)  # step id -> exported text
    # Leak-check items the contributor accepted as not sensitive ({"id", "text", "detector"};
    # detector "*": any); they travel with the submission so later checks (export) do not
    # flag them again.
    allow_list: list[dict[str, str]] = field(default_factory=list)
    # Kept steps' observation times on the result clock: the OCR leak scan reads the output
    # frame shown at each.
    observation_us: list[int] = field(default_factory=list)
    # Redactions that name a step that no longer exists: kept on their time range (boxes) and
    # flagged; a text mask of a vanished step can no longer be looked for.
    orphaned: list[dict[str, Any]] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        out = []
        for r in self.orphaned:
            if r.get("kind") == "box":
                out.append(f"Redaction {r['id']} refers to a step removed since: it is kept on "
                           f"its time range ({r['t_start_us'] / 1e6:.3f}-"
                           f"{r['t_end_us'] / 1e6:.3f} s of the recording). Check it.")
            else:
                out.append(f"Redaction {r['id']} ({r.get('kind')}) refers to a step removed "
                           "since: check it in the editor.")
        return out


def plan_from_edits(folder: str | Path) -> RenderPlanFromEdits:
    folder = Path(folder)
    doc = load_or_derive(folder)
    session = EditSession.open(folder, steps=doc.steps, lock=False)
    try:
        edits = session.edits
        kept = [(int(a), int(b)) for a, b in session.timeline.kept]
        reds = edits.redactions
        boxes = [{"rect": r["rect"], "t_start_us": r["t_start_us"], "t_end_us": r["t_end_us"],
                  "label": r.get("label") or r.get("detector") or "manual", "id": r["id"]}
                 for r in reds if r.get("kind") == "box"]
        by_id = {s.id: s for s in doc.steps}
        result = session.result
        obs: set[int] = set()
        for rs in result.steps:  # kept steps (merged steps keep their first step's id)
            step = by_id.get(rs.id.split("@", 1)[0])
            if step is not None and step.obs_pts is not None:
                r = session.timeline.to_result(int(step.obs_pts))
                if r is not None:
                    obs.add(int(r))
        if edits.task.outcome and session.timeline.kept:
            # The package's terminal step shows the last picture of the result.
            obs.add(max(0, session.timeline.result_duration_us - 1))
        alive = set(by_id) | {s.id for s in result.all_steps}
        orphaned = orphaned_redactions(edits, alive)
        strings: list[str] = []
        masked: dict[str, str] = {}
        text_masks: dict[str, list[dict[str, Any]]] = {}
        for red in reds:
            if red.get("kind") == "text":
                text_masks.setdefault(red["step_id"], []).append(red)
            elif red.get("kind") == "title" and red.get("title"):
                strings.append(red["title"])
        for sid, masks in text_masks.items():
            step = by_id.get(sid)
            if step is None or not step.text:
                continue
            for mk in masks:
                piece = step.text[mk["start"]:mk["end"]]
                if piece.strip():
                    strings.append(piece)
            masked[sid] = masked_text(step.text, masks)
        return RenderPlanFromEdits(kept, boxes, sorted(set(strings)), masked,
                                   allow_list(edits), sorted(obs), orphaned)
    finally:
        session.close(force=True)


def keyed_hash(key: bytes, text: str) -> str:
    """HMAC-SHA256 of a redacted string with the workspace's key: lets later checks look for
    the string without the store ever holding it."""
    return hmac.new(key, text.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()


def render_for_submission(folder: str | Path, out: str | Path,
                          progress: Progress | None = None, *,
                          deny_list: Iterable[str] = (),
                          ocr_options: OcrOptions | None = None,
                          ) -> tuple[RenderResult, LeakCheckResult, RenderPlanFromEdits]:
    """Render the kept ranges with every box burned in, then the whole leak check: the
    built-in checks plus the OCR scan of the output (``leakscan``, required: without
    Tesseract the result is "not checked" and does not pass) and the look for pieces of
    hidden values next to the boxes (``fragments``, required).  ``deny_list``: the
    contributor's own identifiers (Workspace.personal_deny_list), also looked for."""
    plan = plan_from_edits(folder)
    result = render_video(folder, out, plan.kept_ranges, plan.boxes, progress=progress)
    options: dict[str, Any] = {"deny_list": list(deny_list),
                               "observation_us": plan.observation_us,
                               "box_ids": [b.get("id") for b in plan.boxes]}
    if ocr_options is not None:
        options["ocr_options"] = ocr_options
    try:
        check = check_render(out, folder, plan.kept_ranges, plan.boxes,
                             redacted_strings=plan.redacted_strings,
                             allow_list=plan.allow_list,
                             extra_checks={OCR_CHECK: check_ocr_text,
                                           FRAGMENT_CHECK: check_fragments},
                             require=[OCR_CHECK, FRAGMENT_CHECK],
                             options=options, progress=progress)
    except BaseException:
        # Interrupted before it was checked: no output that looks finished is left.
        with contextlib.suppress(OSError):
            Path(out).unlink()
        raise
    return result, check, plan
