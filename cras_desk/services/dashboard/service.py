"""DashboardService: one method per figure group (figures.py says how the screen calls it).

Every figure is an aggregate the database computes (GROUP BY, COUNT, SUM, MIN, MAX); Python only
turns the few thousand aggregate rows into figures: cumulative sums, a percentile read off a
histogram of days waited, the forecast over weekly counts. all_figures reads everything in one
session and shares what several groups need (the open list's histogram, the free places).

Decisions worth knowing:
- Scope: a lead sees their own team only (as in the workload view); an admin any team or all.
  Capacity (slots) belongs to no team, so the team narrows the demand and queues set against it,
  never the free places.
- A referral's closing moment, for the 26-week trend, is its last change (updated_at) once it is
  discharged or completed: the schema keeps no separate closing date, and nothing changes a
  closed referral afterwards.
- "Unbooked" is an open referral whose status is not booked: it still needs a place.
- Free places count from now (a place this morning that has gone is no place), in unblocked
  slots, capacity - booked_count each, over the CAPACITY_WEEKS weeks from this week's Monday:
  the slots held. Weeks and days are London's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cras_desk.db.engine import Database
from cras_desk.db.models import (
    Booking,
    ContactAttempt,
    Letter,
    Referral,
    Service,
    Site,
    SiteService,
    Slot,
    User,
)
from cras_desk.db.sqlite_hints import unindexed
from cras_desk.domain.clock import LONDON
from cras_desk.domain.enums import (
    ContactChannel,
    ContactOutcome,
    Priority,
    ReferralStatus,
    Role,
    SlotKind,
    SlotStatus,
)
from cras_desk.domain.errors import PermissionDenied
from cras_desk.domain.rtt import TARGET_DAYS
from cras_desk.services import access
from cras_desk.services.actor import Actor
from cras_desk.services.dashboard import forecast
from cras_desk.services.dashboard.figures import (
    CAPACITY_WEEKS,
    FORECAST_WEEKS,
    RTT_STANDARD_SHARE,
    TREND_WEEKS,
    WAIT_BAND_EDGES,
    ActivityCounts,
    AdvisorActivity,
    BreachRisk,
    BreachRiskRow,
    CapacityCell,
    CapacityFigures,
    DashboardFigures,
    DashboardScope,
    DemandFigures,
    DemandForecast,
    EarlyWarnings,
    GrowingWaitRow,
    OverdueCallbackRow,
    ServiceCapacity,
    ServiceCapacityWeek,
    SiteName,
    SiteShortfallRow,
    UnitActivity,
    WaitBand,
    WaitingListFigures,
    WaitTrendPoint,
    WeeklyCount,
)
from cras_desk.services.dashboard.sql_days import (
    EPOCH_MONDAY,
    bucket_by_bounds,
    london_midnight,
    monday_of,
)

WITHIN_WEEKS = TARGET_DAYS[Priority.ROUTINE] // 7  # 18
SHARE_WEEKS = 8  # complete weeks whose referrals share the scope's forecast out between services
GROWING_RUN = 3  # weeks of rising waits before a service is flagged
# Patient answered: the call reached them, whatever they then said.
SPOKE_OUTCOMES = (ContactOutcome.SPOKE, ContactOutcome.CALLBACK_REQUESTED, ContactOutcome.DECLINED)

# (service id, day received, referrals)
DayRows = list[tuple[int, date, int]]
# (service id, weeks waited today, closed-at trend point or -1 for open, referrals)
TrendRows = list[tuple[int, int, int, int]]


def london_today(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def percentile(histogram: Sequence[tuple[int, int]], share: float) -> int | None:
    """Nearest-rank percentile of a sorted (value, count) histogram: the least value with at
    least `share` of the population at or below it."""
    total = sum(n for _, n in histogram)
    if total == 0:
        return None
    rank = max(1, -(-round(share * total * 1_000_000) // 1_000_000))  # ceil, float-safe
    seen = 0
    for value, n in histogram:
        seen += n
        if seen >= rank:
            return value
    return histogram[-1][0]


def _as_utc(value: Any) -> datetime | None:
    # Aggregates (MIN/MAX) come back without the column's type: text on SQLite.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _london_date(value: datetime | None) -> date | None:
    return None if value is None else value.astimezone(LONDON).date()


def _free_slot() -> ColumnElement[bool]:
    return and_(Slot.status != SlotStatus.BLOCKED, Slot.booked_count < Slot.capacity)


@dataclass(frozen=True, slots=True)
class _SlotGroup:
    """Free places of one service, site, kind and week, and the first of them (from the cut too)."""

    service_id: int
    site_id: int
    kind: SlotKind
    week: int  # 0 .. CAPACITY_WEEKS - 1
    free: int
    first_at: datetime | None
    first_after_cut: datetime | None


class _Reads:
    """The aggregate reads of one refresh, each made once however many figures use it."""

    def __init__(self, s: Session, scope: DashboardScope, today: date, now: datetime | None) -> None:
        self.s = s
        self.scope = scope
        self.today = today
        self.now = now
        self.first_week = monday_of(today)
        self.this_week = (self.first_week - EPOCH_MONDAY).days // 7
        self._memo: dict[Any, Any] = {}

    def _once(self, key: Any, make: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def referral_scope(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.scope.service_id is not None:
            conditions.append(Referral.service_id == self.scope.service_id)
        if self.scope.team_id is not None:
            # Not by ix_referrals_team on SQLite: the dashboard's covering indexes hold team_id, and
            # reading them whole beats a team's range of rows fetched and sorted one by one.
            conditions.append(unindexed(Referral.__table__.c.team_id) == self.scope.team_id)
        return conditions

    def services(self) -> dict[int, str]:
        def make() -> dict[int, str]:
            query = select(Service.id, Service.name).order_by(Service.id)
            if self.scope.service_id is not None:
                query = query.where(Service.id == self.scope.service_id)
            return {sid: name for sid, name in self.s.execute(query)}

        result: dict[int, str] = self._once("services", make)
        return result

    def received_by_day(self, open_only: bool) -> DayRows:
        """(service id, day received, referrals): the histogram every demand and wait figure reads.

        Grouped by the date itself, not a week or a day count computed per row, so the database
        reads it off a covering index in order, with no sort.
        """

        def make() -> DayRows:
            query = (
                select(Referral.service_id, Referral.received_on, func.count())
                .where(*self.referral_scope())
                .group_by(Referral.service_id, Referral.received_on)
            )
            if open_only:
                query = query.where(Referral.is_open.is_(True))
            return [(int(sid), day, int(n)) for sid, day, n in self.s.execute(query) if day <= self.today]

        rows: DayRows = self._once(("received", open_only), make)
        return rows

    def weekly(self) -> dict[int, dict[int, int]]:
        """service id -> {week index (weeks since EPOCH_MONDAY): referrals received that week}."""
        by_service: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for sid, day, n in self.received_by_day(open_only=False):
            by_service[sid][(day - EPOCH_MONDAY).days // 7] += n
        return by_service

    def demand_forecast(self) -> tuple[list[WeeklyCount], WeeklyCount, DemandForecast | None]:
        def make() -> tuple[list[WeeklyCount], WeeklyCount, DemandForecast | None]:
            history, current = weekly_history(self.weekly().values(), self.this_week)
            counts = [w.count for w in history]
            days = [day for _sid, day, _n in self.received_by_day(open_only=False)]
            if history and min(days) > history[0].week_start:
                # The records begin mid-week: that week's count is not a week's demand.
                counts = counts[1:]
            made = forecast.forecast_weeks(counts, current.week_start, FORECAST_WEEKS)
            return history, current, made

        result: tuple[list[WeeklyCount], WeeklyCount, DemandForecast | None] = self._once("forecast", make)
        return result

    def trend_rows(self) -> TrendRows:
        """(service id, weeks waited today, closed-at index, count) over the trend's window.

        The closed-at index c says the referral was already closed at the trend points 0..c
        (point j is the end of London's day j weeks before today); -1: still open. Referrals
        closed before the first point are on none of them and are left out.
        """

        def make() -> TrendRows:
            today = self.today
            ends = [
                london_midnight(today - timedelta(weeks=j) + timedelta(days=1))
                for j in range(TREND_WEEKS + 1)
            ]
            # Ascending bounds: bucket i is "closed before ends[TREND_WEEKS - 1 - i]", after the
            # one before it; so c = TREND_WEEKS - 1 - i.
            bucket = bucket_by_bounds(Referral.updated_at, list(reversed(ends)))
            closed = self.s.execute(
                select(Referral.service_id, Referral.received_on, bucket, func.count())
                .where(
                    Referral.is_open.is_(False),
                    Referral.updated_at >= ends[TREND_WEEKS],
                    *self.referral_scope(),
                )
                # The bucket first: no index order serves this grouping, so SQLite plans by the
                # WHERE and reads the covering ix_referrals_dash_closed (half the time of the
                # open-list index, whose order it would otherwise try to use).
                .group_by(bucket, Referral.service_id, Referral.received_on)
            )
            merged: dict[tuple[int, int, int], int] = defaultdict(int)
            for sid, day, i, n in closed:
                if day > today:
                    continue
                # Bucket -1 here is a closing after today's end (the WHERE leaves out the earlier
                # ones): open at every point of the trend.
                c = -1 if int(i) < 0 else TREND_WEEKS - 1 - int(i)
                merged[(int(sid), (today - day).days // 7, c)] += int(n)
            for sid, day, n in self.received_by_day(open_only=True):
                merged[(sid, (today - day).days // 7, -1)] += n
            return [(sid, weeks, c, n) for (sid, weeks, c), n in merged.items()]

        rows: TrendRows = self._once("trend", make)
        return rows

    # -- slots --------------------------------------------------------------------------------

    def window_end(self) -> datetime:
        return london_midnight(self.first_week + timedelta(weeks=CAPACITY_WEEKS))

    def slot_groups(self, cut: datetime | None) -> list[_SlotGroup]:
        """Free places per service, site, kind and week of the slots held, with the first free
        place of each group, and the first from `cut` on."""

        def make() -> list[_SlotGroup]:
            assert self.now is not None
            bounds = [
                london_midnight(self.first_week + timedelta(weeks=k)) for k in range(CAPACITY_WEEKS + 1)
            ]
            week = bucket_by_bounds(Slot.starts_at, bounds)
            after_cut = func.min(case((Slot.starts_at >= cut, Slot.starts_at))) if cut is not None else None
            columns: list[Any] = [
                Slot.service_id,
                Slot.site_id,
                Slot.kind,
                week,
                func.sum(Slot.capacity - Slot.booked_count),
                func.min(Slot.starts_at),
            ]
            if after_cut is not None:
                columns.append(after_cut)
            query = (
                select(*columns)
                .where(Slot.starts_at >= self.now, Slot.starts_at < bounds[-1], _free_slot())
                .group_by(Slot.service_id, Slot.site_id, Slot.kind, week)
            )
            if self.scope.service_id is not None:
                query = query.where(Slot.service_id == self.scope.service_id)
            groups = []
            for row in self.s.execute(query):
                if int(row[3]) < 0:
                    continue
                groups.append(
                    _SlotGroup(
                        int(row[0]),
                        int(row[1]),
                        SlotKind(row[2]),
                        int(row[3]),
                        int(row[4]),
                        _as_utc(row[5]),
                        _as_utc(row[6]) if after_cut is not None else None,
                    )
                )
            return groups

        result: list[_SlotGroup] = self._once(("slots", cut), make)
        return result

    def last_slot_held(self) -> datetime | None:
        """The start of the last slot of any kind or state: how far ahead clinics are released."""
        return _as_utc(self.s.scalar(select(func.max(Slot.starts_at))))

    def unbooked_where(self) -> list[ColumnElement[bool]]:
        return [
            Referral.is_open.is_(True),
            Referral.status != ReferralStatus.BOOKED,
            *self.referral_scope(),
        ]


def weekly_history(weekly: Iterable[dict[int, int]], this_week: int) -> tuple[list[WeeklyCount], WeeklyCount]:
    """Complete weeks from the first with a referral to last week (empty ones as 0), and this week."""
    merged: dict[int, int] = defaultdict(int)
    for counts in weekly:
        for index, n in counts.items():
            merged[index] += n
    complete = [i for i in merged if i < this_week]
    history: list[WeeklyCount] = []
    if complete:
        history = [
            WeeklyCount(EPOCH_MONDAY + timedelta(weeks=i), merged.get(i, 0))
            for i in range(min(complete), this_week)
        ]
    current = WeeklyCount(EPOCH_MONDAY + timedelta(weeks=this_week), merged.get(this_week, 0))
    return history, current


def open_at(rows: Iterable[tuple[int, int, int, int]], j: int) -> dict[int, int]:
    """Weeks waited -> referrals, for the open list as it stood at trend point j."""
    histogram: dict[int, int] = defaultdict(int)
    for _service, weeks, closed_at, n in rows:
        if weeks >= j and (closed_at == -1 or closed_at < j):
            histogram[weeks - j] += n
    return histogram


class DashboardService:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def prepare_forecast() -> None:
        """Load the forecasting libraries ahead of the first figures (on a worker thread): they take
        a second or more to import, which the first paint of the dashboard need not wait for."""
        forecast.prepare()

    # -- scope --------------------------------------------------------------------------------

    @staticmethod
    def _check(actor: Actor, scope: DashboardScope) -> DashboardScope:
        actor.require(Role.TEAM_LEAD, action="see the dashboard")
        if actor.role is Role.ADMIN:
            return scope
        if actor.team_id is None:
            raise PermissionDenied("You are not in a team, so there is no team dashboard to show.")
        if scope.team_id != actor.team_id:
            raise PermissionDenied("A team lead can only see their own team's figures.")
        return scope

    # -- the public figures ---------------------------------------------------------------------

    def demand(self, actor: Actor, scope: DashboardScope, today: date) -> DemandFigures:
        scope = self._check(actor, scope)
        with self.db.read() as s:
            access.caller(s, actor)
            return self._demand(_Reads(s, scope, today, None))

    def waiting_list(self, actor: Actor, scope: DashboardScope, today: date) -> WaitingListFigures:
        scope = self._check(actor, scope)
        with self.db.read() as s:
            access.caller(s, actor)
            return self._waiting_list(_Reads(s, scope, today, None))

    def capacity(self, actor: Actor, scope: DashboardScope, now: datetime) -> CapacityFigures:
        scope = self._check(actor, scope)
        with self.db.read() as s:
            access.caller(s, actor)
            return self._capacity(_Reads(s, scope, london_today(now), now), None)

    def early_warnings(
        self,
        actor: Actor,
        scope: DashboardScope,
        now: datetime,
        book_within_days: int = 14,
        limit: int = 500,
    ) -> EarlyWarnings:
        scope = self._check(actor, scope)
        with self.db.read() as s:
            access.caller(s, actor)
            return self._early_warnings(_Reads(s, scope, london_today(now), now), book_within_days, limit)

    def all_figures(
        self, actor: Actor, scope: DashboardScope, now: datetime, book_within_days: int = 14, limit: int = 500
    ) -> DashboardFigures:
        """Every figure group from one session, each shared read made once."""
        scope = self._check(actor, scope)
        with self.db.read() as s:
            access.caller(s, actor)
            reads = _Reads(s, scope, london_today(now), now)
            cut = self._cut(reads, book_within_days)
            figures = (
                self._demand(reads),
                self._waiting_list(reads),
                self._capacity(reads, cut),
                self._early_warnings(reads, book_within_days, limit),
            )
        return DashboardFigures(scope, *figures, self.unit_activity(actor, scope, now))

    # -- demand ---------------------------------------------------------------------------------

    @staticmethod
    def _demand(reads: _Reads) -> DemandFigures:
        history, current, made = reads.demand_forecast()
        return DemandFigures(tuple(history), current, made)

    # -- waiting list ---------------------------------------------------------------------------

    @staticmethod
    def _waiting_list(reads: _Reads) -> WaitingListFigures:
        today = reads.today
        days: dict[int, int] = defaultdict(int)
        for _sid, day, n in reads.received_by_day(open_only=True):
            days[(today - day).days] += n
        histogram = sorted(days.items())
        open_count = sum(n for _, n in histogram)
        edges: list[int | None] = [*WAIT_BAND_EDGES, None]
        bands = []
        for low, high in pairwise(edges):
            assert low is not None
            count = sum(n for d, n in histogram if d // 7 >= low and (high is None or d // 7 < high))
            label = f"{low}-{high} weeks" if high is not None else f"{low}+ weeks"
            bands.append(WaitBand(label, low, high, count))
        within = sum(n for d, n in histogram if d // 7 < WITHIN_WEEKS)
        share = within / open_count if open_count else None
        trend_rows = reads.trend_rows()
        trend = []
        for j in range(TREND_WEEKS, -1, -1):
            at = open_at(trend_rows, j)
            total = sum(at.values())
            inside = sum(n for w, n in at.items() if w < WITHIN_WEEKS)
            trend.append(
                WaitTrendPoint(
                    today - timedelta(weeks=j),
                    total,
                    inside,
                    inside / total if total else None,
                    percentile(sorted(at.items()), 0.5),
                )
            )
        return WaitingListFigures(
            as_of=today,
            open_count=open_count,
            bands=tuple(bands),
            within_18_weeks=within,
            share_within_18=share,
            standard_share=RTT_STANDARD_SHARE,
            meets_standard=None if share is None else share >= RTT_STANDARD_SHARE,
            median_days=percentile(histogram, 0.5),
            p92_days=percentile(histogram, RTT_STANDARD_SHARE),
            trend=tuple(trend),
        )

    # -- capacity -------------------------------------------------------------------------------

    def _capacity(self, reads: _Reads, cut: datetime | None) -> CapacityFigures:
        s = reads.s
        first_week = reads.first_week
        services = reads.services()
        groups = reads.slot_groups(cut)
        cells = tuple(
            CapacityCell(g.service_id, g.site_id, first_week + timedelta(weeks=g.week), g.kind, g.free)
            for g in sorted(groups, key=lambda g: (g.service_id, g.site_id, g.week, g.kind))
        )
        backlog = {
            int(sid): int(n)
            for sid, n in s.execute(
                select(Referral.service_id, func.count())
                .where(*reads.unbooked_where())
                .group_by(Referral.service_id)
            )
        }
        site_ids = sorted({c.site_id for c in cells})
        sites: list[SiteName] = []
        if site_ids:
            sites = [
                SiteName(sid, name)
                for sid, name in s.execute(
                    select(Site.id, Site.name).where(Site.id.in_(site_ids)).order_by(Site.id)
                )
            ]
        weekly = reads.weekly()
        _history, _current, made = reads.demand_forecast()
        recent = range(reads.this_week - SHARE_WEEKS, reads.this_week)
        recent_by_service = {sid: sum(weekly.get(sid, {}).get(i, 0) for i in recent) for sid in services}
        recent_total = sum(recent_by_service.values())
        out = []
        for sid, name in services.items():
            # One forecast for the scope, shared out by each service's part of the recent weeks:
            # a model per service would fit on counts too small to forecast, and cost a fit each.
            share = recent_by_service[sid] / recent_total if recent_total else 0.0
            arrived = weekly.get(sid, {}).get(reads.this_week, 0)
            out.append(
                service_capacity(sid, name, first_week, cells, backlog.get(sid, 0), made, share, arrived)
            )
        return CapacityFigures(first_week, cells, tuple(out), tuple(sites))

    # -- early warnings -------------------------------------------------------------------------

    @staticmethod
    def _cut(reads: _Reads, book_within_days: int) -> datetime:
        """The start of the first day past the booking window."""
        return london_midnight(reads.today + timedelta(days=book_within_days + 1))

    def _early_warnings(self, reads: _Reads, book_within_days: int, limit: int) -> EarlyWarnings:
        if book_within_days < 0:
            raise ValueError("book_within_days cannot be negative")
        cut = self._cut(reads, book_within_days)
        total, callbacks = self._overdue_callbacks(reads, limit)
        return EarlyWarnings(
            self._breach_risk(reads, cut, book_within_days, limit),
            tuple(self._growing(reads)),
            tuple(self._site_shortfalls(reads, cut, limit)),
            total,
            tuple(callbacks),
        )

    @staticmethod
    def _breach_risk(reads: _Reads, cut: datetime, within: int, limit: int) -> BreachRisk:
        s, today = reads.s, reads.today
        assert reads.now is not None
        window_end = today + timedelta(days=within)
        groups = reads.slot_groups(cut)
        last = _london_date(reads.last_slot_held())
        held_until = reads.first_week + timedelta(weeks=CAPACITY_WEEKS, days=-1)
        if last is not None:
            held_until = min(held_until, last)
        # Breach dates past the slots held are not judged: clinics may yet be released for them.
        horizon = max(window_end, held_until)
        conditions = []
        first_free: dict[int, date | None] = {}
        for sid in reads.services():
            mine = [g for g in groups if g.service_id == sid]
            starts = [g.first_at for g in mine if g.first_at is not None]
            first_free[sid] = _london_date(min(starts)) if starts else None
            after = [g.first_after_cut for g in mine if g.first_after_cut is not None]
            upper = horizon
            if after:
                first_after = _london_date(min(after))
                assert first_after is not None
                upper = min(upper, first_after - timedelta(days=1))
            conditions.append(and_(Referral.service_id == sid, Referral.breach_on <= upper))
        if not conditions:
            return BreachRisk(within, 0, ())
        where = [*reads.unbooked_where(), Referral.breach_on >= today, or_(*conditions)]
        total = int(s.scalar(select(func.count()).select_from(Referral).where(*where)) or 0)
        rows = s.execute(
            select(
                Referral.id, Referral.service_id, Referral.priority, Referral.received_on, Referral.breach_on
            )
            .where(*where)
            .order_by(Referral.breach_on, Referral.priority_rank, Referral.id)
            .limit(limit)
        ).all()
        # The days with a free place inside the window: by when each listed referral must be booked.
        days_free: dict[int, set[date]] = defaultdict(set)
        for sid, at in s.execute(
            select(Slot.service_id, Slot.starts_at)
            .where(Slot.starts_at >= reads.now, Slot.starts_at < cut, _free_slot())
            .group_by(Slot.service_id, Slot.starts_at)
        ):
            days_free[int(sid)].add(at.astimezone(LONDON).date())
        out = []
        for rid, sid, priority, received, breach in rows:
            before = [d for d in days_free.get(sid, ()) if d <= breach]
            out.append(
                BreachRiskRow(
                    rid,
                    sid,
                    Priority(priority),
                    received,
                    breach,
                    first_free.get(sid),
                    max(before) if before else None,
                )
            )
        return BreachRisk(within, total, tuple(out))

    @staticmethod
    def _growing(reads: _Reads) -> list[GrowingWaitRow]:
        trend_rows = reads.trend_rows()
        out = []
        for sid, name in reads.services().items():
            rows = [r for r in trend_rows if r[0] == sid]
            means: list[float | None] = []
            for j in range(TREND_WEEKS + 1):  # 0 is today, j weeks back
                at = open_at(rows, j)
                total = sum(at.values())
                means.append(sum(w * n for w, n in at.items()) / total if total else None)
            run = 0
            while run < TREND_WEEKS:
                now_mean, before = means[run], means[run + 1]
                if now_mean is None or before is None or not now_mean > before:
                    break
                run += 1
            if run >= GROWING_RUN:
                now_value, start_value = means[0], means[run]
                assert now_value is not None and start_value is not None
                out.append(GrowingWaitRow(sid, name, run, now_value, start_value))
        out.sort(key=lambda r: (-r.weeks_growing, r.service_id))
        return out

    @staticmethod
    def _site_shortfalls(reads: _Reads, cut: datetime, limit: int) -> list[SiteShortfallRow]:
        s, today = reads.s, reads.today
        first_free: dict[tuple[int, int], datetime] = {}
        for g in reads.slot_groups(cut):
            key = (g.site_id, g.service_id)
            if g.first_at is not None and (key not in first_free or g.first_at < first_free[key]):
                first_free[key] = g.first_at
        offered_q = select(SiteService.site_id, SiteService.service_id, Site.name).join(
            Site, Site.id == SiteService.site_id
        )
        if reads.scope.service_id is not None:
            offered_q = offered_q.where(SiteService.service_id == reads.scope.service_id)
        offered = s.execute(offered_q.order_by(SiteService.site_id, SiteService.service_id)).all()
        queue_where = [*reads.unbooked_where(), Referral.breach_on >= today]
        queue: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for sid, breach, n in s.execute(
            select(Referral.service_id, Referral.breach_on, func.count())
            .where(*queue_where)
            .group_by(Referral.service_id, Referral.breach_on)
            .order_by(Referral.service_id, Referral.breach_on)
        ):
            queue[int(sid)].append((breach, int(n)))
        # The most pressing of each service's queue, once: every site's list is a prefix of it.
        heads: dict[int, list[tuple[int, date]]] = {}
        for sid in {sid for _site, sid, _name in offered if sid in queue}:
            heads[sid] = [
                (int(rid), breach)
                for rid, breach in s.execute(
                    select(Referral.id, Referral.breach_on)
                    .where(*queue_where, Referral.service_id == sid)
                    .order_by(Referral.breach_on, Referral.priority_rank, Referral.id)
                    .limit(limit)
                )
            ]
        out = []
        for site_id, sid, site_name in offered:
            waiting = queue.get(sid)
            if not waiting:
                continue
            first_day = _london_date(first_free.get((site_id, sid)))
            before = sum(n for b, n in waiting if first_day is None or b < first_day)
            if before == 0:
                continue
            ids = tuple(rid for rid, b in heads.get(sid, []) if first_day is None or b < first_day)
            out.append(SiteShortfallRow(site_id, site_name, sid, first_day, waiting[0][0], before, ids))
        out.sort(key=lambda r: (-r.queue_breaching_first, r.site_id, r.service_id))
        return out

    @staticmethod
    def _overdue_callbacks(reads: _Reads, limit: int) -> tuple[int, list[OverdueCallbackRow]]:
        s, now = reads.s, reads.now
        assert now is not None
        where = [
            Referral.is_open.is_(True),
            Referral.status == ReferralStatus.CALLBACK,
            Referral.next_action_at < now,
            *reads.referral_scope(),
        ]
        total = int(s.scalar(select(func.count()).select_from(Referral).where(*where)) or 0)
        rows = s.execute(
            select(
                Referral.id,
                Referral.service_id,
                Referral.next_action_at,
                Referral.assigned_to,
                User.full_name,
            )
            .outerjoin(User, User.id == Referral.assigned_to)
            .where(*where)
            .order_by(Referral.next_action_at, Referral.id)
            .limit(limit)
        ).all()
        return total, [
            OverdueCallbackRow(rid, sid, due, uid, name, int((now - due).total_seconds() // 60))
            for rid, sid, due, uid, name in rows
            if due is not None  # the WHERE holds it; for the type checker
        ]

    # -- the unit's day and week ----------------------------------------------------------------

    def unit_activity(self, actor: Actor, scope: DashboardScope, now: datetime) -> UnitActivity:
        scope = self._check(actor, scope)
        today = london_today(now)
        week_start = monday_of(today)
        day_from, week_from = london_midnight(today), london_midnight(week_start)
        counts: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))

        def add(rows: Iterable[Any], *names: str) -> None:
            for uid, in_day, *values in rows:
                if uid is None:
                    continue
                for name, value in zip(names, values, strict=True):
                    bucket = counts[int(uid)][name]
                    bucket[1] += int(value)  # the week
                    if in_day:
                        bucket[0] += int(value)

        def narrowed(query: Any, referral_id: Any, user_id: Any) -> Any:
            if scope.service_id is not None:
                query = query.join(Referral, Referral.id == referral_id).where(
                    Referral.service_id == scope.service_id
                )
            if scope.team_id is not None:
                query = query.join(User, User.id == user_id).where(User.team_id == scope.team_id)
            return query

        with self.db.read() as s:
            access.caller(s, actor)
            in_day = case((ContactAttempt.at >= day_from, 1), else_=0)
            add(
                s.execute(
                    narrowed(
                        select(
                            ContactAttempt.user_id,
                            in_day,
                            func.count(),
                            func.sum(case((ContactAttempt.outcome.in_(SPOKE_OUTCOMES), 1), else_=0)),
                        )
                        .where(
                            ContactAttempt.at >= week_from,
                            ContactAttempt.at <= now,
                            ContactAttempt.channel == ContactChannel.PHONE,
                        )
                        .group_by(ContactAttempt.user_id, in_day),
                        ContactAttempt.referral_id,
                        ContactAttempt.user_id,
                    )
                ),
                "calls",
                "spoke",
            )
            # Bookings made, letters queued and letters printed: the same count, each by its own
            # moment and its own person.
            for at, who, referral, label in (
                (Booking.booked_at, Booking.booked_by, Booking.referral_id, "bookings"),
                (Letter.created_at, Letter.created_by, Letter.referral_id, "queued"),
                (Letter.printed_at, Letter.printed_by, Letter.referral_id, "printed"),
            ):
                on_day = case((at >= day_from, 1), else_=0)
                counted = (
                    select(who, on_day, func.count()).where(at >= week_from, at <= now).group_by(who, on_day)
                )
                add(s.execute(narrowed(counted, referral, who)), label)
            members = select(User.id, User.full_name).where(
                User.active.is_(True), User.role.in_((Role.ADVISOR, Role.TEAM_LEAD))
            )
            if scope.team_id is not None:
                members = members.where(User.team_id == scope.team_id)
            people = {uid: name for uid, name in s.execute(members)}
            missing = [uid for uid in counts if uid not in people]
            if missing:
                people.update(
                    dict(s.execute(select(User.id, User.full_name).where(User.id.in_(missing))).all())
                )

        def figures(uid: int | None, index: int) -> ActivityCounts:
            chosen = [counts[uid]] if uid is not None else list(counts.values())

            def total(name: str) -> int:
                return sum(c[name][index] for c in chosen if name in c)

            calls, spoke = total("calls"), total("spoke")
            return ActivityCounts(
                calls,
                spoke,
                spoke / calls if calls else None,
                total("bookings"),
                total("queued"),
                total("printed"),
            )

        advisors = [
            AdvisorActivity(uid, name, figures(uid, 0), figures(uid, 1))
            for uid, name in sorted(people.items(), key=lambda p: (p[1].casefold(), p[0]))
        ]
        return UnitActivity(today, week_start, tuple(advisors), figures(None, 0), figures(None, 1))


def service_capacity(
    service_id: int,
    name: str,
    first_week: date,
    cells: Sequence[CapacityCell],
    backlog: int,
    made: DemandForecast | None,
    share: float,
    arrived_this_week: int,
) -> ServiceCapacity:
    """One service's free places week by week against its backlog and forecast referrals."""
    expected: dict[date, float] = {}
    last = 0.0
    if made is not None:
        expected = {p.week_start: p.mean * share for p in made.points}
        # The forecast runs 12 weeks; beyond it, the last forecast week is carried on.
        last = made.points[-1].mean * share
    weeks = []
    cumulative_free = 0
    cumulative_need = float(backlog)
    queue = float(backlog)  # still waiting after each week's free places are taken, first come
    left: list[float] = []
    for k in range(CAPACITY_WEEKS):
        week = first_week + timedelta(weeks=k)
        mine = [c for c in cells if c.service_id == service_id and c.week_start == week]
        one = sum(c.free_places for c in mine if c.kind is SlotKind.ONE_TO_ONE)
        group = sum(c.free_places for c in mine if c.kind is SlotKind.GROUP)
        if made is None:
            demand = 0.0
        elif k == 0:
            # This week's forecast, less the referrals already in (they are in the backlog).
            demand = max(0.0, expected.get(week, last) - arrived_this_week)
        else:
            demand = expected.get(week, last)
        cumulative_free += one + group
        cumulative_need += demand
        queue += demand
        queue -= min(queue, one + group)
        left.append(queue)
        weeks.append(ServiceCapacityWeek(week, one, group, demand, cumulative_free, cumulative_need))
    return ServiceCapacity(
        service_id,
        name,
        backlog,
        tuple(weeks),
        _runs_out(first_week, left),
        None if made is None else made.model,
    )


def _runs_out(first_week: date, left: Sequence[float]) -> date | None:
    """The first week of the run of weeks, to the end, after which people are still waiting."""
    if not left or left[-1] <= 0:
        return None
    k = len(left) - 1
    while k > 0 and left[k - 1] > 0:
        k -= 1
    return first_week + timedelta(weeks=k)
