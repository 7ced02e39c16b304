"""The app's main window: the library of recordings in the local workspace, and Record."""

from __future__ import annotations

import datetime as _dt
import sys

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.bundle.inspect import format_report, inspect_bundle
from annotator.bundle.schema import read_manifest
from annotator.errors import AnnotatorError
from annotator.workspace import Workspace


def _fmt_duration(us: int | None) -> str:
    s = int((us or 0) / 1e6)
    return f"{s // 60}:{s % 60:02d}"


class LibraryWindow(QMainWindow):
    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.setWindowTitle("annotator — library")
        self.resize(1000, 620)
        self.record_btn = QPushButton("● Record")
        self.record_btn.setObjectName("record")
        self.record_btn.setStyleSheet("QPushButton { font-weight: bold; color: #b00000; }")
        self.refresh_btn = QPushButton("Refresh")
        header = QHBoxLayout()
        title = QLabel(f"<b>Recordings</b> in {ws.root}")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.refresh_btn)
        header.addWidget(self.record_btn)

        self.table = QTableWidget(0, 5)
        self.table.setObjectName("library")
        self.table.setHorizontalHeaderLabels(["Recording", "Date", "Duration", "Events", "Status"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a recording to see what it holds.")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setSizes([380, 200])

        central = QWidget()
        lay = QVBoxLayout(central)
        lay.addLayout(header)
        lay.addWidget(split)
        self.setCentralWidget(central)
        self.record_btn.clicked.connect(self.open_recorder)
        self.refresh_btn.clicked.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._show_details)
        self._control = None
        self.refresh()

    def refresh(self) -> None:
        rows = []
        for path in self.ws.recordings():
            try:
                m = read_manifest(path)
            except AnnotatorError as exc:
                rows.append((path, "", "", "", f"unreadable: {exc.message}"))
                continue
            started = m.get("started_utc") or ""
            try:
                started = _dt.datetime.fromisoformat(started).astimezone().strftime(
                    "%Y-%m-%d %H:%M")
            except ValueError:
                pass
            rows.append((path, started, _fmt_duration(m.get("duration_us")),
                         str((m.get("stats") or {}).get("events", "")), m.get("status", "")))
        self.table.setRowCount(len(rows))
        for r, (path, *cells) in enumerate(rows):
            item = QTableWidgetItem(path.name)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            self.table.setItem(r, 0, item)
            for c, text in enumerate(cells, start=1):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.statusBar().showMessage(f"{len(rows)} recording(s)")

    def _show_details(self) -> None:
        items = self.table.selectedItems()
        if not items:
            return
        path = self.table.item(items[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        try:
            self.details.setPlainText(format_report(inspect_bundle(path)))
        except AnnotatorError as exc:
            self.details.setPlainText(str(exc))

    def open_recorder(self) -> None:
        from annotator.ui.recorder_control import RecorderControl

        if self._control is not None and self._control.isVisible():
            self._control.raise_()
            return
        self._control = RecorderControl(self.ws)
        self._control.finished.connect(self._recording_finished)
        self._control.show()
        geo = self._control.screen().availableGeometry()
        self._control.move(geo.right() - self._control.width() - 20, geo.top() + 20)
        self.showMinimized()

    def _recording_finished(self, manifest) -> None:
        self.showNormal()
        self.refresh()
        if manifest and manifest.get("problems"):
            QMessageBox.warning(self, "Recording saved with problems",
                                "\n".join(manifest["problems"]))


def run_app(workspace: str | None) -> int:
    ws = Workspace.open(workspace)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("annotator")
    win = LibraryWindow(ws)
    win.show()
    return app.exec()
