"""The worklist panel: search box, filter bar and the referral table.

Every change of search text, filter or sort is a new SQL query run on the worker; the newest one
supersedes the rest, so typing fast shows only the last keystroke's rows. Nothing here touches the
database on the UI thread.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cras_desk.domain import input_rules
from cras_desk.domain.enums import Priority, ReferralStatus, Role, ServiceCode
from cras_desk.domain.search_terms import SearchKind, classify
from cras_desk.gui import shortcuts
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.style import set_role
from cras_desk.gui.widgets.announcer import announce
from cras_desk.gui.widgets.column_fit import ColumnFitter, ColumnSpec
from cras_desk.gui.widgets.tab_order import set_tab_order
from cras_desk.gui.worklist.model import COLUMNS, STATUS_SHORT, STATUS_TEXT, Query, WorklistModel
from cras_desk.services.worklist import Scope, WorklistFilter

SERVICE_TEXT: dict[ServiceCode, str] = {
    ServiceCode.PHYSIOTHERAPY: "Physiotherapy",
    ServiceCode.MSK_MDT: "Orthopaedic / MSK MDT",
    ServiceCode.PAIN: "Pain management",
    ServiceCode.RHEUMATOLOGY: "Rheumatology",
    ServiceCode.PODIATRY: "Podiatry",
    ServiceCode.ORTHOTICS: "Orthotics",
}
_INCLUDE_CLOSED = "__closed__"
_TO_DO = "__to_do__"
_NAME = next(c for c in COLUMNS if c.key == "name")
_NEXT = next(c for c in COLUMNS if c.key == "next")
# Shorter than this, a search matches a large part of the list (every number starts 0 or 9, every
# local postcode BN) and costs the database a scan for rows nobody will read: the list stays as it
# is and the advisor is asked for a little more.
MIN_SEARCH: dict[SearchKind, tuple[int, str]] = {
    SearchKind.NAME: (2, "Keep typing: 2 letters of the name or more"),
    SearchKind.POSTCODE: (4, "Keep typing: a postcode needs 4 characters or more"),
    SearchKind.PHONE: (6, "Keep typing: a phone number needs 6 digits or more"),
    SearchKind.NHS_PREFIX: (4, "Keep typing: an NHS number needs 4 digits or more"),
    SearchKind.DATE_OF_BIRTH: (8, "Keep typing: the date of birth in full, e.g. 17/05/1950"),
}


def effective_search(text: str) -> tuple[str, str]:
    """(the search to run, a hint for the advisor): "" while the text is too short to be selective."""
    term = classify(text)
    if term is None:
        # Punctuation alone, or a script the search keys do not fold: say so rather than list
        # every referral as if they matched (the list keeps what it showed).
        return "", input_rules.search_problem(text) or ""
    least, hint = MIN_SEARCH.get(term.kind, (0, ""))
    typed = len(term.value) if term.kind is not SearchKind.NAME else len(text.replace(" ", "").strip())
    if typed < least:
        return "", hint
    return text.strip(), term.note or ""


# Column widths, fixed so the view never measures 300,000 rows to size a column: per column, the
# widest text it shows, how far its text may be squeezed (None: never, it is what the advisor reads
# the row by) in characters, for the optional ones the order they are hidden in (lowest first)
# when the worklist is too narrow for them, and whether its cells can be bold. At 1366 pixels the
# priority, breach, name, NHS number, status and attempts are kept.
_PRIORITIES = tuple(p.value.capitalize() for p in Priority)
_FIT: dict[str, tuple[tuple[str, ...], int | None, int | None, bool]] = {
    "priority": (_PRIORITIES, None, None, True),
    "weeks": (("999",), None, 3, False),
    "breach": (("999 over", "27 <4wk", "13 <2wk"), None, None, True),
    "name": (("VAN DER BERG, Chris",), 10, None, False),
    "nhs": (("999 999 9999",), None, None, False),
    "service": (("Physiotherapy",), 8, 2, False),
    "status": (tuple(STATUS_SHORT.values()), None, None, False),
    "attempts": (("99",), None, None, False),
    "next": (("Due now (since Wed 30 Dec 14:45)",), 16, 4, True),
    "claimed": (("Somebody Long",), 6, 1, False),
}
_CELL_PADDING = 10  # the cell's margins and grid line
_TITLE_PADDING = 14  # desk.qss: a heading has 6px of padding a side and a 1px border
_SORT_ARROW = 18  # room for the sort indicator, beside the title of the column sorted on


class WorklistPanel(QWidget):
    referral_activated = Signal(int)  # Return or double-click on a row: open it
    current_changed = Signal(object)  # the referral id under the cursor, or None

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("worklistPanel")
        self.model = WorklistModel(
            ctx.services.worklist, ctx.actor, ctx.tasks, ctx.settings.worklist_page_size, self
        )
        self._want_selected: int | None = None
        self._sort_indicator = (0, Qt.SortOrder.AscendingOrder)
        self._started = False
        self._build()
        self._connect()

    # --- layout ----------------------------------------------------------------------------------

    def _column_specs(self, sorted_on: int) -> list[ColumnSpec]:
        bold = QFont(self.font())
        bold.setBold(True)  # urgent priorities, breached days and the titles are bold
        text, strong = QFontMetrics(self.font()), QFontMetrics(bold)
        char = text.averageCharWidth()
        specs = []
        for i, col in enumerate(COLUMNS):
            samples, least_chars, drop, can_be_bold = _FIT[col.key]
            cells = strong if can_be_bold else text
            content = max(cells.horizontalAdvance(t) for t in samples) + _CELL_PADDING
            title = (
                strong.horizontalAdvance(col.title) + _TITLE_PADDING + (_SORT_ARROW if i == sorted_on else 0)
            )
            want = max(content, title)
            least = want if least_chars is None else min(want, least_chars * char + _CELL_PADDING)
            specs.append(ColumnSpec(want=want, least=least, drop=drop))
        return specs

    def preferred_width(self) -> int:
        """Wide enough for every kept column whole and the next action (a callback's time) too."""
        kept = sum(spec.want for spec in self.column_specs if spec.drop is None)
        nxt = self.column_specs[COLUMNS.index(_NEXT)].least
        chrome = self.width() - self.table.viewport().width() if self.isVisible() else 40
        return kept + nxt + _SORT_ARROW + max(chrome, 0)

    def least_table_width(self) -> int:
        """The narrowest the table may be: every column that is never hidden, at its narrowest
        (with room for the sort arrow on any of them)."""
        kept = sum(spec.least for spec in self.column_specs if spec.drop is None) + _SORT_ARROW
        scroll_bar = self.table.verticalScrollBar().sizeHint().width()
        return kept + scroll_bar + 2 * self.table.frameWidth()

    def _build(self) -> None:
        self.search = QLineEdit(self)
        self.search.setObjectName("worklistSearch")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(
            f"Search name, NHS number, postcode or phone ({shortcuts.text('worklist.search')})"
        )
        self.search.setAccessibleName("Search the worklist")
        self.search.setAccessibleDescription(
            "Name, NHS number, postcode, phone number or date of birth (day/month/year)"
        )
        search_label = QLabel("&Search", self)
        search_label.setBuddy(self.search)
        self.search_hint = QLabel(self)
        set_role(self.search_hint, "hint")

        self.scope = QComboBox(self)
        self.scope.setObjectName("worklistScope")
        self.scope.setAccessibleName("Whose work")
        self.scope.addItem("My work", Scope.MINE)
        self.scope.addItem("My team", Scope.TEAM)
        if self.ctx.actor.role is Role.ADMIN:  # a lead's scope is their team, as in the database
            self.scope.addItem("All teams", Scope.ALL)

        self.service = QComboBox(self)
        self.service.setObjectName("worklistService")
        self.service.setAccessibleName("Service")
        self.service.addItem("All services", None)
        for code, text in SERVICE_TEXT.items():
            self.service.addItem(text, code)

        self.priority = QComboBox(self)
        self.priority.setObjectName("worklistPriority")
        self.priority.setAccessibleName("Priority")
        self.priority.addItem("Any priority", None)
        for p in Priority:
            self.priority.addItem(p.value.capitalize(), p)

        self.status = QComboBox(self)
        self.status.setObjectName("worklistStatus")
        self.status.setAccessibleName("Status")
        self.status.addItem("To do", _TO_DO)
        self.status.setItemData(
            0,
            "Booked referrals are left out until you search: a search finds them too.",
            Qt.ItemDataRole.ToolTipRole,
        )
        self.status.addItem("Open, booked too", None)
        for st in ReferralStatus:
            self.status.addItem(STATUS_TEXT[st], st)
        self.status.addItem("Everything, with closed", _INCLUDE_CLOSED)

        self.breach = QSpinBox(self)
        self.breach.setObjectName("worklistBreachWithin")
        self.breach.setAccessibleName("Breach within days")
        self.breach.setRange(-1, 365)
        self.breach.setValue(-1)
        self.breach.setSpecialValueText("any time")
        self.breach.setPrefix("")
        self.breach.setSuffix(" days")
        self.breach.setToolTip("Only referrals breaching within this many days (breached ones included)")
        breach_label = QLabel("&Breach within", self)
        breach_label.setBuddy(self.breach)

        self.callbacks = QCheckBox("Callbacks due &now", self)
        self.callbacks.setObjectName("worklistCallbacksDue")
        self.callbacks.setAccessibleName("Only callbacks due now")
        self.callbacks.setToolTip(shortcuts.SHORTCUTS["worklist.callbacks"].label)

        self.table = QTableView(self)
        self.table.setObjectName("worklistTable")
        self.table.setAccessibleName("Worklist")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table: the tab order stays sensible
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setCornerButtonEnabled(False)
        self.table.verticalHeader().setVisible(False)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(*self._sort_indicator)
        header.setHighlightSections(False)
        self.column_specs = self._column_specs(self._sort_indicator[0])
        # The name column takes what is left over; nothing scrolls sideways.
        self.fitter = ColumnFitter(self.table, lambda: self.column_specs, stretch=COLUMNS.index(_NAME))
        self.table.setMinimumWidth(self.least_table_width())

        self.count_label = QLabel(self)
        self.count_label.setObjectName("worklistCount")
        set_role(self.count_label, "hint")
        self.pending_label = QLabel(self)
        self.pending_label.setObjectName("worklistPending")
        set_role(self.pending_label, "notice")
        self.pending_label.hide()

        # Combos size to a few characters, not to their longest entry, so the worklist can be narrow
        # on a laptop screen and the patient pane keeps its room.
        for combo, chars in ((self.scope, 6), (self.service, 8), (self.priority, 6), (self.status, 8)):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(chars)
        top = QHBoxLayout()
        top.addWidget(search_label)
        top.addWidget(self.search, 1)
        filters = QHBoxLayout()
        for w in (self.scope, self.service, self.priority, self.status):
            filters.addWidget(w, 1)
        more = QHBoxLayout()
        more.addWidget(breach_label)
        more.addWidget(self.breach)
        more.addSpacing(12)
        more.addWidget(self.callbacks)
        more.addStretch(1)
        # "N changed, press F5" sits in a strip of fixed height under the table, reserved whether
        # or not it is showing: a notice appearing above the table would push the rows down under
        # the advisor's pointer just as they click one.
        self.footer = QWidget(self)
        self.footer.setObjectName("worklistFooter")
        footer = QHBoxLayout(self.footer)
        footer.setContentsMargins(0, 0, 0, 0)
        footer.addWidget(self.count_label)
        footer.addWidget(self.search_hint, 1)
        footer.addWidget(self.pending_label, 3)
        for label in (self.search_hint, self.pending_label):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.pending_label.ensurePolished()
        self.footer.setFixedHeight(
            max(self.pending_label.sizeHint().height(), self.fontMetrics().height() + 14)
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addLayout(more)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.footer)

        order = [self.search, self.scope, self.service, self.priority, self.status, self.breach]
        order += [self.callbacks, self.table]
        set_tab_order(order)
        self.search.installEventFilter(self)

    def _connect(self) -> None:
        self.search.textChanged.connect(self._search_changed)
        for combo in (self.scope, self.service, self.priority, self.status):
            combo.currentIndexChanged.connect(self._filters_changed)
        self.breach.valueChanged.connect(self._filters_changed)
        self.callbacks.toggled.connect(self._filters_changed)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._sort_changed)
        self.table.activated.connect(self._activated)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.model.query_started.connect(self._query_started)
        self.model.query_loaded.connect(self._query_loaded)
        self.model.page_loaded.connect(lambda _n, _s: self._show_count())
        self.model.count_known.connect(lambda _n: self._show_count())
        self.model.load_failed.connect(self._load_failed)

    # --- queries ---------------------------------------------------------------------------------

    def current_filter(self) -> WorklistFilter:
        # Combo data comes back from Qt as plain str (the enums are StrEnums): make them enums again.
        status = self.status.currentData()
        service = self.service.currentData()
        priority = self.priority.currentData()
        breach = self.breach.value()
        return WorklistFilter(
            scope=Scope(self.scope.currentData()),
            service=ServiceCode(service) if service else None,
            priority=Priority(priority) if priority else None,
            status=None if status in (None, _INCLUDE_CLOSED, _TO_DO) else ReferralStatus(status),
            include_closed=status == _INCLUDE_CLOSED,
            to_do=status == _TO_DO,
            breach_within_days=None if breach < 0 else breach,
            callbacks_due=self.callbacks.isChecked(),
            search=effective_search(self.search.text())[0],
        )

    def start(self) -> None:
        """The first query; the main window calls it once it is on screen."""
        self._started = True
        self.model.set_query(Query(self.current_filter(), *self._sort_of(*self._sort_indicator)))

    def _sort_of(self, column: int, order: Qt.SortOrder) -> tuple:
        col = COLUMNS[column]
        descending = (order == Qt.SortOrder.DescendingOrder) != col.invert
        return (col.sort, descending)

    def _search_changed(self, text: str) -> None:
        search, hint = effective_search(text)
        said = self.search_hint.text()
        self.search_hint.setText(hint)
        if hint == input_rules.SEARCH_NEEDS_KEY:
            if said != hint:
                announce(self, hint)  # once as it appears, not at every further keystroke
            return
        if self._started and search != self.model.query.filter.search:
            self.model.set_filter(replace(self.model.query.filter, search=search))

    def _filters_changed(self) -> None:
        if self._started:
            self.model.set_filter(self.current_filter())

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if self.model.sort_column(column, order):
            self._sort_indicator = (column, order)
            self.column_specs = self._column_specs(column)  # the arrow's room moves with it
            self.fitter.fit()
            return
        header = self.table.horizontalHeader()  # a column SQL cannot sort: put the arrow back
        header.blockSignals(True)
        header.setSortIndicator(*self._sort_indicator)
        header.blockSignals(False)

    def refresh(self) -> None:
        self.pending_label.hide()
        self._want_selected = self.current_referral_id()
        self.model.refresh()

    def refresh_referral(self, referral_id: int) -> None:
        """After a change made at this desk: repaint that row (and pick up new work on the next F5)."""
        self.model.refresh_rows([referral_id])

    def apply_changes(self, referral_ids: set[int]) -> None:
        """Rows other desks changed: repaint the loaded ones; tell the advisor about the others."""
        loaded = self.model.loaded_ids()
        self.model.refresh_rows(referral_ids & loaded)
        others = len(referral_ids - loaded)
        if others:
            text = (
                f"{others} other referral{'s' if others != 1 else ''} changed: "
                f"press {shortcuts.text('worklist.refresh')} to refresh the list."
            )
            if not self.pending_label.isVisible():
                announce(self, text)  # once as it appears: the count then changes quietly
            self.pending_label.setText(text)
            self.pending_label.setToolTip(text)  # the strip may be too narrow for all of it
            self.pending_label.show()

    # --- filter shortcuts ------------------------------------------------------------------------

    def set_scope(self, scope: Scope) -> bool:
        at = self.scope.findData(scope)
        if at < 0:
            return False
        self.scope.setCurrentIndex(at)
        return True

    def toggle_callbacks(self) -> None:
        self.callbacks.toggle()

    def clear_filters(self) -> None:
        widgets = (self.service, self.priority, self.status, self.breach, self.callbacks, self.search)
        for w in widgets:
            w.blockSignals(True)
        self.service.setCurrentIndex(0)
        self.priority.setCurrentIndex(0)
        self.status.setCurrentIndex(0)
        self.breach.setValue(-1)
        self.callbacks.setChecked(False)
        self.search.clear()
        for w in widgets:
            w.blockSignals(False)
        self.search_hint.clear()
        self._filters_changed()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def focus_table(self) -> None:
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.table.currentIndex().isValid() and self.model.rowCount() > 0:
            self._select_row(0)

    # --- selection -------------------------------------------------------------------------------

    def current_referral_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.referral_id(index.row()) if index.isValid() else None

    def select_referral(self, referral_id: int) -> bool:
        """Put the cursor on the referral if it is loaded (else remember it for the next load)."""
        row = self.model.row_of(referral_id)
        if row is None:
            self._want_selected = referral_id
            return False
        self._select_row(row)
        return True

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    def _activated(self, index: QModelIndex) -> None:
        rid = self.model.referral_id(index.row())
        if rid is not None:
            self.referral_activated.emit(rid)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_changed.emit(self.model.referral_id(current.row()) if current.isValid() else None)

    # --- feedback --------------------------------------------------------------------------------

    def _query_started(self) -> None:
        if self.model.rowCount() == 0:
            self.count_label.setText("Loading…")

    def _query_loaded(self, _rows: int, _seconds: float) -> None:
        want, self._want_selected = self._want_selected, None
        if want is not None and self.select_referral(want):
            pass
        elif self.table.hasFocus() and self.model.rowCount() > 0:
            self._select_row(0)
        self._show_count()

    def _show_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        if total is None:
            text = f"{shown:,} shown" if shown else "No referrals"
        elif total == 0:
            text = "No referrals match" if self.search.text().strip() else "No referrals"
        else:
            text = f"{shown:,} of {total:,} referrals"
        self.count_label.setText(text)
        self.count_label.setAccessibleName(text)

    def _load_failed(self, exc: BaseException) -> None:
        self.count_label.setText(f"Could not load the worklist: {exc}")
        announce(self, self.count_label.text(), assertive=True)

    # --- keys ------------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key() if isinstance(event, QKeyEvent) else None
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Escape):
                self.focus_table()
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                # Return in the search box opens the single (or first) match: the common case
                # when a patient phones in and gives their NHS number.
                if self.model.rowCount() > 0:
                    self.focus_table()
                    rid = self.current_referral_id()
                    if rid is not None:
                        self.referral_activated.emit(rid)
                return True
        return super().eventFilter(watched, event)
