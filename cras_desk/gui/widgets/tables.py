"""The panels' tables set up one way: whole rows, keyboard-friendly, every part named for screen readers.

`RowTableModel` is the model behind the small in-memory tables (slots found, choice options, a
team's workload, letters waiting): a list of the very row objects a service returned, replaced
whole on refresh. The worklist is not one of them: it pages ids in from SQL (gui/worklist/model.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import Any, Generic, Self, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QTableView

from cras_desk.gui.widgets.column_fit import fit_columns

Index = QModelIndex | QPersistentModelIndex

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object itself, for code that needs more than the text
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

R = TypeVar("R")  # the row object: SlotRow, ChoiceOption, ...
C = TypeVar("C", bound="TableColumn")


def setup_table(table: QTableView, name: str, *, multi: bool = False) -> None:
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection
        if multi
        else QAbstractItemView.SelectionMode.SingleSelection
    )
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move within it
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    fit_columns(table)  # never scrolls sideways: columns squeeze (text elided) to the table's width
    header.setAccessibleName(f"{name}: column headings")
    table.verticalHeader().setAccessibleName(f"{name}: row numbers")
    table.setCornerButtonEnabled(multi)
    corner = table.findChild(QAbstractButton)
    if corner is not None:
        corner.setAccessibleName(f"{name}: select all" if multi else f"{name}: corner")


class TableColumn(IntEnum):
    """A table's columns, numbered in the order written, each member's value its heading.

        class Column(TableColumn):
            WHEN = "Date and time"   # column 0, Column.WHEN.heading == "Date and time"

    One line a column, so a heading cannot drift away from its column.
    """

    heading: str

    def __new__(cls, heading: str) -> Self:
        number = len(cls.__members__)
        column = int.__new__(cls, number)
        column._value_ = number
        column.heading = heading
        return column


class RowTableModel(QAbstractTableModel, Generic[R, C]):
    """A flat, read-only table of row objects, one per table row.

    A subclass names its `columns` and writes `text()`; the hooks below it answer the other roles
    and default to nothing. DisplayRole is `text`, AccessibleTextRole `spoken` (the text unless
    said otherwise), ToolTipRole `tooltip`, TextAlignmentRole from `right_aligned`, `row_role`
    the row object, and any other role `other_data` (colours, fonts, a model's own roles).
    """

    columns: type[C]
    right_aligned: Collection[int] = frozenset()
    numbered_rows = True  # the vertical header reads 1, 2, 3...
    row_role: int | None = ROW_ROLE

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[R] = []

    # -- contents ------------------------------------------------------------------------------

    @contextmanager
    def resetting(self) -> Iterator[None]:
        """Change the rows (and whatever the cells are built from) inside one model reset."""
        self.beginResetModel()
        try:
            yield
        finally:
            self.endResetModel()

    def set_rows(self, rows: Iterable[R]) -> None:
        with self.resetting():
            self._rows = list(rows)

    def rows(self) -> list[R]:
        return list(self._rows)

    def row_at(self, row: int) -> R | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_where(self, wanted: Callable[[R], bool]) -> int:
        """The first row that is wanted, or -1."""
        return next((i for i, r in enumerate(self._rows) if wanted(r)), -1)

    # -- what a subclass says about a cell -----------------------------------------------------

    def text(self, row: R, column: C) -> str:
        raise NotImplementedError

    def spoken(self, row: R, column: C) -> str | None:
        return self.text(row, column)

    def tooltip(self, row: R, column: C) -> str | None:
        return None

    def other_data(self, row: R, column: C, role: int) -> Any:
        return None

    # -- Qt model ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns(section).heading if 0 <= section < len(self.columns) else None
        if not self.numbered_rows:
            return None
        return str(section + 1) if 0 <= section < len(self._rows) else None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = self.columns(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.spoken(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT_ALIGNED if column in self.right_aligned else None
        if self.row_role is not None and role == self.row_role:
            return row
        return self.other_data(row, column, role)
