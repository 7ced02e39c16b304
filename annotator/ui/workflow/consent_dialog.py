"""The consent dialog: what will be shared, the final rendered result, the terms, and an
explicit, unbundled "I consent" for this one demonstration.

1. The checklist (``annotator.submission.builder.checklist``) blocks everything until the
   task has a goal and an outcome and every kept step has an instruction.
2. ``prepare_package`` renders, leak-checks and writes the package on a worker thread, with
   progress and Cancel.  A failed leak check blocks consent and says why.
3. The contributor sees the summary (duration, steps, typed text and window titles included
   or not, redactions, the leak check), plays the rendered video, reads the terms, chooses
   whether the raw local recording is deleted once approved, and ticks "I consent" (never
   ticked for them, and about this demonstration only).
4. ``consent_and_submit`` writes the consent record and has the store ingest the package.

Nothing is sent before step 4, and the recording itself is never changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.submission.local import remember_submission
from annotator.ui.fit import fit_to_screen
from annotator.ui.work import run_job
from annotator.ui.workflow.common import Banner, Session, error_text
from annotator.ui.workflow.player import Player

# The core's words (annotator.preferences.RETENTION_CHOICES), as the contributor reads them.
RETENTION = [("delete", "Yes, delete it once approved"), ("keep", "No, keep it"),
             ("ask", "Ask me when it is approved")]


def _prepare(bundle: Path, out: Path, workspace: Any, task_id: int | None, progress) -> Any:
    from annotator.media.video import VideoReader
    from annotator.submission import builder

    prepared = builder.prepare_package(bundle, out, workspace=workspace, progress=progress,
                                       task_id=task_id)
    try:
        with VideoReader(prepared.video) as r:
            pts = r.all_pts()
    except AnnotatorError:
        pts = []
    return prepared, pts


def terms_html(text: str) -> str:
    """The terms as paragraphs that wrap to the box (the published text has hard line breaks
    for terminals; the words are unchanged)."""
    out = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        head, rest = lines[0], lines[1:]
        esc = lambda t: t.replace("&", "&amp;").replace("<", "&lt;")  # noqa: E731
        if rest and all(x.startswith(" ") for x in rest) and not head.startswith(" "):
            out.append(f"<p><b>{esc(head.strip())}</b><br>"
                       + esc(" ".join(x.strip() for x in rest)) + "</p>")
        else:
            out.append("<p>" + esc(" ".join(x.strip() for x in lines)) + "</p>")
    return "".join(out)


class ConsentDialog(QDialog):
    """Submit one recording.  ``submitted(info)`` fires once the store has it."""

    submitted = pyqtSignal(object)

    def __init__(self, session: Session, bundle: str | Path, parent: QWidget | None = None, *,
                 resubmit_of: int | None = None, task_id: int | None = None,
                 out_dir: str | Path | None = None, auto_prepare: bool = True) -> None:
        super().__init__(parent)
        self.session = session
        self.bundle = Path(bundle)
        self.resubmit_of = resubmit_of
        self.task_id = task_id
        self.out_dir = Path(out_dir) if out_dir else None
        self.prepared: Any = None
        self.info: Any = None
        self.job: Any = None
        self.terms: Any = None
        self.setObjectName("consentDialog")
        self.setWindowTitle("Submit this demonstration"
                            + (f" (new version of #{resubmit_of})" if resubmit_of else ""))
        self._build()
        fit_to_screen(self, 1180, 820)
        self.check()
        if auto_prepare and self.checklist_ok:
            self.prepare()

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.banner = Banner()
        head = QLabel(f"<b>Submitting</b> {self.bundle.name}"
                      + (f" — <b>resubmission</b> of #{self.resubmit_of} after the reviewer's "
                         "comments" if self.resubmit_of else ""))
        head.setTextFormat(Qt.TextFormat.RichText)
        ck_box = self._checklist_box()
        prow = self._prepare_row()
        mid = self._result_and_terms()
        ret_box = self._retention_box()
        srow = self._consent_row()

        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(self.banner)
        lay.addWidget(ck_box)
        lay.addLayout(prow)
        lay.addWidget(mid, 1)
        lay.addWidget(ret_box)
        lay.addLayout(srow)

        self.recheck_btn.clicked.connect(self.recheck)
        self.edit_btn.clicked.connect(self._open_editor)
        self.prepare_btn.clicked.connect(self.prepare)
        self.cancel_btn.clicked.connect(self.cancel)
        self.consent.toggled.connect(lambda _b: self._update())
        self.submit_btn.clicked.connect(self.submit)
        self.close_btn.clicked.connect(self.reject)
        self.cancel_btn.hide()
        self._load_terms()

    def _checklist_box(self) -> QGroupBox:
        """1. The checklist before consent, with the way back to the editor."""
        self.checklist = QListWidget()
        self.checklist.setObjectName("checklist")
        self.checklist.setMaximumHeight(96)
        self.recheck_btn = QPushButton("Check again")
        self.edit_btn = QPushButton("Open in the editor")
        self.edit_btn.setObjectName("openEditor")
        ck_box = QGroupBox("1. Before consent")
        cl = QVBoxLayout(ck_box)
        cl.addWidget(self.checklist)
        crow = QHBoxLayout()
        self.check_state = QLabel()
        self.check_state.setObjectName("checkState")
        self.check_state.setWordWrap(True)
        crow.addWidget(self.check_state, 1)
        crow.addWidget(self.edit_btn)
        crow.addWidget(self.recheck_btn)
        cl.addLayout(crow)
        return ck_box

    def _prepare_row(self) -> QHBoxLayout:
        """Preparing the package: progress, cancel, start."""
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress_label = QLabel("")
        self.cancel_btn = QPushButton("Cancel preparing")
        self.cancel_btn.setObjectName("cancelPrepare")
        self.prepare_btn = QPushButton("Prepare the package")
        self.prepare_btn.setObjectName("prepare")
        prow = QHBoxLayout()
        prow.addWidget(self.progress, 1)
        prow.addWidget(self.progress_label)
        prow.addWidget(self.cancel_btn)
        prow.addWidget(self.prepare_btn)
        return prow

    def _result_and_terms(self) -> QSplitter:
        """The rendered result beside 2. what will be shared and 3. the terms."""
        self.player = Player()
        self.player.view.message = "The rendered result plays here once it is prepared."
        self.summary = QLabel("")
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop)
        share_box = QGroupBox("2. What will be shared")
        sl = QVBoxLayout(share_box)
        sl.addWidget(self.summary)
        sl.addStretch(1)

        self.terms_text = QTextBrowser()
        self.terms_text.setObjectName("terms")
        terms_box = QGroupBox("3. The terms")
        tl = QVBoxLayout(terms_box)
        tl.addWidget(self.terms_text)

        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addWidget(share_box, 2)
        rlay.addWidget(terms_box, 3)
        mid = QSplitter(Qt.Orientation.Horizontal)
        mid.addWidget(self.player)
        mid.addWidget(right)
        mid.setSizes([680, 480])
        return mid

    def _retention_box(self) -> QGroupBox:
        """The raw recording's fate once approved (the choice made before, else "ask")."""
        self.retention = QButtonGroup(self)
        ret_box = QGroupBox("Delete the raw recording on this computer once the submission "
                            "is approved?")
        rl = QHBoxLayout(ret_box)
        self.retention_buttons: dict[str, QRadioButton] = {}
        for key, label in RETENTION:
            b = QRadioButton(label)
            b.setObjectName(f"retention_{key}")
            self.retention.addButton(b)
            self.retention_buttons[key] = b
            rl.addWidget(b)
        # The choice made for this recording before (a resubmission), else the default.
        chosen = self.session.ws.retention_for(self.bundle)
        self.retention_buttons.get(chosen, self.retention_buttons["ask"]).setChecked(True)
        return ret_box

    def _consent_row(self) -> QHBoxLayout:
        """The consent box and Submit."""
        self.consent = QCheckBox()
        self.consent.setObjectName("consent")
        self.consent.setText("I consent to sharing this one demonstration, as shown above, "
                             "under these terms.")
        self.consent.setStyleSheet("QCheckBox{font-weight:bold;}")
        self.submit_btn = QPushButton("Submit")
        self.submit_btn.setObjectName("submit")
        self.submit_btn.setDefault(False)
        self.submit_btn.setAutoDefault(False)
        self.close_btn = QPushButton("Close")
        srow = QHBoxLayout()
        srow.addWidget(self.consent, 1)
        srow.addWidget(self.close_btn)
        srow.addWidget(self.submit_btn)
        return srow

    def _load_terms(self) -> None:
        svc = self.session.services
        if svc is None:
            return
        try:
            self.terms = svc.get_terms()
        except AnnotatorError as exc:
            self.banner.show_error(exc)
            return
        self.terms_text.setHtml(f"<p><b>Terms version {self.terms.version}</b></p>"
                                + terms_html(self.terms.text))
        self.consent.setText(
            "I consent to sharing this one demonstration, as shown above, under terms "
            f"version {self.terms.version}.")

    # -- 1. the checklist ----------------------------------------------------------------------
    def check(self) -> None:
        from annotator.submission import builder

        self.checklist.clear()
        try:
            items = builder.checklist(self.bundle)
        except AnnotatorError as exc:
            self.checklist_ok = False
            self.check_state.setText(error_text(exc))
            self._update()
            return
        self._show_items(items)
        self.checklist_ok = all(i.ok for i in items)
        self.check_state.setText(
            "Everything needed is there." if self.checklist_ok else
            "<b>Submission is blocked</b> until these are fixed in the editor; then press "
            "“Check again”.")
        self._update()

    def _show_items(self, items: list[Any]) -> None:
        self.checklist.clear()
        for i in items:
            warn = getattr(i, "warning", False)
            item = QListWidgetItem(("⚠  " if warn else "✓  " if i.ok else "✗  ") + i.text)
            item.setForeground(QColor("#9a5b00") if warn else
                               Qt.GlobalColor.darkGreen if i.ok else Qt.GlobalColor.red)
            item.setToolTip(i.text)
            self.checklist.addItem(item)

    def recheck(self) -> None:
        self.check()
        if self.checklist_ok and self.prepared is None and self.job is None:
            self.prepare()

    def _open_editor(self) -> None:
        parent = self.parent()
        if parent is not None and hasattr(parent, "open_editor"):
            parent.open_editor(self.bundle)

    # -- 2. prepare ----------------------------------------------------------------------------
    def prepare(self):
        if not self.checklist_ok or self.job is not None:
            return None
        from annotator.submission.builder import default_package_dir

        ws = self.session.ws
        out = self.out_dir or default_package_dir(ws, self.bundle)
        self.prepared = None
        self.consent.setChecked(False)
        self.player.clear("Rendering…")
        self.summary.setText("")
        self.progress.setRange(0, 0)
        self.progress_label.setText("Rendering with every redaction burned in…")
        self.cancel_btn.show()
        self.banner.hide()
        self.job = run_job(_prepare, self.bundle, out, ws, self.task_id, owner=self,
                           on_done=self._prepared, on_error=self._prepare_failed,
                           on_progress=self._progress, on_cancel=self._cancelled)
        self._update()
        return self.job

    def _progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        if message:
            self.progress_label.setText(message)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.progress_label.setText("Cancelling…")

    def _cancelled(self) -> None:
        self.job = None
        self.cancel_btn.hide()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_label.setText("Cancelled: nothing was written.")
        self.player.clear("Not prepared.")
        self._update()

    def _prepare_failed(self, exc: BaseException) -> None:
        self.job = None
        self.cancel_btn.hide()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_label.setText("")
        self.player.clear("Not prepared.")
        self.banner.show_error(exc, "The package could not be prepared; your recording is "
                                    "unchanged.")
        self._update()

    def _prepared(self, result: tuple[Any, list[int]]) -> None:
        self.job = None
        prepared, pts = result
        self.prepared = prepared
        self.cancel_btn.hide()
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress_label.setText("Package ready.")
        self._show_items(prepared.checklist)
        # The line under the list speaks for the prepared package's checks now (the leak
        # check among them), not for the checks made before preparing.
        self.check_state.setText(
            "Everything needed is there." if prepared.ready else
            "<b>Consent is blocked</b> until the items marked ✗ are fixed in the editor; "
            "then press “Prepare again”.")
        if pts:
            self.player.load(prepared.video, pts, prepared.duration_us)
        else:
            self.player.clear("The rendered video cannot be played.")
        lines = prepared.summary_lines()
        html = []
        for line in lines:
            key, _, rest = line.partition(": ")
            colour = ""
            if key == "Leak check":
                colour = "#1b7a2e" if prepared.leak_check.passed else "#b00020"
            html.append(f"<li><b>{key}</b>: "
                        + (f"<span style='color:{colour};font-weight:bold'>{rest}</span>"
                           if colour else rest.replace("<", "&lt;")) + "</li>")
        if prepared.task_id is not None:
            html.append(f"<li><b>Task</b>: answers published task {self._task_name(prepared)}"
                        "</li>")
        html.append(f"<li><b>Goal</b>: {prepared.goal.replace('<', '&lt;')} "
                    f"(outcome: {prepared.outcome})</li>")
        self.summary.setText("<ul style='margin-left:-20px'>" + "".join(html) + "</ul>")
        if not prepared.ready:
            bad = "\n".join("• " + i.text for i in prepared.failing) or \
                f"• The leak check did not pass ({prepared.leak_check.status})."
            self.banner.show_message("Consent is blocked:\n" + bad, "error")
        self._update()

    def _task_name(self, prepared: Any) -> str:
        svc, actor = self.session.services, self.session.actor
        if svc is None or actor is None:
            return f"#{prepared.task_id}"
        try:
            tasks = svc.list_tasks(actor=actor, include_closed=True)
        except AnnotatorError:
            tasks = []
        title = next((t.title for t in tasks if t.id == prepared.task_id), None)
        return f"#{prepared.task_id}" + (f" “{title.replace('<', '&lt;')}”" if title else "")

    # -- 4. consent and submit -----------------------------------------------------------------
    def retention_choice(self) -> str:
        return next(k for k, b in self.retention_buttons.items() if b.isChecked())

    def _update(self) -> None:
        ready = self.prepared is not None and self.prepared.ready
        busy = self.job is not None
        self.prepare_btn.setEnabled(self.checklist_ok and not busy)
        self.prepare_btn.setText("Prepare again" if self.prepared is not None
                                 else "Prepare the package")
        self.consent.setEnabled(ready and not busy)
        self.submit_btn.setEnabled(ready and not busy and self.consent.isChecked()
                                   and self.session.actor is not None)

    def submit(self):
        if not self.submit_btn.isEnabled():
            return None
        from annotator.submission import builder

        # The choice is made with the consent: kept even if the package waits in the outbox.
        try:
            self.session.ws.set_retention_for(self.bundle, self.retention_choice())
        except (AnnotatorError, OSError) as exc:
            self.banner.show_error(exc if isinstance(exc, AnnotatorError) else str(exc),
                                   "Your choice about the raw recording cannot be saved.")
            return None
        self.submit_btn.setEnabled(False)
        self.consent.setEnabled(False)
        self.banner.hide()
        self._sending = True
        self.progress.setRange(0, 0)
        self.progress_label.setText(
            f"Sending to the team server {self.session.team.server}…"
            if self.session.team is not None else "Sending to the store…")
        self._pending_before = self.session.pending_count()
        svc, actor = self.session.services, self.session.actor
        version = self.terms.version if self.terms is not None else None
        self.job = run_job(builder.consent_and_submit, self.prepared, services=svc, owner=self,
                           actor=actor, terms_version=version, resubmit_of=self.resubmit_of,
                           on_done=self._submitted, on_error=self._submit_failed)
        return self.job

    def _submit_failed(self, exc: BaseException) -> None:
        self.job = None
        self._sending = False
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_label.setText("")
        from annotator.remote.http import ServerUnavailable

        if isinstance(exc, ServerUnavailable) and \
                self.session.pending_count() > getattr(self, "_pending_before", 0):
            # The package (with its consent) is in the outbox: it is sent when the server is
            # back, by "Send pending" or the window's retry.
            self.session.pending_changed.emit(self.session.pending_count())
            self.banner.show_message(
                "Consented, but the team server cannot be reached right now: the package "
                "waits on this computer and is sent when the server is back (“Send "
                "pending”, or automatically every 30 s).\n" + error_text(exc), "warn")
            self.progress_label.setText("Waiting to be sent.")
            self.consent.setEnabled(False)
            self.submit_btn.setEnabled(False)
            self.close_btn.setText("Done")
            return
        self.banner.show_error(exc, "Not submitted: nothing was stored.")
        self._update()

    def _submitted(self, info: Any) -> None:
        self.job = None
        self._sending = False
        self.info = info
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress_label.setText("Submitted.")
        remember_submission(self.session.ws, info.id, self.bundle)
        self.banner.show_message(
            f"Submitted as #{info.id} (version {info.version}): it is waiting for review. "
            "You can follow it, or withdraw it, under “My submissions”.", "ok")
        self.consent.setEnabled(False)
        self.submit_btn.setEnabled(False)
        self.close_btn.setText("Done")
        self.session.touched()
        self.submitted.emit(info)

    def done(self, r: int) -> None:  # noqa: D401 (Qt API)
        if self.job is not None and getattr(self, "_sending", False):
            # The store is ingesting: closing now would hide whether it was submitted.
            self.banner.show_message("Still sending to the store; this closes once it is "
                                     "done.", "info")
            self.job.done.connect(lambda _i: self.done(r))
            self.job.failed.connect(lambda _e: None)
            return
        if self.job is not None:
            self.job.cancel()
        self.player.clear()
        super().done(r)
