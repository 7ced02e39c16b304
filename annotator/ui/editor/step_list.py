"""The editor's step list: a model over the session's steps, a painting delegate, a view.

A list of 2,000 steps must lay out in milliseconds, so nothing here is per row: the model
answers for the rows the view asks about (the visible ones), every row has the same height
(``setUniformItemSizes``: the view never measures rows), text is made on first request and
kept until the next refresh, and thumbnails are read from the frame cache by a background
thread for the rows actually painted.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from pathlib import Path

from PyQt6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPointF,
    QRect,
    QSize,
    Qt,
    pyqtSignal,
)
from PyQt6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPalette, QPixmap
from PyQt6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from annotator.drafts.markers import step_markers
from annotator.media.framecache import thumb_path
from annotator.ui.markers import paint_markers
from annotator.ui.work import worker_thread

THUMB_W, THUMB_H = 128, 72
ROW_H = THUMB_H + 8
STEP_ID_ROLE = Qt.ItemDataRole.UserRole
STEP_ROLE = Qt.ItemDataRole.UserRole + 1  # the result step itself
OBS_ROLE = Qt.ItemDataRole.UserRole + 2  # pts of the step's observation frame, or None


class ThumbLoader(QObject):
    """Reads thumbnails from the frame cache on a worker thread, newest request first.

    QImage may be loaded off the GUI thread; the QPixmaps are made on the GUI thread when a
    batch arrives (one signal and one repaint for all the rows a scroll uncovered).  Missing
    files are remembered (until ``forget_missing``) so that rows painted again and again do
    not ask again.  While the window waits for a video frame (``hold``), thumbnails wait:
    on two cores they would slow the frame the user asked for by half."""

    loaded = pyqtSignal(list)  # [(pts, QImage)]
    HOLD_MAX_S = 0.5  # never wait longer than this for a frame that does not come

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self._cv = threading.Condition()
        self._queue: list[int] = []
        self._queued: set[int] = set()
        self.missing: set[int] = set()
        self._stop = False
        self._hold_until = 0.0
        self._thread: threading.Thread | None = None

    def request(self, pts: int) -> None:
        with self._cv:
            if pts in self._queued or pts in self.missing:
                return
            self._queue.append(pts)
            self._queued.add(pts)
            if self._thread is None:  # started on first use: no thread for an empty list
                self._thread = worker_thread(self._run, "annotator-thumbs")
            self._cv.notify()

    def hold(self) -> None:
        with self._cv:
            self._hold_until = time.monotonic() + self.HOLD_MAX_S

    def release(self) -> None:
        with self._cv:
            self._hold_until = 0.0
            self._cv.notify()

    def forget_missing(self) -> None:
        with self._cv:
            self.missing.clear()

    def close(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stop:
                    wait = self._hold_until - time.monotonic()
                    if wait <= 0 and self._queue:
                        break
                    self._cv.wait(wait if wait > 0 else None)
                if self._stop:
                    return
                batch = self._queue[::-1][:64]  # the latest requests: the rows on screen now
                del self._queue[-len(batch):]
            done = []
            for pts in batch:
                path = thumb_path(self.folder, pts)
                img = QImage(str(path)) if path.is_file() else QImage()
                done.append((pts, img))
            with self._cv:
                for pts, img in done:
                    self._queued.discard(pts)
                    if img.isNull():
                        self.missing.add(pts)
            found = [(pts, img) for pts, img in done if not img.isNull()]
            if found:
                self.loaded.emit(found)


class StepListModel(QAbstractListModel):
    """Rows are the steps shown (all, or the kept ones in preview); ``sources`` maps a
    derived step id to the derived step (for its summary and observation frame)."""

    MAX_THUMBS = 600  # ~37 KB each at 128x72: about 22 MB at most

    def __init__(self, folder: Path, summary, parent=None) -> None:
        super().__init__(parent)
        self._summary = summary
        self.steps: list = []
        self._sources: dict = {}
        self._row_of: dict[str, int] = {}
        self._text: dict[int, str] = {}
        self._rows_of_pts: dict[int, list[int]] = {}
        self.thumbs: OrderedDict[int, QPixmap] = OrderedDict()
        # Thumbnails with their step's markers drawn on, made once per frame and markers:
        # a row repainted (every seek scrolls the list) then costs one copy, with markers
        # and a draft's target box or without.
        self._marked: OrderedDict[tuple, QPixmap] = OrderedDict()
        self._markers: dict[str, tuple] = {}  # step id -> its markers, until it changes
        self.drafts: dict = {}  # step id -> annotator.drafts.Draft (proposals, not labels)
        self.drafting = True  # the drafter has steps left to do
        self.frame_size: tuple[int, int] | None = None  # for markers on thumbnails
        self.show_markers = True
        self.loader = ThumbLoader(folder)
        self.loader.loaded.connect(self._thumb_loaded)

    # -- filling ----------------------------------------------------------------------------
    def set_steps(self, steps: list, sources: dict) -> bool:
        """Show these steps.  Same ids in the same order (a label, a flag, a trim): the rows
        are only repainted.  Returns True if the rows changed (a reset)."""
        ids = [s.id for s in steps]
        same = len(ids) == len(self.steps) and all(
            a == b.id for a, b in zip(ids, self.steps, strict=True))
        self._markers.clear()
        if same:
            self.steps = list(steps)
            self._sources = sources
            self._text.clear()
            if self.steps:
                self.dataChanged.emit(self.index(0), self.index(len(self.steps) - 1))
            return False
        self.beginResetModel()
        self.steps = list(steps)
        self._sources = sources
        self._row_of = {sid: i for i, sid in enumerate(ids)}
        self._text.clear()
        self._rows_of_pts = {}
        for i, s in enumerate(self.steps):
            pts = self._obs(s)
            if pts is not None:
                self._rows_of_pts.setdefault(pts, []).append(i)
        self.endResetModel()
        return True

    def markers_of(self, s) -> tuple:
        """Markers of a row's step over its thumbnail (its draft's target box if known)."""
        out = self._markers.get(s.id)
        if out is None:
            d = self.drafts.get(s.id)
            box = d.target.box if d is not None and d.target is not None else None
            out = self._markers[s.id] = tuple(m for src in s.sources
                                              for m in step_markers(src, box))
        return out

    def row_thumb(self, s) -> QPixmap | None:
        """The row's thumbnail as painted: with its markers on it (made once)."""
        pts = self._obs(s)
        pm = self.thumb(pts)
        if pm is None or pm.isNull() or not self.show_markers or not self.frame_size:
            return pm
        markers = self.markers_of(s)
        if not markers:
            return pm
        key = (pts, markers)
        out = self._marked.get(key)
        if out is not None:
            self._marked.move_to_end(key)
            return out
        size = pm.size().scaled(QSize(THUMB_W, THUMB_H), Qt.AspectRatioMode.KeepAspectRatio)
        out = QPixmap(size)
        p = QPainter(out)
        p.drawPixmap(out.rect(), pm)
        paint_markers(p, markers, QPointF(0, 0), size.width() / self.frame_size[0],
                      small=True)
        p.end()
        self._marked[key] = out
        while len(self._marked) > self.MAX_THUMBS // 2:
            self._marked.popitem(last=False)
        return out

    def drafts_changed(self, ids: list[str]) -> None:
        """New drafts for these steps (all rows when empty): repaint them."""
        rows = [self._row_of[i] for i in ids if i in self._row_of] if ids else \
            list(range(len(self.steps)))
        for r in rows:
            self._text.pop(r, None)
            self._markers.pop(self.steps[r].id, None)
        if rows:
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)))

    def row_of(self, step_id: str | None) -> int:
        return self._row_of.get(step_id, -1) if step_id is not None else -1

    def _source(self, s):
        ids = s.source_ids
        return self._sources.get(ids[0]) if ids else None

    def _obs(self, s) -> int | None:
        src = self._source(s)
        return int(src.obs_pts) if src is not None and src.obs_pts is not None else None

    def text(self, row: int) -> str:
        """The row's text: number and summary, the instruction on a second line, flags."""
        t = self._text.get(row)
        if t is None:
            s = self.steps[row]
            n = f"{s.index + 1}. " if s.index is not None else "– "
            t = n + self._summary(s, self._source(s))
            d = self.drafts.get(s.id)
            if s.label.instruction:
                t += f"\n    {s.label.instruction}"
            elif d is not None and d.text:
                t += f"\n    Draft{' (weak)' if d.weak else ''}: {d.text}"
            flags = self.flags_of(s)
            if flags:
                t += f"   [{', '.join(flags)}]"
            self._text[row] = t
        return t

    @staticmethod
    def flags_of(s) -> list[str]:
        flags = [f for f, on in (("mistake", s.label.mistake),
                                 ("redundant", s.label.redundant),
                                 ("merged", getattr(s, "merged", False))) if on]
        if not s.kept:
            flags.append(s.status)
        return flags

    # -- thumbnails -------------------------------------------------------------------------
    def thumb(self, pts: int | None) -> QPixmap | None:
        if pts is None:
            return None
        pm = self.thumbs.get(pts)
        if pm is None:
            self.loader.request(pts)
            return None
        self.thumbs.move_to_end(pts)
        return pm

    def _thumb_loaded(self, batch: list) -> None:
        rows = []
        for pts, img in batch:
            self.thumbs[pts] = QPixmap.fromImage(img)
            rows.extend(self._rows_of_pts.get(pts, ()))
        while len(self.thumbs) > self.MAX_THUMBS:
            self.thumbs.popitem(last=False)
        if rows:
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)),
                                  [Qt.ItemDataRole.DecorationRole])

    def thumbs_may_have_appeared(self) -> None:
        """The frame cache wrote more thumbnails: rows without one may ask again."""
        self.loader.forget_missing()
        if self.steps:
            self.dataChanged.emit(self.index(0), self.index(len(self.steps) - 1),
                                  [Qt.ItemDataRole.DecorationRole])

    # -- the model API ------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 (Qt API)
        return 0 if parent.isValid() else len(self.steps)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        row = index.row()
        if not index.isValid() or row >= len(self.steps):
            return None
        s = self.steps[row]
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.AccessibleTextRole:
            return self.text(row)
        if role == STEP_ID_ROLE:
            return s.id
        if role == STEP_ROLE:
            return s
        if role == OBS_ROLE:
            return self._obs(s)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumb(self._obs(s))
        if role == Qt.ItemDataRole.ForegroundRole and not s.kept:
            return QColor(Qt.GlobalColor.gray)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = self.text(row)
            if s.label.thought:
                tip += f"\nWhy: {s.label.thought}"
            return tip
        return None


