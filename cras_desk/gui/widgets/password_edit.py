"""Password fields that tell a screen reader nothing about what is typed in them.

Qt's own interface for a QLineEdit in Password mode returns bullets when its text is read, but its
text-insert events carry the typed characters, and Orca was heard speaking a password aloud on
sign-in and unlock. The interface here is an editable text with the password state (AT-SPI role
"password text") and no text interface at all: Qt's AT-SPI bridge drops text events for an object
without one, and there is no text, value or caret to read back. The field's name still comes
from its label, and its state (focused, disabled...) from Qt as usual.
"""

from __future__ import annotations

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAccessibleWidget, QLineEdit, QWidget

from cras_desk.gui.widgets import accessible_roles


class PasswordAccessible(QAccessibleWidget):
    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget, QAccessible.Role.EditableText, "")

    def state(self) -> QAccessible.State:
        state = super().state()
        state.passwordEdit = True
        state.editable = True
        return state

    def text(self, kind: QAccessible.Text) -> str:
        if kind == QAccessible.Text.Name:
            return self.widget().accessibleName() or super().text(kind)
        if kind in (QAccessible.Text.Description, QAccessible.Text.Help):
            return super().text(kind)
        return ""  # never the value, not even as bullets: their number is the password's length


accessible_roles.register(accessible_roles.PASSWORD_FIELD, PasswordAccessible)


def protect(edit: QLineEdit) -> None:
    """Make an existing line edit (e.g. one from a .ui form) a password field the AT cannot read."""
    if edit.echoMode() == QLineEdit.EchoMode.Normal:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
    accessible_roles.assign(edit, accessible_roles.PASSWORD_FIELD)


class PasswordEdit(QLineEdit):
    """A line edit for a password, protected from the moment it exists."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        protect(self)
