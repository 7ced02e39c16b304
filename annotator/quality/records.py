"""Signal records: what the machine found in a demonstration, where, and why, as data.

A *signal* names a kind of problem (``no_effect``, ``synthetic_input``...), how serious it is,
the steps or moments it concerns and a sentence a contributor understands.  A *signal set* is
every signal of one subject (a package, a recording) with the algorithm version that made
them.  The same package always gives the same bytes (``canonical``): the contributor's
computer and the team server compute the same records, and the store keeps them as made.

Kinds are declared once here (``KINDS``): family, default severity, a short title, and
whether the package itself supports them (``package``), they need the raw recording and travel
client-declared (``declared``), or need the store (``store``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SIGNALS_FORMAT = "annotator-signals"
SIGNALS_FORMAT_VERSION = 1
# Bump whenever a rule or threshold changes what the same input gives: stored sets made by
# an older version are computed again (the store keeps the version of each set).
ALGORITHM_VERSION = 6  # 6: ramps count as played back only in a video player's window

HIGH, MEDIUM, LOW = "high", "medium", "low"
SEVERITIES = (HIGH, MEDIUM, LOW)
SEVERITY_RANK = {LOW: 1, MEDIUM: 2, HIGH: 3}

# Where a kind is computed: from the package's own files, from the raw recording on the
# contributor's computer (sent as a client-declared summary), or against the store.
PACKAGE, DECLARED, STORE = "package", "declared", "store"


@dataclass(frozen=True)
class Kind:
    name: str
    family: str
    severity: str
    basis: str  # PACKAGE, DECLARED or STORE
    title: str  # a short phrase for lists and filters


KINDS: dict[str, Kind] = {k.name: k for k in (
    # effects: what the steps did on screen
    Kind("no_effect", "effects", MEDIUM, PACKAGE, "A step changed nothing on screen"),
    Kind("repeated_steps", "effects", MEDIUM, PACKAGE, "The same step repeated to no effect"),
    # time
    Kind("idle", "timing", MEDIUM, PACKAGE, "A long idle stretch"),
    Kind("length_outlier", "timing", LOW, STORE, "Much shorter or longer than usual"),
    # labels
    Kind("instruction_mismatch", "labels", MEDIUM, PACKAGE,
         "The instruction does not fit the action"),
    Kind("same_instruction", "labels", LOW, PACKAGE, "The same instruction on many steps"),
    Kind("weak_draft", "labels", LOW, PACKAGE, "An instruction left as a weak draft"),
    # input: who made it (client-declared: the package holds no raw input)
    Kind("synthetic_input", "input", HIGH, DECLARED, "Input made by a program"),
    Kind("pointer_teleport", "input", HIGH, DECLARED, "The pointer jumped with no path"),
    Kind("straight_moves", "input", HIGH, DECLARED, "Perfectly straight, even pointer moves"),
    Kind("constant_typing", "input", HIGH, DECLARED, "Typing at a machine-like even pace"),
    # originality
    Kind("replayed_video", "originality", HIGH, PACKAGE,
         "The screen shows a video being played back"),
    Kind("duplicate", "originality", HIGH, STORE, "Already submitted"),
    # redaction doubts
    Kind("accepted_leak", "redaction", LOW, PACKAGE,
         "Text the leak check found was accepted as not sensitive"),
    Kind("large_redaction", "redaction", LOW, PACKAGE, "A redaction covers most of the screen"),
)}
FAMILIES = tuple(dict.fromkeys(k.family for k in KINDS.values()))


@dataclass(frozen=True)
class StepRef:
    index: int  # position among the package's steps (0-based)
    id: str  # the step's stable id

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id}


@dataclass(frozen=True)
class Moment:
    start_us: int
    end_us: int

    def as_json(self) -> dict[str, Any]:
        return {"start_us": self.start_us, "end_us": self.end_us}


@dataclass(frozen=True)
class Signal:
    """One finding.  ``why`` is a sentence for the contributor; ``evidence`` holds the
    figures behind it (rounded, so that every machine writes the same bytes)."""

    kind: str
    why: str
    steps: tuple[StepRef, ...] = ()
    moments: tuple[Moment, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    severity: str | None = None  # None: the kind's own
    declared: bool = False  # computed on the contributor's computer, not checked here
    key: str | None = None  # None: made from the kind and the first step or moment

    @property
    def info(self) -> Kind:
        return KINDS[self.kind]

    def as_json(self) -> dict[str, Any]:
        kind = KINDS[self.kind]
        key = self.key or make_key(self.kind, self.steps, self.moments)
        return {
            "key": key, "kind": self.kind, "family": kind.family,
            "severity": self.severity or kind.severity, "title": kind.title,
            "why": self.why, "declared": self.declared,
            "steps": [s.as_json() for s in self.steps],
            "moments": [m.as_json() for m in self.moments],
            "evidence": rounded(dict(self.evidence)),
        }


def make_key(kind: str, steps: Sequence[StepRef], moments: Sequence[Moment]) -> str:
    """A key stable across computations of the same package: the kind and where."""
    if steps:
        return f"{kind}:{steps[0].id}"
    if moments:
        return f"{kind}:{moments[0].start_us}"
    return kind


def rounded(value: Any, places: int = 4) -> Any:
    """Floats rounded (and -0.0 made 0.0) through nested data: the same on every machine."""
    if isinstance(value, float):
        r = round(value, places)
        return 0.0 if r == 0 else r
    if isinstance(value, Mapping):
        return {str(k): rounded(v, places) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, places) for v in value]
    return value


def canonical(data: Any) -> bytes:
    """The one serialization of signal records: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def max_severity(records: Iterable[Mapping[str, Any]]) -> str | None:
    best = None
    for r in records:
        sev = r.get("severity")
        if sev in SEVERITY_RANK and (best is None or SEVERITY_RANK[sev] > SEVERITY_RANK[best]):
            best = sev
    return best


