"""Booking under load: N desks racing for the earliest places, through the service and as raw SQL.

    python bench/booking.py [--advisors 32] [--seconds 10] [--desks process|thread]

Starts a throwaway PostgreSQL (or uses CRAS_PG_URL), builds one database with enough slots and
referrals for N advisors, and clones it twice. Then N desks, each an advisor with its own
referrals and its own connection, repeatedly pick a place among the earliest free ones (all desks
want the soonest appointment, so they collide) and book it:

  app  BookingService.book(): claim, conditional slot UPDATE, booking, referral, letter, change
       feed and audit, through SQLAlchemy and the app's own engine settings;
  raw  the same reads and writes as hand-written SQL on psycopg connections, no ORM, in the same
       order: BEGIN; the caller re-check (active, role, team) and the central claim expiry, as
       every service call makes them; claim UPDATE; conditional slot UPDATE; UPDATE referral;
       withdraw queued unable-to-contact letters; INSERT booking; INSERT letter (the same snapshot
       queue_letter stores, built by one INSERT ... SELECT); INSERT change rows; INSERT audit;
       COMMIT.

Each desk is a process of its own by default, as each desk is a program on a PC of its own in
production (here the 32 of them time-share this machine's cores with the database server, which
costs each more in context switches than a PC of its own would). --desks thread runs them as
threads of this one process instead, the method of the first measurements: all desks then share
one interpreter and its GIL, which no two real desks do. Both paths always run the same way, and
each desk books a few times before the clock starts, so what is measured is the steady state
(statements compiled and prepared, connections warm), as a few minutes into a morning.

A lost race (SlotTaken, or no row matched on the raw path) is counted and the desk tries another
place for the same referral. Afterwards SQL counts double bookings (must be 0) and counters out of
step with bookings, and checks both paths stored letter snapshots of the same shape. Rounds of the
two paths alternate, so load from elsewhere on the machine falls on both. Besides throughput and
latency it reports CPU per booking on each side of the wire: the desks' and the database
server's (what limits a central server shared by many desks).
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.connection
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from multiprocessing.context import BaseContext
from typing import Any, Protocol

import psycopg
from psycopg.types.json import Json, Jsonb
from sqlalchemy import insert, select, text
from sqlalchemy.engine import URL

from cras_desk.db.engine import Database, make_engine
from cras_desk.db.local_postgres import PostgresServer
from cras_desk.db.migrate import upgrade
from cras_desk.db.models import (
    Clinic,
    GpPractice,
    Patient,
    Provider,
    Referral,
    Service,
    Site,
    SiteService,
    Slot,
    Team,
    User,
)
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import (
    ClinicianType,
    Priority,
    ReferralStatus,
    Role,
    ServiceCode,
    SlotKind,
    SlotStatus,
    TimeOfDay,
)
from cras_desk.domain.errors import SlotTaken
from cras_desk.services.actor import Actor
from cras_desk.services.booking import BookingService

GROUP_EVERY = 10  # every tenth slot is a group session
GROUP_CAPACITY = 6
SITES = 4
WARM_UP_BOOKINGS = 8  # per desk, before the clock starts (psycopg prepares a statement at its 5th use)

# --- building the data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    service_id: int
    actors: list[Actor]
    referrals: list[list[int]]  # per advisor
    slots: list[tuple[int, int]]  # (slot id, capacity), soonest first


def build(url: URL, advisors: int, per_advisor: int) -> Fixture:
    engine = make_engine(url)
    upgrade(engine)
    today = date.today()
    n_referrals = advisors * per_advisor
    n_slots = n_referrals  # with the group places that is ~1.5 places per referral: nobody runs dry
    now = utcnow()
    with engine.begin() as conn:
        team_id = conn.execute(insert(Team).values(name="Bench").returning(Team.id)).scalar_one()
        service_id = conn.execute(
            insert(Service)
            .values(code=ServiceCode.PHYSIOTHERAPY, name="Physiotherapy", has_group_sessions=True)
            .returning(Service.id)
        ).scalar_one()
        provider_id = conn.execute(
            insert(Provider).values(name="Bench MSK").returning(Provider.id)
        ).scalar_one()
        site_ids = [
            conn.execute(
                insert(Site)
                .values(
                    provider_id=provider_id,
                    name=f"Hub {i}",
                    address_line1="1 Road",
                    town=f"Town {i}",
                    postcode="BN1 1AA",
                    latitude=50.8,
                    longitude=-0.1,
                    step_free=True,
                    hearing_loop=False,
                    parking=False,
                    opening_hours="Mon-Fri",
                    phone="01273 000000",
                )
                .returning(Site.id)
            ).scalar_one()
            for i in range(SITES)
        ]
        conn.execute(insert(SiteService), [{"site_id": s, "service_id": service_id} for s in site_ids])
        gp_id = conn.execute(
            insert(GpPractice)
            .values(
                ods_code="G00001",
                name="Bench Surgery",
                address_line1="2 Surgery Road",
                town="Brighton",
                postcode="BN1 4QF",
            )
            .returning(GpPractice.id)
        ).scalar_one()
        user_ids = list(
            conn.scalars(
                insert(User).returning(User.id, sort_by_parameter_order=True),
                [
                    {
                        "username": f"bench{i}",
                        "full_name": f"Bench Advisor {i}",
                        "role": Role.ADVISOR,
                        "team_id": team_id,
                        "password_hash": "x",
                        "active": True,
                        "created_at": now,
                    }
                    for i in range(advisors)
                ],
            )
        )
        days = 60
        clinic_rows = [
            {
                "site_id": s,
                "service_id": service_id,
                "clinic_date": today + timedelta(days=d),
                "title": "Clinic",
                "kind": SlotKind.ONE_TO_ONE,
            }
            for d in range(1, days + 1)
            for s in site_ids
        ]
        clinic_ids = list(
            conn.scalars(insert(Clinic).returning(Clinic.id, sort_by_parameter_order=True), clinic_rows)
        )
        per_clinic = -(-n_slots // len(clinic_ids))
        slot_rows = []
        for k in range(n_slots):
            c = k % len(clinic_ids)  # spread over sites and days; order by time below
            row = clinic_rows[c]
            minute = (k // len(clinic_ids)) * (600 // max(per_clinic, 1))
            starts = datetime.combine(row["clinic_date"], datetime.min.time(), UTC) + timedelta(
                hours=8, minutes=minute
            )
            group = k % GROUP_EVERY == GROUP_EVERY - 1
            slot_rows.append(
                {
                    "clinic_id": clinic_ids[c],
                    "site_id": row["site_id"],
                    "service_id": service_id,
                    "clinician_type": ClinicianType.PHYSIOTHERAPIST,
                    "starts_at": starts,
                    "duration_minutes": 30,
                    "day_part": TimeOfDay.of_hour(starts.hour),
                    "kind": SlotKind.GROUP if group else SlotKind.ONE_TO_ONE,
                    "capacity": GROUP_CAPACITY if group else 1,
                    "booked_count": 0,
                    "status": SlotStatus.OPEN,
                }
            )
        conn.execute(insert(Slot), slot_rows)
        patient_ids = list(
            conn.scalars(
                insert(Patient).returning(Patient.id, sort_by_parameter_order=True),
                [
                    {
                        "nhs_number": f"999{i:07d}",
                        "given_name": "Bench",
                        "family_name": f"Patient {i}",
                        "family_key": f"patient {i}",
                        "given_key": "bench",
                        "date_of_birth": date(1960, 1, 1),
                        "sex": "female",
                        "address_line1": "1 Road",
                        "town": "Brighton",
                        "postcode": "BN1 1AA",
                        "postcode_key": "BN11AA",
                        "language": "English",
                        "interpreter_needed": False,
                        # Every fifth patient needs large print: the letter reads it on both paths.
                        "adjustments": ["large_print"] if i % 5 == 0 else [],
                        "gp_practice_id": gp_id,
                        "created_at": now,
                    }
                    for i in range(n_referrals)
                ],
            )
        )
        received = today - timedelta(days=20)
        referral_ids = list(
            conn.scalars(
                insert(Referral).returning(Referral.id, sort_by_parameter_order=True),
                [
                    {
                        "patient_id": pid,
                        "service_id": service_id,
                        "received_on": received,
                        "priority": Priority.ROUTINE,
                        "priority_rank": Priority.ROUTINE.rank,
                        "breach_on": received + timedelta(days=126),
                        "status": ReferralStatus.AWAITING_CONTACT,
                        "is_open": True,
                        "team_id": team_id,
                        "assigned_to": user_ids[i % advisors],
                        "attempt_count": 0,
                        "failed_attempt_count": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i, pid in enumerate(patient_ids)
                ],
            )
        )
        slots = [
            (sid, cap)
            for sid, cap in conn.execute(select(Slot.id, Slot.capacity).order_by(Slot.starts_at, Slot.id))
        ]
        conn.execute(text("ANALYZE"))
    engine.dispose()
    actors = [
        Actor(uid, f"bench{i}", f"Bench Advisor {i}", Role.ADVISOR, team_id) for i, uid in enumerate(user_ids)
    ]
    per = [referral_ids[i::advisors] for i in range(advisors)]
    return Fixture(service_id, actors, per, slots)


# --- the shared picture of free places ------------------------------------------------------------


class FreePlaces:
    """What the desks believe is free, soonest first. Every desk picks among the first `window`:
    they all want the earliest appointment, which is what makes them collide.

    The picture lives in shared memory, so desks in separate processes see one another's bookings
    as desks in threads do. It is read and updated without a lock: it is what the slot finder last
    showed, not the truth (the database is), and a desk that acts on a stale picture simply loses
    the race and crosses the place off. A lock here would make every desk wait whenever the one
    holding it was descheduled, on whichever path."""

    def __init__(self, slots: list[tuple[int, int]], window: int, ctx: BaseContext) -> None:
        self._ids = [sid for sid, _ in slots]
        self._index = {sid: i for i, sid in enumerate(self._ids)}
        self._left = ctx.Array("i", [cap for _, cap in slots], lock=False)
        self._head = ctx.Value("i", 0, lock=False)  # every place before it is gone
        self._window = window

    def pick(self, rng: random.Random) -> int | None:
        left, n = self._left, len(self._ids)
        i = self._head.value
        while i < n and left[i] <= 0:
            i += 1
        self._head.value = i
        head: list[int] = []
        while i < n and len(head) < self._window:
            if left[i] > 0:
                head.append(i)
            i += 1
        return self._ids[rng.choice(head)] if head else None

    def booked(self, sid: int) -> None:
        i = self._index[sid]
        self._left[i] = max(0, self._left[i] - 1)

    def lost(self, sid: int) -> None:
        self._left[self._index[sid]] = 0


# --- the desks ------------------------------------------------------------------------------------


@dataclass
class DeskResult:
    latencies: list[float] = field(default_factory=list)  # successful bookings, seconds
    lost: int = 0
    errors: list[str] = field(default_factory=list)
    ran_dry: bool = False
    cpu: float = 0.0  # the desk's CPU seconds (process desks only; threads share one process)
    finished: float = 0.0  # time.monotonic() when the desk stopped

    def add(self, other: DeskResult) -> None:
        self.latencies += other.latencies
        self.lost += other.lost
        self.errors += other.errors
        self.ran_dry = self.ran_dry or other.ran_dry
        self.cpu += other.cpu


class Booker(Protocol):
    def book(self, referral_id: int, slot_id: int) -> bool:
        """True if booked, False if the race for the place was lost."""

    def close(self) -> None: ...


class AppBooker:
    def __init__(self, db: Database, actor: Actor, owns_db: bool) -> None:
        self._svc = BookingService(db)
        self._db = db if owns_db else None
        self._actor = actor

    def book(self, referral_id: int, slot_id: int) -> bool:
        try:
            self._svc.book(self._actor, referral_id, slot_id)
        except SlotTaken:
            return False
        return True

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


def run_desk(
    booker: Booker,
    places: FreePlaces,
    rng: random.Random,
    todo: list[int],
    stop_at: float,
    limit: int | None = None,
) -> DeskResult:
    """Book until stop_at (time.monotonic()) or `limit` bookings, one referral after another; a lost
    race means trying another place for the same referral."""
    res = DeskResult()
    while time.monotonic() < stop_at and (limit is None or len(res.latencies) < limit):
        sid = places.pick(rng) if todo else None
        if sid is None:
            res.ran_dry = True
            break
        t0 = time.perf_counter()
        try:
            ok = booker.book(todo[-1], sid)
        except Exception as err:  # reported, not hidden: the figures are void if any appear
            res.errors.append(f"{type(err).__name__}: {err}")
            if len(res.errors) > 5:
                break
            continue
        if ok:
            res.latencies.append(time.perf_counter() - t0)
            places.booked(sid)
            todo.pop()
        else:
            res.lost += 1
            places.lost(sid)
    res.finished = time.monotonic()
    return res


@dataclass(frozen=True)
class PathSpec:
    """What a desk needs to make its own booker: which path, and the database it books in."""

    path: str  # "app" or "raw"
    url: URL

    def booker(self, actor: Actor, shared_db: Database | None = None) -> Booker:
        if self.path == "raw":
            return RawBooker(conninfo_of(self.url), actor)
        if shared_db is not None:
            return AppBooker(shared_db, actor, owns_db=False)
        # A desk of its own: one pooled connection, as each desk has in production; the app's other
        # engine settings (its check for stale connections included) are left as they are.
        db = Database(self.url, pool_size=1, max_overflow=0)
        db.engine.connect().close()  # connected before any clock starts
        return AppBooker(db, actor, owns_db=True)


class ThreadDesks:
    """All desks as threads of this process: they share one interpreter and its GIL."""

    def __init__(self, spec: PathSpec, fixture: Fixture, places: FreePlaces) -> None:
        n = len(fixture.actors)
        self._db = None
        if spec.path == "app":
            self._db = Database(spec.url, pool_size=n, max_overflow=0)
            warm = [self._db.engine.connect() for _ in range(n)]
            for c in warm:
                c.close()
        self._bookers = [spec.booker(a, self._db) for a in fixture.actors]  # connected before any clock
        self._todo = [list(r) for r in fixture.referrals]
        self._rngs = [random.Random(7 * 1000 + i) for i in range(n)]
        self._places = places

    def run(self, start_at: float, stop_at: float, limit: int | None) -> tuple[list[DeskResult], float]:
        out: list[DeskResult] = [DeskResult() for _ in self._bookers]

        def desk(i: int) -> None:
            time.sleep(max(0.0, start_at - time.monotonic()))
            out[i] = run_desk(self._bookers[i], self._places, self._rngs[i], self._todo[i], stop_at, limit)

        threads = [threading.Thread(target=desk, args=(i,)) for i in range(len(self._bookers))]
        for t in threads:
            t.start()
        time.sleep(max(0.0, start_at - time.monotonic()))
        cpu0 = time.process_time()
        for t in threads:
            t.join()
        return out, time.process_time() - cpu0

    def close(self) -> None:
        for b in self._bookers:
            b.close()
        if self._db is not None:
            self._db.dispose()


def _desk_process(
    spec: PathSpec, fixture: Fixture, i: int, places: FreePlaces, pipe: multiprocessing.connection.Connection
) -> None:
    booker = spec.booker(fixture.actors[i])
    todo, rng = list(fixture.referrals[i]), random.Random(7 * 1000 + i)
    pipe.send("ready")
    while (msg := pipe.recv()) is not None:
        start_at, stop_at, limit = msg
        time.sleep(max(0.0, start_at - time.monotonic()))
        cpu0 = time.process_time()
        res = run_desk(booker, places, rng, todo, stop_at, limit)
        res.cpu = time.process_time() - cpu0
        pipe.send(res)
    booker.close()


class ProcessDesks:
    """Each desk its own process, as in production (each desk is a PC of its own; here they share
    this machine's cores with the database server). They live across rounds, connected."""

    def __init__(self, spec: PathSpec, fixture: Fixture, places: FreePlaces, ctx: BaseContext) -> None:
        self._pipes = []
        self._procs = []
        for i in range(len(fixture.actors)):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_desk_process, args=(spec, fixture, i, places, theirs), daemon=True)
            proc.start()
            self._pipes.append(ours)
            self._procs.append(proc)
        for pipe in self._pipes:
            if pipe.recv() != "ready":
                raise RuntimeError("a desk process failed to start")

    def run(self, start_at: float, stop_at: float, limit: int | None) -> tuple[list[DeskResult], float]:
        for pipe in self._pipes:
            pipe.send((start_at, stop_at, limit))
        out = [pipe.recv() for pipe in self._pipes]
        return out, sum(r.cpu for r in out)

    def close(self) -> None:
        for pipe in self._pipes:
            pipe.send(None)
        for proc in self._procs:
            proc.join(timeout=30)


