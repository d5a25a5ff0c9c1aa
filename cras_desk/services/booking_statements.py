"""The booking write path's statements, built once at import (see services/booking_places.py).

Booking is the hot path of a busy morning: Core statements on the tables, built at import and
run on the session's connection, cost a fraction of building ORM-enabled statements per call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, Column, bindparam, case, exists, insert, select, update

from cras_desk.db.models import Booking, Referral, Slot
from cras_desk.db.tables import table_of
from cras_desk.domain.enums import BookingStatus, ReferralStatus, SlotStatus
from cras_desk.services.letter_queue import insert_reading_letter

# A booking loads no ORM objects and costs one round trip per statement: claim, needs, place, referral,
# booking, the letter's SELECT and its INSERT, audit, and the change feed's rows in one INSERT at
# commit. On PostgreSQL (the central database, where desks race) two of them ride along with
# another: the reason a place could not be taken comes back with the attempt to take it, and what
# the letter says comes back with the booking's INSERT (data-modifying CTEs; SQLite has none).

_slots = table_of(Slot)
_bookings = table_of(Booking)
_referrals = table_of(Referral)


def param(name: str, column: Column[Any]) -> BindParameter[Any]:
    # Typed from the column: a bare bindparam in values() would skip UtcDateTime's UTC handling.
    return bindparam(name, type_=column.type)


TAKE_PLACE = (
    update(_slots)
    .where(
        _slots.c.id == param("b_slot", _slots.c.id),
        # The referral's service, read inside the same statement: no SELECT beforehand.
        _slots.c.service_id
        == select(_referrals.c.service_id)
        .where(_referrals.c.id == param("b_referral", _referrals.c.id))
        .scalar_subquery(),
        _slots.c.status == SlotStatus.OPEN,
        _slots.c.booked_count < _slots.c.capacity,
        _slots.c.starts_at > param("b_now", _slots.c.starts_at),
        # A patient who needs a longer appointment takes only a slot that long (0: any slot).
        _slots.c.duration_minutes >= param("b_min_minutes", _slots.c.duration_minutes),
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
WHY_NOT_TAKEN = select(
    _slots.c.service_id,
    _slots.c.status,
    _slots.c.starts_at,
    _slots.c.duration_minutes,
    select(_referrals.c.service_id)
    .where(_referrals.c.id == param("b_referral", _referrals.c.id))
    .scalar_subquery()
    .label("wanted"),
).where(_slots.c.id == param("b_slot", _slots.c.id))

# PostgreSQL runs a data-modifying CTE exactly once whatever the outer query reads, and the outer
# query sees the rows as they were before it: "taken" says whether the UPDATE matched.
_taken = TAKE_PLACE.returning(_slots.c.id).cte("taken")
TAKE_PLACE_OR_SAY_WHY = WHY_NOT_TAKEN.add_columns(exists(select(_taken.c.id)).label("taken"))

# A full slot reopens; a slot the provider blocked stays blocked.
FREE_PLACE = (
    update(_slots)
    .where(_slots.c.id == param("b_slot", _slots.c.id), _slots.c.booked_count > 0)
    .values(
        booked_count=_slots.c.booked_count - 1,
        status=case((_slots.c.status == SlotStatus.FULL, SlotStatus.OPEN.value), else_=_slots.c.status),
    )
)

NEW_BOOKING = insert(_bookings).values(
    referral_id=param("b_referral", _bookings.c.referral_id),
    slot_id=param("b_slot", _bookings.c.slot_id),
    status=BookingStatus.BOOKED,
    booked_at=param("b_now", _bookings.c.booked_at),
    booked_by=param("b_user", _bookings.c.booked_by),
    rebooked_from_id=param("b_rebooked_from", _bookings.c.rebooked_from_id),
    interpreter_language=param("b_interpreter", _bookings.c.interpreter_language),
)
INSERT_BOOKING = NEW_BOOKING.returning(_bookings.c.id)
INSERT_BOOKING_READING_LETTER = insert_reading_letter(NEW_BOOKING)

END_BOOKING = (
    update(_bookings)
    .where(_bookings.c.id == param("b_booking", _bookings.c.id), _bookings.c.status == BookingStatus.BOOKED)
    .values(
        status=param("b_status", _bookings.c.status),
        ended_at=param("b_now", _bookings.c.ended_at),
        ended_by=param("b_user", _bookings.c.ended_by),
        reason=param("b_reason", _bookings.c.reason),
    )
)

# The referral becomes booked, conditionally: a closed or already-booked referral matches nothing.
# It stays open work (ReferralStatus.is_open), off F2's calling queue. Its change-feed row is the
# one ensure_claim wrote for it in this same transaction.
CLOSE_REFERRAL = (
    update(_referrals)
    .where(
        _referrals.c.id == param("b_referral", _referrals.c.id),
        _referrals.c.is_open.is_(True),
        _referrals.c.status != ReferralStatus.BOOKED,
    )
    .values(
        status=ReferralStatus.BOOKED,
        is_open=ReferralStatus.BOOKED.is_open,
        next_action_at=None,
        updated_at=param("b_now", _referrals.c.updated_at),
    )
)

# Back on the worklist, callable now. CONTACTING means "at least one failed attempt", so a patient
# we never failed to reach goes back to AWAITING_CONTACT.
REOPEN_REFERRAL = (
    update(_referrals)
    .where(_referrals.c.id == param("b_referral", _referrals.c.id))
    .values(
        status=case(
            (_referrals.c.failed_attempt_count > 0, ReferralStatus.CONTACTING.value),
            else_=ReferralStatus.AWAITING_CONTACT.value,
        ),
        is_open=True,
        next_action_at=None,
        updated_at=param("b_now", _referrals.c.updated_at),
    )
)

COMPLETE_REFERRAL = (
    update(_referrals)
    .where(_referrals.c.id == param("b_referral", _referrals.c.id))
    .values(
        status=ReferralStatus.COMPLETED,
        is_open=False,
        next_action_at=None,
        updated_at=param("b_now", _referrals.c.updated_at),
    )
)

BOOKING_OF = select(
    _bookings.c.referral_id, _bookings.c.slot_id, _bookings.c.status, _slots.c.starts_at
).where(_slots.c.id == _bookings.c.slot_id, _bookings.c.id == param("b_booking", _bookings.c.id))
