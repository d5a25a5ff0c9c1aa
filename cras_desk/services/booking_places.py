"""Taking and giving back a place in a slot, and ending a booking: the steps the booking use cases
(services/booking.py) share, each one conditional statement whose failure says why.

The database is what makes "never a double booking" true. A place is taken by ONE conditional
UPDATE of the slot's counter (open, a place left, in the future), so of two advisors racing for
the last place exactly one UPDATE matches a row: PostgreSQL re-checks the WHERE after waiting for
the winner's row lock, and SQLite serialises writers. The CHECK on booked_count and the partial
unique index "one live booking per referral" stand behind it; if either fires, the advisor gets a
domain error, not a stack trace.

Locks are taken in one order everywhere (the referral's claim, then its booking row, then slots
by ascending id), so two rebooks crossing between the same two group sessions cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Row, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cras_desk.db import change_feed
from cras_desk.db.models import Booking, Referral
from cras_desk.db.tables import table_of
from cras_desk.domain import input_rules
from cras_desk.domain.appointment_needs import AppointmentNeeds
from cras_desk.domain.enums import ReferralStatus, SlotStatus
from cras_desk.domain.errors import NotFound, SlotTaken, StaleState, ValidationError
from cras_desk.services import booking_statements as sql
from cras_desk.services import slot_finder
from cras_desk.services.actor import Actor
from cras_desk.services.claims import Claim, ensure_claim

ALREADY_BOOKED = "This referral already has a live booking; rebook instead."


@contextmanager
def constraint_errors() -> Iterator[None]:
    """Turn the database's last line of defence into the message an advisor can act on."""
    try:
        yield
    except IntegrityError as err:
        text = str(err.orig).lower()
        if "uq_bookings_live_per_referral" in text or "bookings.referral_id" in text:
            raise StaleState(ALREADY_BOOKED) from err
        if "within_capacity" in text:
            raise SlotTaken() from err
        raise


def needs_onto(conn: Connection, referral_id: int, params: dict[str, Any]) -> AppointmentNeeds:
    """Read the patient's needs now and put what the booking statements take into params: the
    interpreter goes on the booking, a longer appointment's length into the place's UPDATE."""
    needs = slot_finder.read_needs(conn, referral_id)[1]
    params["b_interpreter"] = needs.interpreter_language
    params["b_min_minutes"] = needs.min_minutes
    return needs


def explain_unbookable(conn: Connection, referral_id: int) -> None:
    """The referral could not be closed for booking: say why."""
    status = conn.execute(select(_referrals.c.status).where(_referrals.c.id == referral_id)).scalar()
    if status is ReferralStatus.BOOKED:
        raise StaleState(ALREADY_BOOKED)
    raise StaleState("This referral is closed (discharged or completed) and cannot be booked.")


def claim_booking(s: Session, actor: Actor, booking_id: int) -> tuple[Row[*tuple[Any, ...]], Claim]:
    """The booking's row (sql.BOOKING_OF), and the actor's claim on its referral."""
    input_rules.record_id(booking_id, "booking")
    row = s.connection().execute(sql.BOOKING_OF, {"b_booking": booking_id}).first()
    if row is None:
        raise NotFound(f"Booking {booking_id} does not exist.")
    return row, ensure_claim(s, actor, row.referral_id)


def end_booking(s: Session, conn: Connection, actor: Actor, params: dict[str, Any]) -> None:
    """Live -> ended, conditionally: of two desks ending the same booking, one wins."""
    if conn.execute(sql.END_BOOKING, params).rowcount != 1:
        current = conn.execute(
            select(_bookings.c.status).where(_bookings.c.id == params["b_booking"])
        ).scalar()
        label = current.value.replace("_", " ") if current else "gone"
        raise StaleState(f"This appointment is no longer booked (it is {label}). Refresh and try again.")
    change_feed.record(s, "booking", params["b_booking"], "update", actor.user_id)


def take_place(s: Session, conn: Connection, actor: Actor, params: dict[str, Any]) -> None:
    """One place more in the slot, or SlotTaken / NotFound / ValidationError saying why not."""
    with constraint_errors():
        if conn.dialect.name == "postgresql":
            # The UPDATE in a CTE and the reason it may not have matched in the same statement:
            # a desk that lost the race learns why without another round trip.
            row = conn.execute(sql.TAKE_PLACE_OR_SAY_WHY, params).first()
            if row is None or not row.taken:
                _refuse(row, params)
        elif conn.execute(sql.TAKE_PLACE, params).rowcount != 1:
            # Only the losing path pays for this SELECT.
            _refuse(conn.execute(sql.WHY_NOT_TAKEN, params).first(), params)
    change_feed.record(s, "slot", params["b_slot"], "update", actor.user_id)


def free_place(s: Session, conn: Connection, actor: Actor, params: dict[str, Any]) -> None:
    """One place fewer in the slot (a full slot reopens)."""
    if conn.execute(sql.FREE_PLACE, params).rowcount != 1:
        raise StaleState("The slot's place count is out of step with its bookings; ask IT to check.")
    change_feed.record(s, "slot", params["b_slot"], "update", actor.user_id)


def insert_booking(s: Session, conn: Connection, actor: Actor, params: dict[str, Any]) -> int:
    with constraint_errors():
        booking_id: int = conn.execute(sql.INSERT_BOOKING, params).scalar_one()
    change_feed.record(s, "booking", booking_id, "insert", actor.user_id)
    return booking_id


def _refuse(slot: Row[*tuple[Any, ...]] | None, params: dict[str, Any]) -> None:
    """The conditional UPDATE matched nothing; say why, from the slot as the statement found it.

    On PostgreSQL that is the slot as it stood when the statement began: if the place went to a
    desk whose lock we waited for, the slot still looks bookable here, and the answer is the one
    the advisor needs anyway: the place has just been taken."""
    if slot is None:
        raise NotFound("That slot no longer exists. The list has been refreshed.")
    if slot.service_id != slot.wanted:
        raise ValidationError("That slot is for a different service from the referral.")
    if slot.starts_at <= params["b_now"]:
        raise ValidationError("That slot has already started; pick a later one.")
    if slot.duration_minutes < params["b_min_minutes"]:
        raise ValidationError(
            f"That slot is {slot.duration_minutes} minutes; this patient needs a longer appointment "
            f"({params['b_min_minutes']} minutes). Pick a slot from the list."
        )
    if slot.status is SlotStatus.BLOCKED:
        raise SlotTaken("That clinic has been withdrawn by the provider. The list has been refreshed.")
    raise SlotTaken()


_bookings = table_of(Booking)
_referrals = table_of(Referral)
