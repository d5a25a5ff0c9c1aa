"""The eligible sites as a table: a small in-memory list, exactly the ChoiceOption objects fetched.

The model keeps the very objects the service returned, so the offer recorded is the offer shown
(waits and next free slots as the patient heard them), not a fresh query a second later.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from cras_desk.domain.contact_policy import format_date
from cras_desk.gui.widgets.display import miles_text, weeks_text, when_text
from cras_desk.services.choice import ChoiceOption

Index = QModelIndex | QPersistentModelIndex

OPTION_ROLE = Qt.ItemDataRole.UserRole + 1  # the ChoiceOption of the row

_UNSUITABLE_BG = QBrush(QColor("#fff4e5"))  # pale amber; text stays the default dark colour
_UNSUITABLE_FG = QBrush(QColor("#5c3500"))


class Column(IntEnum):
    SITE = 0
    WAIT = 1
    NEXT_FREE = 2
    DISTANCE = 3
    ACCESS = 4
    SUITABLE = 5


_HEADERS = {
    Column.SITE: "Site",
    Column.WAIT: "Wait",
    Column.NEXT_FREE: "Next free appointment",
    Column.DISTANCE: "Distance",
    Column.ACCESS: "Access",
    Column.SUITABLE: "Suits the patient's needs",
}


def access_text(o: ChoiceOption) -> str:
    # Words as well as ticks: a screen reader reads "yes/no", and ticks alone are easy to misread.
    parts = [
        f"{'✓' if o.step_free else '✗'} step-free",
        f"{'✓' if o.hearing_loop else '✗'} hearing loop",
        f"{'✓' if o.parking else '✗'} parking",
    ]
    return "  ".join(parts)


def access_spoken(o: ChoiceOption) -> str:
    def yes_no(flag: bool) -> str:
        return "yes" if flag else "no"

    return (
        f"Step-free: {yes_no(o.step_free)}; hearing loop: {yes_no(o.hearing_loop)}; "
        f"parking: {yes_no(o.parking)}"
    )


def wait_text(o: ChoiceOption) -> str:
    if o.wait_weeks is None:
        return "Wait not published"
    as_of = f" (as of {format_date(o.wait_as_of)})" if o.wait_as_of else ""
    return f"{weeks_text(o.wait_weeks)}{as_of}"


class ChoiceOptionsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: list[ChoiceOption] = []
        self._rows: list[ChoiceOption] = []
        self._show_unsuitable = False

    # -- contents -----------------------------------------------------------------------------

    def set_options(self, options: Sequence[ChoiceOption]) -> None:
        self.beginResetModel()
        self._all = list(options)
        self._rows = self._visible()
        self.endResetModel()

    def set_show_unsuitable(self, show: bool) -> None:
        if show == self._show_unsuitable:
            return
        self.beginResetModel()
        self._show_unsuitable = show
        self._rows = self._visible()
        self.endResetModel()

    @property
    def show_unsuitable(self) -> bool:
        return self._show_unsuitable

    def _visible(self) -> list[ChoiceOption]:
        return [o for o in self._all if self._show_unsuitable or o.meets_adjustments]

    def shown(self) -> list[ChoiceOption]:
        """The options on screen now, in screen order: what the offer records."""
        return list(self._rows)

    def hidden_count(self) -> int:
        return len(self._all) - len(self._rows)

    def option(self, row: int) -> ChoiceOption | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, site_id: int) -> int:
        return next((i for i, o in enumerate(self._rows) if o.site_id == site_id), -1)

    # -- Qt model -----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS.get(Column(section)) if 0 <= section < len(Column) else None
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1) if 0 <= section < len(self._rows) else None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        o = self._rows[index.row()]
        col = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(o, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{o.site_name} ({o.provider_name})\n{o.address}, {o.postcode}\n"
                f"Open {o.opening_hours}\n{access_spoken(o)}"
            )
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return access_spoken(o) if col is Column.ACCESS else self._display(o, col)
        if role == Qt.ItemDataRole.BackgroundRole and not o.meets_adjustments:
            return _UNSUITABLE_BG
        if role == Qt.ItemDataRole.ForegroundRole and not o.meets_adjustments:
            return _UNSUITABLE_FG
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (Column.WAIT, Column.DISTANCE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == OPTION_ROLE:
            return o
        return None

    @staticmethod
    def _display(o: ChoiceOption, col: Column) -> str:
        if col is Column.SITE:
            return f"{o.site_name}, {o.postcode}"
        if col is Column.WAIT:
            return wait_text(o)
        if col is Column.NEXT_FREE:
            return when_text(o.next_free_slot) if o.next_free_slot else "No free appointment listed"
        if col is Column.DISTANCE:
            return miles_text(o.distance_km)
        if col is Column.ACCESS:
            return access_text(o)
        return "Yes" if o.meets_adjustments else "⚠ No: does not meet the patient's adjustments"
