"""Every dashboard figure computed again, independently: all rows loaded, plain Python over them.

Written from the definitions in cras_desk/services/dashboard/figures.py, not from the service's
code: no SQL aggregate, no shared helper. Only small enough databases (the demo seed) can afford it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from cras_desk.db.engine import Database
from cras_desk.db.models import Booking, ContactAttempt, Letter, Referral, SiteService, Slot, User
from cras_desk.domain.clock import LONDON
from cras_desk.domain.enums import ContactChannel, ContactOutcome, ReferralStatus, SlotStatus


def midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), LONDON).astimezone(UTC)


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def nearest_rank(values: list[int], share: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered) - 1e-9)) - 1]


@dataclass
class Rows:
    referrals: list[Referral]
    slots: list[Slot]
    site_services: list[tuple[int, int]]
    attempts: list[ContactAttempt]
    bookings: list[Booking]
    letters: list[Letter]
    users: dict[int, User]


def load_rows(db: Database) -> Rows:
    with db.read() as s:
        return Rows(
            list(s.scalars(select(Referral))),
            list(s.scalars(select(Slot))),
            [(a, b) for a, b in s.execute(select(SiteService.site_id, SiteService.service_id))],
            list(s.scalars(select(ContactAttempt))),
            list(s.scalars(select(Booking))),
            list(s.scalars(select(Letter))),
            {u.id: u for u in s.scalars(select(User))},
        )


def in_scope(r: Referral, service_id: int | None, team_id: int | None) -> bool:
    return (service_id is None or r.service_id == service_id) and (team_id is None or r.team_id == team_id)


def weekly_received(rows: Rows, service_id: int | None, team_id: int | None, today: date) -> Counter[date]:
    return Counter(
        monday(r.received_on)
        for r in rows.referrals
        if in_scope(r, service_id, team_id) and r.received_on <= today
    )


def open_days_waited(rows: Rows, service_id: int | None, team_id: int | None, today: date) -> list[int]:
    return [
        (today - r.received_on).days
        for r in rows.referrals
        if r.is_open and in_scope(r, service_id, team_id) and r.received_on <= today
    ]


def open_weeks_at(rows: Rows, service_id: int | None, team_id: int | None, today: date, j: int) -> list[int]:
    """Completed weeks waited by each referral open at the end of London's day j weeks back."""
    point = today - timedelta(weeks=j)
    end = midnight(point + timedelta(days=1))
    out = []
    for r in rows.referrals:
        if not in_scope(r, service_id, team_id) or r.received_on > point:
            continue
        closed_by_then = not r.is_open and r.updated_at < end
        if not closed_by_then:
            out.append((point - r.received_on).days // 7)
    return out


def free_slots(rows: Rows, now: datetime, until: datetime, service_id: int | None) -> list[Slot]:
    return [
        sl
        for sl in rows.slots
        if now <= sl.starts_at < until
        and sl.status is not SlotStatus.BLOCKED
        and sl.booked_count < sl.capacity
        and (service_id is None or sl.service_id == service_id)
    ]


def unbooked(rows: Rows, service_id: int | None, team_id: int | None) -> list[Referral]:
    return [
        r
        for r in rows.referrals
        if r.is_open and r.status is not ReferralStatus.BOOKED and in_scope(r, service_id, team_id)
    ]


def london_day(at: datetime) -> date:
    return at.astimezone(LONDON).date()


def breach_risk_ids(
    rows: Rows,
    service_id: int | None,
    team_id: int | None,
    today: date,
    now: datetime,
    within: int,
    weeks: int,
) -> list[int]:
    """Unbooked referrals, breach date from today on and within the slots held, with no free place
    of their service on a day after the window and on or before the breach date."""
    window_end = today + timedelta(days=within)
    held_until = monday(today) + timedelta(weeks=weeks, days=-1)
    last_any = max((sl.starts_at for sl in rows.slots), default=None)
    if last_any is not None:
        held_until = min(held_until, london_day(last_any))
    horizon = max(window_end, held_until)
    free_days: dict[int, set[date]] = defaultdict(set)
    for sl in free_slots(rows, now, midnight(monday(today) + timedelta(weeks=weeks)), service_id):
        free_days[sl.service_id].add(london_day(sl.starts_at))
    flagged = []
    for r in unbooked(rows, service_id, team_id):
        if r.breach_on < today or r.breach_on > horizon:
            continue
        if any(window_end < d <= r.breach_on for d in free_days[r.service_id]):
            continue
        flagged.append(r)
    flagged.sort(key=lambda r: (r.breach_on, r.priority_rank, r.id))
    return [r.id for r in flagged]


SPOKE = {ContactOutcome.SPOKE, ContactOutcome.CALLBACK_REQUESTED, ContactOutcome.DECLINED}


def activity(
    rows: Rows, service_id: int | None, team_id: int | None, since: datetime, now: datetime
) -> dict[int, dict[str, int]]:
    """user id -> calls, spoke, bookings, queued, printed in [since, now]."""
    service_of = {r.id: r.service_id for r in rows.referrals}

    def counts(referral_id: int, user_id: int | None) -> bool:
        if user_id is None:
            return False
        if service_id is not None and service_of[referral_id] != service_id:
            return False
        return team_id is None or rows.users[user_id].team_id == team_id

    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a in rows.attempts:
        if a.channel is ContactChannel.PHONE and since <= a.at <= now and counts(a.referral_id, a.user_id):
            out[a.user_id]["calls"] += 1
            out[a.user_id]["spoke"] += a.outcome in SPOKE
    for b in rows.bookings:
        if since <= b.booked_at <= now and counts(b.referral_id, b.booked_by):
            out[b.booked_by]["bookings"] += 1
    for letter in rows.letters:
        if since <= letter.created_at <= now and counts(letter.referral_id, letter.created_by):
            out[letter.created_by]["queued"] += 1
        printed = letter.printed_at is not None and since <= letter.printed_at <= now
        if printed and letter.printed_by is not None and counts(letter.referral_id, letter.printed_by):
            out[letter.printed_by]["printed"] += 1
    return out
