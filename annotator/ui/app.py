"""The app's main window: the library of recordings in the local workspace, Record, Demo,
and the editor for each recording."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QAction, QIcon, QImage, QPixmap
from PyQt6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.bundle.inspect import format_report, inspect_bundle
from annotator.display import duration, when
from annotator.errors import AnnotatorError
from annotator.ui.fit import fit_to_screen
from annotator.workspace import Workspace

if TYPE_CHECKING:
    from annotator.ui.recorder_control import RecorderControl


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


class LibraryWindow(QMainWindow):
    """The recordings of this workspace, and (once signed in to the workspace's store) the
    workflow views: Tasks, My submissions, Review and Admin, shown by role."""

    def __init__(self, ws: Workspace, *, services=None, database_url: str | None = None,
                 open_store: bool = True, auto_sign_in: bool = True) -> None:
        super().__init__()
        from annotator.ui.workflow.common import Banner, Session

        self.ws = ws
        self.editors: list[QWidget] = []
        self.dialogs: list[QWidget] = []
        self.sign_in_dialog: QWidget | None = None
        self.auto_sign_in = auto_sign_in
        self._after_sign_in = None
        team = None
        if services is None:
            from annotator.remote.teamsettings import signed_in_team

            team = signed_in_team(ws.root)  # the workspace works against a team server
        self.session = Session(ws, services=services, database_url=database_url, team=team)
        self.setWindowTitle("annotator — library")
        self.record_btn = QPushButton("● Record")
        self.record_btn.setObjectName("record")
        self.record_btn.setStyleSheet("QPushButton { font-weight: bold; color: #b00000; }")
        self.demo_btn = QPushButton("Make a demo recording")
        self.demo_btn.setObjectName("demo")
        self.open_btn = QPushButton("Open in editor")
        self.open_btn.setObjectName("open")
        self.submit_btn = QPushButton("Submit…")
        self.submit_btn.setObjectName("submitRecording")
        self.submit_btn.setToolTip("Check, render, consent and send the selected recording "
                                   "for review")
        self.refresh_btn = QPushButton("Refresh")
        header = QHBoxLayout()
        title = QLabel(f"<b>Recordings</b> in {ws.root}")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header.addWidget(title)
        header.addStretch(1)
        for b in (self.refresh_btn, self.demo_btn, self.open_btn, self.submit_btn,
                  self.record_btn):
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

        recordings = QWidget()
        lay = QVBoxLayout(recordings)
        lay.addLayout(header)
        lay.addWidget(split)
        self._build_workflow(recordings, Banner)
        self.record_btn.clicked.connect(self.open_recorder)
        self.demo_btn.clicked.connect(lambda: self.make_demo())
        self.open_btn.clicked.connect(self.open_selected)
        self.submit_btn.clicked.connect(self.submit_selected)
        self.refresh_btn.clicked.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._show_details)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self._control: RecorderControl | None = None
        self._next_task = None
        fit_to_screen(self, 1280, 800)
        self.refresh()
        self._session_changed()
        if open_store:
            self.session.open_store()

    # -- the workflow views ----------------------------------------------------------------
    def _build_workflow(self, recordings: QWidget, banner_cls) -> None:
        from PyQt6.QtWidgets import QTabWidget, QToolButton

        from annotator.ui.workflow.admin_view import AdminView
        from annotator.ui.workflow.review_view import ReviewView
        from annotator.ui.workflow.submissions_view import SubmissionsView, TasksView

        s = self.session
        self.banner = banner_cls()
        self.user_btn = QToolButton()
        self.user_btn.setObjectName("user")
        self.user_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.user_btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.user_menu = QMenu(self)
        self.switch_action = QAction("Switch user…", self)
        self.switch_action.triggered.connect(lambda: self.show_sign_in())
        self.passwd_action = QAction("Change passphrase…", self)
        self.passwd_action.triggered.connect(self.change_passphrase)
        self.sign_out_action = QAction("Sign out", self)
        self.sign_out_action.triggered.connect(self.sign_out)
        for a in (self.switch_action, self.passwd_action, self.sign_out_action):
            self.user_menu.addAction(a)
        self.user_btn.setMenu(self.user_menu)
        self.store_label = QLabel()
        self.store_label.setObjectName("storeState")
        self.store_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Team mode: packages consented to but not yet accepted by the server.
        self.pending_btn = QPushButton()
        self.pending_btn.setObjectName("sendPending")
        self.pending_btn.setToolTip("Send the packages waiting on this computer to the team "
                                    "server (also retried every 30 s)")
        self.pending_btn.clicked.connect(lambda: self.send_pending())
        self.pending_btn.hide()
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>annotator</b>"))
        top.addWidget(self.store_label, 1)
        top.addWidget(self.pending_btn)
        top.addWidget(self.user_btn)
        from PyQt6.QtCore import QTimer

        self.retry_timer = QTimer(self)
        self.retry_timer.setInterval(30_000)
        self.retry_timer.timeout.connect(self._retry_team)
        self.retry_timer.start()

        self.tasks_view = TasksView(s)
        self.submissions_view = SubmissionsView(s)
        self.review_view = ReviewView(s)
        self.admin_view = AdminView(s)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.addTab(recordings, "Recordings")
        self.tabs.addTab(self.tasks_view, "Tasks")
        self.tabs.addTab(self.submissions_view, "My submissions")
        self.tabs.addTab(self.review_view, "Review")
        self.tabs.addTab(self.admin_view, "Admin")
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.addLayout(top)
        lay.addWidget(self.banner)
        lay.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        s.changed.connect(self._session_changed)
        s.store_failed.connect(self._store_failed)
        s.pending_changed.connect(self._pending_changed)
        s.data_changed.connect(self.refresh)
        self.submissions_view.resubmit_requested.connect(
            lambda folder, sid: self.submit_recording(folder, resubmit_of=sid))
        self.submissions_view.open_recording.connect(self.open_editor)
        self.submissions_view.account_deleted.connect(self._account_deleted)
        self.tasks_view.record_for.connect(self.record_for_task)
        self.tasks_view.demo_for.connect(lambda t: self.make_demo(task=t))

    def tab(self, name: str) -> QWidget:
        for i in range(self.tabs.count()):
            page = self.tabs.widget(i)
            if self.tabs.tabText(i) == name and page is not None:
                return page
        raise KeyError(name)

    def show_tab(self, name: str) -> None:
        self.tabs.setCurrentWidget(self.tab(name))

    def _session_changed(self) -> None:
        s = self.session
        role = s.role
        visible = {"Recordings": True, "Tasks": role is not None,
                   "My submissions": role is not None,
                   "Review": role in ("reviewer", "admin"), "Admin": role == "admin"}
        for i in range(self.tabs.count()):
            self.tabs.setTabVisible(i, visible.get(self.tabs.tabText(i), True))
        team = s.team
        if s.actor is not None:
            self.user_btn.setText(f"Signed in as {s.actor.name} ({role}) ▾")
            self.setWindowTitle(f"annotator — library — {s.actor.name}"
                                + (f" on {team.server}" if team is not None else ""))
            for a in (self.passwd_action, self.sign_out_action):
                a.setEnabled(True)
        else:
            self.user_btn.setText("Sign in ▾" if s.ready else "Not connected ▾")
            for a in (self.passwd_action, self.sign_out_action):
                a.setEnabled(False)
        self.switch_action.setText("Switch user…" if s.actor is not None else "Sign in…")
        if s.actor is None:
            self.setWindowTitle("annotator — library")
        self.switch_action.setEnabled(s.ready or team is not None or s.error is not None)
        if s.ready:
            if team is not None:
                self.store_label.setText(
                    "<span style='background:#1a5fb4;color:white;padding:2px 6px;"
                    "border-radius:3px'>&nbsp;Team server&nbsp;</span>&nbsp;"
                    f"<b>{_html(team.server)}</b>")
            else:
                self.store_label.setText(f"<small>This computer · store: {_html(s.where)}"
                                         "</small>")
            if self.banner.kind == "error" and s.error is None:
                self.banner.hide()
            if s.actor is None and self.auto_sign_in and self.sign_in_dialog is None:
                self.show_sign_in()
        else:
            what = f"team server {_html(team.server)}" if team is not None else "store"
            self.store_label.setText(f"<small>{what}: connecting…</small>" if s.error is None
                                     else f"<small>{what}: unreachable</small>")
        self._pending_changed(s.pending_count())

    def _store_failed(self, exc: BaseException) -> None:
        from annotator.ui.workflow.common import error_text

        self._session_changed()
        if self.session.team is not None:
            reason = exc.message if isinstance(exc, AnnotatorError) else str(exc)
            self.banner.show_message(
                f"{reason}\nSigning in, submitting and reviewing wait until the team server "
                "is back (retried every 30 s). Your local recordings are untouched: keep "
                "recording and editing, and submit once it is back.",
                "error",
                [("Retry", self.session.open_store),
                 ("Work on this computer", self.work_locally)])
            return
        self.banner.show_message(
            "The review store cannot be reached, so signing in, submitting and reviewing "
            "are not available right now. Your local recordings are untouched and you can "
            "keep recording and editing.\n" + error_text(exc), "error",
            [("Retry", self.session.open_store)])

    def show_sign_in(self, then=None):
        """The sign-in dialog (window-modal, not blocking): set-up on an empty store,
        sign-in otherwise; signing in as someone else is how users switch."""
        from annotator.ui.workflow.sign_in import SignInDialog

        s = self.session
        if not s.ready and s.error is None and s.team is None:
            self.banner.show_message("Not connected to the store yet.", "warn",
                                     [("Retry", s.open_store)])
            return None
        dlg = self.sign_in_dialog
        if dlg is not None and dlg.isVisible():
            # One sign-in at a time: the dialog already open (the one shown on start may be
            # behind the editor) serves this request too, instead of a second one.
            self._after_sign_in = then if then is not None else self._after_sign_in
            dlg.raise_()
            dlg.activateWindow()
            return dlg
        self._after_sign_in = then
        # Signed out of (or not yet back on) a server: its user name is filled in.
        name = s.team.user if s.team is not None and s.actor is None else ""
        # Not connected (a server that is down): the dialog can still switch to another
        # server or to this computer.
        dlg = SignInDialog(s.services, self, name=name, workspace=self.ws, team=s.team)
        self.sign_in_dialog = dlg
        dlg.accepted.connect(lambda: self._signed_in(dlg))
        dlg.finished.connect(lambda _r: self._dialog_closed(dlg))
        dlg.open()
        return dlg

    def _dialog_closed(self, dlg) -> None:
        if self.sign_in_dialog is dlg:
            self.sign_in_dialog = None

    def _signed_in(self, dlg) -> None:
        if dlg.actor is None:  # "This computer" while on a server: reopen the local store
            self.work_locally()
            return
        if dlg.services is not self.session.services or dlg.team != self.session.team:
            self.session.use(dlg.services, dlg.actor, dlg.team)
            if dlg.team is not None:
                self.send_pending(quiet=True)
        else:
            self.session.set_actor(dlg.actor)
        role = self.session.role
        where = f" on {dlg.team.server}" if dlg.team is not None else ""
        self.banner.show_message(f"Signed in as {dlg.actor.name} ({role}, "
                                 f"{dlg.actor.pseudonym}){where}."
                                 + (f"\n{dlg.warning}" if dlg.warning else ""), "ok")
        self.show_tab({"admin": "Admin", "reviewer": "Review"}.get(role or "", "My submissions"))
        then, self._after_sign_in = self._after_sign_in, None
        if then is not None:
            then()

    def sign_out(self) -> None:
        team = self.session.team_services()
        if team is not None:
            from annotator.ui.work import run_job

            # Revoke the token on the server and forget it here (in the background).
            run_job(team.sign_out, owner=self, on_error=lambda exc: (
                self.banner.show_error(exc, "Signed out here; the server could not be told, "
                                            "so the token stays valid until it expires.")))
        self.session.sign_out()
        self.show_tab("Recordings")
        self.banner.show_message("Signed out.", "info", [("Sign in", self.show_sign_in)])

    # -- team mode -------------------------------------------------------------------------
    def work_locally(self) -> None:
        """Leave the team server: this computer's store, then the sign-in dialog."""
        s = self.session

        def ready() -> None:
            if s.ready:
                s.changed.disconnect(ready)
                if s.actor is None and self.sign_in_dialog is None:
                    self.show_sign_in()

        s.changed.connect(ready)
        self.banner.show_message("Working on this computer's store.", "info")
        s.switch_to_local()

    def _pending_changed(self, n: int) -> None:
        team = self.session.team is not None
        self.pending_btn.setVisible(team and n > 0)
        self.pending_btn.setText(f"Send pending ({n})")

    def send_pending(self, *, quiet: bool = False):
        """Send what waits in the outbox; the result goes to the banner."""
        s = self.session
        if s.team is None or not s.ready or s.pending_count() == 0:
            return None

        def done(results) -> None:
            sent = [r for r in results if not isinstance(r, Exception)]
            refused = [r for r in results if isinstance(r, Exception)]
            from annotator.ui.workflow.common import error_text

            text = (f"Sent {len(sent)} waiting package(s): "
                    + ", ".join(f"#{r.id}" for r in sent) + "." if sent else "")
            if refused:
                self.banner.show_message(
                    (text + "\n" if text else "") + "Refused by the server:\n"
                    + "\n".join(error_text(e) for e in refused), "error")
            elif sent:
                self.banner.show_message(text, "ok")

        def failed(exc) -> None:
            if not quiet:
                self.banner.show_error(exc, "The waiting packages could not be sent yet.")

        return s.send_pending(on_done=done, on_error=failed, owner=self)

    def _retry_team(self) -> None:
        """Every 30 s in team mode: reconnect if the server was down, then send what
        waits."""
        s = self.session
        if s.team is None:
            return
        if not s.ready:
            if s.error is not None:
                s.open_store()
            return
        self.send_pending(quiet=True)

    def change_passphrase(self):
        from annotator.ui.workflow.sign_in import SignInDialog

        actor = self.session.actor
        if actor is None:
            return None
        dlg = SignInDialog(self.session.services, self, name=actor.name, actor=actor,
                           mode="change_own")
        def changed() -> None:
            self.session.set_actor(dlg.actor)
            self.banner.show_message("Passphrase changed.", "ok")

        dlg.accepted.connect(changed)
        self.dialogs.append(dlg)
        dlg.open()
        return dlg

    def _account_deleted(self) -> None:
        self.session.sign_out()
        self.show_tab("Recordings")
        self.banner.show_message("Your account was deleted and everything you submitted was "
                                 "withdrawn. Your local recordings are still here.", "ok")

    # -- submitting ------------------------------------------------------------------------
    def submit_selected(self) -> None:
        path = self.selected_path()
        if path is None:
            self.banner.show_message("Select the recording to submit.", "info")
            return
        self.submit_recording(path)

    def submit_recording(self, folder: Path, *, resubmit_of: int | None = None):
        """The consent dialog for ``folder`` (after signing in if needed)."""
        from annotator.ui.workflow.consent_dialog import ConsentDialog

        if not self.session.ready:
            self._store_failed(self.session.error) if self.session.error else \
                self.banner.show_message("Still connecting to the store…", "info")
            return None
        if self.session.actor is None:
            self.show_sign_in(then=lambda: self.submit_recording(folder,
                                                                 resubmit_of=resubmit_of))
            return None
        dlg = ConsentDialog(self.session, folder, self, resubmit_of=resubmit_of,
                            task_id=self.ws.task_for(folder))
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dlg.submitted.connect(lambda info: self.submissions_view.select(info.id))
        self.dialogs.append(dlg)
        dlg.destroyed.connect(lambda *_: self.dialogs.remove(dlg) if dlg in self.dialogs
                              else None)
        dlg.show()
        return dlg

    # -- tasks -----------------------------------------------------------------------------
    def apply_task(self, folder: Path, task) -> None:
        """The picked task's goal fills the recording's task panel (if it has no goal yet)
        and its id goes with the recording's submission."""
        from annotator.submission.library import assign_task

        problem = assign_task(self.ws, folder, task.id, task.goal)
        if problem is not None:
            self.banner.show_error(problem, "The task's goal could not be filled in.")

    def record_for_task(self, task) -> None:
        self._next_task = task
        self.open_recorder()

    def refresh(self) -> None:
        from annotator.media.framecache import recording_thumbnail  # (video: on demand)
        from annotator.submission.library import recording_summaries

        rows: list[tuple[Path, np.ndarray | None, str, str, str, str]] = []
        for rec in recording_summaries(self.ws):
            if rec.problem is not None:
                rows.append((rec.folder, None, "", "", "", rec.status))
                continue
            rows.append((rec.folder, recording_thumbnail(rec.folder),
                         when(rec.started) if rec.started else "", duration(rec.duration_us),
                         str(rec.steps), rec.status))
        self.table.setRowCount(len(rows))
        for r, (path, thumb, *cells) in enumerate(rows):
            item = QTableWidgetItem(path.name)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            if thumb is not None:
                h, w, _ = thumb.shape
                img = QImage(np.ascontiguousarray(thumb).tobytes(), w, h, 3 * w,
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
            self.banner.show_error(exc, "Cannot open this recording.")
            return None
        win.destroyed.connect(lambda *_: self.refresh())
        win.submit_requested.connect(self._submit_from_editor)
        win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.editors.append(win)
        win.show()
        return win

    def _submit_from_editor(self, folder: Path):
        self.showNormal()
        self.raise_()
        return self.submit_recording(Path(folder))

    def make_demo(self, task=None):
        from annotator.ui.demo import make_demo

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            path = make_demo(self.ws)
        finally:
            QApplication.restoreOverrideCursor()
        if task is not None:
            self.apply_task(path, task)
        self.refresh()
        self.show_tab("Recordings")
        return self.open_editor(path)

    def open_recorder(self) -> None:
        from annotator.ui.recorder_control import RecorderControl

        if self._control is not None and self._control.isVisible():
            self._control.raise_()
            return
        control = self._control = RecorderControl(self.ws)
        control.finished.connect(self._recording_finished)
        control.show()
        geo = control.screen().availableGeometry()
        control.move(geo.right() - control.width() - 20, geo.top() + 20)
        self.showMinimized()

    def _recording_finished(self, manifest) -> None:
        self.showNormal()
        task, self._next_task = self._next_task, None
        out = getattr(self._control, "out", None)
        if task is not None and out is not None and Path(out).is_dir():
            self.apply_task(Path(out), task)
        self.refresh()
        self.show_tab("Recordings")
        if manifest and manifest.get("problems"):
            self.banner.show_message("Recording saved with problems:\n"
                                     + "\n".join(manifest["problems"]), "warn")


ICON = Path(__file__).resolve().parent / "icons" / "annotator.svg"


def _app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("annotator")
    app.setDesktopFileName("annotator")  # the menu entry the installer adds (its icon)
    if ICON.is_file():
        app.setWindowIcon(QIcon(str(ICON)))
    return app


def _open_workspace(workspace: str | None) -> Workspace:
    """The workspace, or a window saying why not (the app may have been started from the
    menu, with nobody reading its terminal): a newer annotator upgraded it, or the folder
    cannot be used.  Nothing is opened or written then."""
    from annotator.compat import WorkspaceTooNew, check_workspace
    from annotator.workspace import default_workspace_path

    try:
        check_workspace(Path(workspace).expanduser() if workspace else default_workspace_path())
        return Workspace.open(workspace)
    except AnnotatorError as exc:
        from PyQt6.QtWidgets import QMessageBox

        app = _app()  # kept referenced while the box is up
        title = ("annotator — workspace too new" if isinstance(exc, WorkspaceTooNew)
                 else "annotator — cannot open your workspace")
        box = QMessageBox(QMessageBox.Icon.Critical, title, exc.message,
                          QMessageBox.StandardButton.Close)
        box.setInformativeText(exc.hint or "")
        box.exec()
        del app
        raise


def _library(ws: Workspace) -> LibraryWindow:
    """The library window as the app opens it: with the platform checks, which run in the
    background and show what this computer lacks above the tabs."""
    from annotator.ui.platform_view import PlatformChecks

    win = LibraryWindow(ws)
    lay = win.centralWidget().layout()
    win.platform = PlatformChecks(
        win, ws, lambda w: lay.insertWidget(lay.indexOf(win.banner) + 1, w))
    win.show()
    win.platform.start()
    return win


def _drafting_ahead() -> None:
    """The editor's drafting process, started with the app: its imports and OCR engine load
    while the app starts, not while a recording opens (annotator.drafts.worker)."""
    from annotator.drafts.worker import DraftProcess

    try:
        DraftProcess.prestart()
    except OSError:  # started when a recording opens instead
        pass


def run_app(workspace: str | None) -> int:
    _drafting_ahead()
    ws = _open_workspace(workspace)
    app = _app()
    _library(ws)
    return app.exec()


def run_editor(workspace: str | None, folder: Path) -> int:
    _drafting_ahead()
    from annotator.ui.editor.window import EditorWindow

    app = _app()
    win = EditorWindow(folder)
    libraries: list[LibraryWindow] = []

    def submit(path: Path) -> None:
        """The editor's File ▸ Submit…: a library window of the recording's workspace
        (which signs in and holds the session), opened once."""
        if not libraries:
            lib = LibraryWindow(Workspace.of_recording(path), auto_sign_in=False)
            lib.editors.append(win)
            libraries.append(lib)
            lib.show()
        lib = libraries[0]
        if lib.session.ready:
            lib._submit_from_editor(path)
            return

        def go() -> None:
            if lib.session.ready:
                lib.session.changed.disconnect(go)
                lib._submit_from_editor(path)

        lib.session.changed.connect(go)

    win.submit_requested.connect(submit)
    win.show()
    return app.exec()


def run_demo(workspace: str | None) -> int:
    _drafting_ahead()
    ws = _open_workspace(workspace)
    app = _app()
    lib = _library(ws)
    if lib.make_demo() is None:
        return 2
    return app.exec()
