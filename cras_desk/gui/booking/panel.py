"""The booking panel: find a slot at the chosen site(s) and book it; cancel, rebook or record the outcome.

Booking from the slot list takes at most three keys: Down to the slot (the soonest is already
selected), Enter to book, Enter again to confirm; Escape backs out of the confirmation. Confirming
costs one key and means a stray Enter never books anybody.

When another advisor takes the slot first, the service refuses (the database decides, so nobody is
double-booked); the panel says so, fetches the list again with the same filters, and leaves
everything else as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import ClinicianType, TimeOfDay
from cras_desk.domain.errors import SlotTaken
from cras_desk.gui.booking.slots_model import SlotTableModel, slot_summary
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.confirm_bar import ConfirmBar
from cras_desk.gui.widgets.display import weeks_text
from cras_desk.gui.widgets.error_text import describe_error
from cras_desk.gui.widgets.panel_keys import PanelKeys
from cras_desk.gui.widgets.referral_panel import ReferralPanel
from cras_desk.gui.widgets.tab_order import set_tab_order
from cras_desk.gui.widgets.tables import setup_table
from cras_desk.services.booking import LiveBooking, SlotQuery, SlotRow
from cras_desk.services.choice import ChoiceOfferView, ChoiceOption, Decision

REASON_FIELD = "booking_reason"
DEFAULT_DAYS = 28  # the finder looks four weeks ahead unless told otherwise
SLOT_LIMIT = 200

SHORTCUTS: list[tuple[str, str]] = [
    (
        "Down, Return, Return",
        "Book a slot from the list: move to it, book, confirm (the soonest is preselected)",
    ),
    ("Escape", "Go back from a confirmation without booking"),
    ("Ctrl+Shift+F", "Find slots again with the filters shown (Return in a filter does too)"),
    ("Ctrl+Shift+B", "Rebook the live appointment into the selected slot (Return on the list does too)"),
    ("Ctrl+Shift+P", "Cancel the live appointment: the patient asked"),
    ("Ctrl+Shift+V", "Cancel the live appointment: the provider cancelled"),
    ("Ctrl+Shift+D", "Record that the patient did not attend (DNA)"),
    ("Ctrl+Shift+A", "Record that the patient attended"),
]

_DAY_PARTS: tuple[tuple[str, TimeOfDay | None], ...] = (
    ("Any time", None),
    ("Morning (before 12:00)", TimeOfDay.MORNING),
    ("Afternoon (12:00 to 17:00)", TimeOfDay.AFTERNOON),
    ("Evening (from 17:00)", TimeOfDay.EVENING),
)


@dataclass(frozen=True)
class _Context:
    sites: list[ChoiceOption]
    last_offer: ChoiceOfferView | None
    live: LiveBooking | None


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class BookingPanel(ReferralPanel):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._context: _Context | None = None
        self._preselect: list[int] | None = None
        self._busy = False
        self._restoring = False
        self._reselect_row = 0
        self._build()
        keys = PanelKeys(self)
        keys.add("Return", self.request_book, only_in=self.table)
        keys.add("Enter", self.request_book, only_in=self.table)
        keys.add("Ctrl+Shift+F", self.find)
        for field in (
            self.sites_list,
            self.date_from,
            self.date_to,
            self.day_part_combo,
            self.clinician_combo,
        ):
            keys.add("Return", self.find, only_in=field)
            keys.add("Enter", self.find, only_in=field)
        keys.add("Ctrl+Shift+B", self.request_rebook)
        keys.add("Ctrl+Shift+P", lambda: self.request_cancel(by_patient=True))
        keys.add("Ctrl+Shift+V", lambda: self.request_cancel(by_patient=False))
        keys.add("Ctrl+Shift+D", self.request_dna)
        keys.add("Ctrl+Shift+A", self.request_attended)
        keys.attach()
        self.referral_changed(True)

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.setAccessibleName("Booking")
        title = QLabel("Book an appointment", self)
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)

        self.sites_list = QListWidget(self)
        self.sites_list.setAccessibleName("Sites to search (Space ticks a site)")
        self.sites_list.setMaximumHeight(90)
        self.sites_list.itemChanged.connect(self._site_ticked)
        self.date_from = QDateEdit(self)
        self.date_from.setCalendarPopup(True)
        self.date_from.setDisplayFormat("ddd d MMM yyyy")
        self.date_from.setAccessibleName("Earliest date")
        self.date_to = QDateEdit(self)
        self.date_to.setCalendarPopup(True)
        self.date_to.setDisplayFormat("ddd d MMM yyyy")
        self.date_to.setAccessibleName("Latest date")
        self.day_part_combo = QComboBox(self)
        self.day_part_combo.setAccessibleName("Time of day")
        for label, part in _DAY_PARTS:
            self.day_part_combo.addItem(label, part)
        self.clinician_combo = QComboBox(self)
        self.clinician_combo.setAccessibleName("Clinician type")
        self.clinician_combo.addItem("Any clinician", None)
        for ct in ClinicianType:
            self.clinician_combo.addItem(ct.value.replace("_", " ").capitalize(), ct)
        self.find_button = QPushButton("Find slots (Ctrl+Shift+F)", self)
        self.find_button.setAccessibleName("Find slots")
        self.find_button.clicked.connect(self.find)

        filters = QGroupBox("Find a slot", self)
        form = QFormLayout(filters)
        form.addRow("Sites:", self.sites_list)
        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to", filters))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        form.addRow("Dates:", dates)
        form.addRow("Time of day:", self.day_part_combo)
        form.addRow("Clinician:", self.clinician_combo)
        form.addRow("", self.find_button)

        self.model = SlotTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        setup_table(self.table, "Free slots: Return books the selected slot")
        self.table.doubleClicked.connect(lambda _index: self.request_book())
        self.count_label = QLabel(self)
        self.count_label.setAccessibleName("Number of slots found")

        self.confirm = ConfirmBar(self)

        self.live_box = QGroupBox("Live appointment", self)
        self.live_label = QLabel(self.live_box)
        self.live_label.setWordWrap(True)
        self.live_label.setAccessibleName("Live appointment")
        self.reason_edit = QLineEdit(self.live_box)
        self.reason_edit.setAccessibleName("Reason for cancelling, moving or not attending")
        self.reason_edit.setPlaceholderText("Reason (needed to cancel or rebook; kept as you type)")
        self.reason_edit.textChanged.connect(self._reason_changed)
        self.cancel_patient_button = QPushButton("Cancel: patient asked (Ctrl+Shift+P)", self.live_box)
        self.cancel_patient_button.setAccessibleName("Cancel the appointment at the patient's request")
        self.cancel_provider_button = QPushButton("Cancel: provider (Ctrl+Shift+V)", self.live_box)
        self.cancel_provider_button.setAccessibleName("Cancel the appointment: the provider cancelled")
        self.rebook_button = QPushButton("Rebook to selected slot (Ctrl+Shift+B)", self.live_box)
        self.rebook_button.setAccessibleName("Move the appointment to the selected slot")
        self.dna_button = QPushButton("Did not attend (Ctrl+Shift+D)", self.live_box)
        self.dna_button.setAccessibleName("Record that the patient did not attend")
        self.attended_button = QPushButton("Attended (Ctrl+Shift+A)", self.live_box)
        self.attended_button.setAccessibleName("Record that the patient attended")
        self.cancel_patient_button.clicked.connect(lambda: self.request_cancel(by_patient=True))
        self.cancel_provider_button.clicked.connect(lambda: self.request_cancel(by_patient=False))
        self.rebook_button.clicked.connect(self.request_rebook)
        self.dna_button.clicked.connect(self.request_dna)
        self.attended_button.clicked.connect(self.request_attended)
        live_layout = QVBoxLayout(self.live_box)
        live_layout.addWidget(self.live_label)
        live_layout.addWidget(self.reason_edit)
        row1 = QHBoxLayout()
        for button in (self.rebook_button, self.cancel_patient_button, self.cancel_provider_button):
            row1.addWidget(button)
        row1.addStretch(1)
        row2 = QHBoxLayout()
        for button in (self.dna_button, self.attended_button):
            row2.addWidget(button)
        row2.addStretch(1)
        live_layout.addLayout(row1)
        live_layout.addLayout(row2)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.banner)
        layout.addWidget(filters)
        layout.addWidget(self.count_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.confirm)
        layout.addWidget(self.live_box)

        order: list[QWidget] = [
            self.sites_list,
            self.date_from,
            self.date_to,
            self.day_part_combo,
            self.clinician_combo,
            self.find_button,
            self.table,
            self.reason_edit,
            self.rebook_button,
            self.cancel_patient_button,
            self.cancel_provider_button,
            self.dna_button,
            self.attended_button,
        ]
        set_tab_order(order)
        self.setFocusProxy(self.table)

    # -- referral ---------------------------------------------------------------------------------

    def referral_changed(self, switched: bool) -> None:
        if not switched:
            return
        self._context = None
        self._busy = False
        self.confirm.reject()
        self.model.set_slots([])
        self.count_label.clear()
        self.sites_list.blockSignals(True)
        self.sites_list.clear()
        self.sites_list.blockSignals(False)
        today = today_london()
        self.date_from.setDate(_qdate(today))
        self.date_to.setDate(_qdate(today + timedelta(days=DEFAULT_DAYS)))
        self.day_part_combo.setCurrentIndex(0)
        self.clinician_combo.setCurrentIndex(0)
        rid = self._referral_id
        self._restoring = True
        try:
            self.reason_edit.setText(self.ctx.drafts.get(rid, REASON_FIELD) if rid is not None else "")
        finally:
            self._restoring = False
        self._show_live(None)
        self._set_enabled()

    def preselect_sites(self, site_ids: list[int]) -> None:
        """Search these sites (the patient's choice). Applies now if loaded, else at the next load."""
        self._preselect = list(site_ids)
        if self._context is not None:
            self._tick_sites(self._preselect)
            self._preselect = None
            self.find()

    def load(self, referral_id: int) -> None:
        services, actor = self.ctx.services, self.ctx.actor

        def fetch() -> _Context:
            return _Context(
                sites=services.choice.options(actor, referral_id, only_meeting_adjustments=False),
                last_offer=services.choice.last_offer(actor, referral_id),
                live=services.booking.live_booking(actor, referral_id),
            )

        self.run("context", fetch, self._context_loaded)

    def _context_loaded(self, context: _Context) -> None:
        self._context = context
        self.sites_list.blockSignals(True)
        self.sites_list.clear()
        for o in context.sites:
            flag = "" if o.meets_adjustments else "  ⚠ does not meet the patient's adjustments"
            item = QListWidgetItem(f"{o.site_name} (wait {weeks_text(o.wait_weeks)}){flag}")
            item.setData(Qt.ItemDataRole.UserRole, o.site_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.sites_list.addItem(item)
        self.sites_list.blockSignals(False)
        if self._preselect is not None:
            wanted, self._preselect = self._preselect, None
        elif context.last_offer is not None and context.last_offer.decision is Decision.CHOSEN:
            wanted = [context.last_offer.chosen_site_id] if context.last_offer.chosen_site_id else []
        else:
            wanted = [o.site_id for o in context.sites if o.meets_adjustments]
        self._tick_sites(wanted)
        self._show_live(context.live)
        self._set_enabled()
        self.find()

    def _tick_sites(self, site_ids: list[int]) -> None:
        self.sites_list.blockSignals(True)
        for i in range(self.sites_list.count()):
            item = self.sites_list.item(i)
            ticked = item.data(Qt.ItemDataRole.UserRole) in site_ids
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        self.sites_list.blockSignals(False)

    def ticked_sites(self) -> list[int]:
        return [
            int(self.sites_list.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.sites_list.count())
            if self.sites_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _site_ticked(self, _item: QListWidgetItem) -> None:
        self.find()

    def _show_live(self, live: LiveBooking | None) -> None:
        if live is None:
            self.live_label.setText("No live appointment.")
        else:
            self.live_label.setText(f"Booked: {slot_summary(live)}")
        self._set_enabled()

    @property
    def live(self) -> LiveBooking | None:
        return self._context.live if self._context is not None else None

    def _set_enabled(self) -> None:
        loaded = self._context is not None and not self._busy
        live = self.live is not None
        for widget in (
            self.sites_list,
            self.date_from,
            self.date_to,
            self.day_part_combo,
            self.clinician_combo,
            self.find_button,
        ):
            widget.setEnabled(loaded)
        self.reason_edit.setEnabled(self._referral_id is not None)
        for button in (
            self.rebook_button,
            self.cancel_patient_button,
            self.cancel_provider_button,
            self.dna_button,
            self.attended_button,
        ):
            button.setEnabled(loaded and live)

    # -- finding ----------------------------------------------------------------------------------

    def query(self) -> SlotQuery:
        return SlotQuery(
            site_ids=tuple(self.ticked_sites()),
            date_from=_pydate(self.date_from.date()),
            date_to=_pydate(self.date_to.date()),
            day_part=self.day_part_combo.currentData(),
            clinician_type=self.clinician_combo.currentData(),
            limit=SLOT_LIMIT,
        )

    def find(self) -> None:
        rid = self._referral_id
        if rid is None or self._context is None:
            return
        q = self.query()
        if not q.site_ids:
            self.model.set_slots([])
            self.count_label.setText("Tick at least one site to search.")
            return
        if q.date_to is not None and q.date_from is not None and q.date_to < q.date_from:
            self.banner.warning("The latest date is before the earliest date.")
            return
        services, actor = self.ctx.services, self.ctx.actor
        self.count_label.setText("Searching…")
        self.run("find", lambda: services.booking.find_slots(actor, rid, q), self._found)

    def _found(self, rows: list[SlotRow]) -> None:
        self.model.set_slots(rows)
        n = len(rows)
        more = " (the first ones; narrow the dates to see others)" if n >= SLOT_LIMIT else ""
        self.count_label.setText(f"{n} free slot{'s' if n != 1 else ''}{more}" if n else "No free slots.")
        if n:
            row = min(self._reselect_row, n - 1)
            self.table.selectRow(row)
        self._reselect_row = 0

    def selected_slot(self) -> SlotRow | None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return self.model.slot(rows[0].row())
        index = self.table.currentIndex()
        return self.model.slot(index.row()) if index.isValid() else None

    # -- booking ----------------------------------------------------------------------------------

    def request_book(self) -> None:
        """Return on the slot list: book (or, with a live appointment, rebook) after a confirmation."""
        if self.live is not None:
            self.request_rebook()
            return
        slot = self.selected_slot()
        if slot is None or self._busy or self._referral_id is None:
            return
        self.confirm.ask(
            f"Book {slot_summary(slot)}? An appointment letter will be queued.",
            "Book",
            lambda: self.book(slot),
            return_focus=self.table,
        )

    def book(self, slot: SlotRow) -> None:
        rid = self._referral_id
        if rid is None or self._busy:
            return
        services, actor = self.ctx.services, self.ctx.actor
        self._busy = True
        self._set_enabled()
        self.banner.info("Booking…")
        self.run_change(
            lambda: services.booking.book(actor, rid, slot.slot_id),
            lambda _booking_id: self._changed(
                rid, f"Booked {slot_summary(slot)}. The appointment letter is queued.", used_reason=False
            ),
            lambda exc: self._change_failed(rid, exc),
        )

    def request_rebook(self) -> None:
        live, slot = self.live, self.selected_slot()
        if live is None or self._busy:
            return
        if slot is None:
            self.banner.warning("Select the new slot in the list first.")
            self.table.setFocus()
            return
        reason = self._reason_or_ask("moving the appointment")
        if reason is None:
            return
        self.confirm.ask(
            f"Move the appointment from {slot_summary(live)} to {slot_summary(slot)}? Reason: {reason}",
            "Rebook",
            lambda: self._rebook(live, slot, reason),
            return_focus=self.table,
        )

    def _rebook(self, live: LiveBooking, slot: SlotRow, reason: str) -> None:
        services, actor = self.ctx.services, self.ctx.actor
        self._start_change(
            lambda: services.booking.rebook(actor, live.booking_id, slot.slot_id, reason),
            f"Moved to {slot_summary(slot)}. A letter with the new appointment is queued.",
        )

    def request_cancel(self, *, by_patient: bool) -> None:
        live = self.live
        if live is None or self._busy:
            return
        reason = self._reason_or_ask("the cancellation")
        if reason is None:
            return
        who = "at the patient's request" if by_patient else "by the provider"
        services, actor = self.ctx.services, self.ctx.actor
        self.confirm.ask(
            f"Cancel {slot_summary(live)} {who}? Reason: {reason}. A letter will be queued and the "
            "referral goes back on the worklist.",
            "Cancel appointment",
            lambda: self._start_change(
                lambda: services.booking.cancel(actor, live.booking_id, by_patient, reason),
                f"Appointment cancelled {who}. The referral is back on the worklist to rebook.",
            ),
            return_focus=self.reason_edit,
        )

    def request_dna(self) -> None:
        live = self.live
        if live is None or self._busy:
            return
        note = self.reason_edit.text().strip()
        services, actor = self.ctx.services, self.ctx.actor
        because = f" Note: {note}" if note else ""
        self.confirm.ask(
            f"Record that the patient did not attend {slot_summary(live)}?{because}",
            "Record DNA",
            lambda: self._start_change(
                lambda: services.booking.record_dna(actor, live.booking_id, note),
                "Did not attend recorded. The referral is back on the worklist.",
            ),
            return_focus=self.reason_edit,
        )

    def request_attended(self) -> None:
        live = self.live
        if live is None or self._busy:
            return
        services, actor = self.ctx.services, self.ctx.actor
        self.confirm.ask(
            f"Record that the patient attended {slot_summary(live)}? The referral is then complete.",
            "Record attended",
            lambda: self._start_change(
                lambda: services.booking.record_attended(actor, live.booking_id),
                "Attendance recorded: the referral is complete.",
                used_reason=False,
            ),
        )

    def _reason_or_ask(self, what: str) -> str | None:
        reason = self.reason_edit.text().strip()
        if not reason:
            self.banner.warning(f"Type the reason for {what} first.")
            self.reason_edit.setFocus()
            return None
        return reason

    def _start_change(self, fn: Callable[[], object], message: str, *, used_reason: bool = True) -> None:
        rid = self._referral_id
        if rid is None or self._busy:
            return
        self._busy = True
        self._set_enabled()
        self.banner.info("Saving…")
        self.run_change(
            fn,
            lambda _result: self._changed(rid, message, used_reason=used_reason),
            lambda exc: self._change_failed(rid, exc),
        )

    def _changed(self, rid: int, message: str, *, used_reason: bool) -> None:
        if used_reason:
            self.ctx.drafts.clear(rid, REASON_FIELD)
        if self.is_current(rid):
            self._busy = False
            if used_reason:
                self._restoring = True
                try:
                    self.reason_edit.clear()
                finally:
                    self._restoring = False
            self.banner.success(message)
            self.reload()  # the live appointment and the list of free slots
        self.changed.emit(rid)

    def _change_failed(self, rid: int, exc: BaseException) -> None:
        if not self.is_current(rid):
            return
        self._busy = False
        self._set_enabled()
        self.banner.error(describe_error(exc))
        if isinstance(exc, SlotTaken):
            # Same filters, same place in the list: the taken slot is gone, its neighbour selected.
            self._reselect_row = max(0, self.table.currentIndex().row())
            self.find()
            self.table.setFocus()

    # -- reason drafts ----------------------------------------------------------------------------

    def _reason_changed(self, text: str) -> None:
        if self._restoring or self._referral_id is None:
            return
        self.ctx.drafts.put(self._referral_id, REASON_FIELD, text)
