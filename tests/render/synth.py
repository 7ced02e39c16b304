"""Synthetic bundles for the render tests: made with the recorder's encoder and written the
way the recorder writes them (30 fps grabs, only changed grabs stored, keep-alive repeats)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from annotator.bundle import schema
from annotator.bundle.video import VideoEncoder

W, H = 640, 360
GRAB_US = 33_333
T0 = 100_000
KEEPALIVE_WINDOW_US = 1_600_000
KEEPALIVE_INTERVAL_US = 150_000
SECRET_RECT = (96, 130, 300, 40)  # x, y, w, h: where the secret text is drawn


def ui_frame(i: int, secret: str, *, w: int = W, h: int = H) -> np.ndarray:
    """A form-like screen (BGR): title, labels, a counter that changes every 10 grabs, a
    typed field that grows for the first 40 grabs, and the secret at SECRET_RECT."""
    img = np.full((h, w, 3), 236, np.uint8)
    cv2.rectangle(img, (0, 0), (w, 36), (60, 60, 70), -1)
    cv2.putText(img, "Account settings", (12, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                (250, 250, 250), 2)
    cv2.putText(img, "Password:", (8, 158), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (30, 30, 30), 1)
    x, y, rw, rh = SECRET_RECT
    cv2.rectangle(img, (x, y), (x + rw - 1, y + rh - 1), (255, 255, 255), -1)
    cv2.putText(img, secret, (x + 6, y + 29), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (10, 10, 10), 2)
    typed = "user@example.org"[: min(16, i // 2)]
    cv2.putText(img, "Login: " + typed, (8, 220), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (20, 20, 90), 1)
    cv2.putText(img, f"Saved {i // 10} times", (8, 300), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (40, 90, 40), 1)
    for r in range(4):  # a little table with fine detail
        cv2.putText(img, f"row {r}  {1234.5 * (r + 1):,.2f}  EUR", (360, 230 + 22 * r),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.45, (60, 60, 60), 1)
    return img


def make_bundle(folder: Path, secret: str = "hunter2-Tr0ub4dor", *, grabs: int = 120,
                frame_fn: Callable[[int, str], np.ndarray] | None = None,
                static_after: int | None = None, w: int = W, h: int = H,
                gop: int = 150) -> dict:
    """Grab ``grabs`` times at 30 fps from T0; the picture is ``frame_fn(i, secret)`` (frozen
    from grab ``static_after`` on).  Returns {"grabs": [...rows], "stored": [pts...],
    "changed": [pts...], "duration_us": ...}."""
    folder.mkdir(parents=True, exist_ok=True)
    frame_fn = frame_fn or (lambda i, s: ui_frame(i, s, w=w, h=h))
    enc = VideoEncoder(folder / schema.VIDEO, w, h, fps=30, gop=gop)
    rows, stored, changed_pts = [], [], []
    prev = None
    last_yuv = None
    last_change = last_keep = -10**9
    last_stored = None
    for i in range(grabs):
        t = T0 + i * GRAB_US
        img = frame_fn(min(i, static_after) if static_after is not None else i, secret)
        raw = img.tobytes()
        changed = prev is None or raw != prev
        prev = raw
        store = changed
        if not changed and t - last_change < KEEPALIVE_WINDOW_US \
                and t - last_keep >= KEEPALIVE_INTERVAL_US:
            store = True
            last_keep = t
        if store:
            if changed:
                last_yuv = cv2.cvtColor(img, cv2.COLOR_BGR2YUV_I420)
                last_change = last_keep = t
                changed_pts.append(t)
            enc.encode_i420(last_yuv, t)
            stored.append(t)
            last_stored = t
        rows.append({"i": i, "t": t, "pts": t if store else last_stored, "stored": store,
                     "changed": changed, "file": schema.VIDEO})
    enc.close()
    with open(folder / schema.FRAMES, "w") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    (folder / schema.EVENTS).write_text("")
    (folder / schema.WINDOWS).write_text("")
    duration = T0 + grabs * GRAB_US
    manifest = {
        "schema_version": 1, "id": "render-test", "status": "complete",
        "started_utc": "2026-01-01T00:00:00+00:00", "duration_us": duration,
        "capture": {"region": {"x": 0, "y": 0, "width": w, "height": h}, "fps_requested": 30},
        "video": {"file": schema.VIDEO, **enc.settings}, "pauses": [],
    }
    (folder / schema.MANIFEST).write_text(json.dumps(manifest))
    return {"grabs": [r["t"] for r in rows], "stored": stored, "changed": changed_pts,
            "duration_us": duration}
