"""Shared pieces of the workflow views: the signed-in session and the in-window banner.

Every slow call (opening the store, rendering, ingesting, extracting a video, writing a
download) runs through the UI's one background-work runner (``annotator.ui.work``); results
come back through queued Qt signals.  Errors are shown in a ``Banner`` inside the window,
never in a modal message box (a modal box inside a slot blocks offscreen tests and hides the
window's state).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.ui.work import Job, bound_to, run_job
from annotator.workflow.contract import Actor, SubmissionInfo, TeamServices, WorkflowServices

if TYPE_CHECKING:
    from annotator.remote.teamsettings import TeamSettings
    from annotator.workspace import Workspace

T = TypeVar("T")

STATE_COLOURS = {
    "approved": "#1b7a2e", "changes_requested": "#b26a00", "rejected": "#b00020",
    "withdrawn": "#777777", "superseded": "#777777", "in_review": "#1a5fb4",
    "submitted": "#1a5fb4", "draft": "#555555",
}


def error_text(exc: BaseException) -> str:
    """An error as the user should read it: the message and what to do."""
    if isinstance(exc, AnnotatorError):
        return exc.message + (f"\nWhat to do: {exc.hint}" if exc.hint else "")
    return f"{type(exc).__name__}: {exc}"


class Banner(QFrame):
    """A message inside the window: info, success or error, with optional action buttons."""

    STYLES = {
        "info": "background:#e8f0fe;border:1px solid #a8c0f0;color:#102a55;",
        "ok": "background:#e6f4ea;border:1px solid #9cd3a8;color:#0d3d1a;",
        "warn": "background:#fff4e5;border:1px solid #f0c36d;color:#4d3000;",
        "error": "background:#fdecea;border:1px solid #f1a19a;color:#5f1010;",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._lay = QHBoxLayout(self)
        self._lay.setContentsMargins(10, 6, 6, 6)
        self._lay.addWidget(self.label, 1)
        self._buttons: list[QPushButton] = []
        self.kind = "info"
        self.close_btn = QPushButton("✕")
        self.close_btn.setFlat(True)
        self.close_btn.setFixedWidth(28)
        self.close_btn.setToolTip("Hide this message")
        self.close_btn.clicked.connect(self.hide)
        self._lay.addWidget(self.close_btn)
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def show_message(self, text: str, kind: str = "info",
                     actions: list[tuple[str, Callable[[], object]]] | None = None) -> None:
        self.kind = kind
        self.setStyleSheet(f"QFrame#banner {{{self.STYLES.get(kind, '')} border-radius:4px;}}")
        self.label.setText(text)
        for b in self._buttons:
            self._lay.removeWidget(b)
            b.hide()  # at once: deleteLater waits for the event loop
            b.deleteLater()
        self._buttons = []
        for label, fn in actions or []:
            b = QPushButton(label)
            b.clicked.connect(lambda _checked=False, fn=fn: fn())  # never pass `checked` on
            self._lay.insertWidget(self._lay.count() - 1, b)
            self._buttons.append(b)
        self.show()

    def show_error(self, exc: BaseException | str, prefix: str = "") -> None:
        text = exc if isinstance(exc, str) else error_text(exc)
        self.show_message((prefix + "\n" if prefix else "") + text, "error")

    def button(self, label: str) -> QPushButton | None:
        return next((b for b in self._buttons if b.text() == label), None)


def selected_row_id(table: QTableWidget) -> int | None:
    """The id a table's selected row carries in its first cell (Qt.UserRole)."""
    model = table.selectionModel()
    rows = model.selectedRows() if model is not None else []
    item = table.item(rows[0].row(), 0) if rows else None
    value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
    return int(value) if value is not None else None


def read_only_table(headers: list[str], stretch: int | None = None, *,
                    stretch_last: bool = True) -> QTableWidget:
    """A table of rows to select, not to edit, sized to its contents."""
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.verticalHeader().hide()
    hh = t.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    hh.setStretchLastSection(stretch_last)
    if stretch is not None:
        hh.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return t


class SessionView:
    """For the workflow views: the session's services and user, and calls whose errors go to
    the view's banner (``self.session`` and ``self.banner`` are set by the view)."""

    session: Session
    banner: Banner

    @property
    def svc(self) -> WorkflowServices | None:
        return self.session.services

    @property
    def actor(self) -> Actor | None:
        return self.session.actor

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return fn(*args, **kwargs)
        except AnnotatorError as exc:
            self.banner.show_error(exc)
            return None


# Who asked for a send of the outbox: (on_done, on_error), either may be None.
_SendWaiter = tuple[Callable[[list[SubmissionInfo | Exception]], None] | None,
                    Callable[[BaseException], None] | None]


class Session(QObject):
    """The store, its services and the signed-in user, shared by every view of one window.

    Views listen to ``changed`` (someone signed in or out, or the store was opened) and
    ``data_changed`` (a submission, a review or a setting changed: lists refresh)."""

    changed = pyqtSignal()
    data_changed = pyqtSignal()
    store_failed = pyqtSignal(object)  # the exception

    pending_changed = pyqtSignal(int)  # team mode: packages waiting in the outbox

    def __init__(self, workspace: Workspace, *, services: WorkflowServices | None = None,
                 database_url: str | None = None, team: TeamSettings | None = None) -> None:
        super().__init__()
        self.ws = workspace
        self.database_url = database_url
        self.services = services
        # Team mode: a ``TeamSettings`` (server URL and user); the services are then a
        # ``RemoteServices`` (``TeamServices``: the contract and an outbox), and the token is
        # in the keyring.
        self.team = team
        self.actor: Actor | None = None
        self.error: BaseException | None = None
        self._opening: Job | None = None
        self._sending: Job | None = None  # the outbox's send, until its outcome arrived
        self._send_waiters: list[_SendWaiter] = []  # (on_done, on_error) of its askers

    @property
    def where(self) -> str:
        """Where the work goes, for the window: the server URL or the local store."""
        if self.team is not None:
            return self.team.server
        url = getattr(getattr(self.services, "store", None), "url", None)
        if url is None:
            return ""
        if getattr(url, "drivername", "").startswith("sqlite") and url.database:
            return str(url.database)  # the file, not "sqlite+pysqlite:////…"
        try:
            return str(url.render_as_string(hide_password=True))
        except Exception:  # noqa: BLE001 (display only)
            return str(url)

    # -- the store -------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.services is not None

    def open_store(self) -> Job | None:
        """Open the workspace's store on a worker thread (a server may take its connect
        timeout to answer)."""
        if self.services is not None:
            self.changed.emit()
            return None
        if self._opening is not None and not self._opening.finished_event.is_set():
            return self._opening

        from annotator.remote.team import open_session

        self._opening = run_job(open_session, self.ws.root, self.team,
                                database_url=self.database_url, owner=self,
                                on_done=self._opened, on_error=self._failed)
        return self._opening

    def _opened(self, result: tuple[WorkflowServices, Actor | None]) -> None:
        services, actor = result
        self.services = services
        self.error = None
        if actor is not None:  # team mode, with a valid token in the keyring
            self.actor = actor
        self.changed.emit()
        if self.team is not None:
            self.pending_changed.emit(self.pending_count())

    # -- team mode -------------------------------------------------------------------------
    def use(self, services: WorkflowServices, actor: Actor | None,
            team: TeamSettings | None) -> None:
        """Switch to other services (the team server or this computer's store), signed in
        as ``actor``; ``team`` is the ``TeamSettings`` or None for this computer.  Saved in
        the workspace so the next start works against the same place."""
        from annotator.remote import team as team_mod

        old = self.services
        if old is not None and old is not services and hasattr(old, "close"):
            try:
                old.close()
            except Exception:  # noqa: BLE001 (closing what is no longer used)
                pass
        self.services, self.actor, self.team, self.error = services, actor, team, None
        team_mod.save_settings(self.ws.root, team)
        self.changed.emit()
        if team is not None:
            self.pending_changed.emit(self.pending_count())

    def switch_to_local(self) -> Job | None:
        """Work against this computer's store again (the server's token stays in the
        keyring until signed out there)."""
        from annotator.remote import team as team_mod

        team = self.team_services()
        if team is not None:
            try:
                team.close()
            except Exception:  # noqa: BLE001
                pass
        self.services, self.actor, self.team, self.error = None, None, None, None
        team_mod.save_settings(self.ws.root, None)
        self.changed.emit()
        return self.open_store()

    def team_services(self) -> TeamServices | None:
        """The services with their outbox, in team mode (None on this computer's store)."""
        if self.team is None or not isinstance(self.services, TeamServices):
            return None
        return self.services

    def pending_count(self) -> int:
        """Packages consented to but not yet accepted by the team server."""
        team = self.team_services()
        outbox = team.outbox if team is not None else None
        if outbox is None:
            return 0
        try:
            return len(outbox.pending())
        except (OSError, ValueError, TypeError):
            return 0

    def send_pending(self,
                     on_done: Callable[[list[SubmissionInfo | Exception]], None] | None = None,
                     on_error: Callable[[BaseException], None] | None = None, *,
                     owner: QObject | None = None) -> Job | None:
        """Send what waits in the outbox (on a worker thread); one send at a time.  Asked
        while a send runs (the 30 s retry, then a click on "Send pending"), the caller gets
        that send's outcome too: the click is answered, not dropped.  The callbacks are not
        called once ``owner`` (the window that asked) was deleted: the session outlives it."""
        svc = self.team_services()
        if svc is None:
            return None
        self._send_waiters.append((None if on_done is None else bound_to(owner, on_done),
                                   None if on_error is None else bound_to(owner, on_error)))
        if self._sending is not None:  # until its outcome was delivered
            return self._sending

        def finish() -> list[_SendWaiter]:
            self._sending = None
            waiters, self._send_waiters = self._send_waiters, []
            self.pending_changed.emit(self.pending_count())
            return waiters

        def done(results: list[SubmissionInfo | Exception]) -> None:
            waiters = finish()
            if results:
                self.data_changed.emit()
            for ok, _ in waiters:
                if ok is not None:
                    ok(results)

        def failed(exc: BaseException) -> None:
            for _, bad in finish():
                if bad is not None:
                    bad(exc)

        from annotator.submission.local import send_pending

        self._sending = run_job(send_pending, svc, self.ws, owner=self, on_done=done,
                                on_error=failed)
        return self._sending

    def _failed(self, exc: BaseException) -> None:
        self.error = exc
        self.store_failed.emit(exc)

    # -- the user --------------------------------------------------------------------------
    def set_actor(self, actor: Actor | None) -> None:
        self.actor = actor
        self.changed.emit()

    def sign_out(self) -> None:
        self.actor = None
        self.changed.emit()

    @property
    def role(self) -> str | None:
        return None if self.actor is None else str(self.actor.role)

    def touched(self) -> None:
        self.data_changed.emit()
