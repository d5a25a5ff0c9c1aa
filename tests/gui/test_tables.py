"""RowTableModel and TableColumn (cras_desk/gui/widgets/tables.py) on their own, with a tiny row type."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from cras_desk.gui.widgets.tables import RIGHT_ALIGNED, ROW_ROLE, RowTableModel, TableColumn

_RED = QBrush(QColor("#8a1c1c"))


@dataclass(frozen=True)
class Fruit:
    id: int
    name: str
    count: int


class FruitColumn(TableColumn):
    NAME = "Fruit"
    COUNT = "How many"


class FruitModel(RowTableModel[Fruit, FruitColumn]):
    columns = FruitColumn
    right_aligned = frozenset({FruitColumn.COUNT})

    def text(self, row: Fruit, column: FruitColumn) -> str:
        return row.name if column is FruitColumn.NAME else str(row.count)

    def other_data(self, row: Fruit, column: FruitColumn, role: int) -> QBrush | None:
        return _RED if role == Qt.ItemDataRole.ForegroundRole and row.count == 0 else None


class QuietFruitModel(FruitModel):
    numbered_rows = False
    row_role = None

    def spoken(self, row: Fruit, column: FruitColumn) -> str:
        return f"{row.name}: {row.count} left" if column is FruitColumn.COUNT else row.name

    def tooltip(self, row: Fruit, column: FruitColumn) -> str:
        return f"fruit {row.id}"


FRUIT = [Fruit(7, "Apple", 3), Fruit(8, "Pear", 0)]


def test_columns_number_themselves_in_order_and_carry_their_heading() -> None:
    assert [int(c) for c in FruitColumn] == [0, 1]
    assert FruitColumn(1) is FruitColumn.COUNT
    assert FruitColumn.COUNT.heading == "How many"


def test_the_model_answers_the_shared_roles() -> None:
    m = FruitModel()
    assert m.rowCount() == 0 and m.columnCount() == 2
    m.set_rows(FRUIT)
    pear = m.index(1, FruitColumn.COUNT)
    assert m.rowCount() == 2
    assert m.rowCount(m.index(0, 0)) == 0 and m.columnCount(m.index(0, 0)) == 0  # flat: no children
    assert m.data(pear) == "0"
    assert m.data(pear, Qt.ItemDataRole.AccessibleTextRole) == "0"  # the shown text unless said otherwise
    assert m.data(pear, Qt.ItemDataRole.ToolTipRole) is None
    assert m.data(pear, Qt.ItemDataRole.TextAlignmentRole) == RIGHT_ALIGNED
    assert m.data(m.index(1, 0), Qt.ItemDataRole.TextAlignmentRole) is None
    assert m.data(pear, ROW_ROLE) == Fruit(8, "Pear", 0)
    assert m.data(pear, Qt.ItemDataRole.ForegroundRole) is _RED
    assert m.data(m.index(0, 1), Qt.ItemDataRole.ForegroundRole) is None
    assert m.data(QModelIndex()) is None
    assert m.flags(pear) == Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
    assert m.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags
    assert m.headerData(1, Qt.Orientation.Horizontal) == "How many"
    assert m.headerData(2, Qt.Orientation.Horizontal) is None
    assert m.headerData(1, Qt.Orientation.Vertical) == "2"
    assert m.headerData(2, Qt.Orientation.Vertical) is None
    assert m.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) is None


def test_hooks_and_switches_override_the_defaults() -> None:
    m = QuietFruitModel()
    m.set_rows(FRUIT)
    pear = m.index(1, FruitColumn.COUNT)
    assert m.data(pear) == "0"
    assert m.data(pear, Qt.ItemDataRole.AccessibleTextRole) == "Pear: 0 left"
    assert m.data(pear, Qt.ItemDataRole.ToolTipRole) == "fruit 8"
    assert m.data(pear, ROW_ROLE) is None
    assert m.headerData(0, Qt.Orientation.Vertical) is None


def test_rows_are_replaced_whole_in_one_reset(qtbot) -> None:
    m = FruitModel()
    m.set_rows(FRUIT)
    with (
        qtbot.waitSignal(m.modelAboutToBeReset, timeout=100),
        qtbot.waitSignal(m.modelReset, timeout=100),
    ):
        m.set_rows(reversed(FRUIT))  # any iterable; the model keeps its own list
    assert [f.name for f in m.rows()] == ["Pear", "Apple"]
    assert m.row_at(1) == Fruit(7, "Apple", 3)
    assert m.row_at(2) is None and m.row_at(-1) is None
    assert m.row_where(lambda f: f.id == 7) == 1
    assert m.row_where(lambda f: f.id == 99) == -1
    m.rows().clear()  # a copy: the table is untouched
    assert m.rowCount() == 2


def test_a_failed_change_still_ends_the_reset() -> None:
    m = FruitModel()
    resets: list[str] = []
    m.modelReset.connect(lambda: resets.append("reset"))
    with pytest.raises(RuntimeError), m.resetting():
        raise RuntimeError("service went away")
    assert resets == ["reset"]


def test_the_model_passes_qtmodeltester(qtmodeltester) -> None:
    m = FruitModel()
    qtmodeltester.check(m, force_py=True)
    m.set_rows(FRUIT)
    qtmodeltester.check(m, force_py=True)
