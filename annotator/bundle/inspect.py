"""``annotator inspect``: what a bundle holds and what looks wrong with it.

The JSON keys are documented in docs/bundle-format.md ("inspect").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from annotator.bundle import schema
from annotator.bundle.reader import Bundle

CLOCK_GAP_US = 1_000_000


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def inspect_bundle(path: str | Path) -> dict[str, Any]:
    b = Bundle.open(path)
    m = b.manifest
    frames = b.frames
    events = b.events
    duration_us = b.duration_us or int(
        max([int(frames.t[-1]) if len(frames) else 0] + [e.get("t", 0) for e in events] + [0])
    )
    pauses = m.get("pauses", [])
    paused_us = sum(max(0, (p.get("end_us") or 0) - (p.get("start_us") or 0)) for p in pauses)
    recorded_s = max((duration_us - paused_us) / 1e6, 0.0)
    # Grabs per second from the first grab (capture starts shortly after t=0) to the end.
    first_us = int(frames.t[0]) if len(frames) else 0
    capture_s = max((duration_us - first_us - paused_us) / 1e6, 0.0)
    stats = m.get("stats") or {}
    fps_req = float(m.get("capture", {}).get("fps_requested") or 0)

    by_kind: dict[str, int] = {}
    for e in events:
        k = e.get("kind", "?")
        by_kind[k] = by_kind.get(k, 0) + 1
    input_events = sum(v for k, v in by_kind.items() if k not in ("pause", "resume"))

    # Clock gaps: consecutive grabs further apart than a second, outside pauses.
    gaps = []
    if len(frames) > 1:
        d = np.diff(frames.t)
        for i in np.nonzero(d > CLOCK_GAP_US)[0]:
            a, z = int(frames.t[i]), int(frames.t[i + 1])
            if not any((p.get("start_us") or 0) <= z and a <= (p.get("end_us") or 0)
                       for p in pauses):
                gaps.append({"from_us": a, "to_us": z})
    dropped = stats.get("dropped_deadlines")
    if dropped is None and fps_req and len(frames) > 1:
        interval = 1e6 / fps_req
        d = np.diff(frames.t)
        dropped = int(np.sum(np.maximum(0, np.round(d / interval) - 1)[d < CLOCK_GAP_US]))

    size = folder_size(b.path)
    minutes = recorded_s / 60
    problems: list[str] = list(m.get("problems", []))
    if b.status == schema.STATUS_RECORDING:
        problems.append("The recording was not finalized (still running, or cut off by a "
                        "crash): run `annotator recover` on it.")
    if int(frames.stored.sum()) == 0:
        problems.append("The video holds no frames.")
    if not b.video_path.is_file() or b.video_path.stat().st_size == 0:
        problems.append("The video file is missing or empty.")
    if input_events == 0:
        problems.append("No input was captured (no mouse or keyboard event).")
    if gaps:
        problems.append(f"{len(gaps)} clock gap(s) of over 1 s between grabs outside pauses.")
    problems.extend(b.warnings)

    return {
        "path": str(b.path),
        "id": b.id,
        "schema_version": m["schema_version"],
        "status": b.status,
        "started_utc": m.get("started_utc"),
        "duration_s": round(duration_us / 1e6, 3),
        "recorded_s": round(recorded_s, 3),
        "size": {"width": b.size[0], "height": b.size[1]},
        "fps_requested": fps_req,
        "fps_achieved": round(len(frames) / capture_s, 3) if capture_s > 0 else 0.0,
        "grabs": len(frames),
        "frames_stored": int(frames.stored.sum()),
        "frames_changed": int(frames.changed.sum()),
        "dropped_deadlines": dropped,
        "events": len(events),
        "events_by_kind": dict(sorted(by_kind.items())),
        "focus_changes": len(b.windows),
        "pauses": pauses,
        "size_bytes": size,
        "mb_per_min": round(size / 1e6 / minutes, 3) if minutes else None,
        "clock_gaps": gaps,
        "problems": problems,
    }


def format_report(r: dict[str, Any]) -> str:
    lines = [
        f"Recording {r['id']}  ({r['status']}, schema {r['schema_version']})",
        f"  folder:          {r['path']}",
        f"  started (UTC):   {r['started_utc']}",
        f"  duration:        {r['duration_s']:.1f} s ({r['recorded_s']:.1f} s recorded, "
        f"{len(r['pauses'])} pause(s))",
        f"  screen:          {r['size']['width']}x{r['size']['height']}",
        f"  capture rate:    {r['fps_achieved']:.2f} fps achieved of {r['fps_requested']:g} "
        f"requested; {r['dropped_deadlines']} deadline(s) missed",
        f"  frames:          {r['grabs']} grabs, {r['frames_changed']} changed, "
        f"{r['frames_stored']} stored in the video",
        f"  events:          {r['events']} "
        + ", ".join(f"{k} {v}" for k, v in r["events_by_kind"].items()),
        f"  focus changes:   {r['focus_changes']}",
        f"  size on disk:    {r['size_bytes'] / 1e6:.2f} MB"
        + (f" ({r['mb_per_min']:.2f} MB per recorded minute)" if r["mb_per_min"] else ""),
    ]
    for p in r["pauses"]:
        lines.append(f"  pause:           {p['start_us'] / 1e6:.2f} s to "
                     f"{(p.get('end_us') or 0) / 1e6:.2f} s ({p.get('reason')})")
    if r["problems"]:
        lines.append("Problems:")
        lines.extend(f"  - {p}" for p in r["problems"])
    else:
        lines.append("No problems found.")
    return "\n".join(lines)