# --- running a workload ---------------------------------------------------------------------------


class Workload:
    """One path (app or raw) on its own database. Its desks keep their referrals and the shared
    picture of free places between rounds, so rounds of the two paths can be interleaved."""

    def __init__(
        self,
        spec: PathSpec,
        fixture: Fixture,
        window: int,
        desks: str,
        ctx: BaseContext,
        server_cpu: Callable[[], float | None],
    ) -> None:
        self.name = spec.path
        self.server_cpu = server_cpu
        self.client_cpu = 0.0  # the desks' CPU seconds while the path ran
        self.db_cpu: float | None = 0.0  # the PostgreSQL server's CPU seconds meanwhile
        places = FreePlaces(fixture.slots, window, ctx)
        self.desks: ThreadDesks | ProcessDesks = (
            ThreadDesks(spec, fixture, places)
            if desks == "thread"
            else ProcessDesks(spec, fixture, places, ctx)
        )
        self.results = [DeskResult() for _ in fixture.actors]
        self.elapsed = 0.0
        self.warm_up_bookings = 0  # made before the clock started: in the database, not in the figures
        self._closed = False

    def warm_up(self, bookings_per_desk: int) -> None:
        """Not measured: each desk books a few times first, so what is measured is desks in their
        steady state (statements compiled and prepared, connections warm), as desks are a few
        minutes into a morning, rather than the first moments of 32 freshly started programs."""
        start_at = time.monotonic() + 0.2
        out, _ = self.desks.run(start_at, start_at + 3600.0, bookings_per_desk)
        self.warm_up_bookings += sum(len(r.latencies) for r in out)
        errors = [e for r in out for e in r.errors]
        if errors:
            raise RuntimeError(f"{self.name} path failed while warming up: {errors[:3]}")

    def run(self, seconds: float) -> None:
        start_at = time.monotonic() + 0.2  # every desk is waiting for the clock when it starts
        stop_at = start_at + seconds
        time.sleep(max(0.0, start_at - time.monotonic()))
        db0 = self.server_cpu()
        out, client_cpu = self.desks.run(start_at, stop_at, None)
        db1 = self.server_cpu()
        self.elapsed += max(r.finished for r in out) - start_at
        self.client_cpu += client_cpu
        for total, r in zip(self.results, out, strict=True):
            total.add(r)
        if db0 is None or db1 is None or self.db_cpu is None:
            self.db_cpu = None
        else:
            self.db_cpu += db1 - db0

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.desks.close()

    def figures(self) -> dict[str, Any]:
        lat = sorted(x for r in self.results for x in r.latencies)
        booked = len(lat)
        return {
            "bookings": booked,
            "seconds": round(self.elapsed, 3),
            "bookings_per_s": round(booked / self.elapsed, 1),
            "p50_ms": round(statistics.median(lat) * 1000, 2) if lat else None,
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 2) if lat else None,
            "lost_races": sum(r.lost for r in self.results),
            "warm_up_bookings": self.warm_up_bookings,
            "errors": [e for r in self.results for e in r.errors][:10],
            "ran_dry": any(r.ran_dry for r in self.results),
            # Per booking made, lost races' work included: what each side of the wire spends.
            "client_cpu_ms_per_booking": round(self.client_cpu / booked * 1000, 3) if booked else None,
            "server_cpu_ms_per_booking": (
                round(self.db_cpu / booked * 1000, 3) if booked and self.db_cpu is not None else None
            ),
        }


