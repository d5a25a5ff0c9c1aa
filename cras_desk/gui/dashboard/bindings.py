"""Each dashboard figure as the screen shows it: a chart, the table beside it, and a sentence or two.

Pure functions of the service's frozen figures (cras_desk.services.dashboard.figures), so the
chart and its table are drawn from the same numbers, and a test can hold both against the figure.
Charts on a per-cent axis plot per cent (92.0), where the figures and tables hold fractions (0.92).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCharts import QChart
from PySide6.QtCore import Qt

from cras_desk.domain.clock import LONDON
from cras_desk.domain.enums import Priority, ServiceCode, SlotKind
from cras_desk.gui.dashboard import charts
from cras_desk.gui.dashboard.figure_table import Column, FigureTable, Kind
from cras_desk.gui.dashboard.warnings_panel import OpenReferral, ShowWorklist, Target
from cras_desk.services.dashboard.figures import (
    ActivityCounts,
    BacktestError,
    CapacityFigures,
    DemandFigures,
    EarlyWarnings,
    UnitActivity,
    WaitingListFigures,
)
from cras_desk.services.worklist import Scope, WorklistFilter

MODEL_TEXT = {
    "recent_mean": "the mean of the last 8 weeks",
    "seasonal_naive": "the same week a year before",
    "simple_exponential_smoothing": "simple exponential smoothing",
    "holt_linear": "Holt's linear trend",
    "holt_damped": "Holt's damped trend",
    "holt_winters_additive": "Holt-Winters (52-week season)",
}
BAND_COLOURS = (charts.GREEN, charts.LIGHT_BLUE, charts.YELLOW, charts.RED)
PRIORITY_TEXT = {Priority.URGENT: "Urgent", Priority.SOON: "Soon", Priority.ROUTINE: "Routine"}


@dataclass(frozen=True)
class ServiceName:
    service_id: int
    code: ServiceCode
    name: str


@dataclass(frozen=True)
class Bound:
    """A figure as a FigurePanel shows it."""

    chart: QChart
    table: FigureTable
    summary: str


@dataclass(frozen=True)
class BoundList:
    """An early-warning list as a WarningsPanel shows it."""

    table: FigureTable
    targets: list[Target]
    summary: str
    list_target: ShowWorklist | None = None


@dataclass(frozen=True)
class Context:
    """What the bindings need besides the figures: names, today, and the worklist scope to open into."""

    services: Mapping[int, ServiceName]
    today: date
    worklist_scope: Scope  # TEAM for a lead's own team, ALL for an admin

    def service_name(self, service_id: int) -> str:
        found = self.services.get(service_id)
        return found.name if found is not None else f"Service {service_id}"

    def service_code(self, service_id: int) -> ServiceCode | None:
        found = self.services.get(service_id)
        return found.code if found is not None else None


def plural(n: int | float, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def model_text(model: str) -> str:
    return MODEL_TEXT.get(model, model.replace("_", " "))


def backtest_text(error: BacktestError) -> str:
    mape = f", {error.mape:.1f}% of the actual" if error.mape is not None else ""
    return f"{model_text(error.model)}: off by {error.mae:.1f} referrals a week on average{mape}"


def weeks_days(days: int | None) -> str:
    if days is None:
        return "none"
    weeks, rest = divmod(days, 7)
    return f"{plural(weeks, 'week')} {plural(rest, 'day')}" if rest else plural(weeks, "week")


def _short(day: date) -> str:
    return f"{day:%d %b}"


# --- demand --------------------------------------------------------------------------------------

DEMAND_COLUMNS = (
    Column("Week of", Kind.DATE, long="Week starting (Monday)"),
    Column("Received", Kind.COUNT, long="Referrals received"),
    Column("Forecast", Kind.DECIMAL),
    Column("80% low", Kind.DECIMAL, long="80% prediction interval, lower"),
    Column("80% high", Kind.DECIMAL, long="80% prediction interval, upper"),
    Column("95% low", Kind.DECIMAL, long="95% prediction interval, lower"),
    Column("95% high", Kind.DECIMAL, long="95% prediction interval, upper"),
)


def demand(fig: DemandFigures) -> Bound:
    rows: list[list[object]] = [[w.week_start, w.count, None, None, None, None, None] for w in fig.history]
    points = fig.forecast.points if fig.forecast is not None else ()
    by_week = {p.week_start: p for p in points}
    current = fig.current_week
    if current.week_start in by_week:  # the week in progress is also forecast: one row for both
        p = by_week.pop(current.week_start)
        rows.append(
            [current.week_start, current.count, p.mean, p.lower_80, p.upper_80, p.lower_95, p.upper_95]
        )
    else:
        rows.append([current.week_start, current.count, None, None, None, None, None])
    for p in points:
        if p.week_start in by_week:
            rows.append([p.week_start, None, p.mean, p.lower_80, p.upper_80, p.lower_95, p.upper_95])
    table = FigureTable.of(DEMAND_COLUMNS, rows)  # type: ignore[arg-type]

    lines = [charts.Line("Received (complete weeks)", [(w.week_start, w.count) for w in fig.history])]
    band80 = band95 = None
    if points:
        lines.append(
            charts.Line(
                "Forecast", [(p.week_start, p.mean) for p in points], charts.DARK_GREY, Qt.PenStyle.DashLine
            )
        )
        band95 = charts.Band(
            "95% prediction interval",
            [(p.week_start, p.lower_95) for p in points],
            [(p.week_start, p.upper_95) for p in points],
            charts.LIGHT_BLUE,
        )
        band80 = charts.Band(
            "80% prediction interval",
            [(p.week_start, p.lower_80) for p in points],
            [(p.week_start, p.upper_80) for p in points],
            charts.BLUE,
        )
    chart = charts.week_lines(
        lines, charts.Axis("Referrals a week"), bands=[b for b in (band95, band80) if b]
    )

    parts = []
    last = fig.history[-1] if fig.history else None
    if last is not None:
        parts.append(f"Last complete week (from {last.week_start:%d %b}): {plural(last.count, 'referral')}.")
    parts.append(f"This week so far: {current.count:,}.")
    if fig.forecast is None or not points:
        parts.append("Not enough weeks held yet to forecast.")
    else:
        first = points[0]
        total = sum(p.mean for p in points)
        parts.append(
            f"Forecast: {first.mean:.0f} in the week from {first.week_start:%d %b} "
            f"(80%: {first.lower_80:.0f} to {first.upper_80:.0f}); {total:,.0f} over {len(points)} weeks."
        )
        if fig.forecast.backtest is not None:
            bt = fig.forecast.backtest
            parts.append(
                f"Model chosen by backtest ({plural(bt.folds, 'origin')}, 1 to {bt.horizon} weeks ahead): "
                f"{backtest_text(bt)}."
            )
        else:
            parts.append(f"Model: {model_text(fig.forecast.model)} (too few weeks to backtest).")
        others = [c for c in fig.forecast.candidates if c.model != fig.forecast.model]
        if others:
            parts.append(
                "Others tried: " + "; ".join(f"{model_text(c.model)} {c.mae:.1f}" for c in others) + "."
            )
    return Bound(chart, table, " ".join(parts))


def backtest_table(fig: DemandFigures) -> FigureTable:
    """Every candidate the backtest tried, best first: the forecast's error, beside it."""
    columns = (
        Column("Model"),
        Column("Error a week", Kind.DECIMAL, long="Mean absolute error, referrals a week"),
        Column("Error %", Kind.DECIMAL, long="Mean absolute percentage error"),
        Column("Origins", Kind.COUNT),
        Column("Weeks ahead", Kind.COUNT),
    )
    candidates = fig.forecast.candidates if fig.forecast is not None else ()
    return FigureTable.of(
        columns, [[model_text(c.model), c.mae, c.mape, c.folds, c.horizon] for c in candidates]
    )


