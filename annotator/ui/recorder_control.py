"""The small always-on-top recorder control: Start, Pause/Resume, Stop, elapsed time, an
unmistakable recording indicator, the hotkeys, and health messages.

The control leaves itself out of the recording: its geometry is handed to the recorder, which
blacks it out of every frame and drops clicks aimed at it.
"""

from __future__ import annotations

import argparse
import threading
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QObject, QRect, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from annotator.capture.interfaces import Rect
from annotator.capture.record_setup import RecordOptions
from annotator.display import clock
from annotator.errors import AnnotatorError
from annotator.workspace import CAPTURE_DISCLOSURE, RecorderLock, Workspace

if TYPE_CHECKING:  # (the recorder's modules load when recording starts)
    from annotator.capture.recorder import Recorder


class AcknowledgeDialog(QDialog):
    """Shown before the first recording on a workspace: what will be captured."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Before you record")
        lay = QVBoxLayout(self)
        title = QLabel("<b>What a recording captures</b>")
        text = QLabel(CAPTURE_DISCLOSURE)
        text.setWordWrap(True)
        lay.addWidget(title)
        lay.addWidget(text)
        buttons = QDialogButtonBox()
        ok = buttons.addButton("I understand", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setObjectName("acknowledge")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)


class _Bridge(QObject):
    """Carries recorder notifications from capture threads to the GUI thread."""

    hotkey = pyqtSignal(str)


class RecorderControl(QWidget):
    finished = pyqtSignal(object)  # the final manifest, or None if never started

    def __init__(self, workspace: Workspace, options: RecordOptions | None = None) -> None:
        super().__init__(None, Qt.WindowType.WindowStaysOnTopHint | Qt.WindowType.Tool)
        self.setWindowTitle("annotator recorder")
        self.setObjectName("recorderControl")
        self.ws = workspace
        self._opts = options or RecordOptions()
        self.recorder: Recorder | None = None
        self._lock: RecorderLock | None = None
        self._own: list[Rect] = []
        self._own_lock = threading.Lock()
        self._bridge = _Bridge()
        self._bridge.hotkey.connect(self._on_hotkey)
        self.manifest: dict[str, Any] | None = None

        self.indicator = QLabel("● READY")
        self.indicator.setObjectName("indicator")
        self.elapsed = QLabel("00:00:00")
        self.elapsed.setObjectName("elapsed")
        self.start_btn = QPushButton("Start")
        self.start_btn.setObjectName("start")
        self.pause_btn = QPushButton("Pause")
        self.pause_btn.setObjectName("pause")
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setObjectName("stop")
        self.pause_btn.setEnabled(False)
        self.stop_btn.setEnabled(False)
        from annotator.capture.record_setup import HOTKEY_PAUSE, HOTKEY_STOP, hotkey_label

        self.hotkeys = QLabel(f"Pause/resume: {hotkey_label(HOTKEY_PAUSE)}   "
                              f"Stop: {hotkey_label(HOTKEY_STOP)}")
        self.hotkeys.setObjectName("hotkeys")
        self.message = QLabel("Nothing is captured until you press Start.")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.indicator)
        top.addStretch(1)
        top.addWidget(self.elapsed)
        buttons = QHBoxLayout()
        for b in (self.start_btn, self.pause_btn, self.stop_btn):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(buttons)
        lay.addWidget(self.hotkeys)
        lay.addWidget(self.message)
        self.setMinimumWidth(360)
        self._style("idle")

        self.start_btn.clicked.connect(self.start)
        self.pause_btn.clicked.connect(self.toggle_pause)
        self.stop_btn.clicked.connect(self.stop)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._refresh)
        self._timer.start(200)

    # -- own geometry, read by the recorder's threads --------------------------------------
    def _update_own(self) -> None:
        g: QRect = self.frameGeometry()
        with self._own_lock:
            self._own = [Rect(g.x(), g.y(), g.width(), g.height())] if self.isVisible() else []

    def own_windows(self) -> list[Rect]:
        with self._own_lock:
            return list(self._own)

    def moveEvent(self, ev) -> None:  # noqa: N802 (Qt API)
        self._update_own()
        super().moveEvent(ev)

    def resizeEvent(self, ev) -> None:  # noqa: N802
        self._update_own()
        super().resizeEvent(ev)

    def showEvent(self, ev) -> None:  # noqa: N802
        self._update_own()
        super().showEvent(ev)

    # -- actions -----------------------------------------------------------------------------
    def start(self) -> bool:
        if self.recorder is not None:
            return False
        ack = self.ws.acknowledgement()
        if ack is None:
            dlg = AcknowledgeDialog(self)
            if dlg.exec() != QDialog.DialogCode.Accepted:
                self._say("Recording was not started: nothing was captured.")
                return False
            ack = self.ws.acknowledge("recorder window")
        try:
            from annotator.capture.platform import require_x11
            from annotator.capture.recorder import Recorder

            require_x11()
            config = self._opts.config(self.ws, ack)
            self._lock = self.ws.lock_recorder()
            self._lock.acquire()
            self._update_own()
            self.recorder = Recorder(config, own_windows=self.own_windows,
                                     on_hotkey=self._bridge.hotkey.emit)
            self.recorder.start()
        except AnnotatorError as exc:
            if self._lock is not None:
                self._lock.release()
                self._lock = None
            self.recorder = None
            self._say(str(exc))
            QMessageBox.warning(self, "Cannot record", str(exc))
            return False
        self.out = config.out_dir
        self.start_btn.setEnabled(False)
        self.pause_btn.setEnabled(True)
        self.stop_btn.setEnabled(True)
        self._say(f"Recording to {config.out_dir.name}")
        self._refresh()
        return True

    def toggle_pause(self) -> None:
        if self.recorder is not None:
            self.recorder.toggle_pause()
            self._refresh()

    def stop(self) -> None:
        if self.recorder is None or self.manifest is not None:
            return
        try:
            self.manifest = self.recorder.stop("stopped by you")
        except AnnotatorError as exc:
            QMessageBox.critical(self, "Recording not finalized", str(exc))
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None
        self._finish()

    def _finish(self) -> None:
        self._timer.stop()
        self._style("stopped")
        self.indicator.setText("■ SAVED")
        self.pause_btn.setEnabled(False)
        self.stop_btn.setEnabled(False)
        self.start_btn.setText("Close")
        self.start_btn.setEnabled(True)
        self.start_btn.clicked.disconnect()
        self.start_btn.clicked.connect(self.close)
        m: dict[str, Any] = self.manifest or {}
        stats = m.get("stats", {})
        lines = [f"Saved {getattr(self, 'out', '')}: {m.get('duration_us', 0) / 1e6:.1f} s, "
                 f"{stats.get('events', 0)} events ({m.get('stop_reason')})."]
        lines += [f"Problem: {p}" for p in m.get("problems", [])]
        self._say("\n".join(lines))
        self.finished.emit(self.manifest)

    def _on_hotkey(self, action: str) -> None:
        # For "stop", the recorder has asked to stop: _refresh sees it and finalizes.
        self._refresh()

    # -- display -----------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        if text != self.message.text():
            self.message.setText(text)
            self.adjustSize()  # grow with the message: a health warning must not be clipped

    def _style(self, state: str) -> None:
        colours = {"idle": "#555", "recording": "#d00000", "paused": "#c77700",
                   "stopped": "#2a7a2a"}
        self.indicator.setStyleSheet(
            f"QLabel {{ color: white; background: {colours[state]}; font-weight: bold; "
            f"padding: 4px 10px; border-radius: 4px; }}")

    def _refresh(self) -> None:
        rec = self.recorder
        if rec is None:
            return
        st = rec.status()
        self.elapsed.setText(clock(st.elapsed_s))
        if st.state == "recording":
            self._style("recording")
            self.indicator.setText("● RECORDING")
            self.pause_btn.setText("Pause")
        elif st.state == "paused":
            self._style("paused")
            self.indicator.setText("❚❚ PAUSED")
            self.pause_btn.setText("Resume")
        if st.state in ("recording", "paused"):
            msgs = []
            if st.state == "paused":
                msgs.append(f"Paused: {st.pause_reason}. Nothing is captured.")
            msgs += [f"⚠ {p}" for p in st.problems]
            self._say("\n".join(msgs) or f"Recording to {self.out.name}")
        if rec.wait(0) and self.manifest is None:
            # Stopped by the hotkey, the duration, a full disk...
            try:
                self.manifest = rec.stop(st.stop_reason or "stopped")
            finally:
                if self._lock is not None:
                    self._lock.release()
                    self._lock = None
            self._finish()

    def closeEvent(self, ev) -> None:  # noqa: N802
        if self.recorder is not None and self.manifest is None:
            self.stop()
        super().closeEvent(ev)


def run_recorder_control(ws: Workspace, args: argparse.Namespace) -> int:
    app = QApplication.instance() or QApplication(["annotator"])
    ctl = RecorderControl(ws, RecordOptions.from_args(args))
    if args.yes and ws.acknowledgement() is None:
        ws.acknowledge("cli --yes")
    ctl.show()
    ctl.move(ctl.screen().availableGeometry().right() - ctl.width() - 20, 20)
    return app.exec()
