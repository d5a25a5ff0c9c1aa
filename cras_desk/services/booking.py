"""Booking: finding places, taking them, giving them back. Never a double booking, on either backend.

The database is what makes that true. A place is taken by ONE conditional UPDATE of the slot's
counter (open, a place left, in the future), so of two advisors racing for the last place exactly
one UPDATE matches a row: PostgreSQL re-checks the WHERE after waiting for the winner's row lock,
and SQLite serialises writers. The CHECK on booked_count and the partial unique index "one live
booking per referral" stand behind it; if either fires, the advisor gets a domain error, not a
stack trace.

Locks are taken in one order everywhere (the referral's claim, then its booking row, then slots
by ascending id), so two rebooks crossing between the same two group sessions cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    Connection,
    Row,
    Table,
    bindparam,
    case,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cras_desk.db import change_feed
from cras_desk.db.engine import Database
from cras_desk.db.models import Booking, Referral, Site, Slot
from cras_desk.domain.clock import LONDON, utcnow
from cras_desk.domain.enums import (
    BookingStatus,
    ClinicianType,
    LetterKind,
    ReferralStatus,
    Role,
    SlotKind,
    SlotStatus,
    TimeOfDay,
)
from cras_desk.domain.errors import NotFound, SlotTaken, StaleState, ValidationError
from cras_desk.services import audit
from cras_desk.services.actor import Actor
from cras_desk.services.claims import Claim, ensure_claim
from cras_desk.services.letter_queue import insert_reading_letter, queue_booking_letter, queue_letter

_ROLES = (Role.ADVISOR, Role.TEAM_LEAD)

ALREADY_BOOKED = "This referral already has a live booking; rebook instead."


@dataclass(frozen=True)
class SlotRow:
    slot_id: int
    site_id: int
    site_name: str
    starts_at: datetime
    duration_minutes: int
    clinician_type: ClinicianType
    kind: SlotKind
    capacity: int
    booked_count: int
    day_part: TimeOfDay

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.booked_count)


@dataclass(frozen=True)
class LiveBooking(SlotRow):
    """The referral's live booking: the slot as it is now, with the booking that holds a place in it."""

    booking_id: int
    booked_at: datetime


@dataclass(frozen=True)
class SlotQuery:
    site_ids: Sequence[int] = ()
    date_from: date | None = None  # London calendar days, inclusive
    date_to: date | None = None
    day_part: TimeOfDay | None = None
    clinician_type: ClinicianType | None = None
    limit: int = 200


_SLOT_COLUMNS = (
    Slot.id,
    Slot.site_id,
    Site.name,
    Slot.starts_at,
    Slot.duration_minutes,
    Slot.clinician_type,
    Slot.kind,
    Slot.capacity,
    Slot.booked_count,
    Slot.day_part,
)


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LONDON).astimezone(UTC)


@contextmanager
def _constraint_errors() -> Iterator[None]:
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