# --- waiting list --------------------------------------------------------------------------------

BAND_COLUMNS = (Column("Weeks waited"), Column("Open referrals", Kind.COUNT), Column("Share", Kind.PERCENT))


def waiting_bands(fig: WaitingListFigures) -> Bound:
    total = fig.open_count
    rows = [[b.label, b.count, (b.count / total) if total else None] for b in fig.bands]
    table = FigureTable.of(BAND_COLUMNS, rows)
    labels = [b.label for b in fig.bands]
    sets = [
        charts.Bars(b.label, [b.count if j == i else 0 for j in range(len(fig.bands))], BAND_COLOURS[i % 4])
        for i, b in enumerate(fig.bands)
    ]
    chart = charts.bars(labels, sets, charts.Axis("Open referrals"), stacked=True)
    chart.legend().setVisible(False)  # each bar is named under it
    return Bound(chart, table, waiting_summary(fig))


def waiting_summary(fig: WaitingListFigures) -> str:
    if not fig.open_count or fig.share_within_18 is None:
        return "Nothing is open on the waiting list."
    verdict = "meets" if fig.meets_standard else "does not meet"
    return (
        f"{plural(fig.open_count, 'open referral')}: {fig.share_within_18 * 100:.1f}% within 18 weeks "
        f"({fig.within_18_weeks:,}), which {verdict} the {fig.standard_share * 100:.0f}% standard. "
        f"Median wait {weeks_days(fig.median_days)}; 92nd percentile {weeks_days(fig.p92_days)}."
    )


