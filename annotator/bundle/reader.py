"""Read a recording bundle: manifest, frame index, input events and window focus changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from annotator.bundle import schema
from annotator.bundle.jsonl import JsonlReport, read_jsonl


@dataclass
class FrameIndex:
    """One row per screen grab, in capture order.

    ``t``: capture time (µs since start); ``pts``: presentation time in the video of the frame
    that shows this grab (the grab itself if ``stored``, else the last stored frame, since an
    unchanged grab is not encoded again); ``stored``: the grab was encoded; ``changed``: the
    screen differed from the previous grab.
    """

    t: np.ndarray
    pts: np.ndarray
    stored: np.ndarray
    changed: np.ndarray
    files: list[str]

    def __len__(self) -> int:
        return len(self.t)

    @property
    def stored_pts(self) -> np.ndarray:
        return self.pts[self.stored]

    def last_before(self, t_us: int) -> int | None:
        """Index of the last grab captured strictly before ``t_us``, or None."""
        i = int(np.searchsorted(self.t, t_us, side="left")) - 1
        return i if i >= 0 else None

    def first_at_or_after(self, t_us: int) -> int | None:
        i = int(np.searchsorted(self.t, t_us, side="left"))
        return i if i < len(self.t) else None


def _empty_index() -> FrameIndex:
    z = np.zeros(0, dtype=np.int64)
    return FrameIndex(z, z.copy(), np.zeros(0, bool), np.zeros(0, bool), [])


@dataclass
class Bundle:
    """A recording bundle opened for reading.  Opening never modifies it."""

    path: Path
    manifest: dict[str, Any]
    reports: dict[str, JsonlReport] = field(default_factory=dict)

    @classmethod
    def open(cls, path: str | Path) -> Bundle:
        folder = Path(path)
        return cls(folder, schema.read_manifest(folder))

    @property
    def id(self) -> str:
        return self.manifest.get("id", self.path.name)

    @property
    def status(self) -> str:
        return self.manifest.get("status", schema.STATUS_RECORDING)

    @property
    def video_path(self) -> Path:
        return self.path / self.manifest.get("video", {}).get("file", schema.VIDEO)

    @property
    def region(self) -> dict[str, int]:
        return self.manifest["capture"]["region"]

    @property
    def size(self) -> tuple[int, int]:
        r = self.region
        return int(r["width"]), int(r["height"])

    @property
    def duration_us(self) -> int:
        return int(self.manifest.get("duration_us") or 0)

    def _read(self, name: str) -> list[dict[str, Any]]:
        report = JsonlReport(name)
        rows = list(read_jsonl(self.path / name, report))
        self.reports[name] = report
        return rows

    @cached_property
    def events(self) -> list[dict[str, Any]]:
        """Raw input events in time order, corrupt lines skipped (see ``warnings``)."""
        rows = self._read(schema.EVENTS)
        rows.sort(key=lambda e: (e.get("t", 0), e.get("id", 0)))
        return rows

    @cached_property
    def windows(self) -> list[dict[str, Any]]:
        """Focus changes: which window (title, application) had focus from when."""
        return self._read(schema.WINDOWS)

    @cached_property
    def elements(self) -> list[dict[str, Any]]:
        """Accessibility records: the element under each click (``hit``, keyed by the press's
        ``event_id``) and focus changes.  Empty for bundles recorded without them."""
        return self._read(schema.ELEMENTS)

    def hits_by_event(self) -> dict[int, dict[str, Any]]:
        return {int(e["event_id"]): e for e in self.elements
                if e.get("kind") == "hit" and isinstance(e.get("event_id"), int)}

    @cached_property
    def frames(self) -> FrameIndex:
        rows = self._read(schema.FRAMES)
        if not rows:
            return _empty_index()
        rows = [r for r in rows if "t" in r and "pts" in r]
        rows.sort(key=lambda r: r["t"])
        files = sorted({r.get("file", schema.VIDEO) for r in rows})
        return FrameIndex(
            t=np.fromiter((r["t"] for r in rows), np.int64, len(rows)),
            pts=np.fromiter((r["pts"] if r["pts"] is not None else -1 for r in rows), np.int64, len(rows)),
            stored=np.fromiter((bool(r.get("stored")) for r in rows), bool, len(rows)),
            changed=np.fromiter((bool(r.get("changed")) for r in rows), bool, len(rows)),
            files=files,
        )

    @property
    def warnings(self) -> list[str]:
        out: list[str] = []
        for report in self.reports.values():
            out.extend(report.warnings)
        return out

    def focus_at(self, t_us: int) -> dict[str, Any] | None:
        """The focus record in force at ``t_us`` (the last one at or before it)."""
        best = None
        for w in self.windows:
            if w.get("t", 0) <= t_us:
                best = w
            else:
                break
        return best
