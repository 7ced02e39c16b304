"""Against the store: the same demonstration submitted again, and a length far from the task's
usual one.

A package's *fingerprint* (``compute.fingerprint``) holds, per action step, the action (kind,
place, keys, a hash of the typed text, its duration in ms) and a perceptual hash of its
picture.  Two submissions are the same demonstration when most of one's step pictures have a
near twin among the other's (``FRAME_BITS`` of 256 bits at most apart) and their action
sequences mostly agree (``ACTIONS_MIN``) to the pixel and the millisecond: labelled again in
other words, trimmed differently, or prepared twice.  Two people doing the same task click
the same controls on the same screens, but never at the same pixels with the same timing.  Versions of one lineage (a
resubmission after changes were requested) are the same work by design and never compared.
"""

from __future__ import annotations

import difflib
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from annotator.quality.records import Signal, seconds

FRAME_BITS = 24
FRAMES_MIN = 0.7
ACTIONS_MIN = 0.6
MIN_ACTIONS = 3
# The task's usual length needs this many other submissions: their median stays usual with
# one odd one among them.
LENGTH_PEERS = 3
LENGTH_FACTOR = 3.0  # on time alone (when the others' steps are not known)
# On steps and time: twice or half the usual number of steps, and a time that agrees.
STEPS_FACTOR = 2.0
TIME_AGREES = 1.5


def action_count(fingerprint: Mapping[str, Any] | None) -> int | None:
    """The number of action steps a fingerprint holds, or None."""
    actions = fingerprint.get("actions") if isinstance(fingerprint, Mapping) else None
    return len(actions) if isinstance(actions, list) else None


@dataclass(frozen=True)
class Other:
    """A stored submission to compare with."""

    submission_id: int
    lineage: str
    same_contributor: bool
    fingerprint: Mapping[str, Any]


def _token(a: Sequence[Any]) -> tuple[Any, ...]:
    return tuple((list(a) + [None] * 6)[:6])


def _bits(h: str) -> int:
    return int(h, 16)


def frame_share(a: Sequence[str | None], b: Sequence[str | None]) -> float:
    """The share of ``a``'s pictures with a near twin in ``b``."""
    ha = [_bits(h) for h in a if h]
    hb = [_bits(h) for h in b if h]
    if not ha or not hb:
        return 0.0
    near = sum(1 for x in ha if min((x ^ y).bit_count() for y in hb) <= FRAME_BITS)
    return near / len(ha)


def action_ratio(a: Sequence[Sequence[Any]], b: Sequence[Sequence[Any]]) -> float:
    ta, tb = [_token(x) for x in a], [_token(x) for x in b]
    return difflib.SequenceMatcher(a=ta, b=tb, autojunk=False).ratio()


def same_demonstration(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[float, float] | None:
    """(frame share, action ratio) when ``a`` and ``b`` are the same demonstration."""
    acts_a, acts_b = a.get("actions") or [], b.get("actions") or []
    if len(acts_a) < MIN_ACTIONS or len(acts_b) < MIN_ACTIONS:
        return None
    fs = min(frame_share(a.get("frames") or [], b.get("frames") or []),
             frame_share(b.get("frames") or [], a.get("frames") or []))
    if fs < FRAMES_MIN:
        return None
    ar = action_ratio(acts_a, acts_b)
    return (fs, ar) if ar >= ACTIONS_MIN else None


def duplicate_signals(fp: Mapping[str, Any], lineage: str, others: Iterable[Other]
                      ) -> list[Signal]:
    out = []
    for o in others:
        if o.lineage == lineage:
            continue
        got = same_demonstration(fp, o.fingerprint)
        if got is None:
            continue
        who = "by the same account" if o.same_contributor else "by another account"
        out.append(Signal(
            "duplicate",
            f"This demonstration matches submission #{o.submission_id}, submitted earlier "
            f"{who}: {got[0]:.0%} of the step pictures and {got[1]:.0%} of the actions are "
            "the same. Each demonstration may be submitted once.",
            key=f"duplicate:{o.submission_id}",
            evidence={"submission_id": o.submission_id, "same_contributor": o.same_contributor,
                      "frames": got[0], "actions": got[1]}))
    return out


def length_signal(duration_us: int, peers: Sequence[tuple[int, int | None]],
                  actions: int | None = None) -> list[Signal]:
    """A demonstration much shorter or longer than the task's other submissions: ``peers``
    are their (duration, number of action steps or None).  Judged on the number of steps
    when enough of the others have one (a long pause makes a demonstration last longer, not
    do more: the idle signal says so), the time agreeing; on time alone otherwise."""
    durations = [d for d, _n in peers]
    counts = [n for _d, n in peers if n is not None and n > 0]
    if len(durations) < LENGTH_PEERS or duration_us <= 0:
        return []
    usual = statistics.median(durations)
    if usual <= 0:
        return []
    ratio = duration_us / usual
    evidence: dict[str, Any] = {"ratio": ratio, "usual_us": int(usual), "peers": len(peers)}
    if actions is not None and actions > 0 and len(counts) >= LENGTH_PEERS:
        usual_steps = statistics.median(counts)
        steps = actions / usual_steps
        longer = steps >= STEPS_FACTOR and ratio >= TIME_AGREES
        shorter = steps <= 1 / STEPS_FACTOR and ratio <= 1 / TIME_AGREES
        if not (longer or shorter):
            return []
        evidence.update(steps=actions, usual_steps=usual_steps)
        how = "fewer" if shorter else "more"
        detail = (f"has {actions} steps, far {how} than the task's usual {usual_steps:g}, "
                  f"and lasts {seconds(duration_us)} (usually {seconds(int(usual))}; the "
                  f"median of {len(peers)} others)")
    else:
        if 1 / LENGTH_FACTOR < ratio < LENGTH_FACTOR:
            return []
        how = "shorter" if ratio < 1 else "longer"
        detail = (f"lasts {seconds(duration_us)}, much {how} than the task's usual "
                  f"{seconds(int(usual))} (the median of {len(peers)} others)")
    return [Signal(
        "length_outlier",
        f"This demonstration {detail}. Check that it does the whole task, and only the task.",
        evidence=evidence)]