class BookingService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- finding -------------------------------------------------------------------------------

    def find_slots(self, actor: Actor, referral_id: int, q: SlotQuery) -> list[SlotRow]:
        """Bookable places for the referral's service, soonest first (the slot finder's list)."""
        actor.require(*_ROLES, action="search for appointments")
        now = utcnow()
        with self.db.read() as s:
            service_id = s.scalar(select(Referral.service_id).where(Referral.id == referral_id))
            if service_id is None:
                raise NotFound(f"Referral {referral_id} does not exist.")
            # A group session this referral is already in is not a place it can take again.
            mine = select(Booking.slot_id).where(
                Booking.referral_id == referral_id, Booking.status == BookingStatus.BOOKED
            )
            query = (
                select(*_SLOT_COLUMNS)
                .join(Site, Site.id == Slot.site_id)
                .where(
                    Slot.service_id == service_id,
                    Slot.status == SlotStatus.OPEN,
                    Slot.booked_count < Slot.capacity,
                    Slot.starts_at > now,
                    Slot.id.not_in(mine),
                )
            )
            if q.site_ids:
                query = query.where(Slot.site_id.in_(list(q.site_ids)))
            if q.date_from is not None:
                query = query.where(Slot.starts_at >= _london_midnight(q.date_from))
            if q.date_to is not None:
                query = query.where(Slot.starts_at < _london_midnight(q.date_to + timedelta(days=1)))
            if q.day_part is not None:
                query = query.where(Slot.day_part == q.day_part)
            if q.clinician_type is not None:
                query = query.where(Slot.clinician_type == q.clinician_type)
            query = query.order_by(Slot.starts_at, Slot.id).limit(q.limit)
            return [SlotRow(*row) for row in s.execute(query)]

    def live_booking(self, actor: Actor, referral_id: int) -> LiveBooking | None:
        actor.require(*_ROLES, action="see appointments")
        with self.db.read() as s:
            row = s.execute(
                select(*_SLOT_COLUMNS, Booking.id, Booking.booked_at)
                .select_from(Booking)
                .join(Slot, Slot.id == Booking.slot_id)
                .join(Site, Site.id == Slot.site_id)
                .where(Booking.referral_id == referral_id, Booking.status == BookingStatus.BOOKED)
            ).first()
        return LiveBooking(*row) if row is not None else None

    # --- changing ------------------------------------------------------------------------------

    def book(self, actor: Actor, referral_id: int, slot_id: int) -> int:
        """Take a place for the referral; SlotTaken if another advisor got there first."""
        actor.require(*_ROLES, action="book appointments")
        params: dict[str, Any] = {
            "b_referral": referral_id,
            "b_slot": slot_id,
            "b_user": actor.user_id,
            "b_now": utcnow(),
            "b_rebooked_from": None,
        }
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            change_feed.defer(s)  # this transaction's change rows go in one INSERT at commit
            claim = ensure_claim(s, actor, referral_id)
            conn = s.connection()
            # The place first: a desk that lost the race has then done as little as possible.
            self._take_place(s, conn, actor, params)
            if conn.execute(_CLOSE_REFERRAL, params).rowcount != 1:
                self._explain_unbookable(conn, referral_id)
            if conn.dialect.name == "postgresql":
                # The booking's INSERT brings back what its letter says: one round trip for both.
                with _constraint_errors():
                    booked = conn.execute(_INSERT_BOOKING_READING_LETTER, params).one()
                booking_id = booked.b_id
                change_feed.record(s, "booking", booking_id, "insert", actor.user_id)
                letter_id = queue_booking_letter(
                    s, actor, booked, LetterKind.APPOINTMENT, {"booking_id": booking_id}
                )
            else:
                booking_id = self._insert_booking(s, conn, actor, params)
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
                {"referral_id": referral_id, "slot_id": slot_id, "letter_id": letter_id},
            )
        return booking_id

    def cancel(self, actor: Actor, booking_id: int, by_patient: bool, reason: str) -> None:
        """Give the place back and put the referral back on the worklist to be rebooked."""
        actor.require(*_ROLES, action="cancel appointments")
        reason = reason.strip()
        if not reason:
            raise ValidationError("Give a reason for the cancellation.")
        status = BookingStatus.CANCELLED_PATIENT if by_patient else BookingStatus.CANCELLED_PROVIDER
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            change_feed.defer(s)  # this transaction's change rows go in one INSERT at commit
            row, claim = self._claim_booking(s, actor, booking_id)
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
            self._end_booking(s, conn, actor, params)
            self._free_place(s, conn, actor, params)
            conn.execute(_REOPEN_REFERRAL, params)
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

    def rebook(self, actor: Actor, booking_id: int, new_slot_id: int, reason: str) -> int:
        """Move the booking to another slot in one transaction; returns the new booking's id.

        If the new place has gone (SlotTaken) the whole transaction rolls back and the old
        booking stands exactly as it was: the patient is never left without an appointment.
        """
        actor.require(*_ROLES, action="rebook appointments")
        reason = reason.strip()
        if not reason:
            raise ValidationError("Give a reason for moving the appointment.")
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            change_feed.defer(s)  # this transaction's change rows go in one INSERT at commit
            row, claim = self._claim_booking(s, actor, booking_id)
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
            # The old booking stops being live before the new one is inserted (one live booking
            # per referral). Slot counters move in ascending id order (see the module docstring);
            # atomicity, not statement order, is what keeps the old booking if the new place is gone.
            self._end_booking(s, conn, actor, old)
            if new_slot_id < row.slot_id:
                self._take_place(s, conn, actor, new)
                self._free_place(s, conn, actor, old)
            else:
                self._free_place(s, conn, actor, old)
                self._take_place(s, conn, actor, new)
            new_id = self._insert_booking(s, conn, actor, new)
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
                },
            )
        return new_id

    def record_dna(self, actor: Actor, booking_id: int, note: str = "") -> None:
        """The patient did not attend. The referral goes back on the worklist, callable now, so an
        advisor phones to rebook or, under the local DNA policy, discharges back to the GP; the
        place is not given back (the session has happened)."""
        self._record_outcome(actor, booking_id, BookingStatus.DNA, note.strip() or None)

    def record_attended(self, actor: Actor, booking_id: int) -> None:
        """The first appointment happened: the referral's work here is done."""
        self._record_outcome(actor, booking_id, BookingStatus.ATTENDED, None)

    # --- steps shared by the use cases --------------------------------------------------------

    def _record_outcome(self, actor: Actor, booking_id: int, status: BookingStatus, note: str | None) -> None:
        actor.require(*_ROLES, action="record appointment outcomes")
        now = utcnow()
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            change_feed.defer(s)  # this transaction's change rows go in one INSERT at commit
            row, claim = self._claim_booking(s, actor, booking_id)
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
            self._end_booking(s, conn, actor, params)
            attended = status is BookingStatus.ATTENDED
            conn.execute(_COMPLETE_REFERRAL if attended else _REOPEN_REFERRAL, params)
            audit.record(
                s,
                actor,
                "attended" if attended else "dna",
                "booking",
                booking_id,
                claim.patient_id,
                {"referral_id": row.referral_id, "slot_id": row.slot_id, "note": note},
            )

    @staticmethod
    def _explain_unbookable(conn: Connection, referral_id: int) -> None:
        status = conn.execute(select(_referrals.c.status).where(_referrals.c.id == referral_id)).scalar()
        if status is ReferralStatus.BOOKED:
            raise StaleState(ALREADY_BOOKED)
        raise StaleState("This referral is closed (discharged or completed) and cannot be booked.")

    @staticmethod
    def _claim_booking(s: Session, actor: Actor, booking_id: int) -> tuple[Any, Claim]:
        row = s.connection().execute(_BOOKING_OF, {"b_booking": booking_id}).first()
        if row is None:
            raise NotFound(f"Booking {booking_id} does not exist.")
        return row, ensure_claim(s, actor, row.referral_id)

    @staticmethod
    def _end_booking(s: Session, conn: Connection, actor: Actor, params: dict[str, Any]) -> None:
        """Live -> ended, conditionally: of two desks ending the same booking, one wins."""
        if conn.execute(_END_BOOKING, params).rowcount != 1:
            current = conn.execute(
                select(_bookings.c.status).where(_bookings.c.id == params["b_booking"])
            ).scalar()
            label = current.value.replace("_", " ") if current else "gone"
            raise StaleState(f"This appointment is no longer booked (it is {label}). Refresh and try again.")
        change_feed.record(s, "booking", params["b_booking"], "update", actor.user_id)

    @staticmethod
    def _take_place(s: Session, conn: Connection, actor: Actor, params: dict[str, Any]) -> None:
        with _constraint_errors():
            if conn.dialect.name == "postgresql":
                # The UPDATE in a CTE and the reason it may not have matched in the same statement:
                # a desk that lost the race learns why without another round trip.
                row = conn.execute(_TAKE_PLACE_OR_SAY_WHY, params).first()
                if row is None or not row.taken:
                    _refuse(row, params)
            elif conn.execute(_TAKE_PLACE, params).rowcount != 1:
                # Only the losing path pays for this SELECT.
                _refuse(conn.execute(_WHY_NOT_TAKEN, params).first(), params)
        change_feed.record(s, "slot", params["b_slot"], "update", actor.user_id)

    @staticmethod
    def _free_place(s: Session, conn: Connection, actor: Actor, params: dict[str, Any]) -> None:
        if conn.execute(_FREE_PLACE, params).rowcount != 1:
            raise StaleState("The slot's place count is out of step with its bookings; ask IT to check.")
        change_feed.record(s, "slot", params["b_slot"], "update", actor.user_id)

    @staticmethod
    def _insert_booking(s: Session, conn: Connection, actor: Actor, params: dict[str, Any]) -> int:
        with _constraint_errors():
            booking_id: int = conn.execute(_INSERT_BOOKING, params).scalar_one()
        change_feed.record(s, "booking", booking_id, "insert", actor.user_id)
        return booking_id


