"""Desks racing each other for the same places and the same patient.

Every test runs on PostgreSQL (row locks: the losers' conditional UPDATEs re-check their WHERE
after the winner commits) and on SQLite (writers serialised by BEGIN IMMEDIATE and busy_timeout),
and must give the same outcome on both. The `world` fixture always makes both databases; nothing
here is skipped.

32 threads share one Database whose pool holds a connection for each (the pool is filled before
the start so connecting does not spread the threads out), each thread opening its own Session
per call through the services, and all released at once by a Barrier.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from booking_helpers import local, make_advisors, make_referrals, make_slot, physio_slots, slot_state
from racing import race, racing_database
from sqlalchemy import func, select

from cras_desk.db.engine import Database
from cras_desk.db.models import AuditEvent, Booking, Letter, Referral, Slot
from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import BookingStatus, LetterKind, ReferralStatus, ServiceCode, SlotStatus
from cras_desk.domain.errors import ClaimConflict, SlotTaken
from cras_desk.services.actor import Actor
from cras_desk.services.booking import BookingService
from cras_desk.services.claims import ClaimService

THREADS = 32

pytestmark = pytest.mark.slow


@pytest.fixture
def racing(world) -> Iterator[tuple[Any, Database]]:
    """The world, plus a Database on it whose pool gives every racing thread its own connection."""
    assert world.db.dialect in ("sqlite", "postgresql")
    db = racing_database(world.db.url, THREADS)
    assert db.engine.pool.size() >= THREADS
    yield world, db
    db.dispose()


def _count(db: Database, stmt: Any) -> int:
    with db.read() as s:
        return s.scalar(stmt)


def test_32_advisors_race_for_one_slot_and_exactly_one_wins(racing) -> None:
    world, db = racing
    advisors = make_advisors(db, THREADS)
    referrals = make_referrals(db, THREADS)
    slot = physio_slots(db, world.sites["Brighton"])[0]
    svc = BookingService(db)

    results = race(THREADS, lambda i: svc.book(advisors[i], referrals[i], slot))

    wins = [r for r in results if isinstance(r, int)]
    lost = [r for r in results if isinstance(r, SlotTaken)]
    assert (len(wins), len(lost)) == (1, THREADS - 1), [r for r in results if isinstance(r, Exception)][:3]
    assert slot_state(db, slot) == (1, SlotStatus.FULL, 1)
    winner = results.index(wins[0])
    with db.read() as s:
        statuses = dict(
            s.execute(select(Referral.id, Referral.status).where(Referral.id.in_(referrals))).all()
        )
        claimed = s.scalar(
            select(func.count()).where(Referral.id.in_(referrals), Referral.claimed_by.is_not(None))
        )
        letters = s.scalar(
            select(func.count()).select_from(Letter).where(Letter.kind == LetterKind.APPOINTMENT)
        )
        books = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "book"))
    assert Counter(statuses.values()) == {
        ReferralStatus.BOOKED: 1,
        ReferralStatus.AWAITING_CONTACT: THREADS - 1,
    }
    assert statuses[referrals[winner]] is ReferralStatus.BOOKED
    assert claimed == 1  # the losers' transactions rolled back, claim and all
    assert (letters, books) == (1, 1)


def test_32_threads_fill_a_group_of_10_to_exactly_capacity(racing) -> None:
    world, db = racing
    advisors = make_advisors(db, THREADS)
    referrals = make_referrals(db, THREADS, ServiceCode.PAIN)
    slot = make_slot(
        db,
        world.sites["Brighton"],
        ServiceCode.PAIN,
        local(today_london() + timedelta(days=5), 10),
        capacity=10,
    )
    svc = BookingService(db)

    results = race(THREADS, lambda i: svc.book(advisors[i], referrals[i], slot))

    wins = [r for r in results if isinstance(r, int)]
    lost = [r for r in results if isinstance(r, SlotTaken)]
    assert (len(wins), len(lost)) == (10, THREADS - 10), [r for r in results if isinstance(r, Exception)][:3]
    assert slot_state(db, slot) == (10, SlotStatus.FULL, 10)
    assert len(set(wins)) == 10
    assert _count(db, select(func.count()).where(Referral.status == ReferralStatus.BOOKED)) == 10


def test_32_advisors_claim_the_same_referral_and_exactly_one_wins(racing) -> None:
    world, db = racing
    advisors = make_advisors(db, THREADS)
    rid = world.referrals["Nowak"]
    claims = ClaimService(db)

    results = race(THREADS, lambda i: claims.claim(advisors[i], rid))

    wins = [i for i, r in enumerate(results) if not isinstance(r, Exception)]
    conflicts = [r for r in results if isinstance(r, ClaimConflict)]
    assert (len(wins), len(conflicts)) == (1, THREADS - 1), [r for r in results if isinstance(r, Exception)][
        :3
    ]
    winner = advisors[wins[0]]
    assert all(c.claimed_by == winner.full_name for c in conflicts)
    with db.read() as s:
        assert s.scalar(select(Referral.claimed_by).where(Referral.id == rid)) == winner.user_id
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "claim")) == 1


@dataclass
class Desk:
    """One advisor's view of what it did: what the database must agree with afterwards."""

    actor: Actor
    referrals: list[int]
    live: dict[int, int] = field(default_factory=dict)  # referral -> live booking id
    ops: Counter[str] = field(default_factory=Counter)
    unexpected: list[BaseException] = field(default_factory=list)


