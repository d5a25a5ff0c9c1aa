"""The users window (admins): who may sign in, in which role and team; add, deactivate,
reactivate, reset a password, unlock.

A thin client of cras_desk.services.users (UserAdmin): every call runs on the desk's database
worker and the list is read again after each change, so what is shown is what the database
holds. Deactivating asks first, because it ends the user's open sessions. A temporary password
is typed twice in fields that tell a screen reader nothing of what is typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cras_desk.domain.clock import to_london
from cras_desk.domain.enums import Role
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.accessible_names import name_combo
from cras_desk.gui.widgets.announcer import Announcer
from cras_desk.gui.widgets.error_text import describe_error
from cras_desk.gui.widgets.password_edit import PasswordEdit
from cras_desk.gui.widgets.tab_order import set_tab_order
from cras_desk.gui.widgets.tables import RowTableModel, TableColumn, setup_table
from cras_desk.services.dashboard.scope_choices import TeamChoice, scope_choices
from cras_desk.services.users import UserAdmin, UserRow

WINDOW_SIZE = (1100, 620)  # inside 1366x768 with the taskbar and the window frame
ROLE_WORDS = {Role.ADVISOR: "Patient care advisor", Role.TEAM_LEAD: "Team lead", Role.ADMIN: "Admin"}
NO_TEAM = "No team"


class Column(TableColumn):
    NAME = "Name"
    USERNAME = "User name"
    ROLE = "Role"
    TEAM = "Team"
    ACTIVE = "Active"
    LOCKED = "Locked"
    LAST_SIGN_IN = "Last sign-in"


class UsersModel(RowTableModel[UserRow, Column]):
    columns = Column

    def text(self, row: UserRow, column: Column) -> str:
        if column is Column.NAME:
            return row.full_name
        if column is Column.USERNAME:
            return row.username
        if column is Column.ROLE:
            return ROLE_WORDS.get(row.role, str(row.role))
        if column is Column.TEAM:
            return row.team_name or "—"
        if column is Column.ACTIVE:
            return "Active" if row.active else "Deactivated"
        if column is Column.LOCKED:
            return "Locked" if row.locked else "—"
        if row.last_sign_in is None:
            return "Never"
        return to_london(row.last_sign_in).strftime("%d %b %Y %H:%M")

    def spoken(self, row: UserRow, column: Column) -> str | None:
        if column is Column.TEAM and not row.team_name:
            return NO_TEAM
        if column is Column.LOCKED and not row.locked:
            return "Not locked"
        return self.text(row, column)


class PasswordTwice(QWidget):
    """Two password fields; the text once both say the same, else a sentence saying what is wrong."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first = PasswordEdit(self)
        self.second = PasswordEdit(self)
        self.first.setAccessibleName("Temporary password")
        self.second.setAccessibleName("Temporary password again")

    def fault(self) -> str | None:
        if not self.first.text():
            return "Type a temporary password."
        if self.first.text() != self.second.text():
            return "The two passwords are not the same. Type them again."
        return None

    def clear(self) -> None:
        self.first.clear()
        self.second.clear()


