"""The import screen's table of refused values: where (line or resource), field, and why."""

from __future__ import annotations

from cras_desk.gui.widgets.tables import RowTableModel, TableColumn
from cras_desk.imports.outcome import RowError


class ProblemColumn(TableColumn):
    WHERE = "Line or resource"
    FIELD = "Field"
    MESSAGE = "Problem"


class ProblemsModel(RowTableModel[RowError, ProblemColumn]):
    columns = ProblemColumn

    def text(self, row: RowError, column: ProblemColumn) -> str:
        if column is ProblemColumn.WHERE:
            return row.where
        if column is ProblemColumn.FIELD:
            return row.field
        return row.message

    def tooltip(self, row: RowError, column: ProblemColumn) -> str | None:
        return str(row) if column is ProblemColumn.MESSAGE else None
