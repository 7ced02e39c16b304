"""Recover a bundle whose recorder was cut off (crash, power loss, ``kill -9``).

Everything the recorder had written is kept: the video is cut back to its last whole
fragment (at most the last ~2 s are lost), corrupt or half-written lines of the append-only
streams are dropped, grabs whose frames did not reach the video are dropped from the frame
index, and the manifest is rebuilt from the streams.  Originals of rewritten files are kept
beside them with a ``.before-recover`` suffix (the video's incomplete tail is
undecodable on its own and is cut off).
"""

from __future__ import annotations

import datetime as _dt
import json
import shutil
from pathlib import Path
from typing import Any

import av
import numpy as np

from annotator.bundle import schema
from annotator.bundle.frameindex import (
    CHANGED,
    READ,
    STORED,
    NotAFrameIndex,
    read_records,
    truncate_to_records,
    write_frame_index,
)
from annotator.bundle.jsonl import JsonlReport, read_jsonl
from annotator.bundle.mp4 import repair_fragmented_mp4
from annotator.bundle.reader import frame_index_name
from annotator.errors import BundleError
from annotator.fsutil import atomic_file, write_json_atomic


def needs_recovery(manifest: dict[str, Any], folder: Path | None = None) -> bool:
    """Still marked as recording (the recorder was cut off), or, given the folder, a frame
    index whose header was damaged later (readers refuse it; recovery rebuilds it)."""
    if manifest.get("status") == schema.STATUS_RECORDING:
        return True
    if folder is None or frame_index_name(manifest) != schema.FRAME_INDEX:
        return False
    try:
        read_records(folder / schema.FRAME_INDEX)
    except NotAFrameIndex:
        return True
    return False


def video_pts(path: Path) -> list[int]:
    """Presentation times of every packet in the video (demux only, no decoding)."""
    if not path.is_file() or path.stat().st_size == 0:
        return []
    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                return []
            s = c.streams.video[0]
            return sorted(p.pts for p in c.demux(s) if p.pts is not None)
    except (av.error.FFmpegError, OSError):
        return []


def _rewrite_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    if path.exists():
        backup = path.with_name(path.name + ".before-recover")
        if not backup.exists():
            shutil.copy2(path, backup)
    with atomic_file(path) as fh:
        for r in rows:
            fh.write(json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode() + b"\n")


def _recover_jsonl_index(folder: Path, pts_set: set[int], last_pts: int, load: Any
                         ) -> tuple[list[int], int, int]:
    """Version 1: grabs whose frame never reached the video are dropped; an unchanged grab
    shown by an earlier frame survives if that frame did."""
    frames = load(schema.FRAMES)
    kept = [f for f in frames if f.get("pts") is not None and f["pts"] in pts_set
            and f["pts"] <= last_pts]
    lost = len(frames) - len(kept)
    if lost:
        _rewrite_jsonl(folder / schema.FRAMES, kept)
    return [f["t"] for f in kept], sum(1 for f in kept if f.get("stored")), lost


def _recover_index(folder: Path, pts_in_video: list[int], reports: dict[str, JsonlReport],
                   problems: list[str]) -> tuple[list[int], int, int]:
    """Version 2: cut a half-written record, drop damaged ones, and end the index at the
    first *changed* grab whose frame did not reach the video (what came after it on screen
    is unknown).  A lost repeat of an unchanged screen (keep-alive) loses only its stored
    bit: the grabs after it are shown by the earlier frame with the same picture."""
    path = folder / schema.FRAME_INDEX
    backup = path.with_name(path.name + ".before-recover")
    rep = JsonlReport(schema.FRAME_INDEX)
    t, flags = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    rebuilt = False
    if path.is_file():
        if not backup.exists():
            shutil.copy2(path, backup)
        try:
            truncate_to_records(path)
            t, flags = read_records(path, rep)
        except NotAFrameIndex:
            # Only the video's frames say when grabs were stored; grabs that showed an
            # unchanged screen between them are not known any more.
            t = np.array(pts_in_video, np.int64)
            flags = np.full(len(t), STORED | CHANGED | READ, np.int64)
            rebuilt = True
            problems.append(
                f"The frame index could not be read (its header was damaged): it was rebuilt "
                f"from the video's {len(t)} frames; the damaged file is kept as "
                f"{backup.name}.")
    reports[schema.FRAME_INDEX] = rep
    pts_set = set(pts_in_video)
    n = len(t)
    stored = (flags & STORED) != 0
    in_video = np.fromiter((int(x) in pts_set for x in t), bool, n)
    lost_changed = np.nonzero(stored & ~in_video & ((flags & CHANGED) != 0))[0]
    cut = int(lost_changed[0]) if len(lost_changed) else n
    t, flags = t[:cut], flags[:cut].copy()
    lost_repeats = ((flags & STORED) != 0) & ~in_video[:cut]
    flags[lost_repeats] &= ~STORED
    if cut < n or lost_repeats.any() or rep.bad_lines or rebuilt:
        write_frame_index(path, t, flags)
    elif not rep.truncated_tail:
        backup.unlink(missing_ok=True)  # nothing was changed
    return t.tolist(), int(((flags & STORED) != 0).sum()), n - cut


