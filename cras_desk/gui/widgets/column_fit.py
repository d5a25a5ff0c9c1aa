"""Tables that never scroll sideways: columns are sized to fit the table's own width.

On a 1366-pixel screen a table that scrolls sideways hides the column the advisor needs (the
worklist's status, a slot's site) behind a scroll bar nobody uses mid-call. So each column has a
natural width and a narrowest width (its text elided below that, "…"); when the natural widths
do not fit, optional columns are hidden first (least useful first), then the widest columns are
squeezed, towards a common width but never below their narrowest. Widening the table (the
splitter) brings the hidden ones back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QHeaderView, QTableView

LEAST_CHARS = 7  # a squeezed column still shows this many characters (then "…")
WHOLE_CHARS = 13  # contents up to this long ("999 000 0018", "03 Dec 2026") are never squeezed


@dataclass(frozen=True)
class ColumnSpec:
    want: int  # natural width, pixels
    least: int  # narrowest width, pixels
    drop: int | None = None  # optional: hidden (lowest first) when the kept columns cannot fit


def plan_widths(specs: Sequence[ColumnSpec], available: int, stretch: int | None = None) -> list[int | None]:
    """A width per column (None: hidden) adding up to `available` where the columns allow it.

    Space left over goes to the `stretch` column (the last one shown if None or hidden).
    """
    shown = list(range(len(specs)))
    optional = sorted((s.drop, i) for i, s in enumerate(specs) if s.drop is not None)

    # Optional columns go before a kept column is squeezed: while the kept ones at their natural
    # widths and the optional ones at their narrowest do not fit.
    def needed() -> int:
        return sum(specs[i].least if specs[i].drop is not None else specs[i].want for i in shown)

    while optional and needed() > available:
        shown.remove(optional.pop(0)[1])
    widths = {i: specs[i].want for i in shown}
    excess = sum(widths.values()) - available
    if excess > 0:
        # The widest columns give way first, down to a common cap (never below their narrowest):
        # the short ones (a time, a count) stay whole, the long ones (a name, a site) are elided.
        def total(cap: int) -> int:
            return sum(max(specs[i].least, min(specs[i].want, cap)) for i in shown)

        low, high = 0, max(widths.values())
        while low < high:  # the largest cap that fits
            mid = (low + high + 1) // 2
            if total(mid) <= available:
                low = mid
            else:
                high = mid - 1
        widths = {i: max(specs[i].least, min(specs[i].want, low)) for i in shown}
        spare = available - sum(widths.values())
        for i in sorted(shown, key=lambda k: specs[k].want - widths[k], reverse=True):
            if spare <= 0:
                break
            grow = min(spare, specs[i].want - widths[i])
            widths[i] += grow
            spare -= grow
    elif excess < 0 and shown:
        target = stretch if stretch in widths else shown[-1]
        widths[target] -= excess
    return [widths.get(i) for i in range(len(specs))]


class ColumnFitter(QObject):
    """Keeps a table's columns inside its viewport (see the module docstring).

    specs() is asked again whenever the table is resized or its rows change, so natural widths
    may be measured from the rows of a small table; the worklist gives fixed ones instead.
    """

    def __init__(
        self,
        table: QTableView,
        specs: Callable[[], Sequence[ColumnSpec]],
        *,
        stretch: int | None = None,
    ) -> None:
        super().__init__(table)
        self._table = table
        self._specs = specs
        self._stretch = stretch
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        # Headings from the left: a squeezed heading then loses its end ("Breach ≤ 2…"), not both.
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.viewport().installEventFilter(self)
        self._watch(table.model())

    def _watch(self, model: QObject | None) -> None:
        if model is None:
            return
        for signal in (model.modelReset, model.layoutChanged, model.rowsInserted, model.dataChanged):
            signal.connect(self._timer.start)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        table = self._table
        header = table.horizontalHeader()
        specs = list(self._specs())
        available = table.viewport().width()
        if available <= 0 or not specs:
            return
        for column, width in enumerate(plan_widths(specs, available, self._stretch)):
            hidden = width is None
            if header.isSectionHidden(column) != hidden:
                header.setSectionHidden(column, hidden)
            if width is not None and header.sectionSize(column) != width:
                header.resizeSection(column, width)


def measured_specs(
    table: QTableView, *, least_chars: int = LEAST_CHARS, whole_chars: int = WHOLE_CHARS
) -> list[ColumnSpec]:
    """Natural widths from the header text and the rows the table shows (small tables only).

    Short contents (an NHS number, a date, a count: up to whole_chars) are never elided, only
    their heading may be; longer ones (names, sites) may be squeezed to least_chars.
    """
    model = table.model()
    header = table.horizontalHeader()
    if model is None:
        return []
    char = table.fontMetrics().averageCharWidth()
    floor, whole = char * least_chars + 12, char * whole_chars + 12
    specs = []
    for column in range(model.columnCount()):
        content = table.sizeHintForColumn(column)
        want = max(header.sectionSizeHint(column), content)
        least = max(floor, content) if content <= whole else floor
        specs.append(ColumnSpec(want=want, least=min(want, least)))
    return specs


def fit_columns(table: QTableView) -> ColumnFitter:
    """Fit a small table's columns to its width, from what its rows hold; the last one stretches."""
    return ColumnFitter(table, lambda: measured_specs(table))