# Who is calling, re-checked on every call as the services do (active, role, team against the referral).
RAW_CALLER = """
SELECT u.active, u.role, u.team_id, r.team_id, r.assigned_to
FROM users u LEFT JOIN referrals r ON r.id = %(r)s WHERE u.id = %(u)s"""
RAW_SETTINGS = "SELECT claim_minutes FROM central_settings WHERE id = 1"
RAW_WITHDRAW = """
UPDATE letters SET status = 'withdrawn', withdrawn_at = %(now)s, withdrawn_reason = 'Patient booked'
WHERE referral_id = %(r)s AND status = 'queued' AND kind = 'unable_to_contact' RETURNING id"""
RAW_CLAIM = """
UPDATE referrals SET claimed_by = %(u)s, claimed_until = %(until)s
WHERE id = %(r)s AND (claimed_by IS NULL OR claimed_by = %(u)s OR claimed_until < %(now)s)
RETURNING patient_id"""
RAW_REFERRAL = """
UPDATE referrals SET status = 'booked', is_open = false, next_action_at = NULL, updated_at = %(now)s
WHERE id = %(r)s AND is_open"""
RAW_SLOT = """
UPDATE slots SET booked_count = booked_count + 1,
       status = CASE WHEN booked_count + 1 >= capacity THEN 'full' ELSE status END
WHERE id = %(s)s AND service_id = (SELECT service_id FROM referrals WHERE id = %(r)s)
  AND status = 'open' AND booked_count < capacity AND starts_at > %(now)s"""
