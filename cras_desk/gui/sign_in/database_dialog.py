"""Database connection: where an administrator points the desk at the central database.

The URL is kept without its password; the password goes to the OS keyring (if this computer has
one) once a sign-in to the new database has worked. Nothing is saved here: the sign-in dialog
saves the connection only after an administrator has signed in to it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QWidget

from cras_desk import credentials
from cras_desk.gui.generated.ui_database_connection import Ui_DatabaseConnectionDialog
from cras_desk.gui.sign_in.connection import Target, embedded_target, target_from
from cras_desk.gui.widgets.announcer import Announcer
from cras_desk.gui.widgets.password_edit import protect

NO_KEYRING = (
    "This computer has no system keyring: the database password cannot be remembered and will be "
    "asked for at each sign-in. It is never written to a file."
)


class DatabaseConnectionDialog(QDialog):
    def __init__(self, current: Target, saved_url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = Ui_DatabaseConnectionDialog()
        self.ui.setupUi(self)
        self._saved_url = saved_url
        self.target: Target | None = None
        self.ui.url.setText("" if current.embedded else current.keyring_account)
        have_keyring = credentials.keyring_available()
        self.ui.remember.setEnabled(have_keyring)
        self.ui.remember.setChecked(have_keyring)
        self.ui.keyringNotice.setText("" if have_keyring else NO_KEYRING)
        self.ui.keyringNotice.setVisible(not have_keyring)
        protect(self.ui.password)
        self.announcer = Announcer(self.ui.errorLabel, self)
        self.ui.errorLabel.hide()
        self.ui.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use this connection")
        self.ui.buttons.accepted.connect(self._accept)
        self.ui.buttons.rejected.connect(self.reject)
        self.ui.url.textChanged.connect(self._url_changed)
        self._url_changed(self.ui.url.text())
        self.ui.url.setFocus()

    def _url_changed(self, text: str) -> None:
        server = bool(text.strip()) and not text.strip().startswith("sqlite")
        self.ui.password.setEnabled(server)
        self.ui.remember.setEnabled(server and credentials.keyring_available())

    def _accept(self) -> None:
        text = self.ui.url.text().strip()
        if not text:
            target = embedded_target()
            target = Target(target.url, embedded=True, pending=bool(self._saved_url))
        else:
            from sqlalchemy.exc import ArgumentError

            try:
                target = target_from(text, self._saved_url)
            except (ArgumentError, ValueError) as exc:
                self._error(f"That is not a database URL: {exc}")
                return
            if target.url.get_backend_name() not in ("sqlite", "postgresql"):
                self._error("The desk works with PostgreSQL (or a SQLite file).")
                return
            # A password typed into the URL is kept in memory like a typed one, never saved with it.
            typed = self.ui.password.text()
            if target.is_server and typed:
                target = target.with_password(typed)
            target = Target(
                target.url,
                password=target.password,
                pending=target.keyring_account != self._saved_url,
                remember=self.ui.remember.isChecked(),
            )
        self.target = target
        self.accept()

    def _error(self, text: str) -> None:
        self.announcer.announce(text, assertive=True)
