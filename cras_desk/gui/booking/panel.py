"""The booking panel: find a slot at the chosen site(s) and book it; cancel, rebook or record the outcome.

Booking from the slot list takes at most three keys: Down to the slot (the soonest is already
selected), Enter to book, Enter again to confirm; Escape backs out of the confirmation. Confirming
costs one key and means a stray Enter never books anybody.

The patient's needs drive the list: an interpreter and a longer appointment are named above it and
in every confirmation (the booking records them), and the patient's stated availability filters it
by default; "Show all slots" (Ctrl+Shift+I) looks past it, and the count says how many it hid.

When another advisor takes the slot first, the service refuses (the database decides, so nobody is
double-booked); the panel says so, fetches the list again with the same filters, and leaves
everything else as it was. Before that, the list follows other desks (follow()): a place taken or
freed anywhere runs the last search again on the worker and changes the list in place; if the
slot the advisor chose has gone, it is said ("The slot you chose was just taken at desk X").

Its parts: the filters (filters.py), the slot list (slot_list.py), the live appointment's box
(live_box.py), and what each change asks and says (appointment_changes.py); this module loads the
referral, keeps them in step, and runs the changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import SignalInstance
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from cras_desk.domain.appointment_needs import AppointmentNeeds, Availability
from cras_desk.domain.clock import today_london
from cras_desk.domain.errors import SlotTaken
from cras_desk.gui.booking import appointment_changes as changes
from cras_desk.gui.booking.appointment_changes import AppointmentChange
from cras_desk.gui.booking.filters import SlotFilters
from cras_desk.gui.booking.live_box import LiveAppointmentBox
from cras_desk.gui.booking.needs_text import interpreter_text, needs_parts
from cras_desk.gui.booking.slot_list import SlotList
from cras_desk.gui.booking.slots_model import slot_summary
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.live_view import FeedChanges, LiveRefresh
from cras_desk.gui.widgets.confirm_bar import ConfirmBar
from cras_desk.gui.widgets.error_text import describe_error
from cras_desk.gui.widgets.panel_keys import PanelKeys
from cras_desk.gui.widgets.referral_panel import ReferralPanel
from cras_desk.gui.widgets.tab_order import set_entry, set_tab_order
from cras_desk.services.booking import LiveBooking, SlotQuery, SlotRow, SlotSearch
from cras_desk.services.choice import ChoiceOfferView, ChoiceOption, Decision
from cras_desk.services.idempotency import new_key

REASON_FIELD = "booking_reason"
SLOT_LIMIT = 200

SHORTCUTS: list[tuple[str, str]] = [
    (
        "Down, Return, Return",
        "Book a slot from the list: move to it, book, confirm (the soonest is preselected)",
    ),
    ("Escape", "Go back from a confirmation without booking"),
    ("Ctrl+Shift+F", "Find slots again with the filters shown (Return in a filter does too)"),
    (
        "Ctrl+Shift+I",
        "Show all slots, ignoring the patient's availability (toggle; off again for the next patient)",
    ),
    ("Ctrl+Shift+W", "Change when the patient can come (their availability)"),
    ("Ctrl+Shift+B", "Rebook the live appointment into the selected slot (Return on the list does too)"),
    ("Ctrl+Shift+P", "Cancel the live appointment: the patient asked"),
    ("Ctrl+Shift+V", "Cancel the live appointment: the provider cancelled"),
    ("Ctrl+Shift+D", "Record that the patient did not attend (DNA)"),
    ("Ctrl+Shift+A", "Record that the patient attended"),
]


@dataclass(frozen=True)
class _Context:
    sites: list[ChoiceOption]
    last_offer: ChoiceOfferView | None
    live: LiveBooking | None
    needs: AppointmentNeeds


class BookingPanel(ReferralPanel):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._context: _Context | None = None
        self._preselect: list[int] | None = None
        self._busy = False
        self._restoring = False
        self._keys: dict[tuple[object, ...], str] = {}  # idempotency key per change not yet saved
        self._searched: tuple[int, SlotQuery] | None = None  # the list shown: referral and query
        self._asked_slot: int | None = None
        self._build()
        # Places are taken and freed as slot changes; this advisor's own bookings repaint themselves.
        self.live_refresh = LiveRefresh(self, {"slot"}, self._live_find, mine=ctx.actor.user_id)
        keys = PanelKeys(self)
        keys.add("Return", self.request_book, only_in=self.table)
        keys.add("Enter", self.request_book, only_in=self.table)
        keys.add("Ctrl+Shift+F", self.find)
        keys.add("Ctrl+Shift+I", self.toggle_show_all)
        keys.add("Ctrl+Shift+W", self.edit_availability)
        for field in self.filters.fields:
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
        self.needs_label = QLabel(self)
        self.needs_label.setWordWrap(True)
        self.needs_label.setAccessibleName("What this appointment needs")
        bold = QFont(self.needs_label.font())
        bold.setBold(True)
        self.needs_label.setFont(bold)
        self.needs_label.hide()

        self.filters = SlotFilters(self)
        self.filters.find_requested.connect(self.find)
        self.filters.edit_availability_requested.connect(self.edit_availability)
        self.filters.availability_editor.save_requested.connect(self.save_availability)
        self.filters.availability_editor.cancelled.connect(self._close_availability_editor)
        # The filters' widgets by name, as the panel's callers and tests know them.
        self.sites_list = self.filters.sites_list
        self.date_from, self.date_to = self.filters.date_from, self.filters.date_to
        self.day_part_combo = self.filters.day_part_combo
        self.clinician_combo = self.filters.clinician_combo
        self.find_button = self.filters.find_button
        self.show_all = self.filters.show_all
        self.availability_editor = self.filters.availability_editor
        self.availability_label = self.filters.availability_label
        self.availability_button = self.filters.availability_button

        self.slots = SlotList(self)
        self.slots.book_requested.connect(self.request_book)
        # The list's widgets by name, as the panel's callers and tests know them.
        self.model, self.table, self.count_label = self.slots.model, self.slots.table, self.slots.count_label

        self.confirm = ConfirmBar(self)

        self.live_box = LiveAppointmentBox(self)
        self.live_label = self.live_box.label
        self.reason_edit = self.live_box.reason_edit
        self.reason_edit.textChanged.connect(self._reason_changed)
        self.rebook_button = self.live_box.rebook_button
        self.cancel_patient_button = self.live_box.cancel_patient_button
        self.cancel_provider_button = self.live_box.cancel_provider_button
        self.dna_button = self.live_box.dna_button
        self.attended_button = self.live_box.attended_button
        self.cancel_patient_button.clicked.connect(lambda: self.request_cancel(by_patient=True))
        self.cancel_provider_button.clicked.connect(lambda: self.request_cancel(by_patient=False))
        self.rebook_button.clicked.connect(self.request_rebook)
        self.dna_button.clicked.connect(self.request_dna)
        self.attended_button.clicked.connect(self.request_attended)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.needs_label)
        layout.addWidget(self.filters)
        layout.addWidget(self.slots, 1)
        # Under the list, where Return was pressed: "booked", "slot just taken" and the question.
        layout.addWidget(self.banner)
        layout.addWidget(self.confirm)
        layout.addWidget(self.live_box)

        order: list[QWidget] = [
            *self.filters.focus_order(),
            self.table,
            self.reason_edit,
            *self.live_box.buttons,
        ]
        set_tab_order(order)
        set_entry(self, self.table)

    # -- referral ---------------------------------------------------------------------------------

    def follow(self, seen: SignalInstance) -> None:
        """Follow the desk's change watch (LiveUpdates.changes_seen)."""
        self.live_refresh.follow(seen)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._searched is not None:
            self.live_refresh.shown()  # places taken while the advisor was on another tab

    def referral_changed(self, switched: bool) -> None:
        if not switched:
            return
        self._searched = None
        self.live_refresh.forget()
        self._context = None
        self._busy = False
        self.confirm.reject()
        self.slots.clear()
        # Every patient starts with their own availability applied: looking past it is per patient.
        self.filters.reset(today_london())
        self._show_needs(None)
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
            self.filters.tick_sites(self._preselect)
            self._preselect = None
            self.find()

    def load(self, referral_id: int) -> None:
        services, actor = self.ctx.services, self.ctx.actor

        def fetch() -> _Context:
            return _Context(
                sites=services.choice.options(actor, referral_id, only_meeting_adjustments=False),
                last_offer=services.choice.last_offer(actor, referral_id),
                live=services.booking.live_booking(actor, referral_id),
                needs=services.booking.needs(actor, referral_id),
            )

        self.run("context", fetch, self._context_loaded)

    def _context_loaded(self, context: _Context) -> None:
        self._context = context
        self.filters.fill_sites(context.sites)
        if self._preselect is not None:
            wanted, self._preselect = self._preselect, None
        elif context.last_offer is not None and context.last_offer.decision is Decision.CHOSEN:
            wanted = [context.last_offer.chosen_site_id] if context.last_offer.chosen_site_id else []
        else:
            wanted = [o.site_id for o in context.sites if o.meets_adjustments]
        self.filters.tick_sites(wanted)
        self._show_needs(context.needs)
        self._show_live(context.live)
        self._set_enabled()
        self.find()

    def ticked_sites(self) -> list[int]:
        return self.filters.ticked_sites()

    def _show_live(self, live: LiveBooking | None) -> None:
        if live is None:
            self.live_label.setText("No live appointment.")
        else:
            extras = [interpreter_text(live.interpreter_language)]
            if self.needs is not None and self.needs.longer_minutes:
                extras.append(f"Longer appointment: {live.duration_minutes} min")
            self.live_label.setText(
                "".join([f"Booked: {slot_summary(live)}", *(f". {e}" for e in extras if e)])
            )
        self._set_enabled()

    # -- the patient's needs ----------------------------------------------------------------------

    @property
    def needs(self) -> AppointmentNeeds | None:
        return self._context.needs if self._context is not None else None

    def _show_needs(self, needs: AppointmentNeeds | None) -> None:
        if needs is not None and self._context is not None:
            self._context = replace(self._context, needs=needs)
        parts = needs_parts(needs) if needs is not None else []
        self.needs_label.setText("  ·  ".join(parts))
        self.needs_label.setVisible(bool(parts))
        self.filters.show_availability(needs)
        self.filters.set_enabled(self._context is not None and not self._busy, needs)

    def toggle_show_all(self) -> None:
        if self.show_all.isEnabled():
            self.show_all.toggle()  # finds again

    def edit_availability(self) -> None:
        needs = self.needs
        if needs is None or self._busy:
            return
        self.availability_editor.set_availability(needs.availability)
        self.availability_editor.show()
        self.availability_editor.weekday_boxes[0].setFocus()

    def _close_availability_editor(self) -> None:
        self.availability_editor.hide()
        self.availability_button.setFocus()

    def save_availability(self, availability: Availability) -> None:
        rid = self._referral_id
        if rid is None or self._busy or self._context is None:
            return
        services, actor = self.ctx.services, self.ctx.actor
        self._busy = True
        self._set_enabled()
        self.banner.info("Saving the patient's availability…")

        def saved(needs: AppointmentNeeds) -> None:
            if not self.is_current(rid):
                return
            self._busy = False
            self._show_needs(needs)
            self._close_availability_editor()
            said = needs.availability.describe() or "any day, any time"
            self.banner.success(f"Availability saved: {said}. The slot list follows it.")
            self._set_enabled()
            self.find()
            self.changed.emit(rid)

        def failed(exc: BaseException) -> None:
            if self.is_current(rid):
                self._busy = False
                self._set_enabled()
                self.banner.error(describe_error(exc))  # the editor stays open with what was ticked

        self.run_change(lambda: services.booking.set_availability(actor, rid, availability), saved, failed)

    @property
    def live(self) -> LiveBooking | None:
        return self._context.live if self._context is not None else None

    def _set_enabled(self) -> None:
        loaded = self._context is not None and not self._busy
        live = self.live is not None
        self.filters.set_enabled(loaded, self.needs)
        self.reason_edit.setEnabled(self._referral_id is not None)
        for button in self.live_box.buttons:
            button.setEnabled(loaded and live)

    # -- finding ----------------------------------------------------------------------------------

    def query(self) -> SlotQuery:
        return self.filters.query(SLOT_LIMIT)

    def find(self) -> None:
        rid = self._referral_id
        if rid is None or self._context is None:
            return
        q = self.query()
        if not q.site_ids:
            self.slots.nothing_to_search("Tick at least one site to search.")
            return
        if q.date_to is not None and q.date_from is not None and q.date_to < q.date_from:
            self.banner.warning("The latest date is before the earliest date.")
            return
        services, actor = self.ctx.services, self.ctx.actor
        self.slots.searching()
        self.live_refresh.forget()  # this search covers whatever waited
        self._searched = (rid, q)
        self.run("find", lambda: services.booking.search_slots(actor, rid, q), self._found)

    def _found(self, search: SlotSearch) -> None:
        self._show_needs(search.needs)  # as the search read them: the newest
        self.slots.show_search(search, SLOT_LIMIT)

    def _live_find(self, changes: FeedChanges) -> None:
        """Other desks took or freed places: the search on screen again, not the filters as edited."""
        searched = self._searched
        if searched is None or self._busy or searched[0] != self._referral_id:
            self.live_refresh.done()  # nothing shown to follow, or a change's own reload is on its way
            return
        rid, q = searched
        services, actor = self.ctx.services, self.ctx.actor

        def failed(exc: BaseException) -> None:
            self.live_refresh.done()
            self.show_error(exc)

        self.run(
            "find",
            lambda: services.booking.search_slots(actor, rid, q),
            lambda s: self._followed(s, changes),
            failed,
        )

    def _followed(self, search: SlotSearch, changes: FeedChanges) -> None:
        self.live_refresh.done()
        self._show_needs(search.needs)
        taken = self.slots.follow_search(search, SLOT_LIMIT)
        if taken is None:
            return
        change = changes.last("slot", taken.slot_id)
        where = change.where() if change is not None else " at another desk"
        if self.confirm.pending and self._asked_slot == taken.slot_id:
            self.confirm.reject()  # its question was about the slot now gone
        self.banner.warning(
            f"The slot you chose was just taken{where}: {slot_summary(taken)}. The next one is selected."
        )

    def selected_slot(self) -> SlotRow | None:
        return self.slots.selected_slot()

    # -- booking ----------------------------------------------------------------------------------

    def request_book(self) -> None:
        """Return on the slot list: book (or, with a live appointment, rebook) after a confirmation."""
        if self.live is not None:
            self.request_rebook()
            return
        slot, rid = self.selected_slot(), self._referral_id
        if slot is None or self._busy or rid is None:
            return
        change = changes.book(self.ctx.services.booking, self.ctx.actor, rid, slot, self.needs)
        self._ask(change, return_focus=self.table, slot=slot)

    def book(self, slot: SlotRow) -> None:
        """Book this slot now (the confirm bar's Enter lands here)."""
        rid = self._referral_id
        if rid is not None:
            self._start_change(changes.book(self.ctx.services.booking, self.ctx.actor, rid, slot, self.needs))

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
        change = changes.rebook(self.ctx.services.booking, self.ctx.actor, live, slot, reason, self.needs)
        self._ask(change, return_focus=self.table, slot=slot)

    def request_cancel(self, *, by_patient: bool) -> None:
        live = self.live
        if live is None or self._busy:
            return
        reason = self._reason_or_ask("the cancellation")
        if reason is None:
            return
        booking, actor = self.ctx.services.booking, self.ctx.actor
        change = changes.cancel(booking, actor, live, reason, by_patient=by_patient)
        self._ask(change, return_focus=self.reason_edit)

    def request_dna(self) -> None:
        live = self.live
        if live is None or self._busy:
            return
        note = self.reason_edit.text().strip()
        change = changes.did_not_attend(self.ctx.services.booking, self.ctx.actor, live, note)
        self._ask(change, return_focus=self.reason_edit)

    def request_attended(self) -> None:
        live = self.live
        if live is None or self._busy:
            return
        self._ask(changes.attended(self.ctx.services.booking, self.ctx.actor, live))

    def _reason_or_ask(self, what: str) -> str | None:
        reason = self.reason_edit.text().strip()
        if not reason:
            self.banner.warning(f"Type the reason for {what} first.")
            self.reason_edit.setFocus()
            return None
        return reason

    def _ask(
        self, change: AppointmentChange, *, return_focus: QWidget | None = None, slot: SlotRow | None = None
    ) -> None:
        self._asked_slot = slot.slot_id if slot is not None else None  # what the question is about
        self.confirm.ask(
            change.question, change.yes, lambda: self._start_change(change), return_focus=return_focus
        )

    def _start_change(self, change: AppointmentChange) -> None:
        rid = self._referral_id
        if rid is None or self._busy:
            return
        self._busy = True
        self._set_enabled()
        self.banner.info(change.progress)
        key = self._keys.setdefault(change.what, new_key())  # the same change again: the same key
        self.run_change(
            lambda: change.call(key),
            lambda _result: self._changed(rid, change),
            lambda exc: self._change_failed(rid, exc),
        )

    def _changed(self, rid: int, change: AppointmentChange) -> None:
        self._keys.pop(change.what, None)
        if change.uses_reason:
            self.ctx.drafts.clear(rid, REASON_FIELD)
        if self.is_current(rid):
            self._busy = False
            if change.uses_reason:
                self._restoring = True
                try:
                    self.reason_edit.clear()
                finally:
                    self._restoring = False
            self.banner.success(change.done)
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
            self.slots.keep_place()
            self.find()
            self.table.setFocus()

    # -- reason drafts ----------------------------------------------------------------------------

    def _reason_changed(self, text: str) -> None:
        if self._restoring or self._referral_id is None:
            return
        self.ctx.drafts.put(self._referral_id, REASON_FIELD, text)
