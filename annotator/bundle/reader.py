"""Read a recording bundle: manifest, frame index, input events and window focus changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from annotator.bundle import schema
from annotator.bundle.frameindex import read_frame_index
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
        return np.asarray(self.pts[self.stored])

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


def frame_index_name(manifest: dict[str, Any]) -> str:
    """The frame index file of a bundle: ``frames.idx`` from version 2, else frames.jsonl."""
    return schema.FRAME_INDEX if manifest.get("schema_version", 1) >= 2 else schema.FRAMES


def read_frames_v1(path: Path, report: JsonlReport
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(t, pts, stored, changed)`` of a version-1 frames.jsonl, tolerant of bad lines."""
    rows = [r for r in read_jsonl(path, report) if "t" in r and "pts" in r]
    rows.sort(key=lambda r: r["t"])
    n = len(rows)
    return (np.fromiter((r["t"] for r in rows), np.int64, n),
            np.fromiter((r["pts"] if r["pts"] is not None else -1 for r in rows), np.int64, n),
            np.fromiter((bool(r.get("stored")) for r in rows), bool, n),
            np.fromiter((bool(r.get("changed")) for r in rows), bool, n))


def read_frame_arrays(folder: Path, manifest: dict[str, Any]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, JsonlReport]:
    """``(t, pts, stored, changed, report)``: one row per grab, whichever index the bundle
    has.  Version 1 rows go through the tolerant JSON Lines reader."""
    name = frame_index_name(manifest)
    report = JsonlReport(name)
    if name == schema.FRAME_INDEX:
        try:
            arrays = read_frame_index(folder / name, report)
        except ValueError as exc:
            from annotator.errors import BundleError

            raise BundleError(f"The frame index of {folder} cannot be read: {exc}.",
                              f"Run `annotator recover {folder}` to rebuild it.") from exc
    else:
        arrays = read_frames_v1(folder / name, report)
    return (*arrays, report)


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
        return str(self.manifest.get("id", self.path.name))

    @property
    def status(self) -> str:
        return str(self.manifest.get("status", schema.STATUS_RECORDING))

    @property
    def video_path(self) -> Path:
        return self.path / str(self.manifest.get("video", {}).get("file", schema.VIDEO))

    @property
    def region(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.manifest["capture"]["region"].items()}

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

    @property
    def frame_index_path(self) -> Path:
        return self.path / frame_index_name(self.manifest)

    @cached_property
    def frames(self) -> FrameIndex:
        t, pts, stored, changed, report = read_frame_arrays(self.path, self.manifest)
        self.reports[report.path] = report
        if not len(t):
            return _empty_index()
        return FrameIndex(t=t, pts=pts, stored=stored, changed=changed,
                          files=[self.manifest.get("video", {}).get("file", schema.VIDEO)])

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
