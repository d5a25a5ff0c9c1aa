"""The slot finder's results: a small in-memory list of SlotRow, soonest first, as the service sent it."""

from __future__ import annotations

from collections.abc import Sequence

from cras_desk.domain.enums import SlotKind
from cras_desk.gui.widgets.display import when_text
from cras_desk.gui.widgets.tables import ROW_ROLE, RowTableModel, TableColumn
from cras_desk.services.booking import SlotRow

SLOT_ROLE = ROW_ROLE  # the SlotRow of the row


class Column(TableColumn):
    WHEN = "Date and time"
    SITE = "Site"
    CLINICIAN = "Clinician"
    LENGTH = "Length"
    KIND = "Type"


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


class SlotTableModel(RowTableModel[SlotRow, Column]):
    columns = Column
    right_aligned = frozenset({Column.LENGTH})

    def set_slots(self, rows: Sequence[SlotRow]) -> None:
        self.set_rows(rows)

    def slot(self, row: int) -> SlotRow | None:
        return self.row_at(row)

    def row_of(self, slot_id: int) -> int:
        return self.row_where(lambda r: r.slot_id == slot_id)

    def slot_ids(self) -> list[int]:
        return [r.slot_id for r in self._rows]

    def text(self, row: SlotRow, column: Column) -> str:
        if column is Column.WHEN:
            return when_text(row.starts_at)
        if column is Column.SITE:
            return row.site_name
        if column is Column.CLINICIAN:
            return clinician_text(row)
        if column is Column.KIND:
            return kind_text(row)
        return f"{row.duration_minutes} min"

    def tooltip(self, row: SlotRow, column: Column) -> str:
        return slot_summary(row)
