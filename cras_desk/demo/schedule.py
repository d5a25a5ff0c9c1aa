"""Capacity: clinicians, their weekly rotas, clinics and slots, and published waiting times.

The schedule runs from the oldest referral's date (so past bookings have real slots to have been
attended or missed in) to 16 weeks ahead. SlotBook hands out places while referrals are simulated
and never gives a slot more bookings than its capacity; the seed then sets booked_count from the
bookings themselves, so the two cannot disagree.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cras_desk.demo.dice import Dice
from cras_desk.demo.geography import HUBS
from cras_desk.demo.organisation import (
    CLINICIAN_TYPES,
    CLINICIANS_PER_HUB,
    HUB_SERVICES,
    LONGER_APPOINTMENT_MINUTES,
    SERVICE_IDS,
    SERVICE_NAMES,
)
from cras_desk.demo.pools import Pools
from cras_desk.demo.seed_calendar import SeedCalendar
from cras_desk.domain.enums import ClinicianType, ServiceCode, SlotKind, SlotStatus, TimeOfDay

FUTURE_WEEKS = 16
WAIT_HISTORY_WEEKS = 12

# Minutes past midnight at which new-patient 1:1 slots start: one an hour, because the hours
# between are follow-ups, which this demo does not model. That keeps capacity near demand, so
# the next few weeks are mostly booked and the slot finder agrees with the published waits.
_MORNING = (9 * 60, 10 * 60, 11 * 60, 12 * 60)
_AFTERNOON = (13 * 60 + 30, 14 * 60 + 30, 15 * 60 + 30, 16 * 60 + 15)
_LATE = (12 * 60, 13 * 60, 14 * 60, 15 * 60 + 30, 16 * 60 + 30, 17 * 60 + 30, 18 * 60 + 30)
_DAY_PART = {m: TimeOfDay.of_hour(m // 60) for m in range(24 * 60)}
# The 12:00 slot is the clinic's longer appointment where the service offers one: every session
# has an hour free after it (13:30 or 13:00 is the next start).
LONG_SLOT_MINUTE = 12 * 60

# Group sessions at each pain hub: (title, weekday, start minute, minutes, capacity range).
_GROUPS = (
    ("Pain management information session", 1, 10 * 60, 120, (10, 12)),
    ("Pain management programme (group)", 3, 13 * 60 + 30, 150, (8, 10)),
)


@dataclass(frozen=True)
class ClinicianPlan:
    id: int
    name: str
    clinician_type: ClinicianType
    service: ServiceCode
    site_id: int
    duration: int
    rota: dict[int, str]  # weekday -> "full" / "am" / "late"


def _duration(dice: Dice, service: ServiceCode, ctype: ClinicianType) -> int:
    if service in (ServiceCode.ORTHOTICS, ServiceCode.PAIN):
        return 45
    if ctype is ClinicianType.CONSULTANT or service is ServiceCode.MSK_MDT:
        return dice.pick((30, 45))
    return 45 if dice.chance(0.3) else 30


def plan_clinicians(dice: Dice, pools: Pools, scale: float) -> list[ClinicianPlan]:
    """Clinicians and their weekly rotas; scale 1 is the default volume (about 50 clinicians)."""
    plans: list[ClinicianPlan] = []
    for site_index, codes in enumerate(HUB_SERVICES):
        site_id = site_index + 1
        late = HUBS[site_index].late_weekdays
        for code in codes:
            count = max(1, round(CLINICIANS_PER_HUB[code] * scale))
            for n in range(count):
                types = CLINICIAN_TYPES[code]
                ctype = types[0] if n == 0 else dice.pick(types)
                female = dice.chance(0.6)
                name = f"{pools.given_name(dice, female)} {pools.family_name(dice)}"
                if ctype in (ClinicianType.CONSULTANT, ClinicianType.PSYCHOLOGIST):
                    name = f"Dr {name}"
                per_week = dice.pick((2, 3, 3, 4))
                if scale < 1:  # a small demo needs few clinics: one or two days a week each
                    per_week = max(1, round(per_week * scale**0.5))
                days = sorted(dice.rng.sample(range(5), per_week))
                rota = {}
                for wd in days:
                    roll = dice.random()
                    rota[wd] = "late" if wd in late and roll < 0.5 else "am" if roll > 0.85 else "full"
                plans.append(
                    ClinicianPlan(
                        len(plans) + 1, name, ctype, code, site_id, _duration(dice, code, ctype), rota
                    )
                )
    return plans


def clinician_rows(plans: list[ClinicianPlan]) -> list[dict[str, Any]]:
    return [
        {
            "id": p.id,
            "name": p.name,
            "clinician_type": p.clinician_type,
            "service_id": SERVICE_IDS[p.service],
            "site_id": p.site_id,
        }
        for p in plans
    ]


_SESSIONS = {"late": _LATE, "am": _MORNING, "full": _MORNING + _AFTERNOON}


@dataclass
class _Lane:
    """The slots of one (site, service, kind), in start order, with places still free."""

    starts: list[float] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    free: list[int] = field(default_factory=list)
    skip: list[int] = field(default_factory=list)  # next index that may have room (union-find)

    def seal(self) -> None:
        order = sorted(range(len(self.ids)), key=lambda i: (self.starts[i], self.ids[i]))
        self.starts = [self.starts[i] for i in order]
        self.ids = [self.ids[i] for i in order]
        self.free = [self.free[i] for i in order]
        self.skip = list(range(len(self.ids) + 1))

    def _next_open(self, i: int) -> int:
        root = i
        while self.skip[root] != root:
            root = self.skip[root]
        while self.skip[i] != root:  # path compression: full runs are jumped in one step
            self.skip[i], i = root, self.skip[i]
        return root

    def first_open(self, after: float) -> int | None:
        """The first slot starting after the moment with a place left, without taking it."""
        i = self._next_open(bisect_right(self.starts, after))
        return self.ids[i] if i < len(self.ids) else None

    def take(self, not_before: float) -> int | None:
        i = self._next_open(bisect_left(self.starts, not_before))
        if i >= len(self.ids):
            return None
        self.free[i] -= 1
        if self.free[i] == 0:
            self.skip[i] = i + 1
        return self.ids[i]


class SlotBook:
    """Free places per lane; `take` books the first place at or after a moment."""

    def __init__(self) -> None:
        self._lanes: dict[tuple[int, int, SlotKind], _Lane] = {}
        self.info: dict[int, tuple[datetime, int]] = {}  # slot id -> (starts_at, minutes)

    def add(
        self, key: tuple[int, int, SlotKind], slot_id: int, starts_at: datetime, minutes: int, capacity: int
    ) -> None:
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        lane.starts.append(starts_at.timestamp())
        lane.ids.append(slot_id)
        lane.free.append(capacity)
        self.info[slot_id] = (starts_at, minutes)

    def seal(self) -> None:
        for lane in self._lanes.values():
            lane.seal()

    def take(self, site_id: int, service_id: int, kind: SlotKind, not_before: datetime) -> int | None:
        lane = self._lanes.get((site_id, service_id, kind))
        return None if lane is None else lane.take(not_before.timestamp())

    def next_free(self, site_id: int, service_id: int, after: datetime) -> datetime | None:
        """When the site's next free place of the service starts (any kind), as a choice screen shows."""
        moment = after.timestamp()
        found: datetime | None = None
        for kind in _KINDS:
            lane = self._lanes.get((site_id, service_id, kind))
            slot_id = None if lane is None else lane.first_open(moment)
            if slot_id is not None:
                starts_at = self.info[slot_id][0]
                if found is None or starts_at < found:
                    found = starts_at
        return found


