"""The editor's playback: the video, the timeline and the transport under it, seeking,
shuttling (J / K / L), frame and step stepping, the reviewer's preview, and trim and cut at
the playhead.

A mixin of EditorWindow (it uses the window's session, step list and status bar), kept in
its own module so the window stays readable.
"""

from __future__ import annotations

import bisect
import time

from PyQt6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from annotator.display import duration
from annotator.ui.editor.fixed_lines import FixedLine
from annotator.ui.editor.redaction_view import RedactionVideoView
from annotator.ui.editor.timeline import TimelineWidget


def fmt_time(us: int) -> str:
    """A time in the editor: to the millisecond (a frame at 60 fps is 17 ms)."""
    return duration(us, places=3)


class PlaybackMixin:
    """The playhead is the window's ``playhead`` (µs of the recording); the frame shown
    follows it through the window's frame loader."""

    def _build_video_side(self) -> QWidget:
        """The video view, the timeline, and the transport and trim buttons."""
        self.view = RedactionVideoView()
        if not self.video_ok:
            self.view.message = "No video to show"
        self.timeline = TimelineWidget()
        self.timeline.seek.connect(self.seek)
        self.timeline.trim_dragged.connect(self._trim_dragged)
        self.play_btn = QPushButton("▶ Play")
        self.play_btn.setObjectName("play")
        self.play_btn.clicked.connect(self.toggle_play)
        # Its text changes at every frame shown: a FixedLine repaints itself and moves
        # nothing (a QLabel laid the whole window out again at every seek).
        self.time_label = FixedLine(1)
        self.time_label.setObjectName("time")
        widest = f"{fmt_time(10 * 3600 * 10**6 - 1)} / {fmt_time(10 * 3600 * 10**6 - 1)} " \
            "(as submitted)"
        self.time_label.setFixedWidth(self.time_label.fontMetrics().horizontalAdvance(widest) + 8)
        self.in_btn = QPushButton("Set in (I)")
        self.out_btn = QPushButton("Set out (O)")
        self.clear_trim_btn = QPushButton("Clear trim")
        self.cut_btn = QPushButton("Cut… (C)")
        self.preview_box = QCheckBox("Preview as reviewer (P)")
        self.preview_box.setObjectName("preview")
        self.in_btn.clicked.connect(self.set_in)
        self.out_btn.clicked.connect(self.set_out)
        self.clear_trim_btn.clicked.connect(lambda: self._do(self.session.clear_trim))
        self.cut_btn.clicked.connect(self.cut_mark)
        self.preview_box.toggled.connect(self.set_preview)
        # Two rows: in one, the buttons and the time (wide enough for ten hours) made the
        # editor wider than a 1280-pixel screen.
        transport = QHBoxLayout()
        for w in (self.play_btn, self.time_label):
            transport.addWidget(w)
        transport.addStretch(1)
        transport.addWidget(self.preview_box)
        trim = QHBoxLayout()
        for w in (self.in_btn, self.out_btn, self.clear_trim_btn, self.cut_btn):
            trim.addWidget(w)
        trim.addStretch(1)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.view, 1)
        lv.addWidget(self.timeline)
        lv.addLayout(transport)
        lv.addLayout(trim)
        return left

    def seek(self, t_us: int) -> None:
        t_us = int(min(max(0, t_us), self.duration_us))
        if self.preview:
            tl = self.session.result.timeline
            if not tl.is_kept(t_us) and tl.kept:
                r = tl.to_result_clamped(t_us)
                t_us = tl.to_original(min(r, tl.result_duration_us))
        self.playhead = t_us
        self.timeline.set_playhead(t_us)
        self._update_time()
        if hasattr(self, "rpanel"):
            self._update_overlay()
        if hasattr(self, "draft_worker"):
            self._update_markers()
        if self.video_ok:
            # The frame first; thumbnails and drafts after, once seeking pauses (the
            # previous frame's timers must not release them while this one decodes).
            self._thumbs_timer.stop()
            self._drafts_timer.stop()
            self.step_model.loader.hold()
            self.draft_worker.hold()
            self.loader.request(t_us)

    def _on_frame(self, requested: int, pts: int, rgb) -> None:
        self.view.show_frame(pts, rgb)
        if requested == self.playhead:  # (not a frame an earlier seek asked for)
            self._thumbs_timer.start()  # thumbnails load once seeking pauses
            self._drafts_timer.start()  # ...and drafting goes on a little later
        if not self._background_started:
            self._start_background()
        # The exact frame recorded for this time is the last stored one at or before it; if
        # the video gave an earlier one, the video ends early (truncated) or is damaged here.
        i = bisect.bisect_right(self.stored_pts, requested) - 1
        if i >= 0 and pts < self.stored_pts[i]:
            self.view.set_notice(
                f"The video has no frame at {fmt_time(self.stored_pts[i])} (it is cut short "
                f"or damaged): showing the last one it has, at {fmt_time(pts)}.")
            if not getattr(self, "_told_frames_missing", False):
                self._told_frames_missing = True
                self.notes.append(
                    f"Some frames are missing from the video (the first seen: "
                    f"{fmt_time(self.stored_pts[i])}); it may have been cut short. Steps and "
                    "labels can still be edited; those frames cannot be shown.")
                self.banner.setText("\n".join(f"• {n}" for n in self.notes))
                self.banner_box.show()
        else:
            self.view.set_notice("")

    # -- the frame index, when it was not at hand -------------------------------------------------
    def _no_video_note(self) -> str:
        return ("The video of this recording is missing or empty: steps and labels can be "
                "edited, frames cannot be shown.")

    def _on_frame_index(self, result) -> None:
        if isinstance(result, BaseException):
            self._tell(f"The frame index (frames.jsonl) could not be read: {result}. Frame "
                       "stepping is off; steps can still be edited.")
            return
        self._index_pending = False
        self.stored_pts = result
        self.duration_us = max(self.duration_us, result[-1] if result else 0)
        if not result and self.video_ok:
            self.video_ok = False
            self.view.message = "No video to show"
            self.view.update()
            self._tell(self._no_video_note())
            return
        self.timeline.duration_us = self.duration_us
        if self.view.pts is None and result and self.playhead < result[0]:
            self.seek(result[0])  # nothing shown yet: the first frame

    def _update_time(self) -> None:
        tl = self.session.result.timeline
        if self.preview:
            r = tl.to_result_clamped(self.playhead)
            self.time_label.setText(f"{fmt_time(r)} / {fmt_time(tl.result_duration_us)} "
                                    "(as submitted)")
        else:
            self.time_label.setText(f"{fmt_time(self.playhead)} / {fmt_time(self.duration_us)}")

    def toggle_play(self) -> None:
        self.shuttle(0 if self.speed else 1)

    def shuttle(self, direction: int) -> None:
        if direction == 0:
            self.speed = 0.0
        elif direction > 0:
            self.speed = 1.0 if self.speed <= 0 else min(8.0, self.speed * 2)
        else:
            self.speed = -1.0 if self.speed >= 0 else max(-8.0, self.speed * 2)
        if self.speed:
            self._last_tick = time.monotonic()
            self._play_timer.start()
            self.play_btn.setText("❚❚ Pause")
        else:
            self._play_timer.stop()
            self.play_btn.setText("▶ Play")

    def _tick(self) -> None:
        now = time.monotonic()
        dt = int((now - self._last_tick) * 1e6 * self.speed)
        self._last_tick = now
        t = self.playhead + dt
        if self.preview:
            tl = self.session.result.timeline
            if not tl.is_kept(t):
                nxt = [s for s, _ in tl.kept if s > self.playhead]
                t = nxt[0] if (nxt and self.speed > 0) else t
        if t >= self.duration_us or t <= 0:
            t = min(max(t, 0), self.duration_us)
            self.shuttle(0)
        self.seek(t)

    def step_frame(self, direction: int) -> None:
        if not self.stored_pts:
            return
        i = bisect.bisect_right(self.stored_pts, self.playhead) - 1
        i = min(max(i + direction, 0), len(self.stored_pts) - 1)
        self.seek(self.stored_pts[i])

    def jump_step(self, direction: int) -> None:
        steps = [s for s in (self.session.result.steps if self.preview
                             else self.session.result.all_steps)]
        if not steps:
            return
        ids = [s.id for s in steps]
        if self._selected_id in ids:
            i = ids.index(self._selected_id) + direction
        else:
            starts = [s.orig_t_start_us for s in steps]
            i = bisect.bisect_right(starts, self.playhead) - (1 if direction < 0 else 0)
        i = min(max(i, 0), len(steps) - 1)
        self.select_step(steps[i].id)

    def set_preview(self, on: bool) -> None:
        self.preview = on
        self.refresh()
        self.seek(self.playhead)

    # -- trim and cut ----------------------------------------------------------------------------
    def set_in(self) -> None:
        self._do(self.session.set_in_point, self.playhead)

    def set_out(self) -> None:
        self._do(self.session.set_out_point, self.playhead)

    def _trim_dragged(self, which: str, t: int) -> None:
        fn = self.session.set_in_point if which == "in" else self.session.set_out_point
        self._do(fn, t)

    def cut_mark(self) -> None:
        if self.cut_start is None:
            self.cut_start = self.playhead
            self.statusBar().showMessage(
                f"Cut starts at {fmt_time(self.playhead)}: move to where it ends and press C "
                "again (Esc cancels).", 10000)
            return
        a, b = sorted((self.cut_start, self.playhead))
        self.cut_start = None
        if b > a:
            self._do(self.session.cut, a, b)
