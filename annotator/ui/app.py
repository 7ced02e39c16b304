"""The app's main window: the library of recordings in the local workspace, Record, Demo,
and the editor for each recording."""

from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path

import cv2
import numpy as np
from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QIcon, QImage, QPixmap
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

THUMB = "cache/library-thumb.png"


def _fmt_duration(us: int | None) -> str:
    s = int((us or 0) / 1e6)
    return f"{s // 60}:{s % 60:02d}"


def library_thumbnail(folder: Path) -> np.ndarray | None:
    """A small picture of the recording's first frame, made once and kept in its cache."""
    path = folder / THUMB
    img = cv2.imread(str(path)) if path.is_file() else None
    if img is not None:
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    try:
        from annotator.media.video import VideoReader

        with VideoReader(folder / "video.mp4") as r:
            pts = r.all_pts()
            if not pts:
                return None
            f = r.frame_at(pts[min(len(pts) - 1, len(pts) // 3)])
    except (AnnotatorError, OSError):
        return None
    if f is None:
        return None
    h, w, _ = f.rgb.shape
    small = cv2.resize(f.rgb, (160, max(1, int(160 * h / w))), interpolation=cv2.INTER_AREA)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    except OSError:
        pass  # a read-only workspace: show it anyway
    return small


def _steps_count(folder: Path) -> str:
    try:
        from annotator.steps import read_steps

        doc = read_steps(folder)
    except Exception:
        return "?"
    return "—" if doc is None else str(len(doc.steps))


class LibraryWindow(QMainWindow):
    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.editors: list = []
        self.setWindowTitle("annotator — library")
        self.resize(1100, 680)
        self.record_btn = QPushButton("● Record")
        self.record_btn.setObjectName("record")
        self.record_btn.setStyleSheet("QPushButton { font-weight: bold; color: #b00000; }")
        self.demo_btn = QPushButton("Make a demo recording")
        self.demo_btn.setObjectName("demo")
        self.open_btn = QPushButton("Open in editor")
        self.open_btn.setObjectName("open")
        self.refresh_btn = QPushButton("Refresh")
        header = QHBoxLayout()
        title = QLabel(f"<b>Recordings</b> in {ws.root}")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header.addWidget(title)
        header.addStretch(1)
        for b in (self.refresh_btn, self.demo_btn, self.open_btn, self.record_btn):
            header.addWidget(b)

        self.table = QTableWidget(0, 6)
        self.table.setObjectName("library")
        self.table.setHorizontalHeaderLabels(
            ["Recording", "Date", "Duration", "Steps", "Status", "Folder"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setIconSize(QSize(160, 90))
        self.table.verticalHeader().setDefaultSectionSize(96)
        self.table.setColumnHidden(5, True)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a recording to see what it holds; "
                                        "double-click to edit it.")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setSizes([460, 180])

        central = QWidget()
        lay = QVBoxLayout(central)
        lay.addLayout(header)
        lay.addWidget(split)
        self.setCentralWidget(central)
        self.record_btn.clicked.connect(self.open_recorder)
        self.demo_btn.clicked.connect(self.make_demo)
        self.open_btn.clicked.connect(self.open_selected)
        self.refresh_btn.clicked.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._show_details)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self._control = None
        self.refresh()

    def refresh(self) -> None:
        rows = []
        for path in self.ws.recordings():
            try:
                m = read_manifest(path)
            except AnnotatorError as exc:
                rows.append((path, None, "", "", "", f"unreadable: {exc.message}"))
                continue
            started = m.get("started_utc") or ""
            try:
                started = _dt.datetime.fromisoformat(started).astimezone().strftime(
                    "%Y-%m-%d %H:%M")
            except ValueError:
                pass
            status = m.get("status", "")
            if (path / "edits.json").is_file():
                status += ", edited"
            rows.append((path, library_thumbnail(path), started,
                         _fmt_duration(m.get("duration_us")), _steps_count(path), status))
        self.table.setRowCount(len(rows))
        for r, (path, thumb, *cells) in enumerate(rows):
            item = QTableWidgetItem(path.name)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            if thumb is not None:
                h, w, _ = thumb.shape
                img = QImage(np.ascontiguousarray(thumb).data, w, h, 3 * w,
                             QImage.Format.Format_RGB888).copy()
                item.setIcon(QIcon(QPixmap.fromImage(img)))
            self.table.setItem(r, 0, item)
            for c, text in enumerate(cells, start=1):
                self.table.setItem(r, c, QTableWidgetItem(text))
            self.table.setItem(r, 5, QTableWidgetItem(str(path)))
        self.statusBar().showMessage(f"{len(rows)} recording(s)")

    def selected_path(self) -> Path | None:
        items = self.table.selectedItems()
        if not items:
            return None
        return Path(self.table.item(items[0].row(), 0).data(Qt.ItemDataRole.UserRole))

    def _show_details(self) -> None:
        path = self.selected_path()
        if path is None:
            return
        try:
            self.details.setPlainText(format_report(inspect_bundle(path)))
        except AnnotatorError as exc:
            self.details.setPlainText(str(exc))

    def open_selected(self) -> None:
        path = self.selected_path()
        if path is not None:
            self.open_editor(path)

    def open_editor(self, path: Path):
        from annotator.ui.editor.window import EditorWindow

        try:
            win = EditorWindow(path)
        except AnnotatorError as exc:
            QMessageBox.warning(self, "Cannot open this recording", str(exc))
            return None
        win.destroyed.connect(lambda *_: self.refresh())
        win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.editors.append(win)
        win.show()
        return win

    def make_demo(self):
        from annotator.ui.demo import make_demo

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            path = make_demo(self.ws)
        finally:
            QApplication.restoreOverrideCursor()
        self.refresh()
        return self.open_editor(path)

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


def _app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("annotator")
    return app


def run_app(workspace: str | None) -> int:
    ws = Workspace.open(workspace)
    app = _app()
    win = LibraryWindow(ws)
    win.show()
    return app.exec()


def run_editor(workspace: str | None, folder: Path) -> int:
    from annotator.ui.editor.window import EditorWindow

    app = _app()
    try:
        win = EditorWindow(folder)
    except AnnotatorError:
        raise
    win.show()
    return app.exec()


def run_demo(workspace: str | None) -> int:
    ws = Workspace.open(workspace)
    app = _app()
    lib = LibraryWindow(ws)
    lib.show()
    if lib.make_demo() is None:
        return 2
    return app.exec()
