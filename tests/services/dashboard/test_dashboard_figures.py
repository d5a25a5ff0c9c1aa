"""Every dashboard figure equals the same figure computed independently over the seed's rows.

The service aggregates in SQL; dashboard_truth.py loads every row and counts in plain Python. Each
test runs on SQLite and PostgreSQL, for the whole service (admin), one team (its lead), and one
service of one team.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest
from dashboard_truth import (
    Rows,
    activity,
    breach_risk_ids,
    free_slots,
    in_scope,
    load_rows,
    london_day,
    midnight,
    monday,
    nearest_rank,
    open_days_waited,
    open_weeks_at,
    unbooked,
    weekly_received,
)
from seed_layer import Seeded

from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import ReferralStatus, SlotKind
from cras_desk.services.actor import Actor
from cras_desk.services.dashboard import DashboardScope, DashboardService
from cras_desk.services.dashboard.figures import CAPACITY_WEEKS, TREND_WEEKS

BOOK_WITHIN = 14


@pytest.fixture(scope="module")
def rows(seeded: Seeded) -> Rows:
    return load_rows(seeded.db)


@pytest.fixture(scope="module")
def now() -> datetime:
    return utcnow()


SCOPES = ("all", "team", "service_team")


def scoped(seeded: Seeded, which: str) -> tuple[Actor, DashboardScope]:
    lead = seeded.actors["lead"]
    if which == "all":
        return seeded.actors["admin"], DashboardScope()
    if which == "team":
        return lead, DashboardScope(team_id=lead.team_id)
    return lead, DashboardScope(service_id=1, team_id=lead.team_id)


@pytest.mark.parametrize("which", SCOPES)
def test_demand_is_the_referrals_received_each_week(seeded: Seeded, rows: Rows, which: str) -> None:
    actor, scope = scoped(seeded, which)
    figures = DashboardService(seeded.db).demand(actor, scope, seeded.today)
    truth = weekly_received(rows, scope.service_id, scope.team_id, seeded.today)
    this_week = monday(seeded.today)
    first = min(truth)
    expected = []
    week = first
    while week < this_week:
        expected.append((week, truth.get(week, 0)))
        week += timedelta(weeks=1)
    assert [(w.week_start, w.count) for w in figures.history] == expected
    assert (figures.current_week.week_start, figures.current_week.count) == (
        this_week,
        truth.get(this_week, 0),
    )
    assert sum(w.count for w in figures.history) + figures.current_week.count == sum(truth.values())
    assert figures.forecast is not None  # the seed holds six months: enough weeks to forecast
    assert [p.week_start for p in figures.forecast.points] == [
        this_week + timedelta(weeks=k) for k in range(12)
    ]
    for p in figures.forecast.points:
        assert 0 <= p.lower_95 <= p.lower_80 <= p.mean <= p.upper_80 <= p.upper_95
    assert figures.forecast.backtest is not None
    assert figures.forecast.backtest.model == figures.forecast.model


@pytest.mark.parametrize("which", SCOPES)
def test_waiting_list_bands_shares_and_percentiles(seeded: Seeded, rows: Rows, which: str) -> None:
    actor, scope = scoped(seeded, which)
    figures = DashboardService(seeded.db).waiting_list(actor, scope, seeded.today)
    days = open_days_waited(rows, scope.service_id, scope.team_id, seeded.today)
    weeks = [d // 7 for d in days]
    assert figures.open_count == len(days) > 0
    assert [(b.label, b.count) for b in figures.bands] == [
        ("0-6 weeks", sum(0 <= w < 6 for w in weeks)),
        ("6-12 weeks", sum(6 <= w < 12 for w in weeks)),
        ("12-18 weeks", sum(12 <= w < 18 for w in weeks)),
        ("18+ weeks", sum(w >= 18 for w in weeks)),
    ]
    within = sum(w < 18 for w in weeks)
    assert figures.within_18_weeks == within
    assert figures.share_within_18 == pytest.approx(within / len(days))
    assert figures.meets_standard is (within / len(days) >= 0.92)
    assert figures.median_days == nearest_rank(days, 0.5)
    assert figures.p92_days == nearest_rank(days, 0.92)


@pytest.mark.parametrize("which", SCOPES)
def test_waiting_list_trend_rebuilds_the_list_week_by_week(seeded: Seeded, rows: Rows, which: str) -> None:
    actor, scope = scoped(seeded, which)
    trend = DashboardService(seeded.db).waiting_list(actor, scope, seeded.today).trend
    assert len(trend) == TREND_WEEKS + 1
    for point, j in zip(trend, range(TREND_WEEKS, -1, -1), strict=True):
        weeks = open_weeks_at(rows, scope.service_id, scope.team_id, seeded.today, j)
        assert point.as_of == seeded.today - timedelta(weeks=j)
        assert point.open_count == len(weeks), j
        assert point.within_18_weeks == sum(w < 18 for w in weeks), j
        assert point.median_weeks == nearest_rank(weeks, 0.5), j
    # Today's point is today's list.
    assert trend[-1].open_count == len(open_days_waited(rows, scope.service_id, scope.team_id, seeded.today))


@pytest.mark.parametrize("which", SCOPES)
def test_capacity_free_places_backlog_and_run_out(
    seeded: Seeded, rows: Rows, now: datetime, which: str
) -> None:
    actor, scope = scoped(seeded, which)
    service = DashboardService(seeded.db)
    figures = service.capacity(actor, scope, now)
    first = monday(seeded.today)
    assert figures.first_week == first
    until = midnight(first + timedelta(weeks=CAPACITY_WEEKS))
    cells: Counter[tuple[int, int, object, SlotKind]] = Counter()
    for sl in free_slots(rows, now, until, scope.service_id):
        cells[(sl.service_id, sl.site_id, monday(london_day(sl.starts_at)), sl.kind)] += (
            sl.capacity - sl.booked_count
        )
    assert {(c.service_id, c.site_id, c.week_start, c.kind): c.free_places for c in figures.cells} == dict(
        cells
    )
    assert {s.site_id for s in figures.sites} == {c.site_id for c in figures.cells}

    backlog = Counter(r.service_id for r in unbooked(rows, scope.service_id, scope.team_id))
    demand = service.demand(actor, scope, seeded.today)
    assert demand.forecast is not None
    weekly = defaultdict(Counter)
    for r in rows.referrals:
        if in_scope(r, scope.service_id, scope.team_id) and r.received_on <= seeded.today:
            weekly[r.service_id][monday(r.received_on)] += 1
    recent = [first - timedelta(weeks=k) for k in range(1, 9)]
    recent_total = sum(weekly[s][w] for s in weekly for w in recent)
    for sc in figures.services:
        assert sc.backlog == backlog.get(sc.service_id, 0)
        share = sum(weekly[sc.service_id][w] for w in recent) / recent_total
        free_total = 0.0
        need = float(backlog.get(sc.service_id, 0))
        waiting = need
        unserved_weeks: list[bool] = []  # someone still waiting at the end of the week
        for k, week in enumerate(sc.weeks):
            assert week.week_start == first + timedelta(weeks=k)
            one = sum(
                n
                for (sid, _site, w, kind), n in cells.items()
                if sid == sc.service_id and w == week.week_start and kind is SlotKind.ONE_TO_ONE
            )
            group = sum(
                n
                for (sid, _site, w, kind), n in cells.items()
                if sid == sc.service_id and w == week.week_start and kind is SlotKind.GROUP
            )
            assert (week.free_one_to_one, week.free_group) == (one, group)
            points = {p.week_start: p.mean for p in demand.forecast.points}
            expected = points.get(week.week_start, demand.forecast.points[-1].mean) * share
            if k == 0:
                expected = max(0.0, expected - weekly[sc.service_id][first])
            assert week.forecast_demand == pytest.approx(expected)
            free_total += one + group
            need += expected
            assert week.cumulative_free == free_total
            assert week.cumulative_need == pytest.approx(need)
            waiting = max(0.0, waiting + expected - (one + group))
            unserved_weeks.append(waiting > 0)
        # Runs out: the start of the final stretch of weeks that all end with people waiting.
        runs_out = None
        for k in range(len(unserved_weeks)):
            if all(unserved_weeks[k:]):
                runs_out = sc.weeks[k].week_start
                break
        assert sc.runs_out_week == runs_out


@pytest.mark.parametrize("which", SCOPES)
def test_breach_risk_is_every_referral_without_a_place_after_the_window(
    seeded: Seeded, rows: Rows, now: datetime, which: str
) -> None:
    actor, scope = scoped(seeded, which)
    risk = (
        DashboardService(seeded.db)
        .early_warnings(actor, scope, now, book_within_days=BOOK_WITHIN)
        .breach_risk
    )
    expected = breach_risk_ids(
        rows, scope.service_id, scope.team_id, seeded.today, now, BOOK_WITHIN, CAPACITY_WEEKS
    )
    assert risk.total == len(expected) > 0
    assert [r.referral_id for r in risk.rows] == expected[:500]
    until = midnight(monday(seeded.today) + timedelta(weeks=CAPACITY_WEEKS))
    free = free_slots(rows, now, until, scope.service_id)
    cut = midnight(seeded.today + timedelta(days=BOOK_WITHIN + 1))
    by_id = {r.id: r for r in rows.referrals}
    for row in risk.rows:
        referral = by_id[row.referral_id]
        assert (row.breach_on, row.received_on, row.priority) == (
            referral.breach_on,
            referral.received_on,
            referral.priority,
        )
        mine = [sl.starts_at for sl in free if sl.service_id == row.service_id]
        assert row.next_free_slot_on == (london_day(min(mine)) if mine else None)
        in_time = [london_day(at) for at in mine if at < cut and london_day(at) <= row.breach_on]
        assert row.last_free_slot_before_breach == (max(in_time) if in_time else None)


@pytest.mark.parametrize("which", SCOPES)
def test_growing_waits_are_three_or_more_weeks_of_rising_mean_wait(
    seeded: Seeded, rows: Rows, now: datetime, which: str
) -> None:
    actor, scope = scoped(seeded, which)
    warnings = DashboardService(seeded.db).early_warnings(actor, scope, now)
    expected = {}
    services = {r.service_id for r in rows.referrals if scope.service_id in (None, r.service_id)}
    for sid in services:
        means = []
        for j in range(TREND_WEEKS + 1):
            weeks = open_weeks_at(rows, sid, scope.team_id, seeded.today, j)
            means.append(sum(weeks) / len(weeks) if weeks else None)
        run = 0
        while run < TREND_WEEKS and means[run] is not None and means[run + 1] is not None:
            if not means[run] > means[run + 1]:  # type: ignore[operator]
                break
            run += 1
        if run >= 3:
            expected[sid] = (run, means[0], means[run])
    got = {
        g.service_id: (g.weeks_growing, g.mean_weeks_now, g.mean_weeks_before) for g in warnings.growing_waits
    }
    assert got.keys() == expected.keys()
    for sid, (run, now_mean, before) in expected.items():
        assert got[sid][0] == run
        assert got[sid][1:] == pytest.approx((now_mean, before))


@pytest.mark.parametrize("which", SCOPES)
def test_site_shortfalls_and_overdue_callbacks(seeded: Seeded, rows: Rows, now: datetime, which: str) -> None:
    actor, scope = scoped(seeded, which)
    warnings = DashboardService(seeded.db).early_warnings(actor, scope, now)
    until = midnight(monday(seeded.today) + timedelta(weeks=CAPACITY_WEEKS))
    first_free: dict[tuple[int, int], datetime] = {}
    for sl in free_slots(rows, now, until, scope.service_id):
        key = (sl.site_id, sl.service_id)
        first_free[key] = min(first_free.get(key, sl.starts_at), sl.starts_at)
    queue = [r for r in unbooked(rows, scope.service_id, scope.team_id) if r.breach_on >= seeded.today]
    expected = {}
    for site_id, sid in rows.site_services:
        if scope.service_id not in (None, sid):
            continue
        mine = sorted(
            (r for r in queue if r.service_id == sid), key=lambda r: (r.breach_on, r.priority_rank, r.id)
        )
        if not mine:
            continue
        day = london_day(first_free[(site_id, sid)]) if (site_id, sid) in first_free else None
        before = [r for r in mine if day is None or r.breach_on < day]
        if before:
            expected[(site_id, sid)] = (
                day,
                mine[0].breach_on,
                len(before),
                [r.id for r in before if r in mine[:500]],
            )
    got = {
        (r.site_id, r.service_id): (
            r.first_free_slot_on,
            r.earliest_breach_on,
            r.queue_breaching_first,
            list(r.referral_ids),
        )
        for r in warnings.site_shortfalls
    }
    assert got == expected
    counts = [r.queue_breaching_first for r in warnings.site_shortfalls]
    assert counts == sorted(counts, reverse=True)

    overdue = sorted(
        (
            r
            for r in rows.referrals
            if r.is_open
            and r.status is ReferralStatus.CALLBACK
            and r.next_action_at is not None
            and r.next_action_at < now
            and in_scope(r, scope.service_id, scope.team_id)
        ),
        key=lambda r: (r.next_action_at, r.id),
    )
    assert warnings.overdue_callbacks_total == len(overdue)
    assert [(c.referral_id, c.due_at, c.assigned_to) for c in warnings.overdue_callbacks] == [
        (r.id, r.next_action_at, r.assigned_to) for r in overdue[:500]
    ]


@pytest.mark.parametrize("which", SCOPES)
def test_unit_activity_per_advisor_and_team(seeded: Seeded, rows: Rows, which: str) -> None:
    actor, scope = scoped(seeded, which)
    # The moment just after the seed's last call, so the day and the week both hold activity.
    now = max(a.at for a in rows.attempts) + timedelta(minutes=1)
    figures = DashboardService(seeded.db).unit_activity(actor, scope, now)
    today = london_day(now)
    assert (figures.day, figures.week_start) == (today, monday(today))
    for since, pick in ((midnight(today), "day"), (midnight(monday(today)), "week")):
        truth = activity(rows, scope.service_id, scope.team_id, since, now)
        got = {a.user_id: getattr(a, pick) for a in figures.advisors}
        for uid, counts in truth.items():
            c = got[uid]
            assert (c.calls, c.spoke, c.bookings, c.letters_queued, c.letters_printed) == (
                counts["calls"],
                counts["spoke"],
                counts["bookings"],
                counts["queued"],
                counts["printed"],
            ), (pick, uid)
            assert c.contact_rate == (
                pytest.approx(counts["spoke"] / counts["calls"]) if counts["calls"] else None
            )
        for uid, c in got.items():
            if uid not in truth:
                assert (c.calls, c.bookings, c.letters_queued, c.letters_printed) == (0, 0, 0, 0)
        team = getattr(figures, f"team_{pick}")
        assert team.calls == sum(c["calls"] for c in truth.values())
        assert team.spoke == sum(c["spoke"] for c in truth.values())
        assert team.bookings == sum(c["bookings"] for c in truth.values())
        assert team.letters_queued == sum(c["queued"] for c in truth.values())
        assert team.letters_printed == sum(c["printed"] for c in truth.values())
    assert figures.team_week.calls > 0
    if scope.team_id is not None:
        assert {rows.users[a.user_id].team_id for a in figures.advisors} == {scope.team_id}


def test_all_figures_equal_the_groups_one_by_one(seeded: Seeded, now: datetime) -> None:
    actor, scope = scoped(seeded, "team")
    service = DashboardService(seeded.db)
    everything = service.all_figures(actor, scope, now)
    assert everything.scope == scope
    assert everything.demand == service.demand(actor, scope, seeded.today)
    assert everything.waiting_list == service.waiting_list(actor, scope, seeded.today)
    assert everything.capacity == service.capacity(actor, scope, now)
    assert everything.early_warnings == service.early_warnings(actor, scope, now)
    assert everything.unit_activity == service.unit_activity(actor, scope, now)
