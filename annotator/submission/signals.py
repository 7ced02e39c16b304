"""The signals of a recording, as its package would give them, before any package exists.

The contributor sees them in the checklist and in ``annotator signals DIR`` while they can
still fix things.  The steps are built by the same code as the package's ``steps.json``
(``stepsdoc.build_steps``: kept steps, result clock, instructions with their origins, targets),
the step pictures are read from the recording's video at the same times, and the screen's
changes come from the frame index; redactions are not burned in, so a picture differs from the
package's only under a box.  The raw input, which no package holds, is read here: this is
where the client-declared summary of ``signals.json`` is made (``declared_input``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from annotator.bundle.reader import Bundle
from annotator.drafts.package import for_package
from annotator.drafts.store import DRAFTS_FILE
from annotator.edits.apply import ApplyResult
from annotator.edits.redactions import allow_list
from annotator.quality.compute import Computed, compute
from annotator.quality.evidence import Evidence, steps_from_json
from annotator.quality.input import RawStep, analyse
from annotator.quality.package import picture_reader
from annotator.submission import stepsdoc


@dataclass(frozen=True)
class RecordingSignals:
    computed: Computed
    declared: dict[str, Any]


def raw_steps(result: ApplyResult) -> list[RawStep]:
    """The kept steps with their raw events, numbered as the package numbers them."""
    return [RawStep(n, s.id, s.type, tuple(s.raw_event_ids), s.orig_t_start_us,
                    s.orig_t_end_us) for n, s in enumerate(result.steps)]


def declared_input(bundle: Bundle, result: ApplyResult) -> dict[str, Any]:
    """The client-declared input summary of the kept steps (``signals.json``)."""
    source = str((bundle.manifest.get("input_devices") or {}).get("source") or "none")
    return analyse(bundle.events, raw_steps(result), device_source=source)


def _frames(bundle: Bundle, still_times: list[int]) -> Callable[[int], np.ndarray | None]:
    """Step pictures from the recording's video at the package's still times."""
    from annotator.steps.thumbs import decode_frames

    index = bundle.frames
    wanted: dict[int, list[int]] = {}
    for n, t in enumerate(still_times):
        i = int(np.searchsorted(index.t, t, side="right")) - 1 if len(index) else -1
        pts = int(index.pts[i]) if i >= 0 and int(index.pts[i]) >= 0 else None
        if pts is not None:
            wanted.setdefault(pts, []).append(n)
    got: dict[int, np.ndarray] = {}
    if wanted and bundle.video_path.is_file():
        for pts, rgb in decode_frames(bundle.video_path, wanted):
            for n in wanted.get(pts, ()):
                got[n] = rgb

    def frame(i: int) -> np.ndarray | None:
        return got.get(i)

    return frame


def recording_evidence(bundle_dir: str | os.PathLike[str]) -> tuple[Evidence, dict[str, Any]]:
    """The evidence of a recording and its declared input summary."""
    from annotator.media.render import plan_render
    from annotator.submission.builder import load_edited
    from annotator.submission.render import plan_from_edits

    folder = Path(bundle_dir)
    loaded = load_edited(folder)
    result, edits = loaded.result, loaded.edits
    bundle = Bundle.open(folder)
    drafted = for_package(folder, result.all_steps, edits) \
        if (folder / DRAFTS_FILE).is_file() else None
    built = stepsdoc.build_steps(
        result.steps, result.timeline, edits, whole_masked={}, scrub=stepsdoc.Scrubber(()),
        targets=drafted.targets if drafted else None,
        weak=drafted.weak_accepted if drafted else ())
    declared = declared_input(bundle, result)
    tl = result.timeline
    index = bundle.frames
    changes = sorted({r for t in index.t[index.changed].tolist()
                      if (r := tl.to_result(int(t))) is not None}) if len(index) else []
    boxes = []
    plan = plan_from_edits(folder)
    if plan.boxes:
        try:
            rp = plan_render(folder, plan.kept_ranges, plan.boxes)
            boxes = [{"fill_rect": list(b.fill_rect),
                      "intervals_us": [list(iv) for iv in b.result_intervals]}
                     for b in rp.boxes if b.fill_rect is not None and b.result_intervals]
        except Exception:  # noqa: BLE001 - boxes that do not plan are the renderer's to report
            boxes = []

    def to_source(t: int) -> int | None:
        src = tl.to_original(t)
        if src is None or not len(index):
            return src
        i = int(np.searchsorted(index.t, src, side="right")) - 1
        return int(index.pts[i]) if i >= 0 and int(index.pts[i]) >= 0 else None

    width, height = bundle.size
    ev = Evidence(
        subject={"kind": "recording", "id": bundle.id},
        width=width, height=height, duration_us=tl.result_duration_us,
        steps=steps_from_json(built.steps), frame=_frames(bundle, built.still_times),
        changes_us=np.array(changes, dtype=np.int64),
        boxes=boxes,
        accepted=[{"detector": a.get("detector"), "description": f"“{a.get('text')}”"}
                  for a in allow_list(edits)],
        declared=declared, goal=edits.task.goal, task_id=edits.data["task"].get("task_id"),
        picture_at=picture_reader(bundle.video_path, to_source)
        if bundle.video_path.is_file() else None,
    )
    return ev, declared


def recording_signals(bundle_dir: str | os.PathLike[str]) -> RecordingSignals:
    ev, declared = recording_evidence(bundle_dir)
    return RecordingSignals(compute(ev, source="recording"), declared)