RAW_BOOKING = """
INSERT INTO bookings (referral_id, slot_id, status, booked_at, booked_by)
VALUES (%(r)s, %(s)s, 'booked', %(now)s, %(u)s) RETURNING id"""
# The same snapshot queue_letter stores (patient, GP, referral, appointment), built in SQL with the
# functions of the column's own type ({j}: json or jsonb, whichever db/types.py makes them), as a
# hand-written path for that schema would: no conversion from one to the other on the way in.
RAW_LETTER = """
INSERT INTO letters (referral_id, kind, status, recipient, large_print, inputs, created_at, created_by)
SELECT r.id, 'appointment', 'queued', 'patient', coalesce({adjustments} ? 'large_print', false),
  {j}_build_object(
    'booking_id', b.id, 'v', 1, 'referral_id', r.id,
    'patient', {j}_build_object(
      'title', p.title, 'given_name', p.given_name, 'family_name', p.family_name,
      'nhs_number', p.nhs_number, 'date_of_birth', to_char(p.date_of_birth, 'YYYY-MM-DD'),
      'address', to_{j}(array_remove(ARRAY[nullif(trim(p.address_line1), ''),
        nullif(trim(p.address_line2), ''), nullif(trim(p.town), ''), nullif(trim(p.county), ''),
        nullif(trim(p.postcode), '')], NULL))),
    'gp', CASE WHEN g.id IS NULL THEN NULL ELSE {j}_build_object('name', g.name,
      'address', to_{j}(array_remove(ARRAY[g.address_line1, g.town, g.postcode], NULL)),
      'ods_code', g.ods_code) END,
    'referral', {j}_build_object('service', sv.name, 'service_code', sv.code,
      'received_on', to_char(r.received_on, 'YYYY-MM-DD'), 'priority', r.priority,
      'failed_attempts', r.failed_attempt_count,
      'utc_letter_sent_on', to_char(r.utc_letter_sent_on, 'YYYY-MM-DD')),
    'appointment', {j}_build_object('booking_id', b.id,
      'starts_local', to_char(s.starts_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD"T"HH24:MI'),
      'duration_minutes', s.duration_minutes, 'clinician_type', s.clinician_type,
      'slot_kind', s.kind, 'site_name', st.name,
      'site_address', to_{j}(array_remove(ARRAY[st.address_line1, st.address_line2, st.town,
        st.postcode], NULL)),
      'site_phone', st.phone, 'interpreter_language', b.interpreter_language,
      'step_free', st.step_free, 'hearing_loop', st.hearing_loop,
      'parking', st.parking)),
  %(now)s, %(u)s
FROM referrals r
JOIN patients p ON p.id = r.patient_id
LEFT JOIN gp_practices g ON g.id = p.gp_practice_id
JOIN services sv ON sv.id = r.service_id
JOIN bookings b ON b.id = %(b)s
JOIN slots s ON s.id = b.slot_id
JOIN sites st ON st.id = s.site_id
WHERE r.id = %(r)s
RETURNING id"""
RAW_CHANGES = """
INSERT INTO changes (at, entity, entity_id, op, user_id) VALUES
 (%(now)s, 'referral', %(r)s, 'update', %(u)s), (%(now)s, 'slot', %(s)s, 'update', %(u)s),
 (%(now)s, 'booking', %(b)s, 'insert', %(u)s), (%(now)s, 'letter', %(l)s, 'insert', %(u)s)"""