def _refuse(slot: Row[Any] | None, params: dict[str, Any]) -> None:
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
    if slot.status is SlotStatus.BLOCKED:
        raise SlotTaken("That clinic has been withdrawn by the provider. The list has been refreshed.")
    raise SlotTaken()


# --- the write path's statements, built once --------------------------------------------------
# Booking is the hot path of a busy morning: Core statements on the tables, built at import and
# run on the session's connection, cost a fraction of building ORM-enabled statements per call.
# A booking loads no ORM objects and costs one round trip per statement: claim, place, referral,
# booking, the letter's SELECT and its INSERT, audit, and the change feed's rows in one INSERT at
# commit. On PostgreSQL (the central database, where desks race) two of them ride along with
# another: the reason a place could not be taken comes back with the attempt to take it, and what
# the letter says comes back with the booking's INSERT (data-modifying CTEs; SQLite has none).

_slots: Table = Slot.__table__  # type: ignore[assignment]
_bookings: Table = Booking.__table__  # type: ignore[assignment]
_referrals: Table = Referral.__table__  # type: ignore[assignment]


def _param(name: str, column: Column[Any]) -> BindParameter[Any]:
    # Typed from the column: a bare bindparam in values() would skip UtcDateTime's UTC handling.
    return bindparam(name, type_=column.type)


