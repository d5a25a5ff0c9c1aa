"""What the advisor changes from the patient pane itself: contact details and notes.

Owns the pane's two buttons, the banner that reports their outcome in the pane (where the advisor
returns when the window closes) and the two windows while they are open, which it hides while the
desk is locked: the patient's details must not stay on screen over the lock screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QPushButton, QWidget
from shiboken6 import isValid

from cras_desk.gui import shortcuts
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.banner import MessageBanner


class RecordChanges(QObject):
    changed = Signal(int)  # referral id, after a change was saved
    message = Signal(str)  # for the status bar when there is nothing to open

    def __init__(self, ctx: DeskContext, host: QWidget, current: Callable[[], int | None]) -> None:
        super().__init__(host)
        self.ctx = ctx
        self._host = host
        self._current = current
        self.editor: QDialog | None = None  # the contact editor while open
        self.note_dialog: QDialog | None = None
        self._hidden: list[QDialog] = []  # while the desk is locked

    def build(self, parent: QWidget) -> tuple[QPushButton, QPushButton, MessageBanner]:
        """(note button, contact button, banner), made once the pane builds its record widgets."""
        self.note_button = QPushButton(f"Add note ({shortcuts.text('patient.add_note')})", parent)
        self.note_button.setObjectName("addNoteButton")
        self.note_button.setAccessibleName("Add a note to the referral")
        self.note_button.clicked.connect(self.add_note)
        self.contact_button = QPushButton(
            f"Edit contact details ({shortcuts.text('patient.edit_contact')})", parent
        )
        self.contact_button.setObjectName("editContactButton")
        self.contact_button.setAccessibleName("Edit contact details: phones, address, best times")
        self.contact_button.clicked.connect(self.edit_contact_details)
        self.banner = MessageBanner(parent)
        return self.note_button, self.contact_button, self.banner

    # The pane builds its widgets (build() here) before calling these.

    def edit_contact_details(self) -> bool:
        """Open the contact editor for the referral shown (False, with a message, if none)."""
        from cras_desk.gui.patient.contact_editor import ContactEditor  # built on first use

        rid = self._current()
        if rid is None:
            self.message.emit("Open a patient first to edit their contact details.")
            return False
        if self.editor is not None and isValid(self.editor) and self.editor.isVisible():
            self.editor.raise_()
            self.editor.activateWindow()
            return True
        editor = ContactEditor(self.ctx, rid, self._host.window())
        editor.changed.connect(self.changed)
        self.editor = self._open(editor, lambda: self._closed("editor", self.contact_button))
        return True

    def add_note(self) -> bool:
        from cras_desk.gui.patient.note_dialog import NoteDialog

        rid = self._current()
        if rid is None:
            self.message.emit("Open a patient first to add a note.")
            return False
        dialog = NoteDialog(self.ctx, rid, self._host.window())
        dialog.saved.connect(self._note_saved)
        self.note_dialog = self._open(dialog, lambda: self._closed("note_dialog", self.note_button))
        return True

    def hide_dialogs(self) -> None:
        for dialog in (self.editor, self.note_dialog):
            if dialog is not None and isValid(dialog) and dialog.isVisible():
                dialog.hide()
                self._hidden.append(dialog)

    def show_dialogs(self) -> None:
        """Unlocked: back as they were, with what was typed in them."""
        for dialog in self._hidden:
            if isValid(dialog):
                dialog.show()
        self._hidden.clear()

    def _open(self, dialog: QDialog, closed: Callable[[], None]) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: closed())
        dialog.open()
        return dialog

    def _closed(self, which: str, button: QPushButton) -> None:
        setattr(self, which, None)
        if isValid(button):
            button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _note_saved(self, referral_id: int) -> None:
        self.banner.success("Note added to the referral's history.")
        self.changed.emit(referral_id)
