"""The change feed when a transaction collects its rows and writes them in one INSERT at commit
(change_feed.defer, used by the booking service): the same rows as writing them one by one, none
for a transaction that rolls back (both backends)."""

from __future__ import annotations

import pytest
from booking_helpers import physio_slots
from sqlalchemy import func, select

from cras_desk.db import change_feed
from cras_desk.db.models import Change, Letter, Referral
from cras_desk.domain.errors import SlotTaken
from cras_desk.services.booking import BookingService


def _feed_after(world, seq: int) -> list[tuple[str, int, str, int | None]]:
    with world.db.read() as s:
        return [
            (c.entity, c.entity_id, c.op, c.user_id)
            for c in s.scalars(select(Change).where(Change.seq > seq).order_by(Change.seq))
        ]


def _latest(world) -> int:
    with world.db.read() as s:
        return change_feed.latest_seq(s)


def test_a_booking_feeds_every_row_it_changed_once(world) -> None:
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    slot = physio_slots(world.db, world.sites["Brighton"])[0]
    before = _latest(world)
    booking_id = BookingService(world.db).book(amy, rid, slot)
    with world.db.read() as s:
        letter_id = s.scalar(select(Letter.id).where(Letter.referral_id == rid))
    assert sorted(_feed_after(world, before)) == sorted(
        [
            ("referral", rid, "update", amy.user_id),
            ("slot", slot, "update", amy.user_id),
            ("booking", booking_id, "insert", amy.user_id),
            ("letter", letter_id, "insert", amy.user_id),
        ]
    )


def test_a_lost_race_feeds_nothing(world) -> None:
    svc = BookingService(world.db)
    slot = physio_slots(world.db, world.sites["Brighton"])[0]
    svc.book(world.actor("amy"), world.referrals["Ó Súilleabháin"], slot)
    before = _latest(world)
    with pytest.raises(SlotTaken):
        svc.book(world.actor("lena"), world.referrals["Nowak"], slot)
    assert _feed_after(world, before) == []


def _last_letter(world, rid: int) -> int:
    with world.db.read() as s:
        return s.scalar(select(Letter.id).where(Letter.referral_id == rid).order_by(Letter.id.desc()))


def test_rebook_and_cancel_feed_both_slots_both_bookings_and_their_letters(world) -> None:
    amy = world.actor("amy")
    svc = BookingService(world.db)
    rid = world.referrals["Nowak"]
    first, second = physio_slots(world.db, world.sites["Lewes"])[:2]
    booking_id = svc.book(amy, rid, first)
    appointment_letter = _last_letter(world, rid)
    before = _latest(world)
    new_id = svc.rebook(amy, booking_id, second, "Patient asked for a later time")
    rebooked_letter = _last_letter(world, rid)
    # The queued appointment letter the rebook overtakes is withdrawn in the same transaction.
    assert sorted((e, i, op) for e, i, op, _ in _feed_after(world, before)) == sorted(
        [
            ("referral", rid, "update"),
            ("booking", booking_id, "update"),
            ("slot", first, "update"),
            ("slot", second, "update"),
            ("booking", new_id, "insert"),
            ("letter", appointment_letter, "update"),
            ("letter", rebooked_letter, "insert"),
        ]
    )
    before = _latest(world)
    svc.cancel(amy, new_id, by_patient=True, reason="Feeling better")
    assert sorted((e, i, op) for e, i, op, _ in _feed_after(world, before)) == sorted(
        [
            ("referral", rid, "update"),
            ("booking", new_id, "update"),
            ("slot", second, "update"),
            ("letter", rebooked_letter, "update"),
            ("letter", _last_letter(world, rid), "insert"),
        ]
    )


def test_deferred_rows_include_orm_changes_flushed_at_commit(world) -> None:
    rid = world.referrals["Smith"]
    before = _latest(world)
    with world.db.write() as s:
        s.info["user_id"] = world.actor("ben").user_id
        change_feed.defer(s)
        change_feed.record(s, "slot", [7, 8], "update", world.actor("ben").user_id)
        referral = s.get(Referral, rid)
        assert referral is not None
        referral.triage_notes = "Changed through the ORM, flushed only by the commit"
        # Nothing is written until the commit.
        assert s.scalar(select(func.count()).select_from(Change).where(Change.seq > before)) == 0
    assert sorted(_feed_after(world, before)) == sorted(
        [
            ("referral", rid, "update", world.actor("ben").user_id),
            ("slot", 7, "update", world.actor("ben").user_id),
            ("slot", 8, "update", world.actor("ben").user_id),
        ]
    )


def test_deferred_rows_of_a_rolled_back_transaction_are_dropped(world) -> None:
    before = _latest(world)
    with pytest.raises(RuntimeError), world.db.write() as s:
        change_feed.defer(s)
        change_feed.record(s, "slot", 7, "update", None)
        raise RuntimeError("the use case failed")
    assert _feed_after(world, before) == []


def test_a_savepoint_rolled_back_keeps_the_rows_recorded_before_it(world) -> None:
    before = _latest(world)
    with world.db.write() as s:
        change_feed.defer(s)
        change_feed.record(s, "slot", 7, "update", None)
        nested = s.begin_nested()
        nested.rollback()
        change_feed.record(s, "slot", 8, "update", None)
    assert [(e, i) for e, i, *_ in _feed_after(world, before)] == [("slot", 7), ("slot", 8)]
