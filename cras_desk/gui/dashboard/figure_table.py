"""The table beside each chart: a figure's numbers as rows of plain values.

The same values are shown (formatted for reading), spoken (words where a symbol would be read
out oddly), copied, and written to CSV (unformatted, so a spreadsheet can sum them). A chart and
its table are drawn from one FigureTable, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
Cell = str | int | float | date | None

VALUE_ROLE = Qt.ItemDataRole.UserRole + 1  # the cell's value itself (int, float, date, str or None)
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
NO_VALUE = "–"  # shown for a figure that does not exist (no forecast yet, no wait measured)


class Kind(StrEnum):
    TEXT = "text"
    ID = "id"  # a record's number: shown without thousands separators
    COUNT = "count"  # a whole number
    DECIMAL = "decimal"
    PERCENT = "percent"  # held as a fraction (0.92), shown as 92.0%, written to CSV as 92.0
    DATE = "date"


@dataclass(frozen=True)
class Column:
    heading: str  # short, so the table fits beside its chart
    kind: Kind = Kind.TEXT
    decimals: int = 1
    long: str = ""  # the heading in full, for the header's tooltip and the CSV file

    @property
    def numeric(self) -> bool:
        return self.kind in (Kind.ID, Kind.COUNT, Kind.DECIMAL, Kind.PERCENT)

    @property
    def full_heading(self) -> str:
        return self.long or self.heading

    def text(self, value: Cell) -> str:
        """As shown on screen."""
        if value is None:
            return NO_VALUE
        if self.kind is Kind.ID:
            return str(value)
        if self.kind is Kind.COUNT and isinstance(value, int | float):
            return f"{round(value):,}"
        if self.kind is Kind.DECIMAL and isinstance(value, int | float):
            return f"{value:,.{self.decimals}f}"
        if self.kind is Kind.PERCENT and isinstance(value, int | float):
            return f"{value * 100:.{self.decimals}f}%"
        if isinstance(value, date):
            return f"{value:%d %b %Y}"
        return str(value)

    def spoken(self, value: Cell) -> str:
        """As a screen reader should say it: "none" rather than a dash, "per cent" spelt out."""
        if value is None:
            return "none"
        if self.kind is Kind.PERCENT and isinstance(value, int | float):
            return f"{value * 100:.{self.decimals}f} per cent"
        return self.text(value)

    def csv(self, value: Cell) -> str:
        """As written to CSV: unformatted numbers, ISO dates, text safe to open in a spreadsheet."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            shown = value * 100 if self.kind is Kind.PERCENT else value
            return f"{shown:.{self.decimals + 3}f}".rstrip("0").rstrip(".")
        if isinstance(value, date):
            return value.isoformat()
        text = str(value)
        # A cell starting with one of these is run as a formula by spreadsheets (CSV injection):
        # a name typed into the desk must never become one.
        return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

    @property
    def csv_heading(self) -> str:
        return f"{self.full_heading} (%)" if self.kind is Kind.PERCENT else self.full_heading


@dataclass(frozen=True)
class FigureTable:
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @classmethod
    def of(cls, columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> FigureTable:
        table = cls(tuple(columns), tuple(tuple(r) for r in rows))
        for row in table.rows:
            if len(row) != len(table.columns):
                raise ValueError(f"a row of {len(row)} cells in a table of {len(table.columns)} columns")
        return table

    def column(self, heading: str) -> list[Cell]:
        at = [c.heading for c in self.columns].index(heading)
        return [row[at] for row in self.rows]

    def csv_rows(self) -> list[list[str]]:
        """The heading row, then one row of CSV cells per row."""
        out = [[c.csv_heading for c in self.columns]]
        out += [[c.csv(v) for c, v in zip(self.columns, row, strict=True)] for row in self.rows]
        return out


EMPTY = FigureTable((), ())


class FigureTableModel(QAbstractTableModel):
    """A FigureTable for a QTableView: read-only, replaced whole when the figure is loaded again."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._table = EMPTY

    @property
    def table(self) -> FigureTable:
        return self._table

    def set_table(self, table: FigureTable) -> None:
        self.beginResetModel()
        self._table = table
        self.endResetModel()

    def value(self, row: int, column: int) -> Cell:
        return self._table.rows[row][column]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._table.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._table.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if orientation == Qt.Orientation.Horizontal:
            columns = self._table.columns
            if not 0 <= section < len(columns):
                return None
            return (
                columns[section].heading
                if role == Qt.ItemDataRole.DisplayRole
                else columns[section].full_heading
            )
        return str(section + 1) if 0 <= section < len(self._table.rows) else None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._table.rows):
            return None
        column = self._table.columns[index.column()]
        value = self._table.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(value)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return column.spoken(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{column.full_heading}: {column.text(value)}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT_ALIGNED if column.numeric else None
        if role == VALUE_ROLE:
            return value
        return None
