"""Playback of a rendered submission: the video with its steps and labels, read-only.

The package's files come out of the store (``Services.open_file``) into a private temporary
folder on a worker thread; frames are decoded by the editor's ``FrameLoader`` (its own
thread) and drawn by its ``VideoView``.  Nothing here can change the submission.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
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
from annotator.media.video import VideoReader
from annotator.ui.editor.frames import FrameLoader
from annotator.ui.editor.video_view import VideoView
from annotator.ui.workflow.common import run_job
from annotator.workflow.contract import Actor, SubmissionId, WorkflowServices

PLAYBACK_FILES = ("video.mp4", "steps.json", "task.json")
MARKER_AFTER_US = 400_000  # a step's markers stay this long after it ended


@dataclass
class StepRow:
    index: int
    id: str | None
    t_us: int | None
    kind: str
    instruction: str
    text: str
    flags: list[str] = field(default_factory=list)
    thought: str = ""
    origin: str = ""  # drafted (an accepted draft), edited (a reworked draft), written
    end_us: int | None = None  # when the action ended, on the rendered video's clock
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the package step

    def line(self) -> str:
        t = f"{duration(self.t_us)}  " if self.t_us is not None else ""
        what = self.instruction or "(no instruction)"
        tags = ([self.origin] if self.origin else []) + self.flags
        extra = f"  [{', '.join(tags)}]" if tags else ""
        detail = f" — {self.kind}" + (f" “{self.text}”" if self.text else "")
        return f"{self.index + 1}. {t}{what}{detail}{extra}"


def _int(v: Any) -> int | None:
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def parse_steps(data: Any) -> list[StepRow]:
    """The kept steps of a package's steps.json, tolerant of extra or missing keys (the file
    is the contributor's; a reviewer must still see what is there)."""
    steps = data.get("steps") if isinstance(data, dict) else data
    rows: list[StepRow] = []
    for i, s in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(s, dict):
            continue
        labels = s.get("labels") if isinstance(s.get("labels"), dict) else {}
        # The frame the contributor saw before acting (the package's observation), else
        # the step's start, on the rendered video's clock.
        obs = s.get("observation") if isinstance(s.get("observation"), dict) else {}
        t = _int(obs.get("t_us"))
        for key in ("t_us", "t_start_us", "start_us"):
            if t is None:
                t = _int(s.get(key))
        flags = [k for k in ("mistake", "redundant") if s.get(k) or labels.get(k)]
        source = s.get("text_source") if isinstance(s.get("text_source"), dict) else {}
        origin = str(source.get("low_level_instruction") or "")
        if not origin and (s.get("instruction") or labels.get("instruction")):
            origin = "written"  # packages made before drafts
        rows.append(StepRow(
            index=_int(s.get("index")) if _int(s.get("index")) is not None else i,
            id=s.get("id") if isinstance(s.get("id"), str) else None,
            t_us=t,
            kind=str(s.get("type") or s.get("action") or ""),
            instruction=str(s.get("instruction") or labels.get("instruction") or ""),
            text=str(s.get("text") or "")[:60],
            flags=flags,
            thought=str(s.get("thought") or labels.get("thought") or ""),
            origin=origin,
            end_us=_int(s.get("t_end_us")),
            raw=s,
        ))
    return rows


def extract_package(services: WorkflowServices, actor: Actor, submission_id: SubmissionId, out: Path,
                    paths: tuple[str, ...] = PLAYBACK_FILES) -> dict[str, Any]:
    """Copy the files needed for playback out of the store (worker thread)."""
    detail = services.get_submission(actor=actor, submission_id=submission_id)
    have = {f.path for f in detail.files}
    result: dict[str, Any] = {"detail": detail, "folder": out, "video": None, "steps": [],
                              "task": {}}
    out.mkdir(parents=True, exist_ok=True)
    for p in paths:
        if p not in have:
            continue
        with services.open_file(actor=actor, submission_id=submission_id, path=p) as src, \
                open(out / p, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    if (out / "video.mp4").is_file():
        result["video"] = out / "video.mp4"
    for name, key in (("steps.json", "steps"), ("task.json", "task")):
        try:
            data = json.loads((out / name).read_text("utf-8"))
        except (OSError, ValueError):
            continue
        result[key] = parse_steps(data) if key == "steps" else data
    if result["video"] is not None:
        try:
            with VideoReader(result["video"]) as r:
                result["pts"] = r.all_pts()
        except Exception as exc:  # noqa: BLE001 (a damaged video: say so, show the rest)
            result["video_error"] = str(exc)
    return result


class Player(QWidget):
    """A video view with play/pause, a position slider and the time."""

    position_changed = pyqtSignal("qint64")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = VideoView()
        self.view.message = "No video loaded"
        self.view.setMinimumSize(400, 225)
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
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._job = None
        self._serial = 0

    def load(self, services: WorkflowServices, actor: Actor, submission_id: SubmissionId) -> None:
        self._serial += 1
        serial = self._serial
        self.player.clear("Loading the rendered submission…")
        self.steps.clear()
        self.rows = []
        if self._tmp is not None:
            self._tmp.cleanup()
        self._tmp = tempfile.TemporaryDirectory(prefix="annotator-review-")
        out = Path(self._tmp.name) / str(submission_id)
        self._job = run_job(extract_package, services, actor, submission_id, out, owner=self,
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
        info = result["detail"].info
        if result.get("video") is not None and result.get("pts"):
            self.player.load(result["video"], result["pts"], info.duration_us)
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
        if 0 <= row < len(self.rows) and self.rows[row].t_us is not None:
            self.player.seek(self.rows[row].t_us)

    def selected_step(self) -> StepRow | None:
        row = self.steps.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def unload(self) -> None:
        self._serial += 1
        self.player.clear()
        self.steps.clear()
        self.rows = []
        self.result = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