RAW_AUDIT = """
INSERT INTO audit_events (at, user_id, action, entity, entity_id, patient_id, detail)
VALUES (%(now)s, %(u)s, 'book', 'booking', %(b)s, %(p)s, %(detail)s)"""


def raw_letter_sql(json_type: str) -> str:
    # jsonb has the ? operator; a json column is read as jsonb for that one test.
    adjustments = "p.adjustments" if json_type == "jsonb" else "p.adjustments::jsonb"
    return RAW_LETTER.replace("{j}", json_type).replace("{adjustments}", adjustments)


class RawBooker:
    def __init__(self, conninfo: str, actor: Actor) -> None:
        self._conn = psycopg.connect(conninfo)
        self._uid = actor.user_id
        json_type = self._conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = 'letters'::regclass AND attname = 'inputs'"
        ).fetchone()[0]  # type: ignore[index]
        self._conn.rollback()
        self._letter_sql = raw_letter_sql(json_type)
        self._json: type[Json] | type[Jsonb] = Jsonb if json_type == "jsonb" else Json

    def book(self, rid: int, sid: int) -> bool:
        conn = self._conn
        now = datetime.now(UTC)
        p: dict[str, Any] = {"u": self._uid, "r": rid, "s": sid, "now": now}
        with conn.transaction() as tx, conn.cursor() as cur:
            cur.execute(RAW_CALLER, p)
            caller = cur.fetchone()
            if caller is None or not caller[0]:
                raise RuntimeError(f"user {self._uid} is not active")
            cur.execute(RAW_SETTINGS)
            p["until"] = now + timedelta(minutes=cur.fetchone()[0])  # type: ignore[index]
            cur.execute(RAW_CLAIM, p)
            row = cur.fetchone()
            if row is None:
                raise RuntimeError(f"referral {rid} claimed by someone else")
            p["p"] = row[0]
            cur.execute(RAW_SLOT, p)
            if cur.rowcount != 1:
                raise psycopg.Rollback(tx)  # leaves the block quietly: a lost race
            cur.execute(RAW_REFERRAL, p)
            if cur.rowcount != 1:
                raise RuntimeError(f"referral {rid} is not open")
            cur.execute(RAW_WITHDRAW, p)
            cur.execute(RAW_BOOKING, p)
            p["b"] = cur.fetchone()[0]  # type: ignore[index]
            cur.execute(self._letter_sql, p)
            p["l"] = cur.fetchone()[0]  # type: ignore[index]
            cur.execute(RAW_CHANGES, p)
            p["detail"] = self._json({"referral_id": rid, "slot_id": sid, "letter_id": p["l"]})
            cur.execute(RAW_AUDIT, p)
            return True
        return False

    def close(self) -> None:
        self._conn.close()