_KINDS = tuple(SlotKind)  # iterating the enum class itself runs Python code each time


@dataclass
class Schedule:
    book: SlotBook
    slot_count: int = 0


def build_schedule(
    dice: Dice,
    cal: SeedCalendar,
    plans: list[ClinicianPlan],
    first_day: date,
    today: date,
    scale: float,
) -> tuple[Schedule, Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]]:
    """The schedule's SlotBook (filled as the batches are consumed) and (clinics, slots) row batches.

    The batches must be consumed (inserted) before the book is sealed and used.
    """
    schedule = Schedule(SlotBook())
    end = today + timedelta(weeks=FUTURE_WEEKS)
    pain = SERVICE_IDS[ServiceCode.PAIN]
    psychologist = {
        p.site_id: p.id for p in reversed(plans) if p.clinician_type is ClinicianType.PSYCHOLOGIST
    }
    group_times = [(title, wd, start, minutes, cap) for title, wd, start, minutes, cap in _GROUPS]
    extra_sessions = max(0, round(scale) - 1)  # more volume, more group sessions per week
    for k in range(extra_sessions):
        title, _, start, minutes, cap = _GROUPS[k % 2]
        group_times.append((title, (k + 2) % 5, start if k % 4 < 2 else 14 * 60, minutes, cap))
    pain_sites = [site for site, codes in enumerate(HUB_SERVICES, start=1) if ServiceCode.PAIN in codes]

    def batches() -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
        clinic_id = slot_id = 0
        away: dict[tuple[int, int], bool] = {}
        clinics: list[dict[str, Any]] = []
        slots: list[dict[str, Any]] = []
        for day in cal.working_days_in(first_day, end):
            week = day.toordinal() // 7
            future = day >= today
            for plan in plans:
                session = plan.rota.get(day.weekday())
                if session is None:
                    continue
                key = (plan.id, week)
                if key not in away:
                    away[key] = dice.chance(0.06)  # annual leave, training, sickness
                if away[key]:
                    continue
                clinic_id += 1
                service_id = SERVICE_IDS[plan.service]
                title = f"{SERVICE_NAMES[plan.service]} {'evening ' if session == 'late' else ''}clinic"
                clinics.append(
                    {
                        "id": clinic_id,
                        "site_id": plan.site_id,
                        "service_id": service_id,
                        "clinician_id": plan.id,
                        "clinic_date": day,
                        "title": title,
                        "kind": SlotKind.ONE_TO_ONE,
                    }
                )
                # A few future clinics are withdrawn (the clinician is needed elsewhere).
                blocked = future and dice.chance(0.01)
                longer = LONGER_APPOINTMENT_MINUTES.get(plan.service)
                for minute in _SESSIONS[session]:
                    slot_id += 1
                    starts_at = cal.at(day, minute)
                    minutes = longer if longer and minute == LONG_SLOT_MINUTE else plan.duration
                    slots.append(
                        _slot_row(
                            slot_id,
                            clinic_id,
                            plan.site_id,
                            service_id,
                            plan.clinician_type,
                            starts_at,
                            minutes,
                            minute,
                            SlotKind.ONE_TO_ONE,
                            1,
                            blocked,
                        )
                    )
                    if not blocked:
                        schedule.book.add(
                            (plan.site_id, service_id, SlotKind.ONE_TO_ONE),
                            slot_id,
                            starts_at,
                            minutes,
                            1,
                        )
            for site_id in pain_sites:
                for title, weekday, minute, minutes, (lo, hi) in group_times:
                    if day.weekday() != weekday:
                        continue
                    clinic_id += 1
                    slot_id += 1
                    capacity = dice.between(lo, hi)
                    clinics.append(
                        {
                            "id": clinic_id,
                            "site_id": site_id,
                            "service_id": pain,
                            "clinician_id": psychologist.get(site_id),
                            "clinic_date": day,
                            "title": title,
                            "kind": SlotKind.GROUP,
                        }
                    )
                    starts_at = cal.at(day, minute)
                    slots.append(
                        _slot_row(
                            slot_id,
                            clinic_id,
                            site_id,
                            pain,
                            ClinicianType.PSYCHOLOGIST,
                            starts_at,
                            minutes,
                            minute,
                            SlotKind.GROUP,
                            capacity,
                            False,
                        )
                    )
                    schedule.book.add(
                        (site_id, pain, SlotKind.GROUP),
                        slot_id,
                        starts_at,
                        minutes,
                        capacity,
                    )
            if len(slots) >= 10_000:
                schedule.slot_count = slot_id
                yield clinics, slots
                clinics, slots = [], []
        schedule.slot_count = slot_id
        if clinics:
            yield clinics, slots

    return schedule, batches()


