"""Render a recording as it would be submitted: the kept ranges, every redaction burned in,
then the leak check.  The one place that turns the contributor's edits into a render plan,
shared by ``annotator render``, the editor and (later) the submission package.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.edits import EditSession
from annotator.edits.redactions import masked_text
from annotator.jobs import Progress
from annotator.media.leakcheck import LeakCheckResult, check_render
from annotator.media.render import RenderResult, render_video
from annotator.steps import load_or_derive


@dataclass
class RenderPlanFromEdits:
    kept_ranges: list[tuple[int, int]]
    boxes: list[dict[str, Any]]
    # Strings the contributor masked: the leak check looks for them in the output.  They stay
    # on this machine; a submission carries only their keyed hashes.
    redacted_strings: list[str] = field(default_factory=list)
    masked_step_texts: dict[str, str] = field(default_factory=dict)  # step id -> exported text
    # Leak-check items the contributor accepted as not sensitive ({"text", "detector"}); they
    # travel with the submission so later checks (export) do not flag them again.
    allow_list: list[dict[str, str]] = field(default_factory=list)


def plan_from_edits(folder: str | Path) -> RenderPlanFromEdits:
    folder = Path(folder)
    doc = load_or_derive(folder)
    session = EditSession.open(folder, steps=doc.steps, lock=False)
    try:
        edits = session.edits
        kept = [(int(a), int(b)) for a, b in session.timeline.kept]
        reds = edits.redactions
        boxes = [{"rect": r["rect"], "t_start_us": r["t_start_us"], "t_end_us": r["t_end_us"],
                  "label": r.get("label") or r.get("detector") or "manual"}
                 for r in reds if r.get("kind") == "box"]
        by_id = {s.id: s for s in doc.steps}
        strings: list[str] = []
        masked: dict[str, str] = {}
        text_masks: dict[str, list[dict[str, Any]]] = {}
        for r in reds:
            if r.get("kind") == "text":
                text_masks.setdefault(r["step_id"], []).append(r)
            elif r.get("kind") == "title" and r.get("title"):
                strings.append(r["title"])
        for sid, masks in text_masks.items():
            step = by_id.get(sid)
            if step is None or not step.text:
                continue
            for mk in masks:
                piece = step.text[mk["start"]:mk["end"]]
                if piece.strip():
                    strings.append(piece)
            masked[sid] = masked_text(step.text, masks)
        return RenderPlanFromEdits(kept, boxes, sorted(set(strings)), masked)
    finally:
        session.close(force=True)


def keyed_hash(key: bytes, text: str) -> str:
    """HMAC-SHA256 of a redacted string with the workspace's key: lets later checks look for
    the string without the store ever holding it."""
    return hmac.new(key, text.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()


def render_for_submission(folder: str | Path, out: str | Path,
                          progress: Progress | None = None
                          ) -> tuple[RenderResult, LeakCheckResult, RenderPlanFromEdits]:
    plan = plan_from_edits(folder)
    result = render_video(folder, out, plan.kept_ranges, plan.boxes, progress=progress)
    check = check_render(out, folder, plan.kept_ranges, plan.boxes,
                         redacted_strings=plan.redacted_strings, progress=progress)
    return result, check, plan
