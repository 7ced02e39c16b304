"""The one writer of recording bundles (docs/bundle-format.md), used by the recorder and the
demo alike, so that every bundle has the same files, modes, manifest keys and guarantees.

A writer owns the bundle's streams: the video (fragmented MP4), the binary frame index, the
append-only JSON Lines streams (events, windows, elements) and the manifest (written at the
start with ``status: "recording"`` and at the end, atomically).  Each stream is thread-safe
on its own, so a capture thread, an encoder thread and input threads may write at once.
``flush()`` hands everything to the disk (fsync); whoever drives the writer calls it every
``FLUSH_INTERVAL_S`` so that a crash loses at most that much plus one video fragment.
"""

from __future__ import annotations

import datetime as _dt
import platform
import threading
import uuid
from pathlib import Path
from typing import Any

import numpy as np

import annotator
from annotator.bundle import schema
from annotator.bundle.frameindex import CHANGED, STORED, FrameIndexWriter
from annotator.bundle.jsonl import JsonlWriter
from annotator.bundle.video import VideoEncoder
from annotator.fsutil import write_json_atomic

FLUSH_INTERVAL_S = 0.5
FSYNC_INTERVAL_S = 2.0

# Every file a bundle may hold: a forced re-recording into a folder deletes exactly these.
BUNDLE_FILES = (schema.MANIFEST, schema.VIDEO, schema.FRAME_INDEX, schema.FRAMES,
                schema.EVENTS, schema.WINDOWS, schema.ELEMENTS)


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def iso(t: _dt.datetime) -> str:
    return t.isoformat(timespec="microseconds")


def os_info(session: str) -> dict[str, str]:
    """What the manifest says of the system: no hostname, user name or hardware ids."""
    return {"system": platform.system(), "release": platform.release(), "session": session}


def new_manifest(*, created_by: str, started: _dt.datetime, clock: dict[str, Any],
                 os: dict[str, str], displays: list[dict[str, Any]],
                 capture: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """The manifest a bundle starts with (``status: "recording"``).  ``sections`` adds the
    writer's own keys (acknowledgement, deny_list, hotkeys, a11y, input_devices...)."""
    return {
        "schema_version": schema.SCHEMA_VERSION,
        "id": str(uuid.uuid4()),
        "status": schema.STATUS_RECORDING,
        "app_version": annotator.__version__,
        "created_by": created_by,
        "os": os,
        "clock": clock,
        "started_utc": iso(started),
        "displays": displays,
        "capture": capture,
        "pauses": [],
        "problems": [],
        **sections,
    }


class BundleWriter:
    """Writes one bundle into ``folder`` (which must exist, private to the user).

    ``video`` holds the encoder options (``fps``, ``preset``, ``crf``, ``gop``...); the
    manifest's ``video`` section is filled from the encoder's settings.  ``elements``:
    whether an accessibility stream (elements.jsonl) is written."""

    def __init__(self, folder: Path, width: int, height: int, *, video: dict[str, Any],
                 elements: bool = False) -> None:
        self.folder = folder
        self.encoder = VideoEncoder(folder / schema.VIDEO, width, height, **video)
        self.index = FrameIndexWriter(folder / schema.FRAME_INDEX)
        self.events = JsonlWriter(folder / schema.EVENTS)
        self.windows = JsonlWriter(folder / schema.WINDOWS)
        self.elements = JsonlWriter(folder / schema.ELEMENTS) if elements else None
        self.manifest: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.grabs = 0
        self.stored = 0
        self.events_by_kind: dict[str, int] = {}
        self.devices: dict[str, int] = {}

    @property
    def streams(self) -> list[Any]:
        return [w for w in (self.events, self.index, self.windows, self.elements)
                if w is not None]

    # -- manifest -----------------------------------------------------------------------
    def start(self, manifest: dict[str, Any]) -> None:
        """Write the first manifest (atomically); its ``video`` section comes from here."""
        manifest["video"] = {"file": schema.VIDEO, **self.encoder.settings}
        if self.elements is not None:
            manifest.setdefault("a11y", {})["elements_file"] = schema.ELEMENTS
        self.manifest = manifest
        write_json_atomic(self.folder / schema.MANIFEST, manifest)

    def finish(self, updates: dict[str, Any], stats: dict[str, Any] | None = None
               ) -> dict[str, Any]:
        """Write the final manifest: ``updates`` merged in, ``status: "complete"`` unless
        given, and ``stats`` from what was written (plus the caller's ``stats``)."""
        m = self.manifest
        m.update(updates)
        m.setdefault("status", schema.STATUS_COMPLETE)
        if m["status"] == schema.STATUS_RECORDING:
            m["status"] = schema.STATUS_COMPLETE
        m["stats"] = {
            "grabs": self.grabs,
            "frames_stored": self.stored,
            "events": sum(self.events_by_kind.values()),
            "events_by_kind": dict(sorted(self.events_by_kind.items())),
            **(stats or {}),
        }
        if "input_devices" in m and isinstance(m["input_devices"], dict):
            m["input_devices"]["events_by_device"] = dict(sorted(self.devices.items()))
        write_json_atomic(self.folder / schema.MANIFEST, m)
        return m

    # -- streams -----------------------------------------------------------------------
    def encode(self, yuv: np.ndarray, pts_us: int) -> None:
        """Encode one I420 frame shown from ``pts_us`` (call from one thread)."""
        self.encoder.encode_i420(yuv, pts_us)

    def grab(self, t_us: int, *, stored: bool, changed: bool, extra_flags: int = 0) -> None:
        """One row of the frame index: a grab at ``t_us``, encoded or not."""
        self.index.add(t_us, (STORED if stored else 0) | (CHANGED if changed else 0)
                       | extra_flags)
        with self._lock:
            self.grabs += 1
            self.stored += bool(stored)

    def event(self, record: dict[str, Any]) -> None:
        """One input event: ``id``, ``t``, ``kind`` and the kind's fields, in id order."""
        kind = record["kind"]
        with self._lock:
            self.events_by_kind[kind] = self.events_by_kind.get(kind, 0) + 1
            dev = record.get("device")
            if dev is not None:
                self.devices[dev] = self.devices.get(dev, 0) + 1
        self.events.write(record)

    def window(self, record: dict[str, Any]) -> None:
        self.windows.write(record)

    def element(self, record: dict[str, Any]) -> None:
        if self.elements is not None:
            self.elements.write(record)

    def flush(self, fsync: bool = True) -> None:
        """Every stream to the OS (a killed process loses nothing written), and with
        ``fsync`` to the disk (a power cut neither).  Raises OSError (a full disk...)."""
        for w in self.streams:
            w.flush(fsync=fsync)

    def close_video(self) -> None:
        """Finish the video (flushes the encoder's delayed frames).  Raises on failure."""
        self.encoder.close()

    def close_streams(self) -> list[str]:
        """Close every stream; returns what could not be written, as problems."""
        problems = []
        for w in self.streams:
            try:
                w.close()
            except OSError as exc:
                problems.append(f"Could not write {w.path.name}: {exc}")
        return problems
