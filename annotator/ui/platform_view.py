"""What this computer lacks, told in the app: a notice above the library's tabs after the
start-up checks (``annotator.platformcheck``) and a dialog with every check (Help ▸ Check
this computer…).

The checks run on a worker thread once the window is up; nothing is shown when everything
is there.  "Hide" remembers the set of missing pieces in the workspace's preferences: the
notice comes back only when that set changes.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMainWindow,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from annotator.platformcheck import REQUIRED, Check, problems, run_checks
from annotator.ui.work import run_job
from annotator.ui.workflow.common import Banner, error_text
from annotator.workspace import Workspace

HIDDEN_PREF = "platform_notice_hidden"  # the sorted keys of the problems last hidden


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def notice_text(bad: list[Check]) -> str:
    head = ("<b>This computer lacks something annotator needs.</b>"
            if any(c.level == REQUIRED for c in bad)
            else "<b>This computer lacks something annotator uses.</b>")
    items = "".join(f"<li><b>{_esc(c.title.split(' (')[0])}</b>: {_esc(c.impact)}</li>"
                    for c in bad)
    return f"{head}<ul style='margin:2px 0 0 -20px'>{items}</ul>"


class PlatformDialog(QDialog):
    """Every check: found, what a missing piece means, what to do."""

    def __init__(self, checks: list[Check], parent: QWidget | None = None,
                 recheck=None) -> None:
        super().__init__(parent)
        self.setObjectName("platformDialog")
        self.setWindowTitle("annotator — what this computer provides")
        self.resize(720, 520)
        self.body = QLabel()
        self.body.setObjectName("platformChecks")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        if recheck is not None:
            again = buttons.addButton("Check again", QDialogButtonBox.ButtonRole.ActionRole)
            again.clicked.connect(recheck)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll, 1)
        lay.addWidget(buttons)
        self.show_checks(checks)

    def show_checks(self, checks: list[Check]) -> None:
        rows = []
        for c in checks:
            mark = ("<span style='color:#1a7f37'>✓</span>" if c.ok
                    else "<span style='color:#b00000'>✗</span>")
            need = " <i>(needed)</i>" if not c.ok and c.level == REQUIRED else ""
            row = f"<p>{mark} <b>{_esc(c.title)}</b>{need}<br>{_esc(c.found)}"
            if not c.ok:
                row += (f"<br><b>What it means:</b> {_esc(c.impact)}"
                        + (f"<br><b>What to do:</b> {_esc(c.fix)}" if c.fix else ""))
            rows.append(row + "</p>")
        bad = problems(checks)
        head = ("Everything annotator uses is here." if not bad else
                f"{len(bad)} thing(s) missing; what each means for you is below.")
        self.body.setText(f"<p><b>{head}</b></p>" + "".join(rows))


class PlatformChecks:
    """The notice and the Help menu entry of one library window."""

    def __init__(self, window: QMainWindow, ws: Workspace, notice_parent_layout) -> None:
        self.window = window
        self.ws = ws
        self.checks: list[Check] | None = None
        self.dialog: PlatformDialog | None = None
        self.notice = Banner()
        self.notice.setObjectName("platformNotice")
        notice_parent_layout(self.notice)
        self.action = QAction("Check this computer…", window)
        self.action.setObjectName("checkComputer")
        self.action.triggered.connect(self.show_dialog)
        window.menuBar().addMenu("&Help").addAction(self.action)

    def start(self) -> None:
        run_job(run_checks, self.ws.root, owner=self.window, on_done=self._done,
                on_error=lambda exc: self.notice.show_message(
                    "annotator could not check this computer: " + error_text(exc), "warn"))

    def _done(self, checks: list[Check]) -> None:
        self.checks = checks
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.show_checks(checks)
        bad = problems(checks)
        if not bad:
            self.notice.hide()
            return
        keys = sorted(c.key for c in bad)
        if self.ws.preferences().platform_notice_hidden == keys:
            return
        kind = "error" if any(c.level == REQUIRED for c in bad) else "warn"
        self.notice.show_message(notice_text(bad), kind,
                                 [("Details…", self.show_dialog), ("Hide", self._hide)])

    def _hide(self) -> None:
        if self.checks is not None:
            self.ws.set_preference(HIDDEN_PREF, sorted(c.key for c in problems(self.checks)))
        self.notice.hide()

    def show_dialog(self) -> PlatformDialog:
        if self.dialog is None:
            self.dialog = PlatformDialog(self.checks or [], self.window, recheck=self.start)
        if self.checks is None:
            self.dialog.body.setText("Checking this computer…")
            self.start()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog
