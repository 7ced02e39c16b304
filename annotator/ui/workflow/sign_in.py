"""Sign in, first-run set-up and switching user.

Users sign in with a name and a passphrase; switching user on one machine is signing in as
the other.  On an empty store the same dialog creates the first admin.  An account an admin
invited (or whose passphrase was reset) must choose its own passphrase before going on.
Errors stay in the dialog (wrong passphrase, too short, the two differ) and nothing is lost.

Where: "This computer" (the workspace's own store) or "Team server" (a URL): signing in to a
server trades the passphrase for an access token (kept in the OS keyring by
``annotator.remote``), and the window then works through ``RemoteServices``.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.ui.workflow.common import error_text


class SignInDialog(QDialog):
    """Modes: ``sign_in``, ``setup`` (first admin of an empty store), ``change`` (a new
    passphrase for an account that must change it).  ``actor`` holds the result.

    With ``workspace``, the dialog also asks where to work: ``where`` is ``"local"`` or
    ``"team"``; after a team sign-in ``services`` is the server's ``RemoteServices`` and
    ``team`` its ``TeamSettings``.  Choosing "This computer" while the window works against
    a server accepts with ``actor`` None: the window reopens the local store."""

    def __init__(self, services: Any, parent: QWidget | None = None, *,
                 name: str = "", actor: Any = None, mode: str | None = None,
                 workspace: Any = None, team: Any = None) -> None:
        super().__init__(parent)
        self.services = services
        self.actor = actor
        self.workspace = workspace
        self.team = team
        self.local_services = None if team is not None else services
        self.warning: str | None = None  # where the token went, if not to a keyring
        self._current = ""
        self.setObjectName("signIn")
        self.setMinimumWidth(440)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.name = QLineEdit(name)
        self.name.setObjectName("name")
        self.name.setPlaceholderText("your sign-in name, e.g. ana")
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit()
        self.again.setObjectName("again")
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.current = QLineEdit()
        self.current.setObjectName("current")
        self.current.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#b00020;")
        self.error.hide()
        self.local_radio = QRadioButton("This computer")
        self.local_radio.setObjectName("whereLocal")
        self.team_radio = QRadioButton("Team server")
        self.team_radio.setObjectName("whereTeam")
        self.where_group = QButtonGroup(self)
        self.where_group.addButton(self.local_radio)
        self.where_group.addButton(self.team_radio)
        (self.team_radio if team is not None else self.local_radio).setChecked(True)
        self.url = QLineEdit(team.server if team is not None else "")
        self.url.setObjectName("serverUrl")
        self.url.setPlaceholderText("https://annotator.example.org or http://127.0.0.1:8080")
        where_row = QHBoxLayout()
        where_row.addWidget(self.local_radio)
        where_row.addWidget(self.team_radio)
        where_row.addStretch(1)
        self.where_box = QWidget()
        self.where_box.setLayout(where_row)
        where_row.setContentsMargins(0, 0, 0, 0)
        self.form = QFormLayout()
        self.form.addRow("Work on", self.where_box)
        self.form.addRow("Server URL", self.url)
        self.form.addRow("Name", self.name)
        self.form.addRow("Current passphrase", self.current)
        self.form.addRow("Passphrase", self.passphrase)
        self.form.addRow("Type it again", self.again)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addLayout(self.form)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.local_radio.toggled.connect(lambda _on: self.set_mode(self._mode_for_where()))
        self._initial_mode = mode
        self.mode = mode or "sign_in"
        self.set_mode(self._mode_for_where())

    @property
    def where(self) -> str:
        return "team" if self.team_radio.isChecked() else "local"

    def _mode_for_where(self) -> str:
        if self._initial_mode is not None:
            return self._initial_mode
        if self.where == "team":
            return "sign_in"
        if self.local_services is None:
            return "switch_local"
        try:
            return "sign_in" if self.local_services.is_set_up() else "setup"
        except AnnotatorError as exc:
            self._show_error(exc)
            return "sign_in"

    def set_mode(self, mode: str) -> None:
        """``sign_in``, ``setup``, ``change`` (right after signing in with an admin-set
        passphrase) or ``change_own`` (from the user menu: the current one is asked)."""
        self.mode = mode
        choose = self.workspace is not None and mode in ("sign_in", "setup", "switch_local")
        self.where_box.setVisible(choose)
        self.form.labelForField(self.where_box).setVisible(choose)
        team = choose and self.where == "team"
        self.url.setVisible(team)
        self.form.labelForField(self.url).setVisible(team)
        for w in (self.name, self.passphrase):
            w.setVisible(mode != "switch_local")
            self.form.labelForField(w).setVisible(mode != "switch_local")
        again = mode in ("setup", "change", "change_own")
        self.again.setVisible(again)
        self.form.labelForField(self.again).setVisible(again)
        self.current.setVisible(mode == "change_own")
        self.form.labelForField(self.current).setVisible(mode == "change_own")
        self.name.setEnabled(mode not in ("change", "change_own"))
        if mode == "setup":
            self.setWindowTitle("Set up annotator")
            self.title.setText(
                "<b>First run: create the first admin.</b><br>This store has no users yet. "
                "The admin invites contributors and reviewers, sets rates and pays. "
                "Choose a name and a passphrase of at least 10 characters.")
            self.ok.setText("Create admin and sign in")
        elif mode == "change_own":
            self.setWindowTitle("Change your passphrase")
            self.title.setText("<b>Change your passphrase.</b><br>Type the current one, then "
                               "the new one twice (at least 10 characters).")
            self.form.labelForField(self.passphrase).setText("New passphrase")
            self.ok.setText("Save passphrase")
        elif mode == "change":
            self.setWindowTitle("Choose your passphrase")
            self.title.setText(
                "<b>Choose your own passphrase.</b><br>The passphrase you signed in with was "
                "set by an admin; replace it with one only you know.")
            self.form.labelForField(self.passphrase).setText("New passphrase")
            self.passphrase.clear()
            self.again.clear()
            self.ok.setText("Save passphrase")
        elif mode == "switch_local":
            self.setWindowTitle("Work on this computer")
            self.title.setText("<b>Work on this computer.</b><br>The app leaves the team "
                               "server and opens this computer's own store; you then sign "
                               "in there. Your recordings stay where they are.")
            self.ok.setText("Switch to this computer")
        elif team:
            self.setWindowTitle("Sign in to a team server")
            self.title.setText("<b>Sign in to your team's server</b> with the name and "
                               "passphrase its admin gave you. The app keeps an access token "
                               "in this computer's keyring, not the passphrase.")
            self.ok.setText("Sign in to the server")
        else:
            self.setWindowTitle("Sign in")
            self.title.setText("<b>Sign in</b> with your name and passphrase. To switch user "
                               "on this machine, sign in as the other person.")
            self.ok.setText("Sign in")
        if team and not self.url.text().strip():
            self.url.setFocus()
        else:
            (self.passphrase if self.name.text() else self.name).setFocus()

    def _show_error(self, exc: BaseException | str) -> None:
        self.error.setText(exc if isinstance(exc, str) else error_text(exc))
        self.error.show()
        self.adjustSize()  # room for the whole message

    def submit(self) -> None:
        """Check what was typed; on success the dialog is accepted with ``actor`` set."""
        self.error.hide()
        if self.mode == "switch_local":
            self.actor = None
            self.accept()
            return None
        name = self.name.text().strip()
        secret = self.passphrase.text()
        if not name:
            return self._show_error("Type your sign-in name.")
        if not secret:
            return self._show_error("Type your passphrase.")
        if self.mode in ("setup", "change", "change_own") and secret != self.again.text():
            return self._show_error("The two passphrases differ: type the same one twice.")
        try:
            if self.mode == "setup":
                self.actor = self.services.setup_first_admin(name=name, passphrase=secret)
            elif self.mode in ("change", "change_own"):
                current = self._current if self.mode == "change" else self.current.text()
                self.actor = self.services.change_passphrase(
                    actor=self.actor, current=current, new=secret)
            elif self.workspace is not None and self.where == "team":
                self._team_sign_in(name, secret)
                if self.actor.must_change_passphrase:
                    self._current = secret
                    self.set_mode("change")
                    return None
            else:
                if self.local_services is not None:
                    self.services, self.team = self.local_services, None
                self.actor = self.services.sign_in(name=name, passphrase=secret)
                if self.actor.must_change_passphrase:
                    self._current = secret
                    self.set_mode("change")
                    return None
        except AnnotatorError as exc:
            self.passphrase.selectAll()
            self.passphrase.setFocus()
            return self._show_error(exc)
        self.accept()
        return None

    def _team_sign_in(self, name: str, secret: str) -> None:
        """Sign in on the server named in the URL field; on success ``services`` and
        ``team`` are the server's (the token went to the keyring)."""
        from urllib.parse import urlsplit

        from annotator.remote import team as team_mod

        url = self.url.text().strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.url.setFocus()
            raise AnnotatorError(f"“{url or '(empty)'}” is not a server address.",
                                 "Type the address your admin gave you, starting with "
                                 "https:// (or http:// for a server on this computer).")
        settings = team_mod.TeamSettings(url, name)
        svc = team_mod.remote_services(self.workspace.root, settings)
        from annotator.remote.http import ServerUnavailable

        try:
            actor = svc.sign_in(name=name, passphrase=secret)
        except ServerUnavailable as exc:
            svc.close()
            raise AnnotatorError(exc.message, "Check the address, or ask your admin whether "
                                 "the server is running. Your recordings stay on this "
                                 "computer.") from exc
        except BaseException:
            svc.close()
            raise
        self.services, self.team, self.actor = svc, settings, actor
        self.warning = svc.last_warning
