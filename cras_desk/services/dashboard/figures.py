"""The figures of the team lead's early-warning dashboard: what the screen shows, as frozen values.

How the screen calls it (on its worker thread; nothing here imports Qt):

    from cras_desk.services.dashboard import DashboardScope, DashboardService

    service = DashboardService(db)
    scope = DashboardScope(service_id=None, team_id=actor.team_id)   # None: all services / teams
    demand = service.demand(actor, scope, today)                      # DemandFigures
    waits = service.waiting_list(actor, scope, today)                 # WaitingListFigures
    capacity = service.capacity(actor, scope, now)                    # CapacityFigures
    warnings = service.early_warnings(actor, scope, now, book_within_days=14)  # EarlyWarnings
    unit = service.unit_activity(actor, scope, now)                   # UnitActivity
    everything = service.all_figures(actor, scope, now)               # DashboardFigures, all five
    DashboardService.prepare_forecast()  # once, early, on a worker: imports statsmodels (about 1 s)

all_figures reads everything in one session and makes each shared read once: the screen's one
call per refresh (about 0.4 s on SQLite, 0.2 s on PostgreSQL at 300,000 referrals; see
bench/dashboard_figures.py). The forecast is cached on the weekly counts it was fitted to, so a
refresh in the same week refits nothing.

`today` is London's date (cras_desk.domain.clock.today_london()); `now` an aware datetime (utcnow()).
Only team leads and admins may call these: anyone else gets PermissionDenied. A lead asking for
another team's figures (or for every team) gets PermissionDenied too; an admin may ask for any.

Weeks are Monday-to-Sunday calendar weeks (`week_start` is the Monday) for demand and capacity;
waits are in completed weeks as RTT reports them (cras_desk.domain.rtt). Referral-id lists are
ordered most pressing first and cut at `limit` rows; `total` says how many there were in all, so
"showing 500 of 2,300" can be said. Every id can be opened in the worklist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cras_desk.domain.enums import Priority, SlotKind

RTT_STANDARD_SHARE = 0.92  # the NHS Constitution standard: 92% of the open list within 18 weeks
FORECAST_WEEKS = 12
CAPACITY_WEEKS = 16
TREND_WEEKS = 26
WAIT_BAND_EDGES = (0, 6, 12, 18)  # weeks: 0-6, 6-12, 12-18, 18+


@dataclass(frozen=True, slots=True)
class DashboardScope:
    """Which part of the service the figures are for: None means all services, or all teams."""

    service_id: int | None = None
    team_id: int | None = None


# --- demand ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WeeklyCount:
    week_start: date  # a Monday
    count: int


@dataclass(frozen=True, slots=True)
class ForecastPoint:
    week_start: date
    mean: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float


@dataclass(frozen=True, slots=True)
class BacktestError:
    """A model's error over a rolling-origin backtest of `folds` origins, `horizon` weeks ahead each."""

    model: str
    mae: float  # referrals per week
    mape: float | None  # percent; None when some actual week had no referrals
    folds: int
    horizon: int


@dataclass(frozen=True, slots=True)
class DemandForecast:
    model: str  # the candidate the backtest chose, e.g. "holt_linear"
    points: tuple[ForecastPoint, ...]  # FORECAST_WEEKS weeks after the last complete week
    backtest: BacktestError | None  # the chosen model's; None when history is too short to backtest
    candidates: tuple[BacktestError, ...]  # every candidate tried, best first


@dataclass(frozen=True, slots=True)
class DemandFigures:
    history: tuple[WeeklyCount, ...]  # complete weeks only, oldest first, weeks with none as 0
    current_week: WeeklyCount  # the week in progress (partial), not used by the forecast
    forecast: DemandForecast | None  # None when fewer weeks are held than a forecast needs


# --- waiting list ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaitBand:
    label: str  # "0-6 weeks", ..., "18+ weeks"
    from_weeks: int  # completed weeks waited, inclusive
    to_weeks: int | None  # exclusive; None for the open-ended last band
    count: int


@dataclass(frozen=True, slots=True)
class WaitTrendPoint:
    """The open list as it stood at the end of `as_of` (the same weekday as today, weeks back)."""

    as_of: date
    open_count: int
    within_18_weeks: int
    share_within_18: float | None  # None when nothing was open
    median_weeks: int | None


@dataclass(frozen=True, slots=True)
class WaitingListFigures:
    as_of: date
    open_count: int
    bands: tuple[WaitBand, ...]
    within_18_weeks: int
    share_within_18: float | None  # None when nothing is open
    standard_share: float  # RTT_STANDARD_SHARE
    meets_standard: bool | None
    median_days: int | None
    p92_days: int | None  # the 92nd percentile: 92% of the open list have waited no longer
    trend: tuple[WaitTrendPoint, ...]  # TREND_WEEKS + 1 points, oldest first, ending today


