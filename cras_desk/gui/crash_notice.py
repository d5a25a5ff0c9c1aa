"""The message an advisor sees when something nobody caught goes wrong (cras_desk.log_files).

The trail may report from any thread (the database worker, a Python thread); a message box may
only be made on the UI thread, so the text travels there by a queued signal. The box opens without
a nested event loop (QDialog.open), so the desk carries on under it, and one box is shown at a time:
an error that repeats on every paint must not stack up boxes. The log has every occurrence.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

TITLE = "CRAS Desk"


class CrashNotice(QObject):
    """A presenter for LogTrail.set_presenter: show(text) from any thread."""

    asked = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.box: QMessageBox | None = None
        self.asked.connect(self._show)  # queued when emitted off the UI thread

    def show(self, text: str) -> None:
        self.asked.emit(text)

    @Slot(str)
    def _show(self, text: str) -> None:
        if self.box is not None:
            return
        ok = QMessageBox.StandardButton.Ok
        # Over the desk if it is up, so it is seen where the advisor is looking.
        box = QMessageBox(QMessageBox.Icon.Warning, TITLE, text, ok, QApplication.activeWindow())
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # the path, for IT
        box.finished.connect(self._closed)
        self.box = box
        box.open()

    @Slot()
    def _closed(self) -> None:
        self.box = None