_TAKE_PLACE = (
    update(_slots)
    .where(
        _slots.c.id == _param("b_slot", _slots.c.id),
        # The referral's service, read inside the same statement: no SELECT beforehand.
        _slots.c.service_id
        == select(_referrals.c.service_id)
        .where(_referrals.c.id == _param("b_referral", _referrals.c.id))
        .scalar_subquery(),
        _slots.c.status == SlotStatus.OPEN,
        _slots.c.booked_count < _slots.c.capacity,
        _slots.c.starts_at > _param("b_now", _slots.c.starts_at),
    )
    .values(
        booked_count=_slots.c.booked_count + 1,
        status=case(
            (_slots.c.booked_count + 1 >= _slots.c.capacity, SlotStatus.FULL.value),
            else_=_slots.c.status,
        ),
    )
)

# Why a place could not be taken: the slot as it is, and the service the referral wants.
_WHY_NOT_TAKEN = select(
    _slots.c.service_id,
    _slots.c.status,
    _slots.c.starts_at,
    select(_referrals.c.service_id)
    .where(_referrals.c.id == _param("b_referral", _referrals.c.id))
    .scalar_subquery()
    .label("wanted"),
).where(_slots.c.id == _param("b_slot", _slots.c.id))

# PostgreSQL runs a data-modifying CTE exactly once whatever the outer query reads, and the outer
# query sees the rows as they were before it: "taken" says whether the UPDATE matched.
_taken = _TAKE_PLACE.returning(_slots.c.id).cte("taken")
_TAKE_PLACE_OR_SAY_WHY = _WHY_NOT_TAKEN.add_columns(exists(select(_taken.c.id)).label("taken"))

# A full slot reopens; a slot the provider blocked stays blocked.
_FREE_PLACE = (
    update(_slots)
    .where(_slots.c.id == _param("b_slot", _slots.c.id), _slots.c.booked_count > 0)
    .values(
        booked_count=_slots.c.booked_count - 1,
        status=case((_slots.c.status == SlotStatus.FULL, SlotStatus.OPEN.value), else_=_slots.c.status),
    )
)

_NEW_BOOKING = insert(_bookings).values(
    referral_id=_param("b_referral", _bookings.c.referral_id),
    slot_id=_param("b_slot", _bookings.c.slot_id),
    status=BookingStatus.BOOKED,
    booked_at=_param("b_now", _bookings.c.booked_at),
    booked_by=_param("b_user", _bookings.c.booked_by),
    rebooked_from_id=_param("b_rebooked_from", _bookings.c.rebooked_from_id),
)
_INSERT_BOOKING = _NEW_BOOKING.returning(_bookings.c.id)
_INSERT_BOOKING_READING_LETTER = insert_reading_letter(_NEW_BOOKING)

_END_BOOKING = (
    update(_bookings)
    .where(_bookings.c.id == _param("b_booking", _bookings.c.id), _bookings.c.status == BookingStatus.BOOKED)
    .values(
        status=_param("b_status", _bookings.c.status),
        ended_at=_param("b_now", _bookings.c.ended_at),
        ended_by=_param("b_user", _bookings.c.ended_by),
        reason=_param("b_reason", _bookings.c.reason),
    )
)

# The referral leaves the worklist, conditionally: a closed or already-booked referral matches
# nothing. Its change-feed row is the one ensure_claim wrote for it in this same transaction.
_CLOSE_REFERRAL = (
    update(_referrals)
    .where(_referrals.c.id == _param("b_referral", _referrals.c.id), _referrals.c.is_open.is_(True))
    .values(
        status=ReferralStatus.BOOKED,
        is_open=False,
        next_action_at=None,
        updated_at=_param("b_now", _referrals.c.updated_at),
    )
)

# Back on the worklist, callable now. CONTACTING means "at least one failed attempt", so a patient
# we never failed to reach goes back to AWAITING_CONTACT.
_REOPEN_REFERRAL = (
    update(_referrals)
    .where(_referrals.c.id == _param("b_referral", _referrals.c.id))
    .values(
        status=case(
            (_referrals.c.failed_attempt_count > 0, ReferralStatus.CONTACTING.value),
            else_=ReferralStatus.AWAITING_CONTACT.value,
        ),
        is_open=True,
        next_action_at=None,
        updated_at=_param("b_now", _referrals.c.updated_at),
    )
)

_COMPLETE_REFERRAL = (
    update(_referrals)
    .where(_referrals.c.id == _param("b_referral", _referrals.c.id))
    .values(
        status=ReferralStatus.COMPLETED,
        is_open=False,
        next_action_at=None,
        updated_at=_param("b_now", _referrals.c.updated_at),
    )
)

_BOOKING_OF = select(
    _bookings.c.referral_id, _bookings.c.slot_id, _bookings.c.status, _slots.c.starts_at
).where(_slots.c.id == _bookings.c.slot_id, _bookings.c.id == _param("b_booking", _bookings.c.id))
