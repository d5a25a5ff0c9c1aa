"""An inline "are you sure?" strip: Enter confirms, Escape goes back, focus returns where it was.

Used instead of a modal dialog so a confirmation costs one keystroke (the booking flow's third)
and the rest of the panel, with everything typed in it, stays in view.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from cras_desk.gui.widgets.vertical_scroll import reveal


class ConfirmBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confirmBar")
        self.setStyleSheet(
            "QFrame#confirmBar { background: #fff8d6; border: 1px solid #b58900; border-radius: 3px; }"
            " QFrame#confirmBar QLabel { color: #3d2f00; }"
        )
        self._question = QLabel(self)
        self._question.setWordWrap(True)
        self._question.setTextFormat(Qt.TextFormat.PlainText)
        self.yes_button = QPushButton(self)
        self.yes_button.setAccessibleName("Confirm")
        self.no_button = QPushButton("Go back (Esc)", self)
        self.no_button.setAccessibleName("Go back")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self._question, 1)
        layout.addWidget(self.yes_button)
        layout.addWidget(self.no_button)
        self.yes_button.clicked.connect(self.accept)
        self.no_button.clicked.connect(self.reject)
        self._on_yes: Callable[[], None] | None = None
        self._on_no: Callable[[], None] | None = None
        self._return_focus: QWidget | None = None
        self.setAccessibleName("Confirmation")
        self.hide()

    def ask(
        self,
        question: str,
        yes_text: str,
        on_yes: Callable[[], None],
        on_no: Callable[[], None] | None = None,
        return_focus: QWidget | None = None,
    ) -> None:
        self._question.setText(question)
        self.setAccessibleDescription(question)
        self.yes_button.setText(f"{yes_text} (Enter)")
        self._on_yes, self._on_no, self._return_focus = on_yes, on_no, return_focus
        self.show()
        # Heard without the announcer: focus entering the bar makes Orca say its name and its
        # description, the question (scripts/orca_call_flow.py shows it); a notification as well
        # would say it twice.
        self.yes_button.setFocus(Qt.FocusReason.OtherFocusReason)
        reveal(self)  # in view even when the panel is scrolled on a short screen

    @property
    def pending(self) -> bool:
        return self._on_yes is not None

    def question(self) -> str:
        return self._question.text()

    def accept(self) -> None:
        action = self._on_yes
        self._finish()
        if action is not None:
            action()

    def reject(self) -> None:
        action = self._on_no
        self._finish()
        if action is not None:
            action()

    def _finish(self) -> None:
        self._on_yes = self._on_no = None
        focus, self._return_focus = self._return_focus, None
        self.hide()
        if focus is not None and focus.isEnabled():
            focus.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            # Enter on "Go back" means go back: the button with focus is what the user chose.
            if self.no_button.hasFocus():
                self.reject()
            else:
                self.accept()
            return
        if key == Qt.Key.Key_Escape:
            self.reject()
            return
        super().keyPressEvent(event)
