"""The slot finder's results: a small in-memory list of SlotRow, soonest first, as the service sent it."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from cras_desk.domain.enums import SlotKind
from cras_desk.gui.widgets.display import when_text
from cras_desk.services.booking import SlotRow

Index = QModelIndex | QPersistentModelIndex

SLOT_ROLE = Qt.ItemDataRole.UserRole + 1  # the SlotRow of the row


class Column(IntEnum):
    WHEN = 0
    SITE = 1
    CLINICIAN = 2
    LENGTH = 3
    KIND = 4


_HEADERS = {
    Column.WHEN: "Date and time",
    Column.SITE: "Site",
    Column.CLINICIAN: "Clinician",
    Column.LENGTH: "Length",
    Column.KIND: "Type",
}


def clinician_text(row: SlotRow) -> str:
    return row.clinician_type.value.replace("_", " ").capitalize()


def kind_text(row: SlotRow) -> str:
    if row.kind is SlotKind.GROUP:
        left = row.places_left
        return f"Group session ({left} of {row.capacity} place{'s' if row.capacity != 1 else ''} left)"
    return "One-to-one"


def slot_summary(row: SlotRow) -> str:
    """One line for confirmations and the live booking: "Thu 27 Nov 2025 09:00, Lewes Victoria Hub"."""
    what = f"{clinician_text(row).lower()}, {kind_text(row).lower()}"
    return f"{when_text(row.starts_at)}, {row.site_name} ({what})"


class SlotTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[SlotRow] = []

    def set_slots(self, rows: Sequence[SlotRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def slot(self, row: int) -> SlotRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, slot_id: int) -> int:
        return next((i for i, r in enumerate(self._rows) if r.slot_id == slot_id), -1)

    def slot_ids(self) -> list[int]:
        return [r.slot_id for r in self._rows]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return _HEADERS[Column(section)] if 0 <= section < len(Column) else None
        return str(section + 1) if 0 <= section < len(self._rows) else None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        col = Column(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if col is Column.WHEN:
                return when_text(row.starts_at)
            if col is Column.SITE:
                return row.site_name
            if col is Column.CLINICIAN:
                return clinician_text(row)
            if col is Column.KIND:
                return kind_text(row)
            return f"{row.duration_minutes} min"
        if role == Qt.ItemDataRole.ToolTipRole:
            return slot_summary(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and col is Column.LENGTH:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == SLOT_ROLE:
            return row
        return None