CHECK_SQL = """
SELECT
  (SELECT count(*) FROM (
     SELECT s.id FROM slots s JOIN bookings b ON b.slot_id = s.id AND b.status = 'booked'
     GROUP BY s.id, s.capacity HAVING count(*) > s.capacity) over_capacity)
  + (SELECT count(*) FROM (
     SELECT referral_id FROM bookings WHERE status = 'booked'
     GROUP BY referral_id HAVING count(*) > 1) twice) AS double_bookings,
  (SELECT count(*) FROM (
     SELECT s.id FROM slots s LEFT JOIN bookings b ON b.slot_id = s.id AND b.status = 'booked'
     GROUP BY s.id, s.booked_count HAVING count(b.id) <> s.booked_count) off) AS counter_mismatches,
  (SELECT count(*) FROM bookings WHERE status = 'booked') AS live_bookings,
  (SELECT count(*) FROM letters) AS letters,
  (SELECT count(*) FROM audit_events WHERE action = 'book') AS audit_events
"""


def check(url: URL) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text(CHECK_SQL)).mappings().one()
    engine.dispose()
    return {k: int(v) for k, v in row.items()}


def letter_shape(url: URL) -> Any:
    """The key structure of one queued letter's inputs: the two paths must store the same shape."""

    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: shape(v) for k, v in sorted(value.items())}
        return type(value).__name__

    engine = make_engine(url)
    with engine.connect() as conn:
        inputs = conn.execute(text("SELECT inputs FROM letters ORDER BY id LIMIT 1")).scalar()
    engine.dispose()
    return shape(inputs)


