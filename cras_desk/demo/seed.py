"""Deterministic synthetic demo data: an East Sussex-like MSK service with a busy six months.

Same seed and same `today` give the same rows (one RNG stream per part, seeded from both; Faker
seeded likewise). Rows are written with Core bulk inserts in one transaction, so a failed seed
leaves the database empty and the app simply tries again on its next start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cras_desk.db.engine import Database
from cras_desk.db.models import (
    Assignment,
    Base,
    Booking,
    ChoiceOffer,
    Clinic,
    Clinician,
    ContactAttempt,
    GpPractice,
    Letter,
    Patient,
    PatientPhone,
    Provider,
    Referral,
    Service,
    Site,
    SiteService,
    Slot,
    Team,
    User,
    WaitingTime,
)
from cras_desk.demo import organisation as org
from cras_desk.demo.arrivals import plan_referrals
from cras_desk.demo.bulk import analyze, checks_deferred, insert_rows, reset_sequences
from cras_desk.demo.dice import Dice
from cras_desk.demo.organisation import DEMO_PASSWORD
from cras_desk.demo.patients import PatientFacts, patient_batches
from cras_desk.demo.pools import Pools
from cras_desk.demo.referrals import ReferralSimulator
from cras_desk.demo.schedule import Waits, build_schedule, clinician_rows, plan_clinicians
from cras_desk.demo.seed_calendar import SeedCalendar
from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import BookingStatus, SlotStatus
from cras_desk.domain.errors import ValidationError
from cras_desk.services.passwords import hash_password

__all__ = ["DEMO_PASSWORD", "SeedSummary", "is_empty", "seed_database"]

DEFAULT_REFERRALS = 30_000
_REFERRAL_BATCH = 5_000

# Every table given explicit ids, whose PostgreSQL sequences must be moved on afterwards.
_WITH_IDS: tuple[type[Base], ...] = (
    Team,
    User,
    Service,
    Provider,
    Site,
    GpPractice,
    WaitingTime,
    Clinician,
    Clinic,
    Slot,
    Patient,
    PatientPhone,
    Referral,
    ContactAttempt,
    ChoiceOffer,
    Booking,
    Letter,
    Assignment,
)


@dataclass(frozen=True)
class SeedSummary:
    counts: dict[str, int]  # rows written, by table name
    seconds: float


def is_empty(db: Database) -> bool:
    """No users yet: the app seeds demo data on first run only then."""
    with db.read() as s:
        return s.scalar(select(User.id).limit(1)) is None


def seed_database(
    db: Database,
    *,
    referrals: int = DEFAULT_REFERRALS,
    seed: int = 1,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedSummary:
    """Fill an empty, migrated database with demo data; `today` pins the calendar (default: London today).

    `progress` gets short messages ("patients 120000/300000").
    """
    if referrals < 0:
        raise ValidationError("The number of demo referrals cannot be negative.")
    started = time.perf_counter()
    today = today or today_london()
    say = progress or (lambda _message: None)
    if not is_empty(db):
        raise ValidationError("The database already holds users; demo data goes only into an empty database.")

    say("names")
    plan = _Plan(seed, today, referrals)
    with db.write() as s:
        with checks_deferred(s):
            writer = _Writer(s)
            blocked = plan.write(writer, say)
        say("finishing")
        _settle_slots(s, blocked)
        reset_sequences(s, _WITH_IDS)
    say("statistics")
    with db.write() as s:
        analyze(s)
    return SeedSummary(writer.counts, time.perf_counter() - started)


class _Writer:
    """Bulk-inserts each batch as it is made, counting rows per table."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.counts: dict[str, int] = {}

    def put(self, model: type[Base], rows: list[dict[str, Any]]) -> None:
        name = model.__tablename__
        self.counts[name] = self.counts.get(name, 0) + insert_rows(self.session, model, rows)