class StepDelegate(QStyledItemDelegate):
    """One fixed-height row: thumbnail, "N. summary" in bold, the instruction (or a grey
    hint that there is none yet) and flags as small coloured tags."""

    FLAG_COLOURS = {"mistake": QColor(200, 60, 50), "redundant": QColor(170, 120, 20),
                    "merged": QColor(70, 100, 160), "draft · A accepts": QColor(52, 101, 164),
                    "weak draft · check": QColor(196, 120, 0)}  # statuses: grey
    DRAFT_COLOUR = QColor(52, 101, 164)
    WEAK_COLOUR = QColor(176, 104, 0)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._fonts: tuple[str, QFont, QFont, QFont, QFont] | None = None
        # Elided lines per (font, width, text): eliding is much of a row's painting cost.
        self._elided: dict[tuple[str, int, str], str] = {}
        self._pills: dict[tuple[str, str, float], QPixmap] = {}

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 (Qt API)
        return QSize(THUMB_W + 200, ROW_H)

    def _fonts_for(self, base: QFont) -> tuple[QFont, QFont, QFont, QFont]:
        key = base.key()
        if self._fonts is None or self._fonts[0] != key:
            bold, italic, small = QFont(base), QFont(base), QFont(base)
            bold.setBold(True)
            italic.setItalic(True)
            small.setPointSizeF(max(6.0, base.pointSizeF() * 0.85))
            self._fonts = (key, QFont(base), bold, italic, small)
            self._elided.clear()
        return self._fonts[1:]

    def _elide(self, p: QPainter, text: str, width: int) -> str:
        key = (p.font().key(), width, text)
        out = self._elided.get(key)
        if out is None:
            if len(self._elided) > 4000:
                self._elided.clear()
            out = self._elided[key] = p.fontMetrics().elidedText(
                text, Qt.TextElideMode.ElideRight, width)
        return out

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        model: StepListModel = index.model()
        row = index.row()
        if row >= len(model.steps):
            return
        s = model.steps[row]
        normal, bold, italic, small = self._fonts_for(option.font)
        style = option.widget.style() if option.widget is not None else None
        if style is not None:  # background, selection and focus as the platform draws them
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, p,
                                option.widget)
        r = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        fg = option.palette.color(QPalette.ColorRole.HighlightedText if selected
                                  else QPalette.ColorRole.Text)
        if not s.kept and not selected:
            fg = QColor(Qt.GlobalColor.gray)
        thumb_rect = QRect(r.left() + 4, r.top() + 4, THUMB_W, THUMB_H)
        pm = model.row_thumb(s)  # (its markers drawn on it)
        if pm is not None and not pm.isNull():
            sz = pm.size().scaled(thumb_rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
            drawn = QRect(thumb_rect.left(), thumb_rect.top() + (THUMB_H - sz.height()) // 2,
                          sz.width(), sz.height())
            p.drawPixmap(drawn, pm)
        else:
            p.fillRect(thumb_rect, QColor(60, 62, 68))
        x = thumb_rect.right() + 10
        w = r.right() - x - 4
        first = model.text(row).partition("\n")[0].split("   [", 1)[0]
        p.save()
        p.setFont(bold)
        p.setPen(fg)
        line_h = p.fontMetrics().height()
        y = r.top() + 6
        p.drawText(QRect(x, y, w, line_h), Qt.AlignmentFlag.AlignLeft,
                   self._elide(p, first, w))
        y += line_h + 2
        instruction = s.label.instruction
        draft = model.drafts.get(s.id) if not instruction else None
        tags: list[str] = []
        if instruction:
            p.setFont(normal)
            line = instruction
        elif draft is not None and draft.text:
            # A proposal, not the contributor's text: italic, in the draft colour, tagged.
            p.setFont(italic)
            if not selected:
                p.setPen(self.WEAK_COLOUR if draft.weak else self.DRAFT_COLOUR)
            line = draft.text
            tags.append("weak draft · check" if draft.weak else "draft · A accepts")
        else:
            p.setFont(italic)
            if not selected:
                p.setPen(QColor(140, 140, 140))
            line = "Drafting…" if model.drafting and s.kept else \
                "No instruction yet (Enter to write one)"
        p.drawText(QRect(x, y, w, line_h), Qt.AlignmentFlag.AlignLeft, self._elide(p, line, w))
        y += line_h + 4
        for flag in tags + StepListModel.flags_of(s):
            pill = self._pill(flag, small, p.device().devicePixelRatioF())
            p.drawPixmap(x, y, pill)
            x += round(pill.deviceIndependentSize().width()) + 4  # (HiDPI: not pixels)
        p.restore()

    def _pill(self, flag: str, font: QFont, dpr: float) -> QPixmap:
        """A flag's tag, drawn once per font: a draft's tag costs a row one copy."""
        key = (font.key(), flag, dpr)
        pill = self._pills.get(key)
        if pill is None:
            fm = QFontMetrics(font)
            rect = QRect(0, 0, fm.horizontalAdvance(flag) + 10, fm.height() + 2)
            pill = QPixmap(rect.size() * dpr)
            pill.setDevicePixelRatio(dpr)
            pill.fill(Qt.GlobalColor.transparent)
            p = QPainter(pill)
            p.setFont(font)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(self.FLAG_COLOURS.get(flag, QColor(120, 120, 120)))
            p.drawRoundedRect(rect, 3, 3)
            p.setPen(QColor(255, 255, 255))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, flag)
            p.end()
            self._pills[key] = pill
        return pill