TREND_COLUMNS = (
    Column("As at", Kind.DATE),
    Column("Open", Kind.COUNT, long="Open referrals"),
    Column("Within 18", Kind.COUNT, long="Open referrals within 18 weeks"),
    Column("Share", Kind.PERCENT, long="Share within 18 weeks"),
    Column("Median", Kind.COUNT, long="Median wait, completed weeks"),
)


def waiting_trend(fig: WaitingListFigures) -> Bound:
    rows = [[p.as_of, p.open_count, p.within_18_weeks, p.share_within_18, p.median_weeks] for p in fig.trend]
    table = FigureTable.of(TREND_COLUMNS, rows)
    share = [(p.as_of, p.share_within_18 * 100) for p in fig.trend if p.share_within_18 is not None]
    chart = charts.week_lines(
        [charts.Line("Share within 18 weeks", share, charts.BLUE)],
        charts.Axis("Within 18 weeks", percent=True, bounds=(0, 100)),
        reference=(f"{fig.standard_share * 100:.0f}% standard", fig.standard_share * 100),
    )
    known = [p for p in fig.trend if p.share_within_18 is not None]
    if len(known) >= 2:
        first, last = known[0], known[-1]
        change = (last.share_within_18 or 0) - (first.share_within_18 or 0)
        way = "up" if change > 0 else "down" if change < 0 else "unchanged"
        text = (
            f"Over {plural(len(fig.trend) - 1, 'week')}: within 18 weeks {way} from "
            f"{(first.share_within_18 or 0) * 100:.1f}% to {(last.share_within_18 or 0) * 100:.1f}%; "
            f"open list from {first.open_count:,} to {last.open_count:,}."
        )
        below = sum(1 for p in known if (p.share_within_18 or 0) < fig.standard_share)
        text += f" Below the standard in {below} of {len(known)} weeks."
    else:
        text = "Not enough history for a trend yet."
    return Bound(chart, table, text)


# --- capacity ------------------------------------------------------------------------------------

CAPACITY_WEEK_COLUMNS = (
    Column("Week of", Kind.DATE, long="Week starting (Monday)"),
    Column("1:1", Kind.COUNT, long="Free 1:1 places"),
    Column("Group", Kind.COUNT, long="Free group places"),
    Column("Demand", Kind.DECIMAL, long="Forecast demand (new referrals)"),
    Column("Free so far", Kind.COUNT, long="Free places, cumulative"),
    Column("Need so far", Kind.DECIMAL, long="Need (waiting for a place plus forecast), cumulative"),
)


@dataclass(frozen=True)
class CapacityWeekTotal:
    week_start: date
    free_one_to_one: int
    free_group: int
    forecast_demand: float
    cumulative_free: int
    cumulative_need: float


def capacity_totals(fig: CapacityFigures) -> list[CapacityWeekTotal]:
    """The services' weeks added together (the scope's free places and need, week by week)."""
    weeks: dict[date, list[float]] = {}
    for service in fig.services:
        for w in service.weeks:
            acc = weeks.setdefault(w.week_start, [0, 0, 0.0, 0, 0.0])
            acc[0] += w.free_one_to_one
            acc[1] += w.free_group
            acc[2] += w.forecast_demand
            acc[3] += w.cumulative_free
            acc[4] += w.cumulative_need
    return [
        CapacityWeekTotal(day, int(a[0]), int(a[1]), float(a[2]), int(a[3]), float(a[4]))
        for day, a in sorted(weeks.items())
    ]


def runs_out_text(fig: CapacityFigures, ctx: Context) -> str:
    out = [
        f"{s.service_name} in the week of {s.runs_out_week:%d %b}" for s in fig.services if s.runs_out_week
    ]
    fine = [s.service_name for s in fig.services if s.runs_out_week is None]
    if not fig.services:
        return "No service in scope holds clinics."
    parts = []
    if out:
        parts.append("Capacity runs out: " + "; ".join(out) + ".")
    if fine:
        parts.append(f"Enough for the next {len(fig.services[0].weeks)} weeks: " + ", ".join(fine) + ".")
    return " ".join(parts)


