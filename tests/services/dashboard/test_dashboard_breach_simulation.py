"""The breach forecast against a simulation: book the seed's free places first come, first served.

Every unbooked referral still inside its target takes, in the order referrals arrived, the earliest
free place of its service (any site) from now within the slots held. Of the referrals the
dashboard flags, how many then breach? The figure is printed (pytest -s) and recorded as test
properties; what must hold whatever the order is asserted: a flagged referral with no free place
at all before its breach date breaches.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
from dashboard_truth import free_slots, load_rows, london_day, midnight, monday, unbooked
from seed_layer import Seeded

from cras_desk.domain.clock import utcnow
from cras_desk.services.dashboard import DashboardScope, DashboardService
from cras_desk.services.dashboard.figures import CAPACITY_WEEKS


@pytest.mark.parametrize("within", [7, 14, 28])
def test_flagged_referrals_breach_under_first_come_booking(
    seeded: Seeded, within: int, record_property: pytest.RecordProperty
) -> None:
    now = utcnow()
    today = london_day(now)
    rows = load_rows(seeded.db)
    risk = (
        DashboardService(seeded.db)
        .early_warnings(
            seeded.actors["admin"], DashboardScope(), now, book_within_days=within, limit=1_000_000
        )
        .breach_risk
    )
    assert risk.total == len(risk.rows) > 0

    until = midnight(monday(today) + timedelta(weeks=CAPACITY_WEEKS))
    places: dict[int, list[datetime]] = defaultdict(list)
    for sl in free_slots(rows, now, until, None):
        places[sl.service_id].extend([sl.starts_at] * (sl.capacity - sl.booked_count))
    for times in places.values():
        times.sort()
    taken: dict[int, int] = defaultdict(int)  # places used from the front of each service's list
    seen_on: dict[int, date | None] = {}
    queue = sorted(
        (r for r in unbooked(rows, None, None) if r.breach_on >= today), key=lambda r: (r.received_on, r.id)
    )
    for r in queue:
        times = places[r.service_id]
        i = taken[r.service_id]
        seen_on[r.id] = london_day(times[i]) if i < len(times) else None
        taken[r.service_id] = i + 1

    def breaches(referral_id: int, breach_on: date) -> bool:
        day = seen_on[referral_id]
        return day is None or day > breach_on

    flagged_breach = sum(breaches(row.referral_id, row.breach_on) for row in risk.rows)
    no_place = [row for row in risk.rows if row.last_free_slot_before_breach is None]
    for row in no_place:
        assert breaches(row.referral_id, row.breach_on), row
    horizon = max(row.breach_on for row in risk.rows)
    flagged_ids = {row.referral_id for row in risk.rows}
    missed = sum(
        breaches(r.id, r.breach_on) for r in queue if r.id not in flagged_ids and r.breach_on <= horizon
    )
    share = flagged_breach / risk.total
    record_property("flagged", risk.total)
    record_property("flagged_breaching", flagged_breach)
    record_property("missed_breaching", missed)
    print(
        f"\n[{seeded.db.dialect}] book within {within} days: {risk.total} flagged, {flagged_breach} "
        f"({share:.0%}) breach under first-come booking; {len(no_place)} had no place at all in time; "
        f"{missed} unflagged referrals breaching by {horizon} breach too"
    )
