"""Steps of a bundle: derive them, and write or read them as ``steps.json`` in the bundle.

``steps.json`` is documented in docs/steps-format.md.  It is derived data: the recorded
streams are never touched, and deriving again from the same bundle with the same
derivation version writes the same file byte for byte.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.bundle import schema
from annotator.bundle.reader import Bundle
from annotator.errors import AnnotatorError
from annotator.fsutil import write_json_atomic
from annotator.steps import model as m
from annotator.steps.derive import DROP_CATEGORIES, Params, derive_events
from annotator.steps.fastread import read_events, read_frames
from annotator.steps.frames import observation_policy, pair_frames, result_policy

STEPS_FILE = "steps.json"
FORMAT_NAME = "annotator-steps"
FORMAT_VERSION = 1


class StepsError(AnnotatorError):
    """Steps cannot be derived, written or read."""


@dataclass
class StepsDocument:
    """The steps of one bundle, with everything needed to explain them."""

    bundle_id: str
    derivation_version: int
    params: dict[str, Any]
    observation_policy: dict[str, Any]
    result_policy: dict[str, Any]
    screen: dict[str, Any]
    outcome: str | None
    counts: dict[str, Any]
    dropped: dict[str, list[int]]
    warnings: list[str]
    steps: list[m.Step] = field(default_factory=list)
    format_version: int = FORMAT_VERSION
    # Not stored: the frame index ``(t, pts, stored, changed)`` this document was just
    # derived from (None when read from steps.json), so that a caller that needs it too
    # (the editor) does not read an hour of grabs a second time.
    frame_index: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def outdated(self) -> bool:
        """Derived by another version of the rules: derive again."""
        return self.derivation_version != m.DERIVATION_VERSION

    @property
    def out_of_area(self) -> int:
        return int(self.counts.get("out_of_area", 0))

    def by_id(self) -> dict[str, m.Step]:
        return {s.id: s for s in self.steps}

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "format_version": self.format_version,
            "derivation_version": self.derivation_version,
            "bundle_id": self.bundle_id,
            "params": self.params,
            "observation_policy": self.observation_policy,
            "result_policy": self.result_policy,
            "screen": self.screen,
            "outcome": self.outcome,
            "counts": self.counts,
            "dropped": self.dropped,
            "warnings": self.warnings,
            "steps": [s.to_dict() for s in self.steps],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepsDocument:
        return cls(
            bundle_id=data["bundle_id"],
            derivation_version=int(data["derivation_version"]),
            params=data.get("params") or {},
            observation_policy=data.get("observation_policy") or {},
            result_policy=data.get("result_policy") or {},
            screen=data.get("screen") or {},
            outcome=data.get("outcome"),
            counts=data.get("counts") or {},
            dropped=data.get("dropped") or {},
            warnings=data.get("warnings") or [],
            steps=[m.Step.from_dict(s) for s in data.get("steps") or []],
            format_version=int(data.get("format_version", FORMAT_VERSION)),
        )


def _screen(b: Bundle) -> dict[str, Any]:
    capture = b.manifest.get("capture") or {}
    try:
        region = capture["region"]
        width, height = int(region["width"]), int(region["height"])
    except (KeyError, TypeError, ValueError):
        raise StepsError(
            f"The manifest of {b.path} does not say which area was captured "
            "(capture.region is missing or invalid), so input cannot be placed on the frames.",
            f"Run `annotator recover {b.path}` if the recording was cut off; otherwise the "
            "bundle is damaged.",
        ) from None
    if width <= 0 or height <= 0:
        raise StepsError(f"The manifest of {b.path} gives an empty capture area "
                         f"({width}x{height}).", "The bundle is damaged: record it again.")
    return {
        "width": width,
        "height": height,
        "display_id": capture.get("display_id"),
        "scale": capture.get("scale"),
        "region": region,
    }


MOUSE_TARGET_TYPES = frozenset({m.CLICK, m.DOUBLE_CLICK, m.TRIPLE_CLICK, m.RIGHT_CLICK,
                                m.MIDDLE_CLICK, m.DRAG})


def _attach_targets(b: Bundle, steps: list[m.Step]) -> None:
    """Each mouse step's target: the element under its press, as the recorder's
    accessibility worker found it (formats.md ``target``), or why there is none."""
    a11y = b.manifest.get("a11y") or {}
    hits = b.hits_by_event()
    for s in steps:
        if s.type not in MOUSE_TARGET_TYPES:
            continue
        hit = hits.get(s.anchor_event_id) if s.anchor_event_id is not None else None
        if hit is None:
            reason = (a11y.get("reason") or "no accessibility information was recorded"
                      if not a11y.get("available") else "no element was found under the click")
            s.target = {"source": "none", "reason": reason}
            continue
        s.target = {k: hit.get(k) for k in ("source", "role", "role_name", "name", "box",
                                             "app", "toolkit", "reason") if k in hit}
        s.target["window_title"] = s.window_title


def derive_bundle(bundle: Bundle | str | Path, *, params: Params | None = None,
                  outcome: str | None = None) -> StepsDocument:
    """Derive the steps of a bundle and pair each with its frames.

    ``outcome`` (success, failure, infeasible, abandoned), once the contributor has set it,
    adds a final terminate step.  Raises BundleError (not a bundle, newer schema...) or
    StepsError.
    """
    b = bundle if isinstance(bundle, Bundle) else Bundle.open(bundle)
    if outcome is not None and outcome not in m.OUTCOMES:
        raise StepsError(f"{outcome!r} is not a task outcome.",
                         f"Give one of: {', '.join(m.OUTCOMES)}.")
    params = params or Params()
    screen = _screen(b)
    # The same rows and warnings as b.events and b.frames, read about 2.5x faster.
    events, events_report = read_events(b.path / schema.EVENTS)
    windows = b.windows
    t, pts, stored, changed, frames_report = read_frames(b.path, b.manifest)
    der = derive_events(events, width=screen["width"], height=screen["height"],
                        windows=windows, params=params, display_id=screen["display_id"],
                        scale=screen["scale"])
    steps = der.steps
    if outcome is not None:
        # At the end of the recording: the observation is the final screen.
        last_event_t = events[-1].get("t") if events else None
        last_t = max([b.duration_us, last_event_t if isinstance(last_event_t, int) else 0]
                     + [s.t_end_us for s in steps[-1:]])
        last_win = steps[-1] if steps else None
        steps.append(m.Step(
            type=m.TERMINATE, t_start_us=last_t, t_end_us=last_t, terminal_status=outcome,
            display_id=screen["display_id"], scale=screen["scale"], index=len(steps),
            window_title=last_win.window_title if last_win else None,
            window_app=last_win.window_app if last_win else None,
        ))
    pauses = [p["start_us"] for p in b.manifest.get("pauses") or []
              if isinstance(p, dict) and isinstance(p.get("start_us"), int)]
    pair_frames(steps, t, pts, changed, params, pauses + der.breaks)
    _attach_targets(b, steps)

    warnings = events_report.warnings + b.warnings + frames_report.warnings
    if b.status == schema.STATUS_RECORDING:
        warnings.append("The recording was not finalized (still running, or cut off by a "
                        f"crash): run `annotator recover {b.path}` before relying on its steps.")
    if der.unknown_kinds:
        kinds = ", ".join(f"{k} ({v})" for k, v in der.unknown_kinds.items())
        warnings.append(f"Events of unknown kind kept but ignored: {kinds}.")
    if der.unreferenced:
        warnings.append(f"{der.unreferenced} event(s) without an id or time were ignored.")
    corrupt = len(events_report.bad_lines) + int(events_report.truncated_tail)
    counts = {
        "steps": len(steps),
        "by_type": dict(sorted(Counter(s.type for s in steps).items())),
        "raw_events": der.events,
        "out_of_area": der.out_of_area,
        "dropped": {k: len(der.dropped[k]) for k in DROP_CATEGORIES},
        "unknown_kinds": der.unknown_kinds,
        "corrupt_lines": corrupt,
        "frames": len(t),
    }
    return StepsDocument(
        bundle_id=b.id,
        derivation_version=m.DERIVATION_VERSION,
        params=params.as_dict(),
        observation_policy=observation_policy(params),
        result_policy=result_policy(params),
        screen=screen,
        outcome=outcome,
        counts=counts,
        dropped=der.dropped,
        warnings=warnings,
        steps=steps,
        frame_index=(t, pts, stored, changed),
    )


def write_steps(bundle_dir: str | Path, doc: StepsDocument) -> Path:
    """Write ``steps.json`` into the bundle atomically (readers see the old or the new)."""
    path = Path(bundle_dir) / STEPS_FILE
    try:
        write_json_atomic(path, doc.to_dict())
    except OSError as exc:
        raise StepsError(f"Cannot write {path}: {exc.strerror or exc}.",
                         "Check that the recording folder is yours and the disk is not full.") \
            from exc
    return path


def read_steps(bundle_dir: str | Path) -> StepsDocument | None:
    """The steps stored in a bundle, or None if they were never derived."""
    path = Path(bundle_dir) / STEPS_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StepsError(f"{path} cannot be read: {exc}.",
                         f"Derive the steps again with `annotator steps {bundle_dir}`.") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise StepsError(f"{path} is not a steps file.",
                         f"Derive the steps again with `annotator steps {bundle_dir}`.")
    version = data.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise StepsError(
            f"{path} is in steps format version {version}, but this annotator reads "
            f"versions up to {FORMAT_VERSION}.",
            "Update annotator to open it.",
        )
    try:
        return StepsDocument.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise StepsError(f"{path} is damaged ({exc}).",
                         f"Derive the steps again with `annotator steps {bundle_dir}`.") from exc


def _is_current(doc: StepsDocument | None, params: Params, outcome: str | None) -> bool:
    """Whether stored steps were derived by these rules, with these settings and outcome."""
    return (doc is not None and not doc.outdated and doc.params == params.as_dict()
            and doc.outcome == outcome)


def load_or_derive(bundle_dir: str | Path, *, params: Params | None = None,
                   outcome: str | None = None) -> StepsDocument:
    """The bundle's steps: the stored ones if derived by these rules with these settings,
    else derived again and stored."""
    params = params or Params()
    doc = read_steps(bundle_dir)
    if doc is not None and _is_current(doc, params, outcome):
        return doc
    doc = derive_bundle(bundle_dir, params=params, outcome=outcome)
    write_steps(bundle_dir, doc)
    return doc


@dataclass(frozen=True)
class StepsForEditing:
    """The steps an editor opens with, the same ones ``load_or_derive`` gives.  Storing is
    left to the caller (``to_store``), who may do it later, off the way of the opening
    (encoding an hour's steps.json takes 0.4 s); ``note`` says why a stored file was left
    as it is (damaged, or written by a newer version): then nothing is to be stored."""

    doc: StepsDocument
    to_store: StepsDocument | None = None
    note: str | None = None


def steps_for_editing(bundle_dir: str | Path) -> StepsForEditing:
    """The stored steps if current, else derived again (to be stored by the caller)."""
    try:
        stored = read_steps(bundle_dir)
    except StepsError as exc:
        return StepsForEditing(derive_bundle(bundle_dir), note=(
            f"{exc.message} The steps were derived again for this session and the file was "
            "left as it is."))
    if stored is not None and _is_current(stored, Params(), None):
        return StepsForEditing(stored)
    doc = derive_bundle(bundle_dir)
    return StepsForEditing(doc, to_store=doc)


def orphaned_edits(edited_step_ids: Iterable[str], doc: StepsDocument) -> list[str]:
    """Ids of edited steps that no longer exist after a re-derivation.  Their edits must be
    kept and shown as orphaned, never dropped silently."""
    current = {s.id for s in doc.steps}
    return sorted({i for i in edited_step_ids if i not in current})