class StepListView(QListView):
    """The list widget the window uses, with the few conveniences of a QListWidget it
    relies on (count, current row by number, a row's step id and text)."""

    current_step_changed = pyqtSignal(int)  # row, -1 for none

    def __init__(self, model: StepListModel, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("steps")
        self.setModel(model)
        self.setItemDelegate(StepDelegate(self))
        self.setUniformItemSizes(True)  # the view never measures rows: O(1) layout
        self.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.setIconSize(QSize(THUMB_W, THUMB_H))
        self.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self.current_step_changed.emit(cur.row() if cur.isValid()
                                                              else -1))

    def step_model(self) -> StepListModel:
        return self.model()

    def count(self) -> int:
        return self.model().rowCount()

    def currentRow(self) -> int:  # noqa: N802 (as QListWidget)
        idx = self.currentIndex()
        return idx.row() if idx.isValid() else -1

    def setCurrentRow(self, row: int) -> None:  # noqa: N802 (as QListWidget)
        if row < 0 or row >= self.count():
            self.selectionModel().clearCurrentIndex()
            self.clearSelection()
            return
        self.setCurrentIndex(self.model().index(row))

    def step_id(self, row: int) -> str:
        return self.model().steps[row].id

    def text(self, row: int) -> str:
        return self.model().text(row)
