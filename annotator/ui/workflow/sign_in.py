"""Sign in, first-run set-up and switching user.

Users sign in with a name and a passphrase; switching user on one machine is signing in as
the other.  On an empty store the same dialog creates the first admin.  An account an admin
invited (or whose passphrase was reset) must choose its own passphrase before going on.
Errors stay in the dialog (wrong passphrase, too short, the two differ) and nothing is lost.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.ui.workflow.common import error_text


class SignInDialog(QDialog):
    """Modes: ``sign_in``, ``setup`` (first admin of an empty store), ``change`` (a new
    passphrase for an account that must change it).  ``actor`` holds the result."""

    def __init__(self, services: Any, parent: QWidget | None = None, *,
                 name: str = "", actor: Any = None, mode: str | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.actor = actor
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
        self.form = QFormLayout()
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
        if mode is None:
            try:
                mode = "sign_in" if services.is_set_up() else "setup"
            except AnnotatorError as exc:
                mode = "sign_in"
                self._show_error(exc)
        self.set_mode(mode)

    def set_mode(self, mode: str) -> None:
        """``sign_in``, ``setup``, ``change`` (right after signing in with an admin-set
        passphrase) or ``change_own`` (from the user menu: the current one is asked)."""
        self.mode = mode
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
        else:
            self.setWindowTitle("Sign in")
            self.title.setText("<b>Sign in</b> with your name and passphrase. To switch user "
                               "on this machine, sign in as the other person.")
            self.ok.setText("Sign in")
        (self.passphrase if self.name.text() else self.name).setFocus()

    def _show_error(self, exc: BaseException | str) -> None:
        self.error.setText(exc if isinstance(exc, str) else error_text(exc))
        self.error.show()
        self.adjustSize()  # room for the whole message

    def submit(self) -> None:
        """Check what was typed; on success the dialog is accepted with ``actor`` set."""
        self.error.hide()
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
            else:
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
