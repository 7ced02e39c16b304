"""Against the store: the same demonstration submitted again, and a length far from the task's
usual one.

A package's *fingerprint* (``compute.fingerprint``) holds, per action step, the action (kind,
place, keys, a hash of the typed text, its duration in ms) and a perceptual hash of its
picture.  Two submissions are the same demonstration when most of one's step pictures have a
near twin among the other's (``FRAME_BITS`` of 256 bits at most apart; a picture mostly
under a redaction box is not compared) and their action
sequences mostly agree (``ACTIONS_MIN``) to the pixel and the millisecond: labelled again in
other words, trimmed differently, or prepared twice; a demonstration of two steps only when
both are the same.  Two people doing the same task click the same controls on the same
screens, but never at the same pixels with the same timing.  Versions of one lineage (a
resubmission after changes were requested) are the same work by design and never compared.

A task's usual length is counted in the steps that changed something on screen and the time
spent on them (the fingerprint says how many did not, and the time spent doing nothing): a
click that did nothing, a repeat or an idle stretch is reported as such, and does not make
a demonstration do more.
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
# Shorter demonstrations (two steps) match only when every action is the same, to the pixel
# and the millisecond: two people's two clicks never are.
MIN_EXACT_ACTIONS = 2
# The task's usual length needs this many other submissions: their median stays usual with
# one odd one among them.
LENGTH_PEERS = 3
LENGTH_FACTOR = 3.0  # on time alone (when the others' steps are not known)
# On steps and time: twice or half the usual number of steps, and a time that agrees (a
# third longer or a quarter shorter at least: a demonstration cut to half its steps keeps its
# start and its end).
STEPS_FACTOR = 2.0
TIME_AGREES = 4 / 3


def _count(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else 0


def length_of(duration_us: int, fingerprint: Mapping[str, Any] | None) -> tuple[int, int | None]:
    """What a demonstration did: its time and its number of action steps (None if not known),
    without the steps that changed nothing on screen and the time spent on them or in idle
    stretches (a click that did nothing, a repeat or a pause is reported as such and does
    not make it do more)."""
    if not isinstance(fingerprint, Mapping):
        return duration_us, None
    actions = fingerprint.get("actions")
    if not isinstance(actions, list):
        return duration_us, None
    spent = min(_count(fingerprint.get("unchanged_ms")) * 1000, duration_us)
    return duration_us - spent, max(0, len(actions) - _count(fingerprint.get("unchanged")))


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


def _indices(v: Any) -> frozenset[int]:
    return frozenset(i for i in v if isinstance(i, int)) if isinstance(v, list) else frozenset()


def frame_share(a: Sequence[str | None], b: Sequence[str | None],
                hidden_a: Iterable[int] = (), hidden_b: Iterable[int] = ()) -> float:
    """The share of ``a``'s pictures with a near twin in ``b``.  Pictures mostly under a
    redaction box (``hidden_*``, indices) cannot be compared: ``a``'s are left out, and each
    of ``b``'s may be the twin of one of ``a``'s that has none (the same recording redacted
    differently)."""
    skip = set(hidden_a)
    ha = [_bits(h) for i, h in enumerate(a) if h and i not in skip]
    hb = [_bits(h) for h in b if h]
    if not ha or not hb:
        return 0.0
    near = sum(1 for x in ha if min((x ^ y).bit_count() for y in hb) <= FRAME_BITS)
    if not near:
        return 0.0
    wild = sum(1 for i in set(hidden_b) if 0 <= i < len(b) and b[i])
    return (near + min(len(ha) - near, wild)) / len(ha)


def action_ratio(a: Sequence[Sequence[Any]], b: Sequence[Sequence[Any]]) -> float:
    ta, tb = [_token(x) for x in a], [_token(x) for x in b]
    return difflib.SequenceMatcher(a=ta, b=tb, autojunk=False).ratio()


def same_demonstration(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[float, float] | None:
    """(frame share, action ratio) when ``a`` and ``b`` are the same demonstration."""
    acts_a, acts_b = a.get("actions") or [], b.get("actions") or []
    shortest = min(len(acts_a), len(acts_b))
    if shortest < MIN_EXACT_ACTIONS:
        return None
    fa, fb = a.get("frames") or [], b.get("frames") or []
    ca, cb = _indices(a.get("hidden")), _indices(b.get("hidden"))
    fs = min(frame_share(fa, fb, ca, cb), frame_share(fb, fa, cb, ca))
    if fs < FRAMES_MIN:
        return None
    ar = action_ratio(acts_a, acts_b)
    if shortest < MIN_ACTIONS:
        return (fs, ar) if ar == 1.0 else None
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
    """A demonstration much shorter or longer than the task's other submissions, each
    measured by ``length_of``: ``peers`` are their (duration, number of action steps or
    None).  Judged on the number of steps
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
        detail = (f"has {actions} steps that changed something on screen, far {how} than "
                  f"the task's usual {usual_steps:g}, and they take {seconds(duration_us)} "
                  f"(usually {seconds(int(usual))}; the median of {len(peers)} others)")
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
