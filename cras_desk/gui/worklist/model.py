"""The worklist table model: referral ids paged in from the database, display rows built lazily.

After Anki's browser table model: the model holds row ids in order plus a cache of the rows the
service returned; what a cell shows (text, colour, tooltip) is built the first time the view asks
for it and cached. Sorting and filtering go back to SQL (a new query), never a proxy model: at
300,000 referrals a proxy takes tens of seconds to sort, an indexed query milliseconds.

Pages arrive through `fetchMore` (FeelUOwn's ReaderFetchMoreMixin): a re-entry guard keeps the view
from asking twice while a page is on its way, and rows go in with beginInsertRows(first, last)
where last is inclusive. All database work runs on the TaskRunner's worker; a new query
supersedes the old one (same task key), and a generation number drops any late page of an old
query that was already running.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont

from cras_desk.domain import nhs_number
from cras_desk.domain.clock import to_london, today_london, utcnow
from cras_desk.domain.enums import Priority, ReferralStatus
from cras_desk.domain.rtt import RttBand, RttClock
from cras_desk.gui.style import BAND_COLOURS, CLAIMED_BY_OTHER, URGENT_TEXT
from cras_desk.gui.tasks import TaskRunner
from cras_desk.gui.widgets.display import breach_in_text
from cras_desk.services.actor import Actor
from cras_desk.services.worklist import SortKey, WorklistFilter, WorklistRow, WorklistService

ModelIndex = QModelIndex | QPersistentModelIndex

REFERRAL_ID_ROLE = Qt.ItemDataRole.UserRole + 1
BAND_ROLE = Qt.ItemDataRole.UserRole + 2
MAX_RELOAD = 1000  # WorklistService.MAX_PAGE: a reload keeps at most this many rows
COUNT_DELAY_MS = 400  # the total is counted once typing pauses this long


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    sort: SortKey | None  # None: not sortable (the view puts the indicator back)
    invert: bool = False  # the SQL order runs the other way (more weeks waited = received earlier)
    numeric: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("priority", "Priority", SortKey.URGENCY),
    Column("weeks", "Weeks", SortKey.RECEIVED, invert=True, numeric=True),  # waited, RTT weeks
    Column("breach", "Breach in", SortKey.BREACH, numeric=True),  # days left ("3 over" once past)
    Column("name", "Patient", SortKey.NAME),
    Column("nhs", "NHS number", SortKey.NHS),
    Column("service", "Service", SortKey.SERVICE),
    Column("status", "Status", SortKey.STATUS),
    Column("attempts", "Attempts", SortKey.ATTEMPTS, numeric=True),
    Column("next", "Next action / callback", SortKey.NEXT_ACTION),
    Column("claimed", "Claimed by", None),
)
COLUMN_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}

STATUS_TEXT: dict[ReferralStatus, str] = {
    ReferralStatus.AWAITING_CONTACT: "Awaiting contact",
    ReferralStatus.CONTACTING: "Contacting",
    ReferralStatus.CALLBACK: "Callback",
    ReferralStatus.CHOICE_PENDING: "Choice pending",
    ReferralStatus.UTC_LETTER_SENT: "Unable-to-contact letter sent",
    ReferralStatus.BOOKED: "Booked",
    ReferralStatus.DISCHARGED: "Discharged",
    ReferralStatus.COMPLETED: "Completed",
}
# The worklist's status column is narrow at 1366 pixels: the long ones shortened (tooltip: in full).
STATUS_SHORT: dict[ReferralStatus, str] = {**STATUS_TEXT, ReferralStatus.UTC_LETTER_SENT: "UTC letter sent"}


@dataclass(frozen=True)
class Query:
    """Everything that picks and orders the rows; a new Query is a new SQL statement."""

    filter: WorklistFilter
    sort: SortKey = SortKey.URGENCY
    descending: bool = False


# Roles as plain ints: the view asks data() about ten roles per cell on every paint, so the
# lookup must be one dict access, not a chain of enum comparisons.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_RID = int(REFERRAL_ID_ROLE)
_BAND = int(BAND_ROLE)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_N_COLUMNS = len(COLUMNS)
_BAND_TIP = {
    RttBand.BREACHED: "Breached: past the RTT target",
    RttBand.CRITICAL: "Breaches within 2 weeks",
    RttBand.WARNING: "Breaches within 4 weeks",
    RttBand.OK: "Within target",
}

Cells = list[dict[int, Any]]  # one {role: value} per column
_HEADER_TIPS = {
    "weeks": "Weeks waited since the referral was received (RTT clock)",
    "breach": "Days left to the RTT breach date; 'over' once breached",
    "claimed": "Who is working the referral right now",
}


def nhs_334(number: str) -> str:
    try:
        return nhs_number.format_334(number)
    except ValueError:
        return number


def when_text(moment: datetime, now: datetime) -> str:
    local = to_london(moment)
    if local.date() == to_london(now).date():
        return f"Today {local:%H:%M}"
    return f"{local:%a %d %b %H:%M}"


class WorklistModel(QAbstractTableModel):
    """Rows of WorklistService pages; ask for a new query with set_query()."""

    query_started = Signal()
    query_loaded = Signal(int, float)  # rows in the first page, seconds since the query was asked for
    page_loaded = Signal(int, float)  # rows appended by fetchMore, seconds it took
    load_failed = Signal(object)  # the exception
    count_known = Signal(int)  # total rows the query matches

    TASK_KEY = "worklist.page"

    def __init__(
        self,
        service: WorklistService,
        actor: Actor,
        tasks: TaskRunner,
        page_size: int = 100,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._actor = actor
        self._tasks = tasks
        self._page_size = max(1, min(page_size, MAX_RELOAD))
        self._query = Query(WorklistFilter())
        self._ids: list[int] = []
        self._rows: dict[int, WorklistRow] = {}
        self._cells: dict[int, Cells] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self._generation = 0
        self._loading = False  # a first page is on its way: no fetchMore until it lands
        self._fetching = False  # the re-entry guard for fetchMore
        self._exhausted = True  # nothing asked yet: nothing to fetch
        self._today: date = today_london()
        self._now: datetime = utcnow()
        self._count: int | None = None
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(COUNT_DELAY_MS)
        self._count_timer.timeout.connect(self._ask_count)

    # --- queries ---------------------------------------------------------------------------------

    @property
    def query(self) -> Query:
        return self._query

    @property
    def loading(self) -> bool:
        return self._loading or self._fetching

    @property
    def total(self) -> int | None:
        """How many rows the query matches, once the background count has come back."""
        return self._count

    def set_query(self, query: Query, *, keep: int = 0) -> None:
        """Run query in the background; the first page replaces the rows when it arrives.

        keep: load at least this many rows in the first page (a refresh keeps what was loaded).
        """
        self._query = query
        self._generation += 1
        generation = self._generation
        self._loading = True
        self._fetching = False
        self._count = None
        self._count_timer.stop()
        limit = max(self._page_size, min(keep, MAX_RELOAD))
        asked = time.perf_counter()
        service, actor = self._service, self._actor
        self.query_started.emit()

        def work() -> list[WorklistRow]:
            return service.page(actor, query.filter, query.sort, query.descending, 0, limit)

        self._tasks.run(
            work,
            lambda rows: self._first_page(generation, rows, limit, asked),
            lambda exc: self._failed(generation, exc),
            key=self.TASK_KEY,
        )

    def set_filter(self, flt: WorklistFilter) -> None:
        self.set_query(replace(self._query, filter=flt))

    def sort_column(self, column: int, order: Qt.SortOrder) -> bool:
        """A header click: re-query in SQL. False if the column cannot be sorted."""
        col = COLUMNS[column]
        if col.sort is None:
            return False
        descending = order == Qt.SortOrder.DescendingOrder
        if col.invert:
            descending = not descending
        self.set_query(replace(self._query, sort=col.sort, descending=descending))
        return True

    def refresh(self) -> None:
        """The same query again, keeping as many rows as are loaded now."""
        self.set_query(self._query, keep=len(self._ids))

    def _first_page(self, generation: int, rows: list[WorklistRow], limit: int, asked: float) -> None:
        if generation != self._generation:
            return  # an older query that finished after a newer one was asked for
        self.beginResetModel()
        self._today, self._now = today_london(), utcnow()
        self._ids = []
        self._rows.clear()
        self._cells.clear()
        self._append(rows)
        self._exhausted = len(rows) < limit
        self._loading = False
        self.endResetModel()
        self.query_loaded.emit(len(self._ids), time.perf_counter() - asked)
        if self._exhausted:
            self._count = len(self._ids)
            self.count_known.emit(self._count)
        else:
            # Counted only once the advisor pauses: while they type, a count (which cannot be
            # interrupted once running) would hold up the next keystroke's query on the one worker,
            # and compete with the view's painting for the interpreter.
            self._count_timer.start()

    def _ask_count(self) -> None:
        generation = self._generation
        if self._loading:
            return  # a newer query is on its way; it will ask again
        service, actor, flt = self._service, self._actor, self._query.filter

        def work() -> int | None:
            # A count for a query the advisor has already typed past is not worth a database trip.
            return None if generation != self._generation else service.count(actor, flt)

        def done(n: int | None) -> None:
            if n is not None and generation == self._generation:
                self._count = n
                self.count_known.emit(n)

        self._tasks.run(work, done, lambda _exc: None, key="worklist.count")

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._fetching = False
        self.load_failed.emit(exc)

    # --- incremental loading ---------------------------------------------------------------------

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        if parent.isValid():
            return False
        return not (self._exhausted or self._loading or self._fetching)

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self.canFetchMore(parent):
            return
        self._fetching = True  # re-entry guard: the view asks again on every scroll step
        generation = self._generation
        query, offset, limit = self._query, len(self._ids), self._page_size
        service, actor = self._service, self._actor
        asked = time.perf_counter()

        def work() -> list[WorklistRow]:
            return service.page(actor, query.filter, query.sort, query.descending, offset, limit)

        def done(rows: list[WorklistRow]) -> None:
            if generation != self._generation:
                return
            self._fetching = False
            self._exhausted = len(rows) < limit
            # Offsets shift when rows change between pages: drop any we already hold.
            fresh = [r for r in rows if r.referral_id not in self._rows]
            if fresh:
                first = len(self._ids)
                self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
                self._append(fresh)
                self.endInsertRows()
            self.page_loaded.emit(len(fresh), time.perf_counter() - asked)

        self._tasks.run(work, done, lambda exc: self._failed(generation, exc), key=self.TASK_KEY)

    def _append(self, rows: list[WorklistRow]) -> None:
        for row in rows:
            self._ids.append(row.referral_id)
            self._rows[row.referral_id] = row

    # --- rows changed elsewhere ------------------------------------------------------------------

    def loaded_ids(self) -> set[int]:
        return set(self._ids)

    def refresh_rows(self, referral_ids: set[int] | list[int]) -> None:
        """Re-read the given rows (if loaded) in the background and repaint them in place."""
        wanted = [rid for rid in referral_ids if rid in self._rows]
        if not wanted:
            return
        generation = self._generation
        service, actor = self._service, self._actor

        def work() -> list[tuple[int, WorklistRow | None]]:
            return [(rid, service.row(actor, rid)) for rid in wanted]

        self._tasks.run(work, lambda found: self._replace_rows(generation, found))

    def _replace_rows(self, generation: int, found: list[tuple[int, WorklistRow | None]]) -> None:
        if generation != self._generation:
            return
        for rid, row in found:
            if rid not in self._rows:
                continue
            at = self._ids.index(rid)
            if row is None:  # gone, or no longer the actor's to list
                self.beginRemoveRows(QModelIndex(), at, at)
                del self._ids[at]
                del self._rows[rid]
                self._cells.pop(rid, None)
                self.endRemoveRows()
                continue
            self._rows[rid] = row
            self._cells.pop(rid, None)
            self._now = utcnow()
            self.dataChanged.emit(self.index(at, 0), self.index(at, len(COLUMNS) - 1))

    # --- lookups ---------------------------------------------------------------------------------

    def referral_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, referral_id: int) -> int | None:
        try:
            return self._ids.index(referral_id)
        except ValueError:
            return None

    def worklist_row(self, referral_id: int) -> WorklistRow | None:
        return self._rows.get(referral_id)

    # --- Qt model API ----------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else _NO_FLAGS

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        col = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS.get(col.key, f"Sort by {col.title.lower()}" if col.sort else col.title)
        return None

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> Any:
        row, col = index.row(), index.column()
        if row < 0 or row >= len(self._ids) or not 0 <= col < _N_COLUMNS:
            return None
        rid = self._ids[row]
        if role == _RID:
            return rid
        cells = self._cells.get(rid)
        if cells is None:
            cells = self._cells[rid] = self._build(self._rows[rid])
        return cells[col].get(role)

    def _build(self, row: WorklistRow) -> Cells:
        """Everything one row shows, per column and role; built the first time it is painted."""
        today, now = self._today, self._now
        clock = RttClock(row.received_on, row.priority)
        band = clock.band(today)
        weeks = row.weeks_waited(today)
        left = row.days_to_breach(today)
        nxt = row.next_action_at
        due_now = nxt is not None and nxt <= now
        next_text = ""
        if nxt is not None:
            next_text = f"Due now (since {when_text(nxt, now)})" if due_now else when_text(nxt, now)
        mine = row.claimed_by_name is not None and row.claimed_by_name == self._actor.full_name
        claimed = ("You" if mine else row.claimed_by_name) if row.claimed_by_name else ""
        claimed_tip = ""
        if row.claimed_by_name and row.claimed_until is not None:
            claimed_tip = f"Claimed by {row.claimed_by_name} until {to_london(row.claimed_until):%H:%M}"
        priority = row.priority.value.capitalize()
        status = STATUS_TEXT.get(row.status, row.status.value)
        urgent = row.priority is Priority.URGENT
        texts = (
            priority,
            str(weeks),
            breach_in_text(left, band),
            row.patient_name,
            nhs_334(row.nhs_number),
            row.service_name,
            STATUS_SHORT.get(row.status, status),
            str(row.attempt_count),
            next_text,
            claimed,
        )
        owner = f"; assigned to {row.assigned_to_name}" if row.assigned_to_name else "; unassigned"
        tips = (
            f"{priority}: target {clock.target_days} days",
            f"Received {row.received_on:%d %b %Y}",
            f"{_BAND_TIP[band]}; breach date {row.breach_on:%d %b %Y}",
            f"{row.patient_name}, {row.postcode}{owner}",
            None,
            row.service_name,
            f"{status}; next: {next_text}" if next_text else status,
            None,
            next_text or None,
            claimed_tip or None,
        )
        summary = f"{row.patient_name}, {priority}, {weeks} weeks waited, {_BAND_TIP[band]}, {status}"
        if claimed:
            summary += f", claimed by {claimed}"
        background, foreground = BAND_COLOURS[band]
        cells: Cells = []
        for i, col in enumerate(COLUMNS):
            cell: dict[int, Any] = {
                _DISPLAY: texts[i],
                _ACCESSIBLE: summary if i == 0 else f"{col.title}: {texts[i]}",
                _ALIGN: _RIGHT if col.numeric else _LEFT,
                _BAND: band.value,
            }
            if tips[i]:
                cell[_TOOLTIP] = tips[i]
            cells.append(cell)
        for key in ("weeks", "breach"):
            cells[COLUMN_INDEX[key]][_FOREGROUND] = foreground
            if background is not None:
                cells[COLUMN_INDEX[key]][_BACKGROUND] = background
        if band in (RttBand.BREACHED, RttBand.CRITICAL):
            cells[COLUMN_INDEX["breach"]][_FONT] = self._bold
        if urgent:
            cells[COLUMN_INDEX["priority"]][_FOREGROUND] = URGENT_TEXT
            cells[COLUMN_INDEX["priority"]][_FONT] = self._bold
        if due_now:
            cells[COLUMN_INDEX["next"]][_FONT] = self._bold
        if row.claimed_by_name and not mine:
            cells[COLUMN_INDEX["claimed"]][_BACKGROUND] = CLAIMED_BY_OTHER
        return cells
