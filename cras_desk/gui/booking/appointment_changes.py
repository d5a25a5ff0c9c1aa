"""What each change to an appointment asks, does and says: book a slot, rebook, cancel (the patient
asked, or the provider cancelled), did not attend, attended.

Each confirmation's wording is here with the service call it confirms and what is said once it is
saved. The panel decides when a change may be asked for (a reason typed, a slot selected), asks,
runs it on the database worker and shows how it went.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cras_desk.domain.appointment_needs import AppointmentNeeds
from cras_desk.gui.booking.needs_text import confirm_needs
from cras_desk.gui.booking.slots_model import slot_summary
from cras_desk.services.actor import Actor
from cras_desk.services.booking import BookingService, LiveBooking, SlotRow


@dataclass(frozen=True)
class AppointmentChange:
    question: str  # asked in the confirm bar
    yes: str  # its button
    # The service call, run on the database worker with the change's idempotency key: the panel
    # keeps one key per `what` until it succeeds, so a retry after a dropped commit tells the truth.
    call: Callable[[str], object]
    progress: str  # shown while it runs
    done: str  # said once it is saved
    uses_reason: bool = True  # the reason typed is spent: field and draft clear once saved
    what: tuple[object, ...] = ()  # which change this is: the same again is a retry


def _needs(needs: AppointmentNeeds | None) -> str:
    return confirm_needs(needs) if needs is not None else ""


def book(
    booking: BookingService, actor: Actor, referral_id: int, slot: SlotRow, needs: AppointmentNeeds | None
) -> AppointmentChange:
    return AppointmentChange(
        f"Book {slot_summary(slot)}?{_needs(needs)} An appointment letter will be queued.",
        "Book",
        lambda key: booking.book(actor, referral_id, slot.slot_id, key=key),
        "Booking…",
        f"Booked {slot_summary(slot)}. The appointment letter is queued.",
        uses_reason=False,
        what=("book", referral_id, slot.slot_id),
    )


def rebook(
    booking: BookingService,
    actor: Actor,
    live: LiveBooking,
    slot: SlotRow,
    reason: str,
    needs: AppointmentNeeds | None,
) -> AppointmentChange:
    return AppointmentChange(
        f"Move the appointment from {slot_summary(live)} to {slot_summary(slot)}? "
        f"Reason: {reason}.{_needs(needs)}",
        "Rebook",
        lambda key: booking.rebook(actor, live.booking_id, slot.slot_id, reason, key=key),
        "Saving…",
        f"Moved to {slot_summary(slot)}. A letter with the new appointment is queued.",
        what=("rebook", live.booking_id, slot.slot_id, reason),
    )


def cancel(
    booking: BookingService, actor: Actor, live: LiveBooking, reason: str, *, by_patient: bool
) -> AppointmentChange:
    who = "at the patient's request" if by_patient else "by the provider"
    return AppointmentChange(
        f"Cancel {slot_summary(live)} {who}? Reason: {reason}. A letter will be queued and the "
        "referral goes back on the worklist.",
        "Cancel appointment",
        lambda key: booking.cancel(actor, live.booking_id, by_patient, reason, key=key),
        "Saving…",
        f"Appointment cancelled {who}. The referral is back on the worklist to rebook.",
        what=("cancel", live.booking_id, by_patient, reason),
    )


def did_not_attend(booking: BookingService, actor: Actor, live: LiveBooking, note: str) -> AppointmentChange:
    because = f" Note: {note}" if note else ""
    return AppointmentChange(
        f"Record that the patient did not attend {slot_summary(live)}?{because}",
        "Record DNA",
        lambda key: booking.record_dna(actor, live.booking_id, note, key=key),
        "Saving…",
        "Did not attend recorded. The referral is back on the worklist.",
        what=("dna", live.booking_id, note),
    )


def attended(booking: BookingService, actor: Actor, live: LiveBooking) -> AppointmentChange:
    return AppointmentChange(
        f"Record that the patient attended {slot_summary(live)}? The referral is then complete.",
        "Record attended",
        lambda key: booking.record_attended(actor, live.booking_id, key=key),
        "Saving…",
        "Attendance recorded: the referral is complete.",
        uses_reason=False,
        what=("attended", live.booking_id),
    )