def capacity_weeks(fig: CapacityFigures, ctx: Context) -> Bound:
    totals = capacity_totals(fig)
    rows = [
        [
            t.week_start,
            t.free_one_to_one,
            t.free_group,
            t.forecast_demand,
            t.cumulative_free,
            t.cumulative_need,
        ]
        for t in totals
    ]
    table = FigureTable.of(CAPACITY_WEEK_COLUMNS, rows)  # type: ignore[arg-type]
    chart = charts.bars(
        [_short(t.week_start) for t in totals],
        [
            charts.Bars("Free 1:1 places", [t.free_one_to_one for t in totals], charts.BLUE),
            charts.Bars("Free group places", [t.free_group for t in totals], charts.LIGHT_BLUE),
        ],
        charts.Axis("Places or referrals a week"),
        stacked=True,
        lines=[charts.CategoryLine("Forecast demand", [t.forecast_demand for t in totals])],
    )
    return Bound(chart, table, runs_out_text(fig, ctx))


SERVICE_CAPACITY_COLUMNS = (
    Column("Service"),
    Column("Waiting", Kind.COUNT, long="Waiting for a place now"),
    Column("Free", Kind.COUNT, long="Free places over the window"),
    Column("Need", Kind.DECIMAL, long="Need over the window (waiting plus forecast)"),
    Column("Runs out", Kind.DATE, long="Capacity runs out, week of"),
)


def capacity_services(fig: CapacityFigures, ctx: Context) -> Bound:
    """Per service over the whole window: free places against the backlog plus forecast demand."""
    rows = []
    for s in fig.services:
        last = s.weeks[-1] if s.weeks else None
        rows.append(
            [
                s.service_name,
                s.backlog,
                last.cumulative_free if last else 0,
                last.cumulative_need if last else float(s.backlog),
                s.runs_out_week,
            ]
        )
    table = FigureTable.of(SERVICE_CAPACITY_COLUMNS, rows)  # type: ignore[arg-type]
    chart = charts.bars(
        [str(r[0]) for r in rows],
        [
            charts.Bars("Free places", [float(r[2]) for r in rows], charts.BLUE),  # type: ignore[arg-type]
            charts.Bars("Need", [float(r[3]) for r in rows], charts.YELLOW),  # type: ignore[arg-type]
        ],
        charts.Axis(f"Over {len(fig.services[0].weeks) if fig.services else 0} weeks"),
    )
    weeks = len(fig.services[0].weeks) if fig.services else 0
    text = (
        f"Need is the referrals waiting for a place now plus those forecast over {plural(weeks, 'week')}. "
        + runs_out_text(fig, ctx)
    )
    return Bound(chart, table, text)


SITE_COLUMNS = (
    Column("Site"),
    Column("Service"),
    Column("1:1", Kind.COUNT, long="Free 1:1 places"),
    Column("Group", Kind.COUNT, long="Free group places"),
    Column("First free", Kind.DATE, long="First week with a free place"),
)


def capacity_sites(fig: CapacityFigures, ctx: Context) -> Bound:
    """Free places per site and service over the window, stacked by service in the chart."""
    names = {s.site_id: s.name for s in fig.sites}
    free: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    first: dict[tuple[int, int], date] = {}
    for cell in fig.cells:
        key = (cell.site_id, cell.service_id)
        free[key][0 if cell.kind is SlotKind.ONE_TO_ONE else 1] += cell.free_places
        if cell.free_places > 0 and (key not in first or cell.week_start < first[key]):
            first[key] = cell.week_start
    keys = sorted(free, key=lambda k: (names.get(k[0], ""), ctx.service_name(k[1])))
    rows = [
        [
            names.get(site, f"Site {site}"),
            ctx.service_name(svc),
            free[(site, svc)][0],
            free[(site, svc)][1],
            first.get((site, svc)),
        ]
        for site, svc in keys
    ]
    table = FigureTable.of(SITE_COLUMNS, rows)
    sites = sorted({k[0] for k in keys}, key=lambda s: names.get(s, ""))
    services = sorted({k[1] for k in keys}, key=ctx.service_name)
    sets = [
        charts.Bars(
            ctx.service_name(svc),
            [sum(free.get((site, svc), [0, 0])) for site in sites],
            charts.PALETTE[i % len(charts.PALETTE)],
        )
        for i, svc in enumerate(services)
    ]
    chart = charts.bars(
        [names.get(s, f"Site {s}") for s in sites], sets, charts.Axis("Free places"), stacked=True
    )
    empty = [names.get(s.site_id, "") for s in fig.sites if not any(k[0] == s.site_id for k in keys)]
    text = f"Free places, 1:1 and group, at {plural(len(sites), 'site')} over {_window(fig)}."
    if empty:
        text += " No free place at: " + ", ".join(sorted(empty)) + "."
    return Bound(chart, table, text)