class _FormDialog(QDialog):
    """A small form whose OK is checked here first and then by the service on the worker."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.form = QFormLayout()
        self.error_label = QLabel(self)
        self.error_label.setObjectName("formError")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(f"{title}: problem")
        self.announcer = Announcer(self.error_label, self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setAccessibleName(ok_text.replace("&", ""))
        self.ok_button.setDefault(True)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def add_row(self, text: str, field: QWidget) -> None:
        label = QLabel(text, self)
        label.setBuddy(field)
        if not field.accessibleName():
            field.setAccessibleName(text.replace("&", ""))
        self.form.addRow(label, field)

    def refuse(self, message: str, field: QWidget | None = None) -> None:
        if field is not None:
            field.setFocus(Qt.FocusReason.OtherFocusReason)
        self.announcer.announce(message, assertive=True)


class AddUserDialog(_FormDialog):
    submitted = Signal(object)  # the AddUserDialog itself, once its own checks pass

    def __init__(self, teams: list[TeamChoice], parent: QWidget | None = None) -> None:
        super().__init__("Add a user", "&Add user", parent)
        self.username_edit = QLineEdit(self)
        self.username_edit.setMaxLength(64)
        self.full_name_edit = QLineEdit(self)
        self.full_name_edit.setMaxLength(120)
        self.role_combo = QComboBox(self)
        for role in (Role.ADVISOR, Role.TEAM_LEAD, Role.ADMIN):
            self.role_combo.addItem(ROLE_WORDS[role], role)
        self.team_combo = QComboBox(self)
        self.team_combo.addItem(NO_TEAM, None)
        for team in teams:
            self.team_combo.addItem(team.name, team.team_id)
        # Advisors and team leads belong to a team (the service says so): start on the first.
        self.team_combo.setCurrentIndex(1 if teams else 0)
        self.password = PasswordTwice(self)
        self.add_row("&User name", self.username_edit)
        self.add_row("&Full name", self.full_name_edit)
        self.add_row("&Role", self.role_combo)
        self.add_row("&Team", self.team_combo)
        self.add_row("Temporary &password", self.password.first)
        self.add_row("Password a&gain", self.password.second)
        name_combo(self.role_combo)
        name_combo(self.team_combo)
        self.ok_button.clicked.connect(self._check)
        set_tab_order(
            [
                self.username_edit,
                self.full_name_edit,
                self.role_combo,
                self.team_combo,
                self.password.first,
                self.password.second,
                self.ok_button,
            ]
        )
        self.username_edit.setFocus()

    def _check(self) -> None:
        if not self.username_edit.text().strip():
            self.refuse("Type the user name they will sign in with.", self.username_edit)
        elif not self.full_name_edit.text().strip():
            self.refuse("Type their full name.", self.full_name_edit)
        elif (fault := self.password.fault()) is not None:
            self.password.clear()
            self.refuse(fault, self.password.first)
        else:
            self.submitted.emit(self)

    def values(self) -> tuple[str, str, Role, int | None, str]:
        # Back as the enum: the combo's item data comes back from Qt as a plain str.
        role = Role(self.role_combo.currentData())
        team: int | None = self.team_combo.currentData()
        return (
            self.username_edit.text().strip(),
            self.full_name_edit.text().strip(),
            role,
            team,
            self.password.first.text(),
        )


class ResetPasswordDialog(_FormDialog):
    submitted = Signal(object)

    def __init__(self, user: UserRow, parent: QWidget | None = None) -> None:
        super().__init__(f"Reset the password of {user.full_name}", "&Reset password", parent)
        self.user = user
        intro = QLabel(
            f"Give {user.full_name} ({user.username}) a temporary password, typed twice. "
            "Tell it to them in person or by phone, never by e-mail.",
            self,
        )
        intro.setWordWrap(True)
        self.form.addRow(intro)
        self.password = PasswordTwice(self)
        self.add_row("Temporary &password", self.password.first)
        self.add_row("Password a&gain", self.password.second)
        self.ok_button.clicked.connect(self._check)
        set_tab_order([self.password.first, self.password.second, self.ok_button])
        self.password.first.setFocus()

    def _check(self) -> None:
        fault = self.password.fault()
        if fault is not None:
            self.password.clear()
            self.refuse(fault, self.password.first)
        else:
            self.submitted.emit(self)


def ask_to_deactivate(parent: QWidget, user: UserRow) -> bool:
    answer = QMessageBox.question(
        parent,
        "Deactivate user",
        f"Deactivate {user.full_name} ({user.username})?\n\nThis ends their open sessions: a desk "
        "they have open stops working at its next step. They cannot sign in until reactivated.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class UsersScreen(QDialog):
    """Not modal: an admin may keep it open beside the desk."""

    loaded = Signal(int)  # users listed
    changed = Signal(str)  # the message said after a change

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.admin = UserAdmin(ctx.services.db)
        self.teams: list[TeamChoice] = []
        self.form: _FormDialog | None = None
        # Asked before a deactivation; a test answers for the admin.
        self.confirm_deactivate: Callable[[UserRow], bool] = lambda user: ask_to_deactivate(self, user)
        self.setObjectName("usersScreen")
        self.setWindowTitle("Users")
        self.setAccessibleName("Users")
        self.setModal(False)
        self._build()
        self.resize(*WINDOW_SIZE)
        self.allowed = ctx.actor.role is Role.ADMIN
        self.busy = False
        if self.allowed:
            self.refresh()
        else:
            self.announcer.announce("Users are managed by admins; you are not signed in as one.")
        self._set_enabled()

    def _build(self) -> None:
        self.model = UsersModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("usersTable")
        self.table.setModel(self.model)
        setup_table(self.table, "Users")
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._set_enabled())
        table_label = QLabel("&Users", self)
        table_label.setBuddy(self.table)

        self.add_button = QPushButton("&Add user...", self)
        self.add_button.clicked.connect(self.add_user)
        self.deactivate_button = QPushButton("&Deactivate...", self)
        self.deactivate_button.clicked.connect(self.deactivate)
        self.reactivate_button = QPushButton("Reac&tivate", self)
        self.reactivate_button.clicked.connect(self.reactivate)
        self.reset_button = QPushButton("Reset &password...", self)
        self.reset_button.clicked.connect(self.reset_password)
        self.unlock_button = QPushButton("U&nlock", self)
        self.unlock_button.clicked.connect(self.unlock)
        self.refresh_button = QPushButton("&Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        self.close_button = QPushButton("Close", self)
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close)
        self.action_buttons = [
            self.add_button,
            self.deactivate_button,
            self.reactivate_button,
            self.reset_button,
            self.unlock_button,
            self.refresh_button,
        ]
        buttons = QHBoxLayout()
        for button in self.action_buttons:
            button.setAccessibleName(button.text().replace("&", "").rstrip("."))
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        self.status_label = QLabel(self)
        self.status_label.setObjectName("usersStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Users: result")
        self.announcer = Announcer(self.status_label, self)

        layout = QVBoxLayout(self)
        layout.addWidget(table_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        set_tab_order([self.table, *self.action_buttons, self.close_button])
        self.table.setFocus()

    # -- reading -------------------------------------------------------------------------------

    def selected(self) -> UserRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def select_user(self, user_id: int) -> bool:
        row = self.model.row_where(lambda u: u.id == user_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        self.table.setCurrentIndex(self.model.index(row, 0))
        return True

    def refresh(self, then_say: str | None = None, select_id: int | None = None) -> None:
        if not self.allowed:
            return
        keep = select_id if select_id is not None else (u.id if (u := self.selected()) else None)
        admin, actor, db = self.admin, self.ctx.actor, self.ctx.services.db

        def fetch() -> tuple[list[UserRow], list[TeamChoice]]:
            return admin.list_users(actor), list(scope_choices(db, actor).teams)

        def done(result: tuple[list[UserRow], list[TeamChoice]]) -> None:
            users, self.teams = result
            self.model.set_rows(users)
            if (keep is None or not self.select_user(keep)) and users:
                self.table.setCurrentIndex(self.model.index(0, 0))
            self.busy = False
            self._set_enabled()
            count = "1 user" if len(users) == 1 else f"{len(users)} users"
            self.announcer.announce(then_say or f"{count} listed.")
            self.loaded.emit(len(users))

        self.busy = True
        self._set_enabled()
        self.ctx.tasks.run(fetch, done, self._failed, key="admin.users.list")

    # -- changes -------------------------------------------------------------------------------

    def _change(self, call: Callable[[], Any], said: Callable[[Any], str], select_id: int | None) -> None:
        """Run one UserAdmin call on the worker, then read the list again and say what was done."""
        self.busy = True
        self._set_enabled()

        def done(result: Any) -> None:
            message = said(result)
            chosen = result if select_id is None and isinstance(result, int) else select_id
            if self.form is not None:
                self.form.accept()
                self.form = None
            self.refresh(then_say=message, select_id=chosen)
            self.changed.emit(message)

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._set_enabled()
            message = describe_error(exc)
            if self.form is not None:
                self.form.refuse(message)
            else:
                self.announcer.announce(message, assertive=True)

        self.ctx.tasks.run(call, done, failed)

    def add_user(self) -> None:
        if not self.allowed:
            return
        dialog = AddUserDialog(self.teams, self)
        dialog.submitted.connect(self._add_submitted)
        dialog.finished.connect(lambda _r: self._form_closed(dialog))
        self.form = dialog
        dialog.open()

    def _add_submitted(self, dialog: AddUserDialog) -> None:
        username, full_name, role, team_id, password = dialog.values()
        dialog.password.clear()  # the worker's closure holds the one copy from here
        admin, actor = self.admin, self.ctx.actor
        self._change(
            lambda: admin.add(actor, username, full_name, role, team_id, password),
            lambda _id: f"{full_name} added as {ROLE_WORDS[role].lower()}; they sign in as {username}.",
            None,
        )

    def deactivate(self) -> None:
        user = self.selected()
        if not self.allowed or user is None or not user.active:
            return
        if not self.confirm_deactivate(user):
            self.announcer.announce(f"{user.full_name} stays active.")
            return
        admin, actor = self.admin, self.ctx.actor
        self._change(
            lambda: admin.deactivate(actor, user.id),
            lambda _r: f"{user.full_name} deactivated: their open sessions are ended.",
            user.id,
        )

    def reactivate(self) -> None:
        user = self.selected()
        if not self.allowed or user is None or user.active:
            return
        admin, actor = self.admin, self.ctx.actor
        self._change(
            lambda: admin.reactivate(actor, user.id),
            lambda _r: f"{user.full_name} reactivated: they can sign in again.",
            user.id,
        )

    def reset_password(self) -> None:
        user = self.selected()
        if not self.allowed or user is None:
            return
        dialog = ResetPasswordDialog(user, self)
        dialog.submitted.connect(self._reset_submitted)
        dialog.finished.connect(lambda _r: self._form_closed(dialog))
        self.form = dialog
        dialog.open()

    def _reset_submitted(self, dialog: ResetPasswordDialog) -> None:
        user, password = dialog.user, dialog.password.first.text()
        dialog.password.clear()
        admin, actor = self.admin, self.ctx.actor
        self._change(
            lambda: admin.reset_password(actor, user.id, password),
            lambda _r: f"Password of {user.full_name} reset to the temporary one you typed.",
            user.id,
        )

    def unlock(self) -> None:
        user = self.selected()
        if not self.allowed or user is None or not user.locked:
            return
        admin, actor = self.admin, self.ctx.actor
        self._change(
            lambda: admin.unlock(actor, user.id),
            lambda _r: f"{user.full_name} unlocked: they can try to sign in again.",
            user.id,
        )

    def _form_closed(self, dialog: _FormDialog) -> None:
        if self.form is dialog:
            self.form = None
        dialog.deleteLater()

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self._set_enabled()
        self.announcer.announce(describe_error(exc), assertive=True)

    def _set_enabled(self) -> None:
        user = self.selected()
        ready = self.allowed and not self.busy
        self.add_button.setEnabled(ready)
        self.refresh_button.setEnabled(self.allowed)
        self.deactivate_button.setEnabled(
            ready and user is not None and user.active and user.id != self.ctx.actor.user_id
        )
        self.reactivate_button.setEnabled(ready and user is not None and not user.active)
        self.reset_button.setEnabled(ready and user is not None)
        self.unlock_button.setEnabled(ready and user is not None and user.locked)
