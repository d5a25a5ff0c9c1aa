"""Add a note to the referral: a few lines for the history ("rang to ask about parking").

The text is kept as a draft while it is typed (it survives a crash or a lock), saved on the worker
thread with Ctrl+Return, and the outcome is shown in this window; on success it closes and the
patient pane says "Note added" where the advisor is looking.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget
from shiboken6 import isValid

from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.banner import MessageBanner
from cras_desk.gui.widgets.error_text import describe_error
from cras_desk.gui.widgets.panel_keys import PanelKeys
from cras_desk.gui.widgets.tab_order import set_tab_order
from cras_desk.services.contact_details import NOTE_MAX

NOTE_FIELD = "referral_note"  # the drafts store's field for the note being typed


class NoteDialog(QDialog):
    saved = Signal(int)  # referral id

    def __init__(self, ctx: DeskContext, referral_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.referral_id = referral_id
        self._saving = False
        self.setObjectName("noteDialog")
        self.setWindowTitle("Add a note to the referral")
        self.banner = MessageBanner(self)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("noteText")
        self.text.setAccessibleName("Note")
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText("What happened or what to know (kept as you type)")
        self.text.setPlainText(ctx.drafts.get(referral_id, NOTE_FIELD))
        self.text.textChanged.connect(self._changed)
        label = QLabel(f"&Note (up to {NOTE_MAX} characters):", self)
        label.setBuddy(self.text)
        self.save_button = QPushButton("&Save note (Ctrl+Enter)", self)
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Close", self)
        self.cancel_button.setToolTip("Close (Escape); the text is kept for next time")
        self.cancel_button.clicked.connect(self.reject)
        for button in (self.save_button, self.cancel_button):
            button.setAutoDefault(False)
        # Claimed before the window's shortcuts: Ctrl+Return there means "work the selected referral".
        self._keys = PanelKeys(self)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            self._keys.add(keys, self.save)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(label)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)
        set_tab_order([self.text, self.save_button, self.cancel_button])
        self.resize(520, 260)
        self._keys.attach()
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)

    def _changed(self) -> None:
        self.ctx.drafts.put(self.referral_id, NOTE_FIELD, self.text.toPlainText())

    def save(self) -> None:
        if self._saving:
            return
        body = self.text.toPlainText()
        svc, actor, rid = self.ctx.services.contact_details, self.ctx.actor, self.referral_id
        self._saving = True
        self.save_button.setEnabled(False)
        self.banner.info("Saving…")

        def done(_note_id: int) -> None:
            if self.ctx.drafts.get(rid, NOTE_FIELD) == body:
                self.ctx.drafts.clear(rid, NOTE_FIELD)
            if isValid(self):
                self._saving = False
                self.saved.emit(rid)
                self.accept()

        def failed(exc: BaseException) -> None:
            if isValid(self):
                self._saving = False
                self.save_button.setEnabled(True)
                self.banner.error(describe_error(exc))
                self.text.setFocus()

        self.ctx.tasks.run(lambda: svc.add_note(actor, rid, body), done, failed)