def _window(fig: CapacityFigures) -> str:
    weeks = len(fig.services[0].weeks) if fig.services else 0
    return f"the next {plural(weeks, 'week')} from {fig.first_week:%d %b}"


# --- early warnings --------------------------------------------------------------------------------

BREACH_COLUMNS = (
    Column("Referral", Kind.ID),
    Column("Service"),
    Column("Priority"),
    Column("Breach date", Kind.DATE),
    Column("Next free", Kind.DATE, long="Next free place in the service"),
    Column("Book by", Kind.DATE, long="Last free place before the breach date"),
)


def breach_risk(fig: EarlyWarnings, ctx: Context) -> BoundList:
    risk = fig.breach_risk
    rows = [
        [
            r.referral_id,
            ctx.service_name(r.service_id),
            PRIORITY_TEXT.get(r.priority, r.priority.value),
            r.breach_on,
            r.next_free_slot_on,
            r.last_free_slot_before_breach,
        ]
        for r in risk.rows
    ]
    shown = f" (the first {len(rows):,} shown)" if len(rows) < risk.total else ""
    summary = (
        f"{plural(risk.total, 'referral')} will breach unless booked within "
        f"{plural(risk.book_within_days, 'day')}: no free place in their service after that, before "
        f"their breach date{shown}. Open one to book it."
    )
    return BoundList(
        FigureTable.of(BREACH_COLUMNS, rows),
        [OpenReferral(r.referral_id) for r in risk.rows],
        summary,
    )


GROWING_COLUMNS = (
    Column("Service"),
    Column("Weeks growing", Kind.COUNT),
    Column("Then", Kind.DECIMAL, long="Mean wait in weeks when it began to grow"),
    Column("Now", Kind.DECIMAL, long="Mean wait in weeks now"),
)


def _service_filter(ctx: Context, service_id: int, **more: object) -> WorklistFilter:
    return WorklistFilter(scope=ctx.worklist_scope, service=ctx.service_code(service_id), **more)  # type: ignore[arg-type]


def growing_waits(fig: EarlyWarnings, ctx: Context) -> BoundList:
    rows = [
        [g.service_name, g.weeks_growing, g.mean_weeks_before, g.mean_weeks_now] for g in fig.growing_waits
    ]
    targets: list[Target] = [
        ShowWorklist(_service_filter(ctx, g.service_id, to_do=True), f"{g.service_name} referrals to do")
        for g in fig.growing_waits
    ]
    if fig.growing_waits:
        summary = (
            f"{plural(len(rows), 'service')} whose mean wait has grown for 3 weeks or more: "
            + ", ".join(f"{g.service_name} ({g.weeks_growing} weeks)" for g in fig.growing_waits)
            + "."
        )
    else:
        summary = "No service's wait has grown for 3 weeks or more."
    return BoundList(FigureTable.of(GROWING_COLUMNS, rows), targets, summary)  # type: ignore[arg-type]


SHORTFALL_COLUMNS = (
    Column("Site"),
    Column("Service"),
    Column("First free", Kind.DATE, long="First free place at the site"),
    Column("First breach", Kind.DATE, long="Earliest breach date in the queue"),
    Column("Breach before", Kind.COUNT, long="Referrals breaching before the first free place"),
)