def server_cpu_meter(server: PostgresServer) -> Callable[[], float | None]:
    """CPU seconds used so far by the server we started (postmaster and its backends), or None
    when the server is someone else's (CRAS_PG_URL) or psutil (pgserver's dependency) is missing."""
    pid = server.postmaster_pid()
    try:
        import psutil
    except ImportError:
        return lambda: None
    if pid is None:
        return lambda: None
    postmaster = psutil.Process(pid)

    def used() -> float | None:
        total = 0.0
        for proc in [postmaster, *postmaster.children(recursive=True)]:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    return used


def shape_differences(app: Any, raw: Any, where: str = "") -> list[str]:
    """Where two shapes part: each key path with what either side has there."""
    if isinstance(app, dict) and isinstance(raw, dict):
        found: list[str] = []
        for key in sorted(app.keys() | raw.keys()):
            found += shape_differences(app.get(key, "missing"), raw.get(key, "missing"), f"{where}.{key}")
        return found
    return [] if app == raw else [f"{where or '.'}: {app}, {raw}"]


def conninfo_of(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--advisors", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=10.0, help="per path, split over the rounds")
    ap.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="alternate app and raw this many times, so load from elsewhere on the machine hits both",
    )
    ap.add_argument(
        "--window", type=int, default=0, help="free places desks choose among (default: advisors)"
    )
    ap.add_argument(
        "--per-advisor", type=int, default=0, help="referrals per advisor (default: sized to run)"
    )
    ap.add_argument(
        "--desks",
        choices=("process", "thread"),
        default="process",
        help="each desk a process of its own, as in production (default), or all desks as threads "
        "of this one process sharing its GIL (the method of the first measurements)",
    )
    args = ap.parse_args(argv)
    n = args.advisors
    window = args.window or n
    per_advisor = args.per_advisor or int(200 + 150 * args.seconds)

    t0 = time.perf_counter()
    server = PostgresServer.start()
    template = server.create_database(f"bench_tmpl_{int(time.time())}")
    fixture = build(template, n, per_advisor)
    version = server.version()
    print(
        f"PostgreSQL {version}: {n} advisors x {per_advisor} referrals, {len(fixture.slots)} slots "
        f"(every {GROUP_EVERY}th a group of {GROUP_CAPACITY}), window {window}, "
        f"{args.rounds} interleaved rounds of {args.seconds / args.rounds:.1f}s per path, "
        f"desks as {'processes' if args.desks == 'process' else 'threads'}; "
        f"built in {time.perf_counter() - t0:.1f}s",
        flush=True,
    )
    figures: dict[str, Any] = {
        "advisors": n,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "window": window,
        "referrals": n * per_advisor,
        "slots": len(fixture.slots),
        "postgres": version,
        "desks": args.desks,
    }
    urls = {name: server.create_database(template=str(template.database)) for name in ("app", "raw")}
    # Fork where there is fork: the desks start in a moment with everything imported.
    ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    paths: dict[str, Workload] = {}
    try:
        meter = server_cpu_meter(server)
        for name in ("app", "raw"):
            paths[name] = Workload(PathSpec(name, urls[name]), fixture, window, args.desks, ctx, meter)
        for path in paths.values():
            path.warm_up(WARM_UP_BOOKINGS)
        for _ in range(args.rounds):
            for path in paths.values():
                path.run(args.seconds / args.rounds)
        for path in paths.values():
            path.close()
        labels = {"app": "app (BookingService)", "raw": "raw (psycopg, no ORM)"}
        for name, path in paths.items():
            result = path.figures()
            result.update(check(urls[name]))
            figures[name] = result
            _report(labels[name], result)
        shapes = {name: letter_shape(url) for name, url in urls.items()}
        same_shape = shapes["app"] == shapes["raw"]
        figures["letters_same_shape"] = same_shape
        if not same_shape:
            figures["letter_shape_differences"] = shape_differences(shapes["app"], shapes["raw"])
            print(f"letter snapshots differ (app, raw): {figures['letter_shape_differences']}")
    finally:
        for path in paths.values():
            path.close()
        for url in urls.values():
            server.drop_database(str(url.database))
        server.drop_database(str(template.database))
    ratio = figures["app"]["bookings_per_s"] / max(figures["raw"]["bookings_per_s"], 1e-9)
    figures["ratio_app_raw"] = round(ratio, 3)
    doubles = figures["app"]["double_bookings"] + figures["raw"]["double_bookings"]
    figures["double_bookings"] = doubles
    errors = figures["app"]["errors"] or figures["raw"]["errors"]
    print(
        f"app/raw throughput: {ratio:.2f}x (acceptance >= 0.5x); double bookings: {doubles} (must be 0); "
        f"letter snapshots of the same shape on both paths: {'yes' if same_shape else 'NO'}"
    )
    figures["ok"] = doubles == 0 and ratio >= 0.5 and not errors and same_shape
    print(json.dumps(figures, sort_keys=True))
    return 0 if figures["ok"] else 1


def _report(label: str, r: dict[str, Any]) -> None:
    print(
        f"{label:22} {r['bookings']:6d} bookings in {r['seconds']:5.1f}s = {r['bookings_per_s']:7.1f}/s  "
        f"p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  lost races {r['lost_races']}  "
        f"double bookings {r['double_bookings']}  counter mismatches {r['counter_mismatches']}"
        + f"\n{'':24}CPU per booking: desks {r['client_cpu_ms_per_booking']} ms, "
        f"database server {r['server_cpu_ms_per_booking']} ms"
        + ("  RAN DRY" if r["ran_dry"] else "")
        + (f"  ERRORS {r['errors'][:2]}" if r["errors"] else ""),
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
