"""All the signals a package (or a recording made into one) supports, in one pass.

``compute(evidence)`` reads each step picture once (``frames.frame_facts``), runs every
family and returns the signal set (``records.signal_set``: canonical, the same bytes on every
computer for the same package) with the package's *fingerprint*: what the store compares to
find the same demonstration submitted again (``annotator.quality.duplicates``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotator.quality import effects, labels, redaction, replay, timing
from annotator.quality.evidence import Evidence
from annotator.quality.frames import frame_facts, redaction_switches
from annotator.quality.input import declared_signals
from annotator.quality.records import Signal, canonical, sha256, signal_set
from annotator.quality.redaction import LARGE_SHARE

# 2: the action steps that changed nothing, the time doing nothing, the pictures hidden
FINGERPRINT_VERSION = 2


@dataclass(frozen=True)
class Computed:
    records: dict[str, Any]  # the signal set
    fingerprint: dict[str, Any]

    @property
    def canonical(self) -> bytes:
        return canonical(self.records)

    @property
    def sha256(self) -> str:
        return sha256(self.canonical)


def fingerprint(ev: Evidence, dhashes: list[str | None], unchanged: frozenset[str] = frozenset(),
                idle: Sequence[tuple[int, int]] = ()) -> dict[str, Any]:
    """Per action step: kind, place, keys, a hash of the typed text and the duration in
    milliseconds, and the perceptual hash of its picture (``hidden``: the pictures mostly
    under redaction boxes, not comparable); and how many of the steps changed
    nothing on screen, with the time spent on them (from the step before) and in idle
    stretches, so that a task's usual length is what its demonstrations did."""
    actions = []
    frames = []
    hidden = []
    spans = list(idle)
    prev_end = 0
    for n, s in enumerate(ev.actions):
        if hidden_share(ev, s.obs_t_us) >= LARGE_SHARE:
            hidden.append(n)
        text = hashlib.sha256((s.text or "").encode("utf-8")).hexdigest()[:12] if s.text else ""
        actions.append([s.type, s.x, s.y, "+".join(s.keys), text,
                        (s.t_end_us - s.t_start_us) // 1000])
        frames.append(dhashes[s.index] if 0 <= s.index < len(dhashes) else None)
        if s.id in unchanged:
            spans.append((prev_end, s.t_end_us))
        prev_end = max(prev_end, s.t_end_us)
    return {"version": FINGERPRINT_VERSION, "actions": actions, "frames": frames,
            "duration_ms": ev.duration_us // 1000,
            "unchanged": len(unchanged), "unchanged_ms": covered(spans) // 1000,
            "hidden": hidden}


def hidden_share(ev: Evidence, t_us: int) -> float:
    """The share of the picture at ``t_us`` under redaction boxes."""
    if not ev.boxes or ev.width <= 0 or ev.height <= 0:
        return 0.0
    drawn = redaction_switches(ev, (ev.height, ev.width), t_us, t_us, steady=True)
    return 0.0 if drawn is None else float(np.count_nonzero(drawn)) / drawn.size


def covered(spans: Sequence[tuple[int, int]]) -> int:
    """The time the union of ``spans`` covers."""
    total = 0
    end = None
    for a, b in sorted(spans):
        if end is None or a > end:
            total += max(0, b - a)
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


def unchanged_steps(signals: list[Signal]) -> frozenset[str]:
    """Action steps that changed nothing: the ones with no visible effect and the repeats."""
    ids: set[str] = set()
    for s in signals:
        if s.kind == "no_effect":
            ids.update(r.id for r in s.steps)
        elif s.kind == "repeated_steps":
            ids.update(r.id for r in s.steps[1:])
    return frozenset(ids)


def compute(ev: Evidence, *, source: str = "package") -> Computed:
    facts = frame_facts(ev)
    signals: list[Signal] = []
    replayed = replay.detect(ev, facts)
    if not replayed:  # on a video played back, a click changing nothing says nothing more
        signals += effects.detect(ev, facts)
    unchanged = unchanged_steps(signals)
    idle = timing.detect(ev)
    signals += idle
    signals += labels.detect(ev)
    signals += replayed
    signals += redaction.detect(ev)
    signals += declared_signals(ev.declared, {s.id: s.index for s in ev.steps})
    return Computed(signal_set(signals, source=source, subject=ev.subject),
                    fingerprint(ev, facts.dhash, unchanged,
                                [(m.start_us, m.end_us) for x in idle for m in x.moments]))
