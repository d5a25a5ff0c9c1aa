"""Table model of the letters waiting to be printed (a short in-memory list from LetterService.queue)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from cras_desk.domain.clock import to_london
from cras_desk.domain.nhs_number import format_334
from cras_desk.services.letters import QueuedLetter

Index = QModelIndex | QPersistentModelIndex

LETTER_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class LetterQueueModel(QAbstractTableModel):
    COLUMNS = ("Reference", "Letter", "Patient", "NHS number", "Queued", "Print")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._letters: list[QueuedLetter] = []

    def set_letters(self, letters: list[QueuedLetter]) -> None:
        self.beginResetModel()
        self._letters = list(letters)
        self.endResetModel()

    def letter_at(self, row: int) -> QueuedLetter:
        return self._letters[row]

    def row_of(self, letter_id: int) -> int | None:
        return next((i for i, letter in enumerate(self._letters) if letter.id == letter_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._letters)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._letters)):
            return None
        letter = self._letters[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(letter, column)
        if role == LETTER_ID_ROLE:
            return letter.id
        if role == Qt.ItemDataRole.ToolTipRole and column == 5 and letter.large_print:
            return "The patient's reasonable adjustments ask for large print (16 pt)."
        if role == Qt.ItemDataRole.ToolTipRole and letter.recipient == "gp":
            return "Addressed to the patient's GP practice"
        return None

    @staticmethod
    def _display(letter: QueuedLetter, column: int) -> str:
        if column == 0:
            return letter.reference
        if column == 1:
            return letter.kind_name
        if column == 2:
            return letter.patient_name
        if column == 3:
            return format_334(letter.nhs_number)
        if column == 4:
            return to_london(letter.created_at).strftime("%d %b %Y %H:%M")
        return "Large print" if letter.large_print else "Standard"

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None
