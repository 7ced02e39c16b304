"""Redaction suggestions for a recording: OCR + detectors on frames, typed text and titles.

Frames are read where they changed and their suggestions followed across the frames where
the text stays (``tracking``: what is read when, and how a suggestion starts and ends);
each reading's words become boxes through the detectors (``screen_text``).

Text.  The same detectors run over the text of every ``type`` step (its ``text``) and over
every window title of ``windows.jsonl``.

Limits.  Text that appears and disappears again in less than ``stable_us`` while the
screen keeps changing around it, between two readings, is not read.  OCR misses some text
(see benchmarks/pii_recall.py for the measured recall); names and addresses are found only
through the contributor's deny-list.

The matched text of a suggestion is kept in memory for the contributor to review; it is
not part of the suggestion's id, ``repr`` or ``to_dict()`` (unless asked for), so it does
not end up in logs or in files that leave the machine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.jobs import Progress
from annotator.redaction.detect import Detector, Span
from annotator.redaction.ocr import (
    OcrOptions,
    find_tesseract,
)
from annotator.redaction.screen_text import PAD_PX
from annotator.redaction.tracking import FrameTracker, Track, similar_text

SOURCE_OCR = "ocr"
SOURCE_TYPED = "typed_text"
SOURCE_TITLE = "window_title"



@dataclass(eq=False)
class Suggestion:
    """One suggested redaction, to accept or reject in the editor."""

    id: str  # stable: a hash of where and when, never of the text itself
    kind: str  # detector kind (detect.KINDS)
    source: str  # "ocr", "typed_text" or "window_title"
    rect: list[int] | None  # [x, y, w, h] in frame pixels (padded), None for text sources
    t_start_us: int
    t_end_us: int  # inclusive: the last microsecond the redaction must cover
    step_id: str | None = None
    span: tuple[int, int] | None = None  # character offsets in the step's text / the title
    score: float = 0.0
    text: str = field(default="", repr=False)  # the matched text: local only
    reason: str = ""
    first_seen_us: int | None = None  # OCR: first and last frame where it was read
    last_seen_us: int | None = None
    frames_read: int = 0  # OCR: how many readings found it

    def to_dict(self, *, include_text: bool = False) -> dict[str, Any]:
        d = {
            "id": self.id, "kind": self.kind, "source": self.source,
            "rect": list(self.rect) if self.rect is not None else None,
            "t_start_us": self.t_start_us, "t_end_us": self.t_end_us,
            "step_id": self.step_id, "span": list(self.span) if self.span else None,
            "score": round(self.score, 3), "reason": self.reason,
            "first_seen_us": self.first_seen_us, "last_seen_us": self.last_seen_us,
            "frames_read": self.frames_read,
        }
        if include_text:
            d["text"] = self.text
        return d


def _sid(*parts: Any) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]


# -- text sources --------------------------------------------------------------------------------

def _text_suggestion(source: str, span: Span, t0: int, t1: int, step_id: str | None,
                     key: Any) -> Suggestion:
    return Suggestion(
        id=_sid(source, key, span.start, span.end, span.kind), kind=span.kind, source=source,
        rect=None, t_start_us=t0, t_end_us=t1, step_id=step_id, span=(span.start, span.end),
        score=span.score, text=span.text, reason=span.reason)


def suggest_for_steps(steps: Sequence[Any], detector: Detector) -> list[Suggestion]:
    """Typed text: every ``type`` step's text through the detectors."""
    out = []
    for s in steps:
        if getattr(s, "type", None) != "type" or not getattr(s, "text", None):
            continue
        for span in detector.detect(s.text):
            out.append(_text_suggestion(SOURCE_TYPED, span, int(s.t_start_us), int(s.t_end_us),
                                        s.id, s.id))
    return out


def suggest_for_windows(windows: Sequence[dict[str, Any]], end_us: int,
                        detector: Detector) -> list[Suggestion]:
    """Window titles, each from its focus change to the next."""
    out = []
    recs = sorted((w for w in windows if isinstance(w.get("t"), int)), key=lambda w: w["t"])
    for i, w in enumerate(recs):
        title = w.get("title")
        if not isinstance(title, str) or not title:
            continue
        t1 = recs[i + 1]["t"] - 1 if i + 1 < len(recs) else end_us
        for span in detector.detect(title):
            out.append(_text_suggestion(SOURCE_TITLE, span, int(w["t"]), int(max(t1, w["t"])),
                                        None, ("title", w["t"], w.get("window_id"))))
    return out


