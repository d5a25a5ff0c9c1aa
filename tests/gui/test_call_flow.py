"""The whole call through the real widgets, keyboard only: next patient, outcome, choice, booking."""

from __future__ import annotations

from desk_helpers import WAIT, drain
from desk_window import activate, open_window
from PySide6.QtCore import Qt
from sqlalchemy import select

from cras_desk.db.models import Booking, ChoiceOffer, ContactAttempt, Letter, Referral
from cras_desk.domain.enums import BookingStatus, ContactOutcome, LetterKind, ReferralStatus

CTRL = Qt.KeyboardModifier.ControlModifier


def test_next_patient_outcome_choice_and_booking_by_keyboard(qtbot, world, make_desk) -> None:
    ctx = make_desk(world, "amy")
    window = open_window(qtbot, ctx)
    rid = world.referrals["Ó Súilleabháin"]
    activate(qtbot, window)

    # F2: the most urgent callable referral is claimed and opened; focus lands on the outcome.
    with qtbot.waitSignal(window.patient.loaded, timeout=WAIT):
        qtbot.keyClick(window, Qt.Key.Key_F2)
    assert window.current_referral == rid
    outcome = window.flow["outcome"].ready
    assert outcome is not None
    qtbot.waitUntil(lambda: outcome.number_combo.count() > 0, timeout=WAIT)

    # "1" spoke to the patient; Tab, Tab to the notes; Ctrl+Return saves.
    focused = window.focusWidget()
    assert focused is not None and outcome.isAncestorOf(focused)
    qtbot.keyClick(focused, Qt.Key.Key_1)
    assert outcome.outcome() is ContactOutcome.SPOKE
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
    assert window.focusWidget() is outcome.notes_edit
    qtbot.keyClicks(outcome.notes_edit, "Happy to be seen at Lewes")
    with qtbot.waitSignal(outcome.changed, timeout=WAIT):
        qtbot.keyClick(outcome.notes_edit, Qt.Key.Key_Return, CTRL)
    drain(qtbot, ctx)

    # F7: the choice script; the first (best) site is selected; Ctrl+Return asks, Return confirms.
    qtbot.keyClick(window, Qt.Key.Key_F7)
    choice = window.flow["choice"].ready
    assert choice is not None
    qtbot.waitUntil(lambda: choice.model.rowCount() > 0, timeout=WAIT)
    qtbot.waitUntil(lambda: choice.selected_option() is not None, timeout=WAIT)
    chosen = choice.selected_option()
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Return, CTRL)
    assert choice.confirm.pending
    with qtbot.waitSignal(choice.site_chosen, timeout=WAIT):
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Return)
    drain(qtbot, ctx)

    # The desk moves on to booking at the chosen site: Return, Return books the soonest slot.
    booking = window.flow["booking"].ready
    assert booking is not None
    assert window.ui.flowTabs.currentWidget() is window.ui.bookingTab
    qtbot.waitUntil(lambda: booking.selected_slot() is not None, timeout=WAIT)
    assert booking.ticked_sites() == [chosen.site_id]
    slot = booking.selected_slot()
    qtbot.waitUntil(lambda: booking.table.hasFocus(), timeout=WAIT)
    qtbot.keyClick(booking.table, Qt.Key.Key_Return)
    assert booking.confirm.pending
    with qtbot.waitSignal(booking.changed, timeout=WAIT):
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Return)
    drain(qtbot, ctx)

    with world.db.read() as s:
        attempt = s.scalars(select(ContactAttempt).where(ContactAttempt.referral_id == rid)).one()
        offer = s.scalars(select(ChoiceOffer).where(ChoiceOffer.referral_id == rid)).one()
        booked = s.scalars(select(Booking).where(Booking.referral_id == rid)).one()
        ref = s.get(Referral, rid)
        letters = list(s.scalars(select(Letter.kind).where(Letter.referral_id == rid)))
    assert attempt.outcome is ContactOutcome.SPOKE and attempt.notes == "Happy to be seen at Lewes"
    assert offer.decision == "chosen" and offer.chosen_site_id == chosen.site_id
    assert booked.status is BookingStatus.BOOKED and booked.slot_id == slot.slot_id
    assert ref is not None and ref.status is ReferralStatus.BOOKED
    assert LetterKind.APPOINTMENT in letters
    # The desk shows it: the patient pane has the appointment, the history has all three steps.
    qtbot.waitUntil(lambda: "None booked" not in window.patient.booking.text(), timeout=WAIT)
    history = window.patient.history
    summaries = [history.topLevelItem(i).text(1) for i in range(history.topLevelItemCount())]
    assert summaries[0] == "Appointment letter to patient: queued"  # newest first
    assert summaries[1].startswith("Booked ")
    assert summaries[2] == f"Choice offered (2 options): chose {chosen.site_name}"
    assert summaries[3].startswith("Phone call: spoke to the patient (07700 900120)")
    assert summaries[-1].startswith("Referral received")
