"""Booking, the advisor's use cases: find places, book, cancel, rebook, record the outcome.

Each use case is one transaction: the referral's claim, the booking and slot changes, the letter
it sends (withdrawing queued letters it overtakes), the audit row and the change feed. Never a
double booking, on either backend: how a place is taken and given back, and why that cannot
double-book, is in services/booking_places.py; its prebuilt statements in
services/booking_statements.py; finding places in services/slot_finder.py. The names callers use
(SlotQuery, SlotRow, LiveBooking, ...) are importable from here.

The patient's needs are read in the booking's own transaction and acted on there: the interpreter
language is recorded on the booking (and so in its letter), and a longer appointment is a
condition of the same conditional UPDATE (the slot must be that long).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cras_desk.db import change_feed
from cras_desk.db.engine import Database
from cras_desk.db.models import Patient, Referral
from cras_desk.db.tables import table_of
from cras_desk.domain import input_rules
from cras_desk.domain.appointment_needs import AppointmentNeeds, Availability
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import BookingStatus, LetterKind, Role
from cras_desk.domain.errors import ValidationError
from cras_desk.services import access, audit, idempotency, slot_finder
from cras_desk.services import booking_statements as sql
from cras_desk.services.actor import Actor
from cras_desk.services.booking_places import (
    ALREADY_BOOKED,
    claim_booking,
    constraint_errors,
    end_booking,
    explain_unbookable,
    free_place,
    insert_booking,
    needs_onto,
    take_place,
)
from cras_desk.services.claims import ensure_claim
from cras_desk.services.letter_lifecycle import Supersession, withdraw_superseded
from cras_desk.services.letter_queue import queue_booking_letter, queue_letter
from cras_desk.services.slot_finder import LiveBooking, SlotQuery, SlotRow, SlotSearch

__all__ = [
    "ALREADY_BOOKED",
    "AppointmentNeeds",
    "Availability",
    "BookingService",
    "LiveBooking",
    "SlotQuery",
    "SlotRow",
    "SlotSearch",
]

_ROLES = (Role.ADVISOR, Role.TEAM_LEAD)
REASON_MAX = 2000  # bookings.reason is TEXT: longer than any reason typed on a call


class BookingService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- finding -------------------------------------------------------------------------------

    def find_slots(self, actor: Actor, referral_id: int, q: SlotQuery) -> list[SlotRow]:
        """Bookable places for the referral's service, soonest first, fitting the patient's needs."""
        actor.require(*_ROLES, action="search for appointments")
        slot_finder.check_query(q)
        with self.db.read() as s:
            access.for_referral(s, actor, referral_id)
            return slot_finder.search(s.connection(), referral_id, q, utcnow(), count_hidden=False).slots

    def search_slots(self, actor: Actor, referral_id: int, q: SlotQuery) -> SlotSearch:
        """The slot finder's list, with how many places the patient's availability hid."""
        actor.require(*_ROLES, action="search for appointments")
        slot_finder.check_query(q)
        with self.db.read() as s:
            access.for_referral(s, actor, referral_id)
            return slot_finder.search(s.connection(), referral_id, q, utcnow())

    def needs(self, actor: Actor, referral_id: int) -> AppointmentNeeds:
        actor.require(*_ROLES, action="see appointments")
        with self.db.read() as s:
            access.for_referral(s, actor, referral_id)
            return slot_finder.read_needs(s.connection(), referral_id)[1]

    def live_booking(self, actor: Actor, referral_id: int) -> LiveBooking | None:
        actor.require(*_ROLES, action="see appointments")
        with self.db.write() as s:
            actor = access.for_referral(s, actor, referral_id)
            live = slot_finder.live_booking(s.connection(), referral_id)
            if live is not None:
                # Where and when the patient is seen is part of their record.
                patient_id = s.scalar(select(Referral.patient_id).where(Referral.id == referral_id))
                audit.record(
                    s,
                    actor,
                    "view_booking",
                    "booking",
                    live.booking_id,
                    patient_id,
                    {"referral_id": referral_id},
                )
            return live

    def set_availability(
        self, actor: Actor, referral_id: int, availability: Availability
    ) -> AppointmentNeeds:
        """Record when the patient can come (as they said on this call); returns the needs now.

        The patient belongs to the referral the advisor is working, so the referral is claimed
        like any other change to it; the patient's row is locked for the read-modify-write."""
        actor.require(*_ROLES, action="record a patient's availability")
        availability = Availability.of(
            availability.unavailable_weekdays, availability.day_parts, availability.note
        )
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            change_feed.defer(s)
            actor = access.for_referral(s, actor, referral_id)
            claim = ensure_claim(s, actor, referral_id)
            conn = s.connection()
            before = conn.execute(_AVAILABILITY_OF.with_for_update(), {"p_id": claim.patient_id}).one()
            old = Availability.from_columns(*before)
            conn.execute(
                update(_patients)
                .where(_patients.c.id == claim.patient_id)
                .values(
                    unavailable_weekdays=availability.weekdays_column,
                    available_day_parts=availability.day_parts_column,
                    availability_note=availability.note or None,
                )
            )
            change_feed.record(s, "patient", claim.patient_id, "update", actor.user_id)
            audit.record(
                s,
                actor,
                "set_availability",
                "patient",
                claim.patient_id,
                claim.patient_id,
                {
                    "referral_id": referral_id,
                    "before": old.audit_detail(),
                    "after": availability.audit_detail(),
                },
            )
            return slot_finder.read_needs(conn, referral_id)[1]

    # --- changing ------------------------------------------------------------------------------

    def book(self, actor: Actor, referral_id: int, slot_id: int, *, key: str | None = None) -> int:
        """Take a place for the referral; SlotTaken if another advisor got there first.

        key (services.idempotency): a retry with it returns the first try's booking.
        """
        actor.require(*_ROLES, action="book appointments")
        input_rules.record_id(slot_id, "slot")
        params: dict[str, Any] = {
            "b_referral": referral_id,
            "b_slot": slot_id,
            "b_user": actor.user_id,
            "b_now": utcnow(),
            "b_rebooked_from": None,
        }

        def work(s: Session) -> int:
            s.info["user_id"] = actor.user_id
            change_feed.defer(s)  # this transaction's change rows go in one INSERT at commit
            claim = ensure_claim(s, access.for_referral(s, actor, referral_id), referral_id)
            conn = s.connection()
            needs = needs_onto(conn, referral_id, params)
            # The place first: a desk that lost the race has then done as little as possible.
            take_place(s, conn, actor, params)
            if conn.execute(sql.CLOSE_REFERRAL, params).rowcount != 1:
                explain_unbookable(conn, referral_id)
            withdraw_superseded(s, actor, referral_id, Supersession.BOOKED, claim.patient_id)
            if conn.dialect.name == "postgresql":
                # The booking's INSERT brings back what its letter says: one round trip for both.
                with constraint_errors():
                    booked = conn.execute(sql.INSERT_BOOKING_READING_LETTER, params).one()
                booking_id: int = booked.b_id
                change_feed.record(s, "booking", booking_id, "insert", actor.user_id)
                letter_id = queue_booking_letter(
                    s, actor, booked, LetterKind.APPOINTMENT, {"booking_id": booking_id}
                )
            else:
                booking_id = insert_booking(s, conn, actor, params)
                letter_id = queue_letter(
                    s, actor, referral_id, LetterKind.APPOINTMENT, {"booking_id": booking_id}
                )
            audit.record(
                s,
                actor,
                "book",
                "booking",
                booking_id,
                claim.patient_id,
                {
                    "referral_id": referral_id,
                    "slot_id": slot_id,
                    "letter_id": letter_id,
                    **_needs_detail(needs),
                },
            )
            return booking_id

        return idempotency.run_once(self.db, actor, "book", key, work, _booking_json, _booking_of)

    def cancel(
        self, actor: Actor, booking_id: int, by_patient: bool, reason: str, *, key: str | None = None
    ) -> None:
        """Give the place back and put the referral back on the worklist to be rebooked."""
        actor.require(*_ROLES, action="cancel appointments")
        reason = input_rules.check_text(reason, "The reason", multiline=True, max_length=REASON_MAX).strip()
        if not reason:
            raise ValidationError("Give a reason for the cancellation.")
        status = BookingStatus.CANCELLED_PATIENT if by_patient else BookingStatus.CANCELLED_PROVIDER

        def work(s: Session) -> None:
            s.info["user_id"] = actor.user_id
            change_feed.defer(s)  # this transaction's change rows go in one INSERT at commit
            row, claim = claim_booking(s, access.for_booking(s, actor, booking_id), booking_id)
            conn = s.connection()
            params = {
                "b_booking": booking_id,
                "b_referral": row.referral_id,
                "b_slot": row.slot_id,
                "b_user": actor.user_id,
                "b_now": utcnow(),
                "b_status": status,
                "b_reason": reason,
            }
            end_booking(s, conn, actor, params)
            free_place(s, conn, actor, params)
            conn.execute(sql.REOPEN_REFERRAL, params)
            withdraw_superseded(s, actor, row.referral_id, Supersession.CANCELLED, claim.patient_id)
            letter_id = queue_letter(
                s,
                actor,
                row.referral_id,
                LetterKind.CANCELLED,
                {"booking_id": booking_id, "by_patient": by_patient},
            )
            audit.record(
                s,
                actor,
                "cancel",
                "booking",
                booking_id,
                claim.patient_id,
                {
                    "referral_id": row.referral_id,
                    "slot_id": row.slot_id,
                    "status": status.value,
                    "reason": reason,
                    "letter_id": letter_id,
                },
            )

        idempotency.run_once(self.db, actor, "cancel", key, work, _nothing_json, _nothing)

    def rebook(
        self, actor: Actor, booking_id: int, new_slot_id: int, reason: str, *, key: str | None = None
    ) -> int:
        """Move the booking to another slot in one transaction; returns the new booking's id.

        If the new place has gone (SlotTaken) the whole transaction rolls back and the old
        booking stands exactly as it was: the patient is never left without an appointment.
        """
        actor.require(*_ROLES, action="rebook appointments")
        reason = input_rules.check_text(reason, "The reason", multiline=True, max_length=REASON_MAX).strip()
        if not reason:
            raise ValidationError("Give a reason for moving the appointment.")

        def work(s: Session) -> int:
            s.info["user_id"] = actor.user_id
            change_feed.defer(s)  # this transaction's change rows go in one INSERT at commit
            row, claim = claim_booking(s, access.for_booking(s, actor, booking_id), booking_id)
            if row.slot_id == new_slot_id:
                raise ValidationError("The patient is already booked into that slot.")
            conn = s.connection()
            old = {
                "b_booking": booking_id,
                "b_slot": row.slot_id,
                "b_user": actor.user_id,
                "b_now": utcnow(),
                "b_status": BookingStatus.REBOOKED,
                "b_reason": reason,
            }
            new = {
                "b_referral": row.referral_id,
                "b_slot": new_slot_id,
                "b_user": actor.user_id,
                "b_now": old["b_now"],
                "b_rebooked_from": booking_id,
            }
            needs = needs_onto(conn, row.referral_id, new)
            # The old booking stops being live before the new one is inserted (one live booking
            # per referral). Slot counters move in ascending id order (see the module docstring);
            # atomicity, not statement order, is what keeps the old booking if the new place is gone.
            end_booking(s, conn, actor, old)
            if new_slot_id < row.slot_id:
                take_place(s, conn, actor, new)
                free_place(s, conn, actor, old)
            else:
                free_place(s, conn, actor, old)
                take_place(s, conn, actor, new)
            new_id = insert_booking(s, conn, actor, new)
            withdraw_superseded(s, actor, row.referral_id, Supersession.REBOOKED, claim.patient_id)
            letter_id = queue_letter(
                s,
                actor,
                row.referral_id,
                LetterKind.REBOOKED,
                {"booking_id": new_id, "previous_booking_id": booking_id},
            )
            audit.record(
                s,
                actor,
                "rebook",
                "booking",
                new_id,
                claim.patient_id,
                {
                    "referral_id": row.referral_id,
                    "from_booking_id": booking_id,
                    "from_slot_id": row.slot_id,
                    "slot_id": new_slot_id,
                    "reason": reason,
                    "letter_id": letter_id,
                    **_needs_detail(needs),
                },
            )
            return new_id

        return idempotency.run_once(self.db, actor, "rebook", key, work, _booking_json, _booking_of)

    def record_dna(self, actor: Actor, booking_id: int, note: str = "", *, key: str | None = None) -> None:
        """The patient did not attend. The referral goes back on the worklist, callable now, so an
        advisor phones to rebook or, under the local DNA policy, discharges back to the GP; the
        place is not given back (the session has happened)."""
        note = input_rules.check_text(note, "The note", multiline=True, max_length=REASON_MAX)
        self._record_outcome(actor, booking_id, BookingStatus.DNA, note.strip() or None, key)

    def record_attended(self, actor: Actor, booking_id: int, *, key: str | None = None) -> None:
        """The first appointment happened: the referral's work here is done."""
        self._record_outcome(actor, booking_id, BookingStatus.ATTENDED, None, key)

    # --- shared by the two outcomes -----------------------------------------------------------

    def _record_outcome(
        self, actor: Actor, booking_id: int, status: BookingStatus, note: str | None, key: str | None
    ) -> None:
        actor.require(*_ROLES, action="record appointment outcomes")
        now = utcnow()

        def work(s: Session) -> None:
            s.info["user_id"] = actor.user_id
            change_feed.defer(s)  # this transaction's change rows go in one INSERT at commit
            row, claim = claim_booking(s, access.for_booking(s, actor, booking_id), booking_id)
            if row.starts_at > now:
                raise ValidationError(
                    "This appointment has not happened yet; cancel it instead if it will not go ahead."
                )
            conn = s.connection()
            params = {
                "b_booking": booking_id,
                "b_referral": row.referral_id,
                "b_user": actor.user_id,
                "b_now": now,
                "b_status": status,
                "b_reason": note,
            }
            end_booking(s, conn, actor, params)
            attended = status is BookingStatus.ATTENDED
            conn.execute(sql.COMPLETE_REFERRAL if attended else sql.REOPEN_REFERRAL, params)
            audit.record(
                s,
                actor,
                "attended" if attended else "dna",
                "booking",
                booking_id,
                claim.patient_id,
                {"referral_id": row.referral_id, "slot_id": row.slot_id, "note": note},
            )

        idempotency.run_once(self.db, actor, status.value, key, work, _nothing_json, _nothing)


def _booking_json(booking_id: int) -> dict[str, Any]:
    return {"booking_id": booking_id}


def _booking_of(_s: Session, done: dict[str, Any]) -> int:
    return int(done["booking_id"])


def _nothing_json(_result: None) -> dict[str, Any]:
    return {}


def _nothing(_s: Session, _done: dict[str, Any]) -> None:
    return None


def _needs_detail(needs: AppointmentNeeds) -> dict[str, Any]:
    """What the audit keeps of the needs the booking acted on."""
    return {
        "interpreter_language": needs.interpreter_language,
        "longer_appointment_minutes": needs.longer_minutes,
    }


_patients = table_of(Patient)
_AVAILABILITY_OF = select(
    _patients.c.unavailable_weekdays, _patients.c.available_day_parts, _patients.c.availability_note
).where(_patients.c.id == sql.param("p_id", _patients.c.id))