def _pauses_from_markers(events: list[dict[str, Any]], last_t: int) -> list[dict[str, Any]]:
    """The pauses, from the pause/resume markers (one still open ends at ``last_t``)."""
    pauses: list[dict[str, Any]] = []
    open_pause: dict[str, Any] | None = None
    for e in events:
        if e.get("kind") == "pause":
            open_pause = {"start_us": e["t"], "end_us": None, "reason": e.get("reason")}
        elif e.get("kind") == "resume" and open_pause is not None:
            open_pause["end_us"] = e["t"]
            pauses.append(open_pause)
            open_pause = None
    if open_pause is not None:
        open_pause["end_us"] = last_t
        pauses.append(open_pause)
    return pauses


def recover(folder: Path, *, force: bool = False) -> dict[str, Any]:
    """Recover ``folder`` in place and return its new manifest."""

    manifest = schema.read_manifest(folder)
    if not needs_recovery(manifest, folder) and not force:
        return manifest
    video = folder / manifest.get("video", {}).get("file", schema.VIDEO)
    if video.is_file():
        # The bytes cut are an incomplete fragment: undecodable on their own.
        scan = repair_fragmented_mp4(video) if video.stat().st_size else None
        truncated = 0 if scan is None else scan.size - scan.good_end
    else:
        scan, truncated = None, 0
    pts_in_video = video_pts(video)
    pts_set = set(pts_in_video)
    last_pts = pts_in_video[-1] if pts_in_video else -1

    reports: dict[str, JsonlReport] = {}

    def load(name: str) -> list[dict[str, Any]]:
        rep = JsonlReport(name)
        rows = list(read_jsonl(folder / name, rep))
        reports[name] = rep
        if rep.bad_lines or rep.truncated_tail:
            _rewrite_jsonl(folder / name, rows)
        return rows

    events = load(schema.EVENTS)
    load(schema.WINDOWS)
    if (folder / schema.ELEMENTS).exists():
        load(schema.ELEMENTS)
    problems: list[str] = []
    if frame_index_name(manifest) == schema.FRAME_INDEX:
        kept_t, kept_stored, frames_lost = _recover_index(folder, pts_in_video, reports,
                                                          problems)
    else:
        kept_t, kept_stored, frames_lost = _recover_jsonl_index(folder, pts_set, last_pts,
                                                                load)

    last_t = max(kept_t[-1:] + [e.get("t", 0) for e in events] + [0])
    pauses = _pauses_from_markers(events, last_t)

    by_kind: dict[str, int] = {}
    for e in events:
        by_kind[e.get("kind", "?")] = by_kind.get(e.get("kind", "?"), 0) + 1
    paused_us = sum(p["end_us"] - p["start_us"] for p in pauses)
    secs = max((last_t - paused_us) / 1e6, 1e-9)
    started = manifest.get("started_utc")
    ended = None
    if started:
        try:
            ended = (_dt.datetime.fromisoformat(started)
                     + _dt.timedelta(microseconds=last_t)).isoformat(timespec="microseconds")
        except ValueError:
            ended = None
    manifest.update(
        {
            "status": schema.STATUS_RECOVERED,
            "ended_utc": ended,
            "duration_us": last_t,
            "pauses": pauses,
            "stop_reason": manifest.get("stop_reason") or "interrupted (recovered)",
            "stats": {
                "grabs": len(kept_t),
                "frames_stored": kept_stored,
                "fps_achieved": round(len(kept_t) / secs, 3),
                "dropped_deadlines": None,
                "encoder_dropped": None,
                "events": len(events),
                "events_by_kind": dict(sorted(by_kind.items())),
            },
            "recovery": {
                "recovered_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                "video_fragments": None if scan is None else scan.fragments,
                "video_bytes_cut": truncated,
                "frames_lost": frames_lost,
                "last_frame_us": last_pts if last_pts >= 0 else None,
                "corrupt_lines_dropped": {
                    k: len(r.bad_lines) + int(r.truncated_tail) for k, r in reports.items()
                },
            },
        }
    )
    manifest.setdefault("capture", {})["fps_achieved"] = manifest["stats"]["fps_achieved"]
    if not pts_in_video:
        problems.append(
            "No video frame survived: the recording was cut off before its first fragment.")
    if problems:
        manifest.setdefault("problems", []).extend(problems)
    try:
        write_json_atomic(folder / schema.MANIFEST, manifest)
    except OSError as exc:
        raise BundleError(
            f"Could not write the recovered manifest in {folder}: {exc}.",
            "Free some disk space and run `annotator recover` again.",
        ) from exc
    return manifest
