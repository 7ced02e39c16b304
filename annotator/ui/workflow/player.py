"""Playback of a rendered submission: the video with its steps and labels, read-only.

The package's files come out of the store into a private temporary folder
(``annotator.submission.playback.extract_package``, run by the UI's runner); frames are
decoded by the editor's ``FrameLoader`` and drawn by its ``VideoView``.  Nothing here can
change the submission.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from annotator.display import duration
from annotator.drafts.markers import step_markers
from annotator.submission.playback import (
    PlaybackFolders,
    StepRow,
    extract_blind_package,
    extract_package,
)
from annotator.ui.editor.frames import FrameLoader
from annotator.ui.editor.video_view import VideoView
from annotator.ui.work import Job, run_job
from annotator.workflow.contract import Actor, SubmissionId, WorkflowServices

MARKER_AFTER_US = 400_000  # a step's markers stay this long after it ended


class Player(QWidget):
    """A video view with play/pause, a position slider and the time."""

    position_changed = pyqtSignal("qint64")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = VideoView()
        self.view.message = "No video loaded"
        self.view.setMinimumSize(288, 162)  # 16:9; a short screen also holds the queue above
        self.play_btn = QPushButton("▶")
        self.play_btn.setObjectName("play")
        self.play_btn.setFixedWidth(40)
        self.play_btn.setToolTip("Play / pause (Space)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("position")
        self.time = QLabel("0:00.0 / 0:00.0")
        row = QHBoxLayout()
        row.addWidget(self.play_btn)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view, 1)
        lay.addLayout(row)
        self.loader: FrameLoader | None = None
        self.pts: list[int] = []
        self.position = 0
        self.duration_us = 0
        self.playing = False
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(33)
        self._timer.timeout.connect(self._tick)
        self.play_btn.clicked.connect(self.toggle)
        self.slider.valueChanged.connect(self._slid)

    def clear(self, message: str = "No video loaded") -> None:
        self.stop()
        if self.loader is not None:
            self.loader.close()
            self.loader = None
        self.pts = []
        self.duration_us = 0
        self.view.rgb = None
        self.view._image = None
        self.view.message = message
        self.view.update()
        self.time.setText("0:00.0 / 0:00.0")

    def load(self, video: Path, pts: list[int], duration_us: int | None = None) -> None:
        self.clear("Loading…")
        self.pts = pts
        self.duration_us = max(duration_us or 0, pts[-1] if pts else 0)
        self.loader = FrameLoader(video.parent, video)
        self.loader.frame_ready.connect(self._on_frame)
        self.loader.failed.connect(self._on_failed)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(1, self.duration_us // 1000))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.seek(pts[0] if pts else 0)

    def _on_failed(self, msg: str) -> None:
        self.view.message = f"The video cannot be played: {msg}"
        self.view.update()

    def _on_frame(self, _req: int, pts: int, rgb: Any) -> None:
        self.view.show_frame(pts, rgb)

    def seek(self, t_us: int) -> None:
        self.position = max(0, min(int(t_us), self.duration_us))
        if self.loader is not None:
            self.loader.request(self.position)
        self.slider.blockSignals(True)
        self.slider.setValue(self.position // 1000)
        self.slider.blockSignals(False)
        self.time.setText(f"{duration(self.position)} / {duration(self.duration_us)}")
        self.position_changed.emit(self.position)

    def _slid(self, ms: int) -> None:
        self.seek(ms * 1000)

    def toggle(self) -> None:
        if self.playing:
            self.stop()
        elif self.loader is not None:
            if self.position >= self.duration_us:
                self.seek(0)
            self.playing = True
            self._last = time.monotonic()
            self.play_btn.setText("❚❚")
            self._timer.start()

    def stop(self) -> None:
        self.playing = False
        self._timer.stop()
        self.play_btn.setText("▶")

    def _tick(self) -> None:
        now = time.monotonic()
        step = int((now - self._last) * 1e6)
        self._last = now
        if self.position + step >= self.duration_us:
            self.seek(self.duration_us)
            self.stop()
        else:
            self.seek(self.position + step)

    def closeEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        self.clear()
        super().closeEvent(ev)


class SubmissionPlayback(QWidget):
    """Player + the read-only step list of one submission, loaded from the store."""

    loaded = pyqtSignal(object)  # the extract_package result
    failed = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = Player()
        self.steps = QListWidget()
        self.steps.setObjectName("steps")
        self.steps.setAlternatingRowColors(True)
        self.steps.setWordWrap(True)
        self.steps.currentRowChanged.connect(self._step_selected)
        self.player.position_changed.connect(self._show_markers)
        self.rows: list[StepRow] = []
        self.result: dict[str, Any] | None = None
        self._folders = PlaybackFolders()
        self._job: Job | None = None
        self._serial = 0

    def load(self, services: WorkflowServices, actor: Actor, submission_id: SubmissionId) -> None:
        self._start(extract_package, services, actor, submission_id,
                    self._folders.next(submission_id))

    def load_blind(self, services: WorkflowServices, actor: Actor, review_id: int) -> None:
        """One of the reviewer's blind reviews (``extract_blind_package``)."""
        self._start(extract_blind_package, services, actor, review_id,
                    self._folders.next(review_id))

    def _start(self, extract: Any, *args: Any) -> None:
        self._serial += 1
        serial = self._serial
        self.player.clear("Loading the rendered submission…")
        self.steps.clear()
        self.rows = []
        self._job = run_job(extract, *args, owner=self,
                            on_done=lambda r: self._done(serial, r),
                            on_error=lambda e: self._error(serial, e))

    def _done(self, serial: int, result: dict[str, Any]) -> None:
        if serial != self._serial:
            return  # another submission was selected meanwhile
        self.result = result
        self.rows = result["steps"]
        for row in self.rows:
            item = QListWidgetItem(row.line())
            item.setData(Qt.ItemDataRole.UserRole, row.index)
            if row.thought:
                item.setToolTip(f"Thought: {row.thought}")
            self.steps.addItem(item)
        detail = result.get("detail")
        if result.get("video") is not None and result.get("pts"):
            self.player.load(result["video"], result["pts"],
                             detail.info.duration_us if detail is not None else None)
        else:
            self.player.clear(result.get("video_error") and
                              f"The video cannot be played: {result['video_error']}"
                              or "This submission has no playable video.")
        self.loaded.emit(result)

    def _error(self, serial: int, exc: BaseException) -> None:
        if serial != self._serial:
            return
        from annotator.ui.workflow.common import error_text

        self.player.clear("Could not load this submission.")
        self.failed.emit(error_text(exc))

    def _show_markers(self, t_us: int) -> None:
        """Where the steps around the position acted (their clicks, targets, drags)."""
        selected = self.steps.currentRow()
        shown = []
        for i, r in enumerate(self.rows):
            start = r.t_us if r.t_us is not None else None
            end = r.end_us if r.end_us is not None else start
            if start is None or end is None:
                continue
            if start <= t_us <= end + MARKER_AFTER_US:
                shown.append((step_markers(r.raw), i == selected))
        if shown and not any(strong for _m, strong in shown):
            shown = [(m, True) for m, _s in shown]
        self.player.view.set_markers([x for x in shown if x[0]])

    def _step_selected(self, row: int) -> None:
        t_us = self.rows[row].t_us if 0 <= row < len(self.rows) else None
        if t_us is not None:
            self.player.seek(t_us)

    def selected_step(self) -> StepRow | None:
        row = self.steps.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def unload(self) -> None:
        self._serial += 1
        self.player.clear()
        self.steps.clear()
        self.rows = []
        self.result = None
        self._folders.close()