def _slot_row(
    slot_id: int,
    clinic_id: int,
    site_id: int,
    service_id: int,
    ctype: ClinicianType,
    starts_at: datetime,
    minutes: int,
    local_minute: int,
    kind: SlotKind,
    capacity: int,
    blocked: bool,
) -> dict[str, Any]:
    return {
        "id": slot_id,
        "clinic_id": clinic_id,
        "site_id": site_id,
        "service_id": service_id,
        "clinician_type": ctype,
        "starts_at": starts_at,
        "duration_minutes": minutes,
        "day_part": _DAY_PART[local_minute],
        "kind": kind,
        "capacity": capacity,
        "booked_count": 0,
        "status": SlotStatus.BLOCKED if blocked else SlotStatus.OPEN,
    }


class Waits:
    """Published waits per (site, service): weekly history, oldest first, the last one current."""

    def __init__(self, dice: Dice, today: date) -> None:
        self.today = today
        self.history: dict[tuple[int, int], list[int]] = {}
        self._on: dict[tuple[int, int, date], int] = {}
        for site_id, codes in enumerate(HUB_SERVICES, start=1):
            for code in codes:
                level = float(dice.between(3, 16))
                # Some waits grow week on week: the early warning a team lead should see.
                drift = dice.pick((-0.3, 0.0, 0.0, 0.2, 0.4, 0.8))
                weeks = []
                for _ in range(WAIT_HISTORY_WEEKS):
                    level = min(20.0, max(2.0, level + drift + dice.uniform(-0.8, 0.8)))
                    weeks.append(round(level))
                self.history[(site_id, SERVICE_IDS[code])] = weeks

    def as_of(self, k: int) -> date:
        """The date of the k-th newest figure (0 = current)."""
        return self.today - timedelta(weeks=k)

    def on(self, site_id: int, service_id: int, day: date) -> int:
        """The figure published on `day` (the oldest one for days before the history)."""
        key = (site_id, service_id, day)
        figure = self._on.get(key)
        if figure is None:
            weeks = self.history[(site_id, service_id)]
            figure = self._on[key] = weeks[WAIT_HISTORY_WEEKS - 1 - self._age(day)]
        return figure

    def as_of_on(self, day: date) -> date:
        """The as-of date of the figure current on `day` (what a choice screen showed then).

        Before the history the figure is the oldest one (on()), but its date is that week's: a
        snapshot never says a wait was published after the offer that quoted it.
        """
        return self.as_of(max(0, -((day - self.today).days // 7)))

    def _age(self, day: date) -> int:
        return min(WAIT_HISTORY_WEEKS - 1, max(0, -((day - self.today).days // 7)))

    def rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for (site_id, service_id), weeks in self.history.items():
            for k in range(WAIT_HISTORY_WEEKS):
                rows.append(
                    {
                        "id": len(rows) + 1,
                        "site_id": site_id,
                        "service_id": service_id,
                        "weeks": weeks[WAIT_HISTORY_WEEKS - 1 - k],
                        "as_of": self.as_of(k),
                    }
                )
        return rows