class _Plan:
    """Makes the rows, part by part, each part from its own random stream."""

    def __init__(self, seed: int, today: date, referrals: int) -> None:
        self.seed = seed
        self.today = today
        self.referrals = referrals
        self.cal = SeedCalendar(today - timedelta(days=200), today + timedelta(days=400))
        self.scale = referrals / DEFAULT_REFERRALS  # capacity follows demand
        self.pools = Pools.build(seed)

    def stream(self, name: str) -> Dice:
        # One stream per part, so changing how slots are made does not reshuffle every patient.
        return Dice.seeded(f"cras-demo:{self.seed}:{self.today.isoformat()}:{name}")

    def write(self, writer: _Writer, say: Callable[[str], None]) -> list[int]:
        """Put every row to the writer; returns the slots the provider cancelled (to block)."""
        cal, today = self.cal, self.today
        say("organisation")
        # Hashing is slow on purpose: once, with a salt from the seed so the data stays identical.
        password_hash = hash_password(DEMO_PASSWORD, salt=self.stream("salt").rng.randbytes(16))
        writer.put(Team, org.team_rows())
        writer.put(User, org.user_rows(password_hash, cal.at(today, 0) - timedelta(days=210)))
        writer.put(Service, org.service_rows())
        writer.put(Provider, org.provider_rows())
        writer.put(Site, org.site_rows())
        writer.put(SiteService, org.site_service_rows())
        practice_rows, practices = org.gp_practices(self.stream("practices"), self.pools.family)
        writer.put(GpPractice, practice_rows)
        waits = Waits(self.stream("waits"), today)
        writer.put(WaitingTime, waits.rows())

        plans = plan_clinicians(self.stream("clinicians"), self.pools, self.scale)
        writer.put(Clinician, clinician_rows(plans))
        skeletons, first_seen = plan_referrals(self.stream("referrals"), cal, today, self.referrals)
        first_day = min(first_seen, default=today)
        schedule, batches = build_schedule(self.stream("slots"), cal, plans, first_day, today, self.scale)
        for clinics, slots in batches:
            writer.put(Clinic, clinics)
            writer.put(Slot, slots)
            say(f"slots {schedule.slot_count}")
        schedule.book.seal()

        facts: list[PatientFacts] = []
        created = [cal.at(d, 8 * 60 + i % 60) for i, d in enumerate(first_seen)]
        dice = self.stream("patients")
        for patients, phones in patient_batches(dice, self.pools, practices, created, today, facts):
            writer.put(Patient, patients)
            writer.put(PatientPhone, phones)
            say(f"patients {len(facts)}/{len(first_seen)}")

        sim = ReferralSimulator(self.stream("histories"), cal, today, waits, schedule.book, facts, practices)
        for start in range(0, len(skeletons), _REFERRAL_BATCH):
            for offset, skeleton in enumerate(skeletons[start : start + _REFERRAL_BATCH]):
                sim.run(start + offset + 1, skeleton)
            rows = sim.take_rows()
            writer.put(Referral, rows.referrals)
            writer.put(ContactAttempt, rows.contact_attempts)
            writer.put(ChoiceOffer, rows.choice_offers)
            writer.put(Booking, rows.bookings)
            writer.put(Letter, rows.letters)
            writer.put(Assignment, rows.assignments)
            say(f"referrals {min(start + _REFERRAL_BATCH, len(skeletons))}/{len(skeletons)}")
        return sim.blocked_slots


def _settle_slots(s: Session, provider_cancelled: list[int]) -> None:
    """booked_count from the live bookings themselves, full when full, blocked when cancelled."""
    # Without statistics PostgreSQL plans the count below as a scan of bookings per slot (an
    # hour at 300,000 referrals); ANALYZE sees this transaction's own rows, so plan with them.
    analyze(s, Slot, Booking)
    for start in range(0, len(provider_cancelled), 500):
        chunk = provider_cancelled[start : start + 500]
        s.execute(
            update(Slot)
            .where(Slot.id.in_(chunk))
            .values(status=SlotStatus.BLOCKED)
            .execution_options(synchronize_session=False)
        )
    live = select(Booking.slot_id).where(Booking.status == BookingStatus.BOOKED)
    count = (
        select(func.count())
        .select_from(Booking)
        .where(Booking.slot_id == Slot.id, Booking.status == BookingStatus.BOOKED)
        .scalar_subquery()
    )
    s.execute(
        update(Slot)
        .where(Slot.id.in_(live))
        .values(booked_count=count)
        .execution_options(synchronize_session=False)
    )
    s.execute(
        update(Slot)
        .where(Slot.status == SlotStatus.OPEN, Slot.booked_count >= Slot.capacity)
        .values(status=SlotStatus.FULL)
        .execution_options(synchronize_session=False)
    )
