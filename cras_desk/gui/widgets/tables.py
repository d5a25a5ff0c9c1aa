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


@contextmanager
def keeping_place(
    table: QTableView, model: RowTableModel[Any, Any], key: Callable[[Any], object]
) -> Iterator[None]:
    """Around a model.update_rows: the row at the top of the view stays at the top (rows added or
    taken away above it would otherwise slide the list under the reader's eyes)."""
    top = table.rowAt(0)
    row = model.row_at(top) if top >= 0 else None
    anchor = key(row) if row is not None else None
    shift = table.rowViewportPosition(top) if top >= 0 else 0  # how far the top row is scrolled up
    yield
    if anchor is None:
        return
    now = model.row_where(lambda r: key(r) == anchor)
    if now < 0 or now == top:
        return
    table.updateGeometries()  # the scroll range, for the rows just added
    bar = table.verticalScrollBar()
    if table.verticalScrollMode() is QAbstractItemView.ScrollMode.ScrollPerItem:
        bar.setValue(bar.value() + now - top)
    else:
        bar.setValue(bar.value() + table.rowViewportPosition(now) - shift)


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

    def update_rows(self, rows: Iterable[R], key: Callable[[R], object]) -> bool:
        """Replace the rows in place, matching old and new by `key`: rows gone are removed, new ones
        inserted where they belong, the rest changed where they stand, so a view keeps its selection,
        current row and scroll place (a reset would drop them). True if anything changed."""
        new = list(rows)
        new_keys = [key(r) for r in new]
        wanted = set(new_keys)
        changed = False
        # Rows gone, from the bottom up (each run of them in one removal).
        i = len(self._rows) - 1
        while i >= 0:
            if key(self._rows[i]) in wanted:
                i -= 1
                continue
            last = i
            while i >= 0 and key(self._rows[i]) not in wanted:
                i -= 1
            self.beginRemoveRows(QModelIndex(), i + 1, last)
            del self._rows[i + 1 : last + 1]
            self.endRemoveRows()
            changed = True
        # Rows kept but in another order: one layout change, persistent indexes following their keys.
        kept = {key(r) for r in self._rows}
        order = [k for k in new_keys if k in kept]
        if [key(r) for r in self._rows] != order:
            self.layoutAboutToBeChanged.emit()
            at = {k: n for n, k in enumerate(order)}
            old_keys = [key(r) for r in self._rows]
            self._rows.sort(key=lambda r: at[key(r)])
            before = self.persistentIndexList()
            after = [self.index(at[old_keys[p.row()]], p.column()) for p in before]
            self.changePersistentIndexList(before, after)
            self.layoutChanged.emit()
            changed = True
        # New rows, each run of them where it belongs.
        n = 0
        while n < len(new):
            if n < len(self._rows) and key(self._rows[n]) == new_keys[n]:
                n += 1
                continue
            end = n
            while end < len(new) and new_keys[end] not in kept:
                end += 1
            self.beginInsertRows(QModelIndex(), n, end - 1)
            self._rows[n:n] = new[n:end]
            self.endInsertRows()
            changed = True
            n = end
        # Rows that stayed: their new contents.
        first = next(
            (n for n, (old, row) in enumerate(zip(self._rows, new, strict=True)) if old != row), None
        )
        if first is not None:
            last = max(n for n, (old, row) in enumerate(zip(self._rows, new, strict=True)) if old != row)
            self._rows = new
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))
            changed = True
        self._rows = new
        return changed

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
