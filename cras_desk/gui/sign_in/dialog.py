"""The sign-in dialog: user name and password, checked by AuthService against the users table, or,
on a central database where everyone has their own login role, by the server itself.

The database is made ready on the worker while the advisor types (on the very first run of the
embedded database that includes the demo data, with progress shown here). "Database connection..."
lets an administrator point the desk at another database; the choice is tried at sign-in and
saved only when an administrator signs in to the new database. Anyone else signing in to it is
refused and the desk goes back to its saved connection, so an advisor cannot quietly repoint a desk.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QWidget

from cras_desk.db.engine import Database
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import AuthenticationFailed, CrasError
from cras_desk.gui.generated.ui_sign_in import Ui_SignInDialog
from cras_desk.gui.sign_in.connection import Target, prepare, remember_password
from cras_desk.gui.style import set_role
from cras_desk.gui.tasks import TaskRunner
from cras_desk.gui.widgets.announcer import Announcer
from cras_desk.gui.widgets.password_edit import protect
from cras_desk.services.actor import Actor
from cras_desk.settings import Settings

NO_KEYRING = (
    "This computer has no system keyring, so the database password cannot be stored safely: "
    "type it each time you sign in. It is never written to a file."
)


def _keyring_available() -> bool:
    from cras_desk import credentials  # imported only when a server database is in play

    return credentials.keyring_available()


class _Relay(QObject):
    """Carries progress text from the worker thread to the dialog (a queued signal)."""

    message = Signal(str)


def connection_error_text(exc: BaseException) -> str:
    if isinstance(exc, CrasError):
        return str(exc)
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if isinstance(exc, DBAPIError):
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else ""
        return f"Cannot connect to the database. {detail}".strip()
    if isinstance(exc, SQLAlchemyError | ValueError):
        return f"Cannot use this database: {exc}"
    return f"Cannot open the database: {exc}"


class SignInDialog(QDialog):
    """Accepted once someone has signed in: read .actor and .database (and .target) then."""

    database_ready = Signal()

    def __init__(
        self,
        settings: Settings,
        tasks: TaskRunner,
        target: Target,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ui = Ui_SignInDialog()
        self.ui.setupUi(self)
        self.settings = settings
        self.tasks = tasks
        target = target.signed_out()  # a personal login is the next person's to give
        self._saved_target = target
        self.target = target
        self.database: Database | None = None
        self.actor: Actor | None = None
        self._preparing = False
        self._sign_in_waiting = False
        self._relay = _Relay(self)
        self._relay.message.connect(self._progress)
        self._dbs: list[Database] = []  # every Database opened here, disposed unless handed over

        self.ui.userName.setText(settings.last_username)
        self.ui.signInButton.clicked.connect(self.sign_in)
        self.ui.quitButton.clicked.connect(self.reject)
        self.ui.databaseButton.clicked.connect(self.choose_database)
        protect(self.ui.password)
        protect(self.ui.dbPassword)
        # The error line is where sign-in problems are shown and, as a notification, spoken.
        self.announcer = Announcer(self.ui.errorLabel, self)
        self.ui.errorLabel.hide()
        self.ui.progress.hide()
        self.ui.progressLabel.hide()
        self._show_target()
        self.resize(self.width(), self.minimumSizeHint().height() + 24)
        (self.ui.password if settings.last_username else self.ui.userName).setFocus()

    # --- the database ----------------------------------------------------------------------------

    def _show_target(self) -> None:
        t = self.target
        text = f"Database: {t.display}"
        if t.pending:
            text += " (new connection: saved once an administrator signs in)"
        self.ui.databaseLabel.setText(text)
        need = t.needs_password()
        self.ui.dbPassword.setVisible(need)
        self.ui.dbPasswordLabel.setVisible(need)
        self.ui.dbPassword.clear()
        no_keyring = t.is_server and not _keyring_available()
        self.ui.keyringNotice.setText(NO_KEYRING if no_keyring else "")
        self.ui.keyringNotice.setVisible(no_keyring)
        if not need and not t.personal:  # a personal login connects with the credentials typed
            self.start_preparing()

    def start_preparing(self) -> None:
        """Connect (and migrate/seed the embedded database) on the worker."""
        if self._preparing or self.database is not None:
            return
        self._preparing = True
        target, relay = self.target, self._relay
        self._set_busy(True, "Connecting to the database...")

        def done(db: Database) -> None:
            self._dbs.append(db)
            self._preparing = False
            if target is not self.target:  # the advisor chose another database meanwhile
                return
            self.database = db
            self._set_busy(False)
            self.database_ready.emit()
            if self._sign_in_waiting:
                self.sign_in()

        def failed(exc: BaseException) -> None:
            self._preparing = False
            self._sign_in_waiting = False
            if target is not self.target:
                return
            self._set_busy(False)
            if target.personal:
                from cras_desk.services.database_login import WRONG, is_refused_login

                self.target = target.signed_out()
                self.ui.signInButton.setEnabled(True)
                self.ui.password.clear()
                self.ui.password.setFocus()
                self.show_error(WRONG if is_refused_login(exc) else connection_error_text(exc))
                return
            self.show_error(connection_error_text(exc))
            if target.is_server and not target.from_cli:
                # A wrong or stale password: ask for it again rather than retrying the same one.
                self.target = target.with_password(None)
                self.ui.dbPassword.show()
                self.ui.dbPasswordLabel.show()

        self.tasks.run(lambda: prepare(target, relay.message.emit), done, failed)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.ui.progress.setRange(0, 0)  # busy indicator: the seed reports steps, not a fraction
        self.ui.progress.setVisible(busy)
        self.ui.progressLabel.setVisible(busy and bool(text))
        self.ui.progressLabel.setText(text)

    def _progress(self, text: str) -> None:
        self.ui.progressLabel.setText(text)
        self.ui.progressLabel.show()
        self.ui.progress.show()

    def choose_database(self) -> None:
        from cras_desk.gui.sign_in.database_dialog import DatabaseConnectionDialog

        dialog = DatabaseConnectionDialog(self.target, self.settings.database_url, self)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.target is None:
            return
        self._switch_to(dialog.target)

    def _switch_to(self, target: Target) -> None:
        self.target = target
        self.database = None
        self._preparing = False
        self.announcer.clear()
        self._show_target()

    # --- signing in ------------------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        set_role(self.ui.errorLabel, "error")
        if text:
            self.announcer.announce(text, assertive=True)
        else:
            self.announcer.clear()

    def sign_in(self) -> None:
        username = self.ui.userName.text().strip()
        password = self.ui.password.text()
        if not username or not password:
            self.show_error("Enter your user name and password.")
            (self.ui.userName if not username else self.ui.password).setFocus()
            return
        if self.database is None:
            if self.target.personal:
                self.target = self.target.with_login(username.lower(), password)
            elif self.target.needs_password():
                if not self.ui.dbPassword.text():
                    self.show_error("Enter the database password.")
                    self.ui.dbPassword.setFocus()
                    return
                self.target = self.target.with_password(self.ui.dbPassword.text())
            self._sign_in_waiting = True
            self.ui.signInButton.setEnabled(False)
            self.start_preparing()
            return
        self._sign_in_waiting = False
        self.ui.signInButton.setEnabled(False)
        self.announcer.clear()
        db = self.database
        if db.personal_login:  # the server has checked the password: ask it who this is
            from cras_desk.services.database_login import DatabaseLogin

            login = DatabaseLogin(db)
            self.tasks.run(login.sign_in, self._signed_in, self._sign_in_failed)
            return
        from cras_desk.services.auth import AuthService

        auth = AuthService(db)
        self.tasks.run(lambda: auth.sign_in(username, password), self._signed_in, self._sign_in_failed)

    def _signed_in(self, actor: Actor) -> None:
        self.ui.signInButton.setEnabled(True)
        if self.target.pending:
            if actor.role is not Role.ADMIN:
                self.ui.password.clear()
                self._switch_to(self._saved_target)
                # After the switch, which clears the error line: the advisor must see why.
                self.show_error(
                    "Only an administrator can change this desk's database. "
                    "Going back to the saved connection."
                )
                return
            self._save_target()
        elif self.target.is_server and self.target.password is not None:
            remember_password(self.target)
        self.settings.last_username = actor.username
        self._save_settings()
        self.actor = actor
        self.ui.password.clear()
        self.accept()

    def _sign_in_failed(self, exc: BaseException) -> None:
        self.ui.signInButton.setEnabled(True)
        if self.target.personal and self.database is not None:
            # Connected, but not as anyone with an active users row: the next try starts over.
            self.database = None
            self.target = self.target.signed_out()
        self.ui.password.clear()
        self.ui.password.setFocus()
        if isinstance(exc, AuthenticationFailed):
            self.show_error(str(exc))
        else:
            self.show_error(connection_error_text(exc))

    def _save_target(self) -> None:
        t = self.target
        self.settings.database_url = "" if t.embedded else t.keyring_account
        stored = remember_password(t)
        if t.is_server and t.password is not None and not stored and t.remember:
            self.ui.keyringNotice.setText(NO_KEYRING)
        self._saved_target = t

    def _save_settings(self) -> None:
        # A desk whose settings cannot be written still works; it asks again next time.
        with contextlib.suppress(OSError, ValueError):
            self.settings.save()

    # --- hand-over -------------------------------------------------------------------------------

    def take_database(self) -> Database:
        """The signed-in database, now owned by the caller; others opened here are closed."""
        assert self.database is not None
        for db in self._dbs:
            if db is not self.database:
                db.dispose()
        self._dbs = [self.database]
        return self.database

    def reject(self) -> None:
        for db in self._dbs:
            if db is not self.database or self.actor is None:
                db.dispose()
        super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.reject()
            return
        super().keyPressEvent(event)
