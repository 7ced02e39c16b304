"""Kept ranges of a recording after trim and cuts, and the re-timed result timeline.

The *original* timeline is the recording's clock (µs since the recording started).  The
*result* timeline is what a reviewer plays: the kept ranges laid end to end, starting at 0.
All ranges are half-open, ``[start, end)``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from annotator.edits.model import EditList, Range

KEPT = "kept"
REMOVED = "removed"
CUT_THROUGH = "cut_through"  # partly kept, partly removed


def normalize(ranges: Iterable[tuple[int, int] | Range]) -> list[tuple[int, int]]:
    """Sorted, disjoint, non-touching ranges covering the same times; empty ones dropped."""
    pairs = sorted(
        (r.start_us, r.end_us) if isinstance(r, Range) else (int(r[0]), int(r[1]))
        for r in ranges
    )
    out: list[tuple[int, int]] = []
    for start, end in pairs:
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract(ranges: Iterable[tuple[int, int]], cut: tuple[int, int]) -> list[tuple[int, int]]:
    """``ranges`` minus ``cut`` (both as half-open ranges)."""
    a, b = cut
    out: list[tuple[int, int]] = []
    for start, end in normalize(ranges):
        if end <= a or start >= b:
            out.append((start, end))
            continue
        if start < a:
            out.append((start, a))
        if end > b:
            out.append((b, end))
    return out


@dataclass(frozen=True)
class Timeline:
    """Which parts of the recording are kept, and how they map to the result."""

    duration_us: int
    kept: tuple[tuple[int, int], ...]
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _offsets: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        offsets, total = [], 0
        for start, end in self.kept:
            offsets.append(total)
            total += end - start
        object.__setattr__(self, "_starts", tuple(s for s, _ in self.kept))
        object.__setattr__(self, "_offsets", tuple(offsets))

    @classmethod
    def from_edits(cls, edits: EditList, duration_us: int) -> Timeline:
        return cls.build(duration_us, edits.trim_in_us, edits.trim_out_us, edits.cuts)

    @classmethod
    def build(cls, duration_us: int, in_us: int | None = None, out_us: int | None = None,
              cuts: Iterable[tuple[int, int] | Range] = ()) -> Timeline:
        lo = max(0, in_us or 0)
        hi = duration_us if out_us is None else min(out_us, duration_us)
        kept = [(lo, hi)] if hi > lo else []
        for cut in normalize(cuts):
            kept = subtract(kept, cut)
        return cls(duration_us, tuple(kept))

    # -- ranges ---------------------------------------------------------------------------
    @property
    def kept_ranges(self) -> list[Range]:
        return [Range(s, e) for s, e in self.kept]

    @property
    def removed_ranges(self) -> list[Range]:
        """The complement of the kept ranges within ``[0, duration_us)``."""
        out, pos = [], 0
        for start, end in self.kept:
            if start > pos:
                out.append(Range(pos, start))
            pos = end
        if pos < self.duration_us:
            out.append(Range(pos, self.duration_us))
        return out

    @property
    def result_duration_us(self) -> int:
        if not self.kept:
            return 0
        return self._offsets[-1] + self.kept[-1][1] - self.kept[-1][0]

    def _range_index(self, t_us: int) -> int | None:
        i = bisect_right(self._starts, t_us) - 1
        if i >= 0 and t_us < self.kept[i][1]:
            return i
        return None

    def is_kept(self, t_us: int) -> bool:
        return self._range_index(t_us) is not None

    def classify(self, start_us: int, end_us: int) -> str:
        """``kept`` if ``[start_us, end_us]`` lies in one kept range, ``removed`` if no part
        of it is kept, else ``cut_through``.  An instant (start == end) is a point."""
        end_us = max(end_us, start_us)
        i = self._range_index(start_us)
        if i is not None and end_us <= self.kept[i][1]:
            return KEPT
        if start_us == end_us:
            return REMOVED
        # any kept range overlapping (start, end)?
        j = bisect_right(self._starts, end_us - 1) - 1
        if i is not None or (j >= 0 and self.kept[j][1] > start_us):
            return CUT_THROUGH
        return REMOVED

    # -- mapping --------------------------------------------------------------------------
    def to_result(self, t_us: int) -> int | None:
        """Result time of original time ``t_us``, or None where ``t_us`` was removed."""
        i = self._range_index(t_us)
        if i is None:
            return None
        return self._offsets[i] + t_us - self.kept[i][0]

    def to_result_clamped(self, t_us: int) -> int:
        """Like ``to_result``, but a removed time maps to where the result resumes."""
        i = bisect_right(self._starts, t_us) - 1
        if i >= 0 and t_us < self.kept[i][1]:
            return self._offsets[i] + t_us - self.kept[i][0]
        # removed: snap to the start of the next kept range (or the end of the result)
        if i + 1 < len(self.kept):
            return self._offsets[i + 1]
        return self.result_duration_us

    def to_original(self, r_us: int) -> int:
        """Original time shown at result time ``r_us`` (``0 <= r_us <= result_duration``).

        At a join between two kept ranges the later range wins (ranges are half-open);
        the result's end maps to the end of the last kept range.
        """
        total = self.result_duration_us
        if not 0 <= r_us <= total or not self.kept:
            raise ValueError(f"result time {r_us} is outside [0, {total}]")
        if r_us == total:
            return self.kept[-1][1]
        i = bisect_right(self._offsets, r_us) - 1
        return self.kept[i][0] + r_us - self._offsets[i]
