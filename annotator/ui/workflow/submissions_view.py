"""The contributor's views: published tasks to record for, and "My submissions" with their
status, the reviewers' comments, resubmission after changes, withdrawal (one click and a
confirmation), "withdraw everything and delete my account" and "download my data".

Confirmations are in-window (the banner's buttons), never modal boxes.  Withdrawal deletes
the content in the store; the contributor's local recordings are never touched by it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from annotator.display import duration, money, when
from annotator.errors import AnnotatorError
from annotator.submission.local import local_submissions
from annotator.submission.retention import apply_retention, keep_recording, review_retention
from annotator.ui.work import run_job
from annotator.ui.workflow.common import (
    STATE_COLOURS,
    Banner,
    Session,
    SessionView,
    read_only_table,
    selected_row_id,
)
from annotator.workflow.mydata import default_folder
from annotator.workflow.states import state_label

COLUMNS = ["#", "Version", "Task", "Goal", "Status", "Reviewer", "Quality", "Submitted",
           "Decided"]


def _esc(text: str | None) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SubmissionsView(SessionView, QWidget):
    """My submissions.  ``resubmit_requested(folder, submission_id)`` and
    ``open_recording(folder)`` are handled by the main window (consent dialog, editor)."""

    resubmit_requested = pyqtSignal(object, int)
    open_recording = pyqtSignal(object)
    account_deleted = pyqtSignal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("submissionsView")
        self.items: list[Any] = []
        self.detail: Any = None
        self.banner = Banner()
        self.table = read_only_table(COLUMNS, 3, stretch_last=False)
        self.table.setObjectName("mySubmissions")
        self.details = QTextBrowser()
        self.details.setObjectName("details")
        self.details.setPlaceholderText("Select a submission to see its comments and history.")
        self.fix_btn = QPushButton("Open the recording to fix it")
        self.fix_btn.setObjectName("fix")
        self.resubmit_btn = QPushButton("Resubmit…")
        self.resubmit_btn.setObjectName("resubmit")
        self.withdraw_btn = QPushButton("Withdraw")
        self.withdraw_btn.setObjectName("withdraw")
        self.withdraw_btn.setToolTip("Withdraw this demonstration: its content is deleted from "
                                     "the store; your local recording stays.")
        row = QHBoxLayout()
        row.addStretch(1)
        for b in (self.fix_btn, self.resubmit_btn, self.withdraw_btn):
            row.addWidget(b)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.table, 1)
        tl.addLayout(row)

        self.out_dir = QLineEdit()
        self.out_dir.setObjectName("myDataFolder")
        self.choose_btn = QPushButton("Choose…")
        self.download_btn = QPushButton("Download my data")
        self.download_btn.setObjectName("downloadMyData")
        self.delete_all_btn = QPushButton("Withdraw everything and delete my account…")
        self.delete_all_btn.setObjectName("deleteAccount")
        self.delete_all_btn.setStyleSheet("QPushButton{color:#b00020;}")
        data_box = QGroupBox("Your data")
        dl = QHBoxLayout(data_box)
        dl.addWidget(QLabel("Into"))
        dl.addWidget(self.out_dir, 1)
        dl.addWidget(self.choose_btn)
        dl.addWidget(self.download_btn)
        dl.addSpacing(20)
        dl.addWidget(self.delete_all_btn)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.details)
        split.setSizes([300, 260])
        lay = QVBoxLayout(self)
        lay.addWidget(self.banner)
        lay.addWidget(split, 1)
        lay.addWidget(data_box)
        self.table.itemSelectionChanged.connect(self._selected)
        self.withdraw_btn.clicked.connect(self.ask_withdraw)
        self.resubmit_btn.clicked.connect(self._resubmit)
        self.fix_btn.clicked.connect(self._fix)
        self.download_btn.clicked.connect(self.download)
        self.choose_btn.clicked.connect(self._choose)
        self.delete_all_btn.clicked.connect(self.ask_delete_account)
        session.changed.connect(self.refresh)
        session.data_changed.connect(self.refresh)
        self._update_buttons()


    # -- listing -------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.svc is None or self.actor is None:
            self.table.setRowCount(0)
            self.details.clear()
            return
        if not self.out_dir.text():
            self.out_dir.setText(str(default_folder(Path.home())))
        items = self._call(self.svc.my_submissions, actor=self.actor)
        if items is None:
            return
        keep = self.selected_id()
        self.items = list(reversed(items))  # newest first
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.items))
        select = -1
        for r, it in enumerate(self.items):
            state = str(it.state)
            cells = [str(it.id), str(it.version), it.task_title or "—", it.goal or "",
                     state_label(state), it.reviewer or "",
                     str(it.quality) if it.quality else "", when(it.submitted_at),
                     when(it.decided_at)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, it.id)
                if c == 4:
                    item.setForeground(_colour(STATE_COLOURS.get(state, "#000000")))
                self.table.setItem(r, c, item)
            if it.id == keep:
                select = r
        self.table.blockSignals(False)
        if select >= 0:
            self.table.selectRow(select)
            self._selected()
        else:
            self.detail = None
            self.details.clear()
        self._update_buttons()
        self._apply_retention()

    def selected_id(self) -> int | None:
        return selected_row_id(self.table)

    def select(self, sid: int) -> None:
        for r, it in enumerate(self.items):
            if it.id == sid:
                self.table.selectRow(r)

    def _selected(self) -> None:
        sid = self.selected_id()
        if sid is None:
            return
        state = next((str(it.state) for it in self.items if it.id == sid), "")
        if state == "withdrawn":
            self.detail = None
            info = next(it for it in self.items if it.id == sid)
            self.details.setHtml(
                f"<h3>#{sid} — withdrawn {when(info.withdrawn_at)}</h3><p>Its video, "
                "frames, steps, labels and the reviewers' comments were deleted from the "
                "store. What remains is a tombstone: ids, hashes and times, and your consent "
                "record marked withdrawn.</p>")
            self._update_buttons()
            return
        self.detail = self._call(self.svc.get_submission, actor=self.actor, submission_id=sid)
        self.details.setHtml(self._detail_html() if self.detail else "")
        self._update_buttons()

    def _detail_html(self) -> str:
        d = self.detail
        i = d.info
        state = str(i.state)
        out = [f"<h3>#{i.id} version {i.version}: "
               f"<span style='color:{STATE_COLOURS.get(state, '#000')}'>"
               f"{state_label(state)}</span></h3>",
               f"<p><b>Goal</b>: {_esc(i.goal)}<br><b>Task</b>: "
               f"{_esc(i.task_title) or 'your own goal'}<br>"
               f"{duration(i.duration_us)}, {i.step_count} steps</p>"]
        if i.decision_reason and not re.fullmatch(r"\d+ comment\(s\)", i.decision_reason):
            out.append(f"<p><b>Reviewer's words</b>: {_esc(i.decision_reason)}</p>")
        if i.quality:
            out.append(f"<p><b>Quality</b>: {i.quality} / 5</p>")
        if d.comments:
            out.append("<h4>Reviewer comments</h4><ul>")
            for c in d.comments:
                if c.step_index is not None:
                    pin = f"step {c.step_index + 1}"
                elif c.t_start_us is not None:
                    pin = f"at {duration(c.t_start_us)}"
                else:
                    pin = "whole demonstration"
                out.append(f"<li><b>{pin}</b> (version {c.version}, {c.author}): "
                           f"{_esc(c.body)}</li>")
            out.append("</ul>")
        if state == "changes_requested":
            folder = local_submissions(self.session.ws).get(str(i.id))
            if folder and Path(folder).is_dir():
                out.append("<p><b>What to do</b>: open the recording "
                           f"(<code>{_esc(folder)}</code>), fix what the comments say, then "
                           "“Resubmit…”: it goes back to review as version "
                           f"{i.version + 1}.</p>")
            else:
                out.append("<p><b>What to do</b>: fix what the comments say in the recording "
                           "it came from and submit it again as a new version (that recording "
                           "is not in this workspace).</p>")
        out.append("<h4>History</h4><ul>")
        for h in d.history:
            out.append(f"<li>{when(h.at)}: {h.action} → {state_label(h.to_state)}"
                       + (f" by {h.actor}" if h.actor else "")
                       + (f" — {_esc(h.reason)}" if h.reason else "") + "</li>")
        out.append("</ul>")
        c = d.consent
        out.append(f"<p><small>Consent {c.record_id}: terms {c.terms_version}, given "
                   f"{when(c.given_at)}, {c.status}.</small></p>")
        return "".join(out)

    def _update_buttons(self) -> None:
        sid = self.selected_id()
        state = next((str(it.state) for it in self.items if it.id == sid), None)
        folder = local_submissions(self.session.ws).get(str(sid)) if sid else None
        self.withdraw_btn.setEnabled(state is not None and state != "withdrawn")
        can_fix = state == "changes_requested" and folder is not None and Path(folder).is_dir()
        self.resubmit_btn.setEnabled(can_fix)
        self.fix_btn.setEnabled(can_fix)
        signed = self.actor is not None and self.svc is not None
        for b in (self.download_btn, self.delete_all_btn, self.choose_btn):
            b.setEnabled(signed)

    # -- resubmission --------------------------------------------------------------------------
    def _folder(self) -> Path | None:
        sid = self.selected_id()
        folder = local_submissions(self.session.ws).get(str(sid)) if sid else None
        return Path(folder) if folder else None

    def _fix(self) -> None:
        folder = self._folder()
        if folder is not None:
            self.open_recording.emit(folder)

    def _resubmit(self) -> None:
        folder, sid = self._folder(), self.selected_id()
        if folder is not None and sid is not None:
            self.resubmit_requested.emit(folder, sid)

    # -- withdrawal ----------------------------------------------------------------------------
    def ask_withdraw(self) -> None:
        sid = self.selected_id()
        if sid is None:
            return
        self.banner.show_message(
            f"Withdraw submission #{sid}? Every version of this demonstration is withdrawn: "
            "its content is deleted from the store and reviewers no longer see it. Your local "
            "recording stays on this machine.", "warn",
            [("Yes, withdraw", lambda: self.withdraw(sid)), ("Cancel", self.banner.hide)])

    def withdraw(self, sid: int) -> None:
        res = self._call(self.svc.withdraw, actor=self.actor, submission_id=sid)
        if res is None:
            return
        ids = ", ".join(f"#{i}" for i in res.submission_ids) or f"#{sid}"
        self.banner.show_message(
            f"Withdrawn: {ids}. {res.blobs_deleted} stored file(s) deleted.", "ok")
        self.session.touched()

    def ask_delete_account(self) -> None:
        self.banner.show_message(
            "Withdraw every demonstration you submitted and delete your account? The content "
            "is deleted from the store, your payee details, sign-in name and passphrase are "
            "deleted, and you are signed out. Your local recordings stay on this machine. "
            "This cannot be undone.", "error",
            [("Yes, withdraw everything and delete my account", self.delete_account),
             ("Cancel", self.banner.hide)])

    def delete_account(self) -> None:
        res = self._call(self.svc.withdraw_everything, actor=self.actor, delete_account=True)
        if res is None:
            return
        self.banner.show_message(
            f"Done: {len(res.submission_ids)} submission(s) withdrawn, {res.blobs_deleted} "
            "stored file(s) deleted, account deleted.", "ok")
        self.account_deleted.emit()

    # -- download my data ----------------------------------------------------------------------
    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Where to put your data")
        if folder:
            self.out_dir.setText(str(default_folder(folder)))

    def download(self):
        out = self.out_dir.text().strip()
        if not out:
            self.banner.show_error("Say where to put your data (a new folder).")
            return None
        self.download_btn.setEnabled(False)
        self.banner.show_message(f"Writing everything the store holds about you into {out}…")

        def done(path: Path) -> None:
            self.download_btn.setEnabled(True)
            self.banner.show_message(f"Your data is in {path} (see README.txt there).", "ok")

        def failed(exc: BaseException) -> None:
            self.download_btn.setEnabled(True)
            self.banner.show_error(exc, "Could not download your data.")

        return run_job(self.svc.download_my_data, actor=self.actor, out_dir=out, owner=self,
                       on_done=done, on_error=failed)

    # -- retention of the raw recording --------------------------------------------------------
    def _apply_retention(self) -> None:
        """Delete (or offer to delete) the raw local recordings of approved submissions, as
        the contributor chose when consenting (the core's ``review_retention``, which the
        command line calls too)."""
        review = self._call(review_retention, self.session.ws, services=self.svc,
                            actor=self.actor, submissions=self.items)
        if review is None:
            return
        if review.errors:
            self.banner.show_error("\n".join(review.errors))
            return
        asked = [st for st in review.to_ask if st.folder is not None]
        if asked:
            st = asked[0]
            folder = st.folder
            assert folder is not None
            self.banner.show_message(
                st.text, "info",
                [("Delete it", lambda: self.delete_recording(folder)),
                 ("Keep it", lambda: self.keep_recording(folder))])
        elif review.deleted:
            self.banner.show_message(" ".join(r.message for r in review.deleted), "ok")

    def keep_recording(self, folder: Path) -> None:
        self._call(keep_recording, self.session.ws, folder)
        self.banner.hide()
        self._apply_retention()  # the next question, if any

    def delete_recording(self, folder: Path) -> None:
        res = self._call(apply_retention, folder, services=self.svc, actor=self.actor,
                         workspace=self.session.ws, confirmed=True, submissions=self.items)
        if res is None:
            return
        if not res.deleted:
            self.banner.show_message(res.message, "warn")
            return
        self.banner.show_message(" ".join([res.message, *res.notes]), "ok")


class TasksView(QWidget):
    """Published tasks; a contributor picks one before recording and its goal fills the
    recording's task panel.  ``record_for(task)`` / ``demo_for(task)`` are handled by the
    main window."""

    record_for = pyqtSignal(object)
    demo_for = pyqtSignal(object)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("tasksView")
        self.banner = Banner()
        self.list = QListWidget()
        self.list.setObjectName("tasks")
        self.list.setWordWrap(True)
        self.detail = QLabel("Pick a task to record for, or record with your own goal.")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.record_btn = QPushButton("● Record for this task")
        self.record_btn.setObjectName("recordForTask")
        self.demo_btn = QPushButton("Make a demo recording for this task")
        self.demo_btn.setObjectName("demoForTask")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.demo_btn)
        row.addWidget(self.record_btn)
        lay = QVBoxLayout(self)
        lay.addWidget(self.banner)
        lay.addWidget(QLabel("<b>Published tasks</b>: each says what to demonstrate and "
                             "what it pays."))
        lay.addWidget(self.list, 1)
        lay.addWidget(self.detail)
        lay.addLayout(row)
        self.tasks: list[Any] = []
        self.list.currentRowChanged.connect(self._selected)
        self.record_btn.clicked.connect(lambda: self._emit(self.record_for))
        self.demo_btn.clicked.connect(lambda: self._emit(self.demo_for))
        session.changed.connect(self.refresh)
        session.data_changed.connect(self.refresh)
        self._selected(-1)

    def refresh(self) -> None:
        svc, actor = self.session.services, self.session.actor
        self.list.clear()
        self.tasks = []
        if svc is None or actor is None:
            return
        try:
            self.tasks = svc.list_tasks(actor=actor)
        except AnnotatorError as exc:
            self.banner.show_error(exc)
            return
        for t in self.tasks:
            pay = f" — pays {money(t.pay_cents)}" if t.pay_cents else ""
            apps = f" in {', '.join(t.applications)}" if t.applications else ""
            item = QListWidgetItem(f"#{t.id} {t.title} ({t.difficulty}){apps}{pay}")
            item.setToolTip(t.goal)
            self.list.addItem(item)
        if not self.tasks:
            self.detail.setText("No task is published yet: record with your own goal.")

    def selected(self) -> Any:
        row = self.list.currentRow()
        return self.tasks[row] if 0 <= row < len(self.tasks) else None

    def _selected(self, _row: int) -> None:
        t = self.selected()
        self.record_btn.setEnabled(t is not None)
        self.demo_btn.setEnabled(t is not None)
        if t is not None:
            self.detail.setText(f"<b>Goal</b>: {_esc(t.goal)}")

    def _emit(self, signal) -> None:
        t = self.selected()
        if t is not None:
            signal.emit(t)


def _colour(hex_colour: str):
    from PyQt6.QtGui import QColor

    return QColor(hex_colour)