def site_shortfalls(fig: EarlyWarnings, ctx: Context) -> BoundList:
    rows = [
        [
            s.site_name,
            ctx.service_name(s.service_id),
            s.first_free_slot_on,
            s.earliest_breach_on,
            s.queue_breaching_first,
        ]
        for s in fig.site_shortfalls
    ]
    targets: list[Target] = []
    for s in fig.site_shortfalls:
        name = ctx.service_name(s.service_id)
        if s.first_free_slot_on is not None:
            # The queue that breaches before the site's first free place: breach date before that day.
            days = max((s.first_free_slot_on - ctx.today).days - 1, 0)
            what = f"{name} referrals to do breaching before {s.first_free_slot_on:%d %b}"
            targets.append(
                ShowWorklist(_service_filter(ctx, s.service_id, to_do=True, breach_within_days=days), what)
            )
        else:
            targets.append(
                ShowWorklist(_service_filter(ctx, s.service_id, to_do=True), f"{name} referrals to do")
            )
    if rows:
        summary = (
            f"{plural(len(rows), 'site')} with no free place before the breach dates of their queue: "
            f"{sum(s.queue_breaching_first for s in fig.site_shortfalls):,} referrals would breach first."
        )
    else:
        summary = "Every site has a free place before the breach dates of its queue."
    return BoundList(FigureTable.of(SHORTFALL_COLUMNS, rows), targets, summary)


CALLBACK_COLUMNS = (
    Column("Referral", Kind.ID),
    Column("Service"),
    Column("Due", long="Callback due (UK time)"),
    Column("Hours late", Kind.DECIMAL, long="Hours overdue"),
    Column("Advisor"),
)


def _when(at: datetime) -> str:
    return f"{at.astimezone(LONDON):%d %b %H:%M}"


def overdue_callbacks(fig: EarlyWarnings, ctx: Context) -> BoundList:
    rows = [
        [
            c.referral_id,
            ctx.service_name(c.service_id),
            _when(c.due_at),
            c.overdue_minutes / 60,
            c.assigned_name or "Unassigned",
        ]
        for c in fig.overdue_callbacks
    ]
    total = fig.overdue_callbacks_total
    shown = f" (the first {len(rows):,} shown)" if len(rows) < total else ""
    summary = (
        f"{plural(total, 'callback')} the patient asked for overdue{shown}."
        if total
        else "No callback is overdue."
    )
    return BoundList(
        FigureTable.of(CALLBACK_COLUMNS, rows),  # type: ignore[arg-type]
        [OpenReferral(c.referral_id) for c in fig.overdue_callbacks],
        summary,
        ShowWorklist(WorklistFilter(scope=ctx.worklist_scope, callbacks_due=True), "callbacks due now"),
    )


# --- the unit's day and week -----------------------------------------------------------------------

ACTIVITY_COLUMNS = (
    Column("Advisor"),
    Column("Calls", Kind.COUNT),
    Column("Spoke", Kind.COUNT, long="Calls answered (spoke, call back, declined)"),
    Column("Rate", Kind.PERCENT, decimals=0, long="Contact rate (spoke / calls)"),
    Column("Booked", Kind.COUNT, long="Bookings"),
    Column("Queued", Kind.COUNT, long="Letters queued"),
    Column("Printed", Kind.COUNT, long="Letters printed"),
)
TEAM_ROW = "Whole team"


def _counts_row(name: str, c: ActivityCounts) -> list[object]:
    return [name, c.calls, c.spoke, c.contact_rate, c.bookings, c.letters_queued, c.letters_printed]


def activity(fig: UnitActivity, *, week: bool) -> Bound:
    people = [(a.name, a.week if week else a.day) for a in fig.advisors]
    team = fig.team_week if week else fig.team_day
    rows = [_counts_row(name, c) for name, c in people] + [_counts_row(TEAM_ROW, team)]
    table = FigureTable.of(ACTIVITY_COLUMNS, rows)  # type: ignore[arg-type]
    names = [name for name, _ in people]
    chart = charts.bars(
        names,
        [
            charts.Bars("Calls", [c.calls for _, c in people], charts.BLUE),
            charts.Bars("Spoke", [c.spoke for _, c in people], charts.GREEN),
            charts.Bars("Bookings", [c.bookings for _, c in people], charts.YELLOW),
        ],
        charts.Axis("Calls and bookings"),
    )
    when = f"the week from {fig.week_start:%a %d %b}" if week else f"today, {fig.day:%a %d %b}"
    rate = f"{team.contact_rate * 100:.0f}%" if team.contact_rate is not None else "no calls yet"
    summary = (
        f"The team, {when}: {plural(team.calls, 'call')}, contact rate {rate}, "
        f"{plural(team.bookings, 'booking')}, {team.letters_queued:,} letters queued and "
        f"{team.letters_printed:,} printed."
    )
    return Bound(chart, table, summary)


def services_by_id(services: Sequence[ServiceName]) -> dict[int, ServiceName]:
    return {s.service_id: s for s in services}
