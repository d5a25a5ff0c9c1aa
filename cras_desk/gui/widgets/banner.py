"""A message strip in a panel, beside the control just used: errors, warnings and outcomes.

The panels place it under their action buttons, and showing it scrolls it into view, so on a
768-pixel screen the result of pressing Save or Book is where the advisor is looking.

Inline rather than a message box: the advisor is mid-call, and a modal box would steal focus
from what they were typing. The text stays until the next action replaces it. Each message is
also spoken by screen readers, through the window's announcer (widgets/announcer.py).
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from cras_desk.gui.widgets.announcer import announce
from cras_desk.gui.widgets.vertical_scroll import reveal


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    SUCCESS = "success"


# Text on tint, each pair above 7:1 contrast (WCAG AAA), and a word in front so colour is never
# the only signal (colour-blind advisors, greyscale screenshots).
_STYLE = {
    Level.ERROR: ("#8a1c1c", "#fdecea", "#d93025", "Problem"),
    Level.WARNING: ("#5c3500", "#fff4e5", "#e8a33d", "Check"),
    Level.INFO: ("#0b3d91", "#e8f1fb", "#5b8fd6", "Note"),
    Level.SUCCESS: ("#1e4d2b", "#e9f5ec", "#4c9a63", "Done"),
}


class MessageBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBanner")
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._label.setTextFormat(Qt.TextFormat.PlainText)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self._label)
        self._level: Level | None = None
        self.setAccessibleName("Message")
        self.hide()

    def show_message(self, level: Level, text: str) -> None:
        fg, bg, edge, word = _STYLE[level]
        self._level = level
        self.setStyleSheet(
            f"QFrame#messageBanner {{ background: {bg}; border: 1px solid {edge}; border-radius: 3px; }}"
            f" QFrame#messageBanner QLabel {{ color: {fg}; }}"
        )
        self._label.setText(f"{word}: {text}")
        self.setAccessibleDescription(text)
        self.show()
        reveal(self)  # where the advisor is looking, even when the panel is scrolled
        # Heard as well as seen: the advisor's focus stays where they were typing.
        announce(self, f"{word}: {text}", assertive=level is Level.ERROR)

    def error(self, text: str) -> None:
        self.show_message(Level.ERROR, text)

    def warning(self, text: str) -> None:
        self.show_message(Level.WARNING, text)

    def info(self, text: str) -> None:
        self.show_message(Level.INFO, text)

    def success(self, text: str) -> None:
        self.show_message(Level.SUCCESS, text)

    def clear(self) -> None:
        self._level = None
        self._label.clear()
        self.hide()

    @property
    def level(self) -> Level | None:
        return self._level

    def text(self) -> str:
        """The message without its leading word ("Problem: ...")."""
        full = self._label.text()
        return full.split(": ", 1)[1] if ": " in full else full
