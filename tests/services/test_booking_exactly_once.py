"""A booking retried after an uncertain commit tells the truth: the patient's own booking, not
"slot just taken by another advisor", and one booking, one place, one letter."""

from __future__ import annotations

import pytest
from booking_helpers import physio_slots
from commit_proxy import desk_whose_next_commit_is_uncertain
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from cras_desk.db.models import Booking, Letter
from cras_desk.domain.enums import BookingStatus
from cras_desk.domain.errors import SlotTaken
from cras_desk.services.booking import BookingService
from cras_desk.services.idempotency import new_key


def _count(world, model, rid: int) -> int:
    with world.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(model.referral_id == rid)) or 0)


def test_a_booking_retried_with_its_key_returns_the_booking_it_made(world) -> None:
    amy, rid = world.actor("amy"), world.referrals["Nowak"]
    slot = physio_slots(world.db, world.sites["Brighton"])[0]
    key = new_key()
    with desk_whose_next_commit_is_uncertain(world.db) as desk:
        svc = BookingService(desk)
        with pytest.raises(OperationalError):
            svc.book(amy, rid, slot, key=key)
        booking_id = svc.book(amy, rid, slot, key=key)
    live = BookingService(world.db).live_booking(amy, rid)
    assert live is not None and live.booking_id == booking_id and live.slot_id == slot
    assert (live.booked_count, _count(world, Booking, rid), _count(world, Letter, rid)) == (1, 1, 1)


def test_without_the_key_the_same_retry_is_refused_as_a_taken_slot(world) -> None:
    """What a retry said before keys: the patient's own place looked like someone else's."""
    amy, rid = world.actor("amy"), world.referrals["Nowak"]
    slot = physio_slots(world.db, world.sites["Brighton"])[0]
    with desk_whose_next_commit_is_uncertain(world.db) as desk:
        svc = BookingService(desk)
        with pytest.raises(OperationalError):
            svc.book(amy, rid, slot)
        with pytest.raises(SlotTaken):
            svc.book(amy, rid, slot)
    assert _count(world, Booking, rid) == 1


def test_cancel_and_rebook_retried_with_their_keys_happen_once(world) -> None:
    amy, rid = world.actor("amy"), world.referrals["Nowak"]
    first, second = physio_slots(world.db, world.sites["Brighton"])[:2]
    svc = BookingService(world.db)
    booking = svc.book(amy, rid, first)
    key = new_key()
    moved = svc.rebook(amy, booking, second, "patient asked for a later time", key=key)
    assert svc.rebook(amy, booking, second, "patient asked for a later time", key=key) == moved
    cancel_key = new_key()
    svc.cancel(amy, moved, True, "patient is away", key=cancel_key)
    svc.cancel(amy, moved, True, "patient is away", key=cancel_key)  # no "already cancelled" error
    with world.db.read() as s:
        statuses = sorted(b.status for b in s.scalars(select(Booking).where(Booking.referral_id == rid)))
    assert statuses == sorted([BookingStatus.REBOOKED, BookingStatus.CANCELLED_PATIENT])