def counts(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in records:
        out[r["kind"]] = out.get(r["kind"], 0) + 1
    return dict(sorted(out.items()))


def signal_set(signals: Iterable[Signal | Mapping[str, Any]], *, source: str,
               subject: Mapping[str, Any]) -> dict[str, Any]:
    """The set as stored and shown: records in a stable order (severity, then where)."""
    recs = [s.as_json() if isinstance(s, Signal) else dict(s) for s in signals]
    recs.sort(key=order_key)
    return {
        "format": SIGNALS_FORMAT, "format_version": SIGNALS_FORMAT_VERSION,
        "algorithm_version": ALGORITHM_VERSION, "source": source, "subject": dict(subject),
        "signals": recs, "counts": counts(recs), "max_severity": max_severity(recs),
    }


def order_key(r: Mapping[str, Any]) -> tuple[Any, ...]:
    steps = r.get("steps") or []
    moments = r.get("moments") or []
    first = steps[0]["index"] if steps else -1
    start = moments[0]["start_us"] if moments else -1
    return (-SEVERITY_RANK.get(r.get("severity", LOW), 0), first, start, r.get("kind", ""),
            r.get("key", ""))


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def step_list(refs: Sequence[StepRef], limit: int = 6) -> str:
    """"steps 3, 4 and 9" (1-based, as the editor numbers them)."""
    nums = [str(r.index + 1) for r in refs]
    if not nums:
        return "no step"
    if len(nums) > limit:
        nums = nums[:limit - 1] + [f"{len(refs) - limit + 1} more"]
    head = "step" if len(refs) == 1 else "steps"
    if len(nums) == 1:
        return f"{head} {nums[0]}"
    return f"{head} {', '.join(nums[:-1])} and {nums[-1]}"


def seconds(us: int) -> str:
    s = us / 1e6
    return f"{int(s // 60)}:{s % 60:04.1f}"