def _tracks_to_suggestions(tracks: Sequence[Track], steps: Sequence[Any]) -> list[Suggestion]:
    out = []
    obs = sorted((int(s.obs_pts), s.id) for s in steps if getattr(s, "obs_pts", None) is not None)
    for tr in tracks:
        t_end = int(tr.t_end if tr.t_end is not None else tr.last_seen)
        step_id = next((sid for p, sid in obs if tr.t_start <= p <= t_end), None)
        rect = [int(v) for v in tr.rect]
        out.append(Suggestion(
            id=_sid(SOURCE_OCR, tr.hit.kind, rect, tr.first_seen), kind=tr.hit.kind,
            source=SOURCE_OCR, rect=rect, t_start_us=int(tr.t_start), t_end_us=t_end,
            step_id=step_id, span=None, score=tr.hit.score, text=tr.hit.text,
            reason=f"{tr.hit.reason} (read on screen)", first_seen_us=int(tr.first_seen),
            last_seen_us=int(tr.last_seen), frames_read=tr.reads))
    return out


def _link_typed(ocr: list[Suggestion], typed: list[Suggestion], steps: Sequence[Any]) -> None:
    """A secret read on screen that was typed: cover the screen from the start of typing."""
    by_id = {s.id: s for s in steps}
    for t in typed:
        step = by_id.get(t.step_id)
        if step is None:
            continue
        for o in ocr:
            if o.t_start_us < step.t_start_us or o.t_start_us > step.t_end_us + 3_000_000:
                continue
            if similar_text(o.text, t.text):
                o.t_start_us = int(step.t_start_us)
                o.reason += "; typed in the step " + str(step.id)
                if o.step_id is None:
                    o.step_id = step.id


def _load_steps(bundle_dir: Path, steps: Any) -> list[Any]:
    if steps is None:
        from annotator.steps import derive_bundle, read_steps

        doc = read_steps(bundle_dir)
        if doc is None or doc.outdated:
            doc = derive_bundle(bundle_dir)
        return list(doc.steps)
    if hasattr(steps, "steps"):
        return list(steps.steps)
    return list(steps)


def suggest_for_bundle(bundle_dir: str | Path, steps: Any = None, deny_list: Iterable[str] = (),
                       progress: Progress | None = None, *, options: OcrOptions | None = None,
                       stable_us: int = 500_000, interval_us: int = 1_000_000,
                       pad: int = PAD_PX, ocr: bool = True,
                       stats: dict[str, Any] | None = None) -> list[Suggestion]:
    """Suggestions for a recording, sorted by time: OCR of its frames (``ocr=False`` skips
    them), its typed text and its window titles.

    ``steps``: a StepsDocument or a list of steps; None reads the bundle's steps.json (or
    derives the steps without writing them).  ``stats``, if given, is filled with what was
    done (frames decoded, readings, pixels OCR'd, seconds).  ``progress`` reports frames done and is
    checked for cancellation (annotator.jobs.Cancelled).  Raises BundleError for a bundle
    that cannot be read and TesseractMissing (with the install hint) when OCR is asked for
    and Tesseract is not installed.
    """
    from annotator.bundle.reader import Bundle
    from annotator.media.video import VideoReader

    path = Path(bundle_dir)
    b = Bundle.open(path)
    step_list = _load_steps(path, steps)
    detector = Detector(deny_list)
    options = options or OcrOptions()
    end_us = max(b.duration_us, int(b.frames.t[-1]) if len(b.frames) else 0)

    typed = suggest_for_steps(step_list, detector)
    titles = suggest_for_windows(b.windows, end_us, detector)
    ocr_sugg: list[Suggestion] = []
    if ocr:
        find_tesseract()
        fi = b.frames
        stored = sorted({int(p) for p in fi.pts[fi.stored]}) if len(fi) else []
        if stored:
            obs = [s.obs_pts for s in step_list if getattr(s, "obs_pts", None) is not None]
            total = len(stored)
            with VideoReader(b.video_path) as reader:
                tracker = FrameTracker((reader.width, reader.height), detector, options,
                                       obs_pts=obs, stable_us=stable_us,
                                       interval_us=interval_us, pad=pad, progress=progress)
                cancel = progress.event if progress is not None else None
                for i, frame in enumerate(reader.frames_at(stored, cancel=cancel)):
                    if progress is not None:
                        progress.check()
                        progress.report(i, total, "Reading the screen for personal data")
                    tracker.feed(frame.pts, frame.rgb)
                if progress is not None:
                    progress.check()
            ocr_sugg = _tracks_to_suggestions(tracker.finish(end_us), step_list)
            if stats is not None:
                stats.update(frames=total, readings=tracker.readings, ocr_px=tracker.ocr_px,
                             frame_px=tracker.w * tracker.h, ocr_s=round(tracker.ocr_s, 3))
            _link_typed(ocr_sugg, typed, step_list)
            if progress is not None:
                progress.report(total, total, "Done")
    out = ocr_sugg + typed + titles
    out.sort(key=lambda s: (s.t_start_us, s.source, s.rect or [], s.span or ()))
    return out
