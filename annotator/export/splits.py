"""Splits by contributor: every contributor's episodes go to one split, so no person is in two.

``--split by-contributor:0.9,0.05,0.05`` names train, validation and test (two fractions:
train and test; one: train only).  The assignment is deterministic: contributors are taken in
the order of the SHA-256 of their pseudonym (not of Python's ``hash``, which changes with
PYTHONHASHSEED), the largest first, and each goes to the split furthest below its share of
the steps.  With few contributors the shares can only be approximate; the manifest records
the counts reached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from annotator.export.errors import ExportError

SPLIT_NAMES = ("train", "validation", "test")
_HINT = "Write --split by-contributor:TRAIN,VALIDATION,TEST, e.g. by-contributor:0.9,0.05,0.05."


@dataclass(frozen=True)
class SplitSpec:
    names: tuple[str, ...]
    fractions: tuple[float, ...]

    def describe(self) -> str:
        return "by-contributor:" + ",".join(f"{f:g}" for f in self.fractions)


DEFAULT = SplitSpec(("train",), (1.0,))


def parse_split(text: str | None) -> SplitSpec:
    if text is None:
        return DEFAULT
    kind, _, rest = text.partition(":")
    if kind != "by-contributor" or not rest:
        raise ExportError(f"--split {text!r}: only by-contributor splits are made (no "
                          "contributor may be in two splits).", _HINT)
    try:
        fracs = tuple(float(p) for p in rest.split(","))
    except ValueError:
        raise ExportError(f"--split {text!r}: the fractions are not numbers.", _HINT) from None
    if not 1 <= len(fracs) <= 3 or any(f < 0 or f > 1 for f in fracs):
        raise ExportError(f"--split {text!r}: give one to three fractions between 0 and 1.",
                          _HINT)
    if abs(sum(fracs) - 1.0) > 1e-6:
        raise ExportError(f"--split {text!r}: the fractions add up to {sum(fracs):g}, not 1.",
                          _HINT)
    names = {1: ("train",), 2: ("train", "test"), 3: SPLIT_NAMES}[len(fracs)]
    return SplitSpec(names, fracs)


def _key(pseudonym: str) -> str:
    return hashlib.sha256(pseudonym.encode("utf-8")).hexdigest()


def assign(spec: SplitSpec, steps_by_contributor: Mapping[str, int]) -> dict[str, str]:
    """contributor pseudonym -> split name."""
    total = sum(steps_by_contributor.values()) or 1
    assigned = dict.fromkeys(spec.names, 0)
    out: dict[str, str] = {}
    order = sorted(steps_by_contributor, key=lambda c: (-steps_by_contributor[c], _key(c)))
    for c in order:
        # The split furthest below its target; ties go to the earlier split (train first).
        best = max(range(len(spec.names)),
                   key=lambda i: (spec.fractions[i] * total - assigned[spec.names[i]]
                                  if spec.fractions[i] > 0 else float("-inf"), -i))
        name = spec.names[best]
        out[c] = name
        assigned[name] += steps_by_contributor[c]
    return out
