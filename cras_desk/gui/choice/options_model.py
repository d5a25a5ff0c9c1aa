"""The eligible sites as a table: a small in-memory list, exactly the ChoiceOption objects fetched.

The model keeps the very objects the service returned, so the offer recorded is the offer shown
(waits and next free slots as the patient heard them), not a fresh query a second later.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor

from cras_desk.domain.contact_policy import format_date
from cras_desk.gui.widgets.display import miles_text, weeks_text, when_text
from cras_desk.gui.widgets.tables import ROW_ROLE, RowTableModel, TableColumn
from cras_desk.services.choice import ChoiceOption

OPTION_ROLE = ROW_ROLE  # the ChoiceOption of the row

_UNSUITABLE_BG = QBrush(QColor("#fff4e5"))  # pale amber; text stays the default dark colour
_UNSUITABLE_FG = QBrush(QColor("#5c3500"))


class Column(TableColumn):
    SITE = "Site"
    WAIT = "Wait"
    NEXT_FREE = "Next free appointment"
    DISTANCE = "Distance"
    ACCESS = "Access"
    SUITABLE = "Suits the patient's needs"


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


class ChoiceOptionsModel(RowTableModel[ChoiceOption, Column]):
    columns = Column
    right_aligned = frozenset({Column.WAIT, Column.DISTANCE})

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[ChoiceOption] = []
        self._show_unsuitable = False

    # -- contents -----------------------------------------------------------------------------

    def set_options(self, options: Sequence[ChoiceOption]) -> None:
        with self.resetting():
            self._all = list(options)
            self._rows = self._visible()

    def set_show_unsuitable(self, show: bool) -> None:
        if show == self._show_unsuitable:
            return
        with self.resetting():
            self._show_unsuitable = show
            self._rows = self._visible()

    @property
    def show_unsuitable(self) -> bool:
        return self._show_unsuitable

    def _visible(self) -> list[ChoiceOption]:
        return [o for o in self._all if self._show_unsuitable or o.meets_adjustments]

    def shown(self) -> list[ChoiceOption]:
        """The options on screen now, in screen order: what the offer records."""
        return self.rows()

    def hidden_count(self) -> int:
        return len(self._all) - len(self._rows)

    def option(self, row: int) -> ChoiceOption | None:
        return self.row_at(row)

    def row_of(self, site_id: int) -> int:
        return self.row_where(lambda o: o.site_id == site_id)

    # -- cells --------------------------------------------------------------------------------

    def text(self, o: ChoiceOption, col: Column) -> str:
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

    def spoken(self, o: ChoiceOption, col: Column) -> str:
        return access_spoken(o) if col is Column.ACCESS else self.text(o, col)

    def tooltip(self, o: ChoiceOption, col: Column) -> str:
        return (
            f"{o.site_name} ({o.provider_name})\n{o.address}, {o.postcode}\n"
            f"Open {o.opening_hours}\n{access_spoken(o)}"
        )

    def other_data(self, o: ChoiceOption, col: Column, role: int) -> QBrush | None:
        if o.meets_adjustments:
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return _UNSUITABLE_BG
        if role == Qt.ItemDataRole.ForegroundRole:
            return _UNSUITABLE_FG
        return None