# --- capacity ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapacityCell:
    """Free places in one service at one site in one week (open, unblocked slots)."""

    service_id: int
    site_id: int
    week_start: date
    kind: SlotKind
    free_places: int


@dataclass(frozen=True, slots=True)
class ServiceCapacityWeek:
    week_start: date
    free_one_to_one: int
    free_group: int
    # Forecast new referrals that week: the scope's forecast times the service's share of the last
    # 8 complete weeks' referrals (0 before a forecast can be made); this week's less those in.
    forecast_demand: float
    cumulative_free: int
    cumulative_need: float  # backlog waiting for a place + forecast referrals to the end of the week


@dataclass(frozen=True, slots=True)
class ServiceCapacity:
    service_id: int
    service_name: str
    backlog: int  # open referrals in scope without a live booking
    weeks: tuple[ServiceCapacityWeek, ...]  # CAPACITY_WEEKS, from this week's Monday
    # The week from which the service cannot keep up: booking everyone waiting and every forecast
    # referral first come, first served into the free places, the queue is never cleared again
    # from this week to the end of the 16; None when it clears by then.
    runs_out_week: date | None
    forecast_model: str | None  # the scope's forecast model the demand is shared out from


@dataclass(frozen=True, slots=True)
class SiteName:
    site_id: int
    name: str


@dataclass(frozen=True, slots=True)
class CapacityFigures:
    first_week: date
    cells: tuple[CapacityCell, ...]  # per service, site, week and kind; only cells with free places
    services: tuple[ServiceCapacity, ...]
    sites: tuple[SiteName, ...]


# --- early warnings ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BreachRiskRow:
    referral_id: int
    service_id: int
    priority: Priority
    received_on: date
    breach_on: date
    next_free_slot_on: date | None  # the service's first free place from today; None: none held
    last_free_slot_before_breach: date | None  # book by this day at the latest; None: no place in time


@dataclass(frozen=True, slots=True)
class BreachRisk:
    """Unbooked open referrals that breach unless booked within `book_within_days`.

    A referral is on the list when its service has no free place between that many days from
    today and its breach date, and its breach date falls within the slots held (later ones may
    yet have clinics released for them).
    """

    book_within_days: int
    total: int
    rows: tuple[BreachRiskRow, ...]


@dataclass(frozen=True, slots=True)
class GrowingWaitRow:
    service_id: int
    service_name: str
    weeks_growing: int  # consecutive weeks, ending this week, over which the mean wait rose
    mean_weeks_now: float
    mean_weeks_before: float  # at the start of the run


@dataclass(frozen=True, slots=True)
class SiteShortfallRow:
    site_id: int
    site_name: str
    service_id: int
    first_free_slot_on: date | None  # None: no free place within the slots held
    earliest_breach_on: date  # of the service's unbooked queue, from today on
    queue_breaching_first: int  # unbooked referrals whose breach date comes before that first place
    referral_ids: tuple[int, ...]  # those referrals, most pressing first, cut at the limit


@dataclass(frozen=True, slots=True)
class OverdueCallbackRow:
    referral_id: int
    service_id: int
    due_at: datetime
    assigned_to: int | None
    assigned_name: str | None
    overdue_minutes: int


@dataclass(frozen=True, slots=True)
class EarlyWarnings:
    breach_risk: BreachRisk
    growing_waits: tuple[GrowingWaitRow, ...]
    site_shortfalls: tuple[SiteShortfallRow, ...]
    overdue_callbacks_total: int
    overdue_callbacks: tuple[OverdueCallbackRow, ...]


# --- the unit's own day and week ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActivityCounts:
    """Calls are phone contact attempts; "spoke" counts calls the patient answered (spoke, asked for
    a call back, or declined); bookings are places taken; letters are queued and printed ones."""

    calls: int
    spoke: int
    contact_rate: float | None  # spoke / calls; None with no calls
    bookings: int
    letters_queued: int
    letters_printed: int


@dataclass(frozen=True, slots=True)
class AdvisorActivity:
    user_id: int
    name: str
    day: ActivityCounts
    week: ActivityCounts


@dataclass(frozen=True, slots=True)
class UnitActivity:
    day: date  # London's date
    week_start: date  # the Monday of its week
    advisors: tuple[AdvisorActivity, ...]  # by name
    team_day: ActivityCounts
    team_week: ActivityCounts


@dataclass(frozen=True, slots=True)
class DashboardFigures:
    scope: DashboardScope
    demand: DemandFigures
    waiting_list: WaitingListFigures
    capacity: CapacityFigures
    early_warnings: EarlyWarnings
    unit_activity: UnitActivity
