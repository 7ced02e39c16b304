"""All the signals a package (or a recording made into one) supports, in one pass.

``compute(evidence)`` reads each step picture once (``frames.frame_facts``), runs every
family and returns the signal set (``records.signal_set``: canonical, the same bytes on every
computer for the same package) with the package's *fingerprint*: what the store compares to
find the same demonstration submitted again (``annotator.quality.duplicates``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from annotator.quality import effects, labels, redaction, replay, timing
from annotator.quality.evidence import Evidence
from annotator.quality.frames import frame_facts
from annotator.quality.input import declared_signals
from annotator.quality.records import Signal, canonical, sha256, signal_set

FINGERPRINT_VERSION = 1


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


def fingerprint(ev: Evidence, dhashes: list[str | None]) -> dict[str, Any]:
    """Per action step: kind, place, keys, a hash of the typed text and the duration in
    milliseconds, and the perceptual hash of its picture."""
    actions = []
    frames = []
    for s in ev.actions:
        text = hashlib.sha256((s.text or "").encode("utf-8")).hexdigest()[:12] if s.text else ""
        actions.append([s.type, s.x, s.y, "+".join(s.keys), text,
                        (s.t_end_us - s.t_start_us) // 1000])
        frames.append(dhashes[s.index] if 0 <= s.index < len(dhashes) else None)
    return {"version": FINGERPRINT_VERSION, "actions": actions, "frames": frames,
            "duration_ms": ev.duration_us // 1000}


def compute(ev: Evidence, *, source: str = "package") -> Computed:
    facts = frame_facts(ev)
    signals: list[Signal] = []
    replayed = replay.detect(ev, facts)
    if not replayed:  # on a video played back, a click changing nothing says nothing more
        signals += effects.detect(ev, facts)
    signals += timing.detect(ev)
    signals += labels.detect(ev)
    signals += replayed
    signals += redaction.detect(ev)
    signals += declared_signals(ev.declared, {s.id: s.index for s in ev.steps})
    return Computed(signal_set(signals, source=source, subject=ev.subject),
                    fingerprint(ev, facts.dhash))