def test_many_desks_book_cancel_and_rebook_a_small_pool_without_a_double_booking(racing) -> None:
    world, db = racing
    advisors = make_advisors(db, THREADS)
    per_desk = 4
    referrals = make_referrals(db, THREADS * per_desk)
    today = today_london()
    one_to_one = physio_slots(db, world.sites["Brighton"])[:6]
    groups = [
        make_slot(
            db,
            world.sites[town],
            ServiceCode.PHYSIOTHERAPY,
            local(today + timedelta(days=6), 15),
            capacity=3,
        )
        for town in ("Brighton", "Lewes")
    ]
    pool = one_to_one + groups
    desks = [Desk(advisors[i], referrals[i * per_desk : (i + 1) * per_desk]) for i in range(THREADS)]
    svc = BookingService(db)

    def work(i: int) -> None:
        desk = desks[i]
        rng = random.Random(i)
        for _ in range(12):
            slot = rng.choice(pool)
            booked = list(desk.live.items())
            try:
                if booked and rng.random() < 0.35:
                    rid, booking_id = rng.choice(booked)
                    if rng.random() < 0.5:
                        svc.cancel(desk.actor, booking_id, by_patient=True, reason="race")
                        del desk.live[rid]
                        desk.ops["cancel"] += 1
                    else:
                        desk.live[rid] = svc.rebook(desk.actor, booking_id, slot, reason="race")
                        desk.ops["rebook"] += 1
                else:
                    unbooked = [r for r in desk.referrals if r not in desk.live]
                    if not unbooked:
                        continue
                    rid = rng.choice(unbooked)
                    desk.live[rid] = svc.book(desk.actor, rid, slot)
                    desk.ops["book"] += 1
            except SlotTaken:
                desk.ops["slot_taken"] += 1
            except Exception as err:  # a rebook onto its own slot is the only other expected refusal
                if "already booked into that slot" not in str(err):
                    desk.unexpected.append(err)

    race(THREADS, work)

    assert [e for d in desks for e in d.unexpected] == []
    totals = sum((d.ops for d in desks), Counter())
    assert totals["book"] > 0 and totals["slot_taken"] > 0  # there really was contention
    believed_live = {b for d in desks for b in d.live.values()}
    with db.read() as s:
        live = dict(
            s.execute(select(Booking.id, Booking.slot_id).where(Booking.status == BookingStatus.BOOKED)).all()
        )
        slots = {
            sid: (count, cap, status)
            for sid, count, cap, status in s.execute(
                select(Slot.id, Slot.booked_count, Slot.capacity, Slot.status).where(Slot.id.in_(pool))
            )
        }
        booked_referrals = set(
            s.scalars(
                select(Referral.id).where(
                    Referral.id.in_(referrals), Referral.status == ReferralStatus.BOOKED
                )
            )
        )
        live_referrals = s.execute(
            select(Booking.referral_id, func.count())
            .where(Booking.status == BookingStatus.BOOKED)
            .group_by(Booking.referral_id)
        ).all()
        letters = Counter(s.scalars(select(Letter.kind).where(Letter.referral_id.in_(referrals))))
    assert set(live) == believed_live  # every success the desks saw is in the database, and nothing else
    per_slot = Counter(live.values())
    for sid, (count, cap, status) in slots.items():
        assert per_slot[sid] <= cap, f"slot {sid} overbooked"
        assert count == per_slot[sid], f"slot {sid} counter {count} != {per_slot[sid]} live bookings"
        assert status is (SlotStatus.FULL if count == cap else SlotStatus.OPEN)
    assert all(n == 1 for _, n in live_referrals)
    assert booked_referrals == {rid for d in desks for rid in d.live}
    assert letters[LetterKind.APPOINTMENT] == totals["book"]
    assert letters[LetterKind.CANCELLED] == totals["cancel"]
    assert letters[LetterKind.REBOOKED] == totals["rebook"]
