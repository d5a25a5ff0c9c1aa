"""The booking panel's list of free slots: how many were found, the table, the slot selected.

The soonest slot is selected as a search comes back, so Return books it. When a slot is taken
under the advisor, the list is fetched again and keeps its place (`keep_place` before the search):
the taken slot's neighbour is selected.

A live refresh (another desk took or freed a place) changes the list in place (`follow_search`):
the slot selected, the scroll place and the focus stay; if the slot the advisor had chosen is gone,
its neighbour is selected and the caller is told, to say so.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QTableView, QVBoxLayout, QWidget

from cras_desk.gui.booking.needs_text import count_text
from cras_desk.gui.booking.slots_model import SlotTableModel
from cras_desk.gui.widgets.announcer import announce
from cras_desk.gui.widgets.tables import keeping_place, setup_table
from cras_desk.gui.widgets.vertical_scroll import reveal_current
from cras_desk.services.booking import SlotRow, SlotSearch


class SlotList(QWidget):
    book_requested = Signal()  # a slot double-clicked (Return on the list is the panel's key)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = SlotTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        setup_table(self.table, "Free slots: Return books the selected slot")
        self.table.doubleClicked.connect(lambda _index: self.book_requested.emit())
        self.count_label = QLabel(self)
        self.count_label.setAccessibleName("Number of slots found")
        self._reselect_row = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.count_label)
        layout.addWidget(self.table, 1)

    def clear(self) -> None:
        self.model.set_slots([])
        self.count_label.clear()

    def searching(self) -> None:
        self.count_label.setText("Searching…")

    def nothing_to_search(self, why: str) -> None:
        self.model.set_slots([])
        self.count_label.setText(why)
        announce(self, why)

    def show_search(self, search: SlotSearch, limit: int) -> None:
        self.model.set_slots(search.slots)
        n = len(search.slots)
        self.count_label.setText(count_text(search, limit))
        if not n:  # nothing to move to: said, wherever the advisor is (a count would talk over "Booked")
            announce(self, self.count_label.text())
        if n:
            row = min(self._reselect_row, n - 1)
            self.table.selectRow(row)
            if self.table.hasFocus():
                reveal_current(self.table)  # the row Return books, in view on a short screen
        self._reselect_row = 0

    def follow_search(self, search: SlotSearch, limit: int) -> SlotRow | None:
        """The same search read again after other desks' changes, applied in place. Returns the
        slot the advisor had chosen if it has gone from the list (taken), else None."""
        chosen = self.selected_slot()
        with keeping_place(self.table, self.model, _slot_key):
            self.model.update_rows(search.slots, _slot_key)
        self.count_label.setText(count_text(search, limit))
        if chosen is None or self.model.row_of(chosen.slot_id) >= 0:
            return None
        # Qt has moved the current row to the taken slot's neighbour: select it, so Return books it.
        current = self.table.currentIndex()
        if current.isValid():
            self.table.selectRow(current.row())
        elif self.model.rowCount():
            self.table.selectRow(0)
        return chosen

    def keep_place(self) -> None:
        """The next search selects the row now current (the neighbour of a slot just taken)."""
        self._reselect_row = max(0, self.table.currentIndex().row())

    def selected_slot(self) -> SlotRow | None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return self.model.slot(rows[0].row())
        index = self.table.currentIndex()
        return self.model.slot(index.row()) if index.isValid() else None


def _slot_key(row: SlotRow) -> int:
    return row.slot_id
