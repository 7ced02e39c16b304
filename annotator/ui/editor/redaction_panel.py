"""The redaction panel: the recording's redactions and the automatic suggestions.

Redactions: every box and mask, with its time range; buttons set a box's range from the
playhead or the selected step, or to the whole recording, fit a box to the text under it
("Snap to text"), and remove it.  Suggestions: found offline (OCR and detectors) in the
background, each to accept or reject, or all at once.  Leak check: what the last render
left readable (pieces of hidden values next to a box, secrets, redacted strings), each to
fix (grow the box) or accept as not sensitive.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from annotator.display import duration


def fmt(us: int) -> str:
    return duration(us, places=2)


def describe(r: dict) -> str:
    kind = r.get("kind")
    if kind == "box":
        where = "whole frame" if r["rect"] == "full" else "box {}×{} at ({}, {})".format(
            r["rect"][2], r["rect"][3], r["rect"][0], r["rect"][1])
        src = f" — {r.get('detector') or 'suggested'}" if r.get("source") == "suggestion" else ""
        return f"■ {where}, {fmt(r['t_start_us'])}–{fmt(r['t_end_us'])}{src}"
    if kind == "text":
        return f"✎ typed text of a step, characters {r['start']}–{r['end']} → {r['placeholder']}"
    if kind == "title":
        return "✎ window title → <redacted>"
    if kind == "keys":
        return "✎ keys of a step → <redacted>"
    if kind == "allow":
        det = r.get("detector") or "*"
        what = "any detector" if det == "*" else det
        return f"✓ accepted as not sensitive ({what}): {r.get('text', '')}"
    return ""


class RedactionPanel(QWidget):
    draw_box = pyqtSignal()
    whole_frame = pyqtSignal()
    range_action = pyqtSignal(str)  # "from_playhead", "to_playhead", "whole", "from_step", "to_step"
    remove = pyqtSignal(str)
    selected = pyqtSignal(str)
    find_suggestions = pyqtSignal()
    accept = pyqtSignal(list)  # suggestion ids
    reject = pyqtSignal(list)
    snap = pyqtSignal(str)  # box id: fit it to the text under it on the frame shown
    grow_finding = pyqtSignal(dict)  # a leak-check item: grow its box over its text
    accept_finding = pyqtSignal(dict)  # a leak-check item: accept it as not sensitive

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("redactions")
        self.list.currentItemChanged.connect(self._on_select)
        b = {name: QPushButton(text) for name, text in (
            ("draw", "Draw box (R)"), ("full", "Black out whole frame"),
            ("from_playhead", "Start at playhead"), ("to_playhead", "End at playhead"),
            ("from_step", "Start at selected step"), ("to_step", "End after selected step"),
            ("whole", "Whole recording"), ("snap", "Snap to text"), ("remove", "Remove"))}
        self.buttons = b
        b["draw"].clicked.connect(self.draw_box.emit)
        b["full"].clicked.connect(self.whole_frame.emit)
        for key in ("from_playhead", "to_playhead", "from_step", "to_step", "whole"):
            b[key].clicked.connect(lambda _=False, k=key: self.range_action.emit(k))
        b["remove"].clicked.connect(lambda: self.current_id() and self.remove.emit(
            self.current_id()))
        b["snap"].clicked.connect(lambda: self.current_id() and self.snap.emit(
            self.current_id()))
        b["snap"].setToolTip("Fit the selected box to the text under it on the frame shown "
                             "(one undoable edit)")
        grid = QGridLayout()
        order = ["draw", "full", "from_playhead", "to_playhead", "from_step", "to_step",
                 "whole", "snap", "remove"]
        for i, key in enumerate(order):
            grid.addWidget(b[key], i // 2, i % 2)

        self.suggestions = QListWidget()
        self.suggestions.setObjectName("suggestions")
        self.suggestions.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.find_btn = QPushButton("Find suggestions (offline OCR)")
        self.accept_btn = QPushButton("Accept selected")
        self.reject_btn = QPushButton("Not sensitive")
        self.accept_all_btn = QPushButton("Accept all")
        self.find_btn.clicked.connect(self.find_suggestions.emit)
        self.accept_btn.clicked.connect(lambda: self.accept.emit(self._selected_suggestions()))
        self.reject_btn.clicked.connect(lambda: self.reject.emit(self._selected_suggestions()))
        self.accept_all_btn.clicked.connect(lambda: self.accept.emit(self._all_suggestions()))
        sgrid = QGridLayout()
        sgrid.addWidget(self.find_btn, 0, 0, 1, 2)
        sgrid.addWidget(self.accept_btn, 1, 0)
        sgrid.addWidget(self.reject_btn, 1, 1)
        sgrid.addWidget(self.accept_all_btn, 2, 0, 1, 2)
        self.suggestion_status = QLabel("No suggestions yet.")
        self.suggestion_status.setWordWrap(True)

        self.findings = QListWidget()
        self.findings.setObjectName("leak_findings")
        self.findings.currentItemChanged.connect(lambda *_: self._update_finding_buttons())
        self.grow_btn = QPushButton("Grow the box over its text")
        self.accept_finding_btn = QPushButton("Accept as not sensitive")
        self.grow_btn.clicked.connect(lambda: self._finding() and self.grow_finding.emit(
            self._finding()))
        self.accept_finding_btn.clicked.connect(
            lambda: self._finding() and self.accept_finding.emit(self._finding()))
        self.findings_status = QLabel("Render to run the leak check.")
        self.findings_status.setWordWrap(True)
        fgrid = QGridLayout()
        fgrid.addWidget(self.grow_btn, 0, 0)
        fgrid.addWidget(self.accept_finding_btn, 0, 1)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("<b>Redactions</b> (burned in as solid black when rendered)"))
        lay.addWidget(self.list, 2)
        lay.addLayout(grid)
        lay.addWidget(QLabel("<b>Suggestions</b>"))
        lay.addWidget(self.suggestion_status)
        lay.addWidget(self.suggestions, 2)
        lay.addLayout(sgrid)
        lay.addWidget(QLabel("<b>Leak check</b>"))
        lay.addWidget(self.findings_status)
        lay.addWidget(self.findings, 1)
        lay.addLayout(fgrid)
        self._update_buttons()
        self._update_finding_buttons()

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _on_select(self, item, _prev=None) -> None:
        self._update_buttons()
        if item is not None:
            self.selected.emit(item.data(Qt.ItemDataRole.UserRole))

    def _update_buttons(self) -> None:
        rid = self.current_id()
        is_box = bool(rid) and self._kinds.get(rid) == "box" if hasattr(self, "_kinds") else False
        for key in ("from_playhead", "to_playhead", "from_step", "to_step", "whole"):
            self.buttons[key].setEnabled(is_box)
        self.buttons["snap"].setEnabled(is_box and self._full.get(rid) is False)
        self.buttons["remove"].setEnabled(bool(rid))

    # -- leak check findings ---------------------------------------------------------------
    def set_findings(self, items: list[dict] | None) -> None:
        """The last leak check's items (``LeakCheckResult.ui_items``), blocking first; None:
        no render yet."""
        self.findings.clear()
        if items is None:
            self.findings_status.setText("Render to run the leak check.")
        else:
            blocking = sum(1 for i in items if i.get("blocking"))
            self.findings_status.setText(
                f"{blocking} finding(s) block the submission." if blocking
                else "The last leak check found nothing that blocks the submission.")
        for d in items or []:
            text = d.get("description", "")
            if d.get("text"):
                text += f": {d['text']!r}"
            item = QListWidgetItem(("⚠ " if d.get("blocking") else "✓ ") + text)
            item.setData(Qt.ItemDataRole.UserRole, d)
            item.setToolTip(text)
            self.findings.addItem(item)
        self._update_finding_buttons()

    def _finding(self) -> dict | None:
        item = self.findings.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _update_finding_buttons(self) -> None:
        d = self._finding()
        self.grow_btn.setEnabled(bool(d) and bool(d.get("growable")) and d.get("blocking"))
        self.accept_finding_btn.setEnabled(bool(d) and bool(d.get("acceptable"))
                                           and bool(d.get("blocking")))

    def set_redactions(self, redactions: list[dict], orphan_ids: set[str],
                       select: str | None = None) -> None:
        keep = select or self.current_id()
        self._kinds = {r["id"]: r.get("kind") for r in redactions}
        self._full = {r["id"]: r.get("rect") == "full" for r in redactions}
        self.list.blockSignals(True)
        self.list.clear()
        for r in redactions:
            if r.get("kind") == "decision":
                continue
            text = describe(r)
            if r["id"] in orphan_ids:
                text += "  [its step was removed: kept on its time range]"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, r["id"])
            self.list.addItem(item)
            if r["id"] == keep:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._update_buttons()

    def set_suggestions(self, suggestions: list, decided: dict[str, str]) -> None:
        self.suggestions.clear()
        open_ = [s for s in suggestions if s.id not in decided]
        for s in open_:
            where = {"ocr": "on screen", "typed_text": "in typed text",
                     "window_title": "in a window title"}.get(s.source, s.source)
            span = f" {fmt(s.t_start_us)}–{fmt(s.t_end_us)}" if s.rect is not None else ""
            item = QListWidgetItem(f"{s.kind} {where}{span}: {s.reason or ''}".strip())
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            self.suggestions.addItem(item)
        done = len(suggestions) - len(open_)
        self.suggestion_status.setText(
            f"{len(open_)} open suggestion(s), {done} decided." if suggestions
            else "No suggestions found yet.")

    def _selected_suggestions(self) -> list[str]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self.suggestions.selectedItems()]

    def _all_suggestions(self) -> list[str]:
        return [self.suggestions.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.suggestions.count())]
