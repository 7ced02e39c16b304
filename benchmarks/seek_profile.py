"""Where a seek's time goes in the editor (``benchmarks/drafts_editor.py --profile``).

Installed in the benchmark's child process before the window is made, it times, on every
thread, the handlers a seek goes through and everything else the UI thread does meanwhile:

- on the UI thread: the selection (``_on_select``: the seek request, the step panel, the
  list's scroll), the frame's delivery (``_on_frame``), the paints of the video view and of
  the step list, drafts arriving (``_on_drafted``), the frame cache's progress reports,
  thumbnails arriving, and the events delivered (a count: a signal storm shows here);
- on the frame loader's thread: reading the frame (the cache's PNG, or decoding);
- the delivery delay: from the frame read to ``_on_frame`` (the UI thread busy elsewhere,
  or waiting for the GIL).

``per_seek(t_from, t_shown, t_to)`` sums what happened in one seek: until its frame was
shown (the latency's parts) and until the next seek (what the seek cost the UI thread in
all, the paints that follow the frame included).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

MAIN = threading.main_thread()


class SeekProfile:
    def __init__(self) -> None:
        self.spans: list[tuple[str, float, float, float]] = []  # kind, t0, t1, thread CPU
        # Events delivered on the UI thread: (time, event type, receiver's class)
        self.events: list[tuple[float, int, str]] = []
        self._lock = threading.Lock()

    def _timed(self, kind: str, fn):
        prof = self

        def wrapper(*args, **kwargs):
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                span = (kind, t0, time.perf_counter(), time.thread_time() - c0)
                with prof._lock:
                    prof.spans.append(span)

        wrapper.__name__ = getattr(fn, "__name__", kind)
        return wrapper

    def install(self) -> None:
        from PyQt6.QtCore import QObject
        from PyQt6.QtWidgets import QApplication

        import annotator.ui.editor.frames as frames_mod
        from annotator.ui.editor.redaction_view import RedactionVideoView
        from annotator.ui.editor.step_list import StepListModel, StepListView
        from annotator.ui.editor.window import EditorWindow

        for cls, name, kind in (
                (RedactionVideoView, "paintEvent", "paint video"),
                (StepListView, "paintEvent", "paint list"),
                (EditorWindow, "_on_select", "select"),
                (EditorWindow, "_on_frame", "frame shown"),
                (EditorWindow, "_on_drafted", "drafts arrived"),
                (EditorWindow, "_on_cache_progress", "cache progress"),
                (EditorWindow, "_update_markers", "markers"),
                (EditorWindow, "_fill_step_panel", "step panel"),
                (StepListModel, "_thumb_loaded", "thumbs arrived")):
            setattr(cls, name, self._timed(kind, getattr(cls, name)))
        frames_mod.read_cached = self._timed("read frame", frames_mod.read_cached)
        reader = frames_mod.VideoReader
        reader.frame_at = self._timed("read frame", reader.frame_at)
        prof = self

        class Counter_(QObject):
            def eventFilter(self, obj, ev):  # noqa: N802 (Qt API)
                prof.events.append((time.perf_counter(), int(ev.type().value),
                                    type(obj).__name__))
                return False

        self._filter = Counter_()
        QApplication.instance().installEventFilter(self._filter)

    def per_seek(self, t_from: float, t_shown: float, t_to: float) -> dict[str, Any]:
        """This seek's figures (ms): the latency's parts, and the UI thread's time in all."""
        with self._lock:
            spans = list(self.spans)
        until_shown: Counter[str] = Counter()
        in_all: Counter[str] = Counter()
        cpu_all: Counter[str] = Counter()
        read_end = None
        frame_at = None
        for kind, a, b, cpu in spans:
            if b < t_from or a > t_to:
                continue
            if kind == "read frame":
                if a >= t_from and a <= t_shown:
                    until_shown[kind] += (b - a) * 1e3
                    read_end = b
                continue
            in_all[kind] += (b - a) * 1e3
            cpu_all[kind] += cpu * 1e3
            if a <= t_shown:
                until_shown[kind] += (min(b, t_shown) - a) * 1e3
            if kind == "frame shown" and a <= t_shown and frame_at is None:
                frame_at = a
        # (nested handlers, e.g. the markers inside the selection, are counted in both)
        outer = ("paint video", "paint list", "select", "frame shown", "drafts arrived",
                 "cache progress", "thumbs arrived")
        return {
            "latency_ms": (t_shown - t_from) * 1e3,
            "until_shown_ms": {k: round(v, 2) for k, v in until_shown.items()},
            "ui_ms": {k: round(v, 2) for k, v in in_all.items()},
            "ui_cpu_ms": {k: round(v, 2) for k, v in cpu_all.items()},
            "ui_total_ms": round(sum(v for k, v in in_all.items() if k in outer), 2),
            "ui_total_cpu_ms": round(sum(v for k, v in cpu_all.items() if k in outer), 2),
            "delivery_ms": round((frame_at - read_end) * 1e3, 2)
            if frame_at is not None and read_end is not None else None,
            "events": sum(1 for t, _k, _o in self.events if t_from <= t <= t_to),
            "event_kinds": dict(Counter(f"{k}:{o}" for t, k, o in self.events
                                        if t_from <= t <= t_to)),
        }


def summarize(runs: list[dict[str, Any]], kinds: bool = False) -> list[list[str]]:
    """Rows of a table: each part's median per seek (ms), with drafting and without."""
    import statistics

    def parts(rs: list[dict[str, Any]]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        seeks = [p for r in rs for p in r.get("seek_profile", [])]
        for p in seeks:
            row = {"latency": p["latency_ms"],
                   "delivery delay": p["delivery_ms"] if p["delivery_ms"] is not None
                   else float("nan"),
                   "UI thread in all": p["ui_total_ms"],
                   "UI thread CPU in all": p["ui_total_cpu_ms"],
                   "events delivered": float(p["events"])}
            for k, v in p["until_shown_ms"].items():
                row[f"until shown: {k}"] = v
            for k, v in p["ui_ms"].items():
                row[f"in all: {k}"] = v
            if kinds:
                for k, v in p.get("event_kinds", {}).items():
                    row[f"events {k}"] = float(v)
            for k in row:
                out.setdefault(k, [])
            for k in out:
                out[k].append(row.get(k, 0.0))
        return out

    on = parts([r for r in runs if r["drafting"]])
    off = parts([r for r in runs if not r["drafting"]])
    rows = []
    for k in sorted(set(on) | set(off), key=lambda k: (not k.startswith(("latency", "deliv")),
                                                        k)):
        a, b = on.get(k, []), off.get(k, [])

        def fig(xs: list[float]) -> str:
            xs = [x for x in xs if x == x]
            if not xs:
                return "-"
            return f"{statistics.median(xs):.2f} / {statistics.mean(xs):.2f}"

        rows.append([k, fig(a), fig(b)])
    return rows
