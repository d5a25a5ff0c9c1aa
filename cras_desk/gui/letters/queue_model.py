"""Table model of the letter queue screen's list: letters waiting, withdrawn or printed (a short
in-memory list from LetterService.queue)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, Qt

from cras_desk.domain.clock import to_london
from cras_desk.domain.enums import LetterStatus
from cras_desk.domain.nhs_number import format_334
from cras_desk.gui.widgets.tables import Index, RowTableModel, TableColumn
from cras_desk.services.letters import QueuedLetter

LETTER_ID_ROLE = Qt.ItemDataRole.UserRole + 1

# The lists the Show box offers: (label, letter state, table's accessible name, empty text).
VIEWS: tuple[tuple[str, LetterStatus, str, str], ...] = (
    ("Waiting to print", LetterStatus.QUEUED, "Letters waiting to be printed", "No letters waiting"),
    ("Withdrawn", LetterStatus.WITHDRAWN, "Letters withdrawn before printing", "No withdrawn letters"),
    ("Printed (latest)", LetterStatus.PRINTED, "Letters printed, for a reprint", "No printed letters"),
)


class LetterColumn(TableColumn):
    REFERENCE = "Reference"
    LETTER = "Letter"
    PATIENT = "Patient"
    NHS = "NHS number"
    QUEUED = "Queued"
    PRINT = "Print"
    STATUS = "Status"  # "Withdrawn: Appointment rebooked on 04/12/2026 by Amy Advisor", "Printed ..."


class LetterQueueModel(RowTableModel[QueuedLetter, LetterColumn]):
    columns = LetterColumn
    numbered_rows = False  # the queue hides its row numbers
    row_role = None  # its first user role is the letter's id (LETTER_ID_ROLE), not the row

    def set_letters(self, letters: list[QueuedLetter]) -> None:
        self.set_rows(letters)

    def letter_at(self, row: int) -> QueuedLetter:
        return self._rows[row]

    def row_of(self, letter_id: int) -> int | None:
        row = self.row_where(lambda letter: letter.id == letter_id)
        return row if row >= 0 else None

    def text(self, letter: QueuedLetter, column: LetterColumn) -> str:
        if column is LetterColumn.REFERENCE:
            return letter.reference
        if column is LetterColumn.LETTER:
            return letter.kind_name
        if column is LetterColumn.PATIENT:
            return letter.patient_name
        if column is LetterColumn.NHS:
            return format_334(letter.nhs_number)
        if column is LetterColumn.QUEUED:
            return to_london(letter.created_at).strftime("%d %b %Y %H:%M")
        if column is LetterColumn.STATUS:
            return letter.state_text
        return "Large print" if letter.large_print else "Standard"

    def tooltip(self, letter: QueuedLetter, column: LetterColumn) -> str | None:
        if column is LetterColumn.STATUS:
            return letter.state_text  # the whole reason, where the column is too narrow for it
        if column is LetterColumn.PRINT and letter.large_print:
            return "The patient's reasonable adjustments ask for large print (16 pt)."
        if letter.recipient == "gp":
            return "Addressed to the patient's GP practice"
        return None

    def other_data(self, letter: QueuedLetter, column: LetterColumn, role: int) -> int | None:
        return letter.id if role == LETTER_ID_ROLE else None

    # Kept as the queue answered before it shared RowTableModel: Qt's own flags, and no accessible
    # text of its own (a screen reader then reads the DisplayRole text, which is the same).
    def flags(self, index: Index) -> Qt.ItemFlag:
        return QAbstractTableModel.flags(self, index)

    def spoken(self, letter: QueuedLetter, column: LetterColumn) -> None:
        return None
