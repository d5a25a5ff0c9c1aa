"""The dashboard screen on a real database: what it paints is the service's figures, in chart and table.

The figures themselves are checked against independent computations in the service's own tests;
here the screen is held against the service: each chart's points and each table's cells are
compared with the figure the service returns for the same scope, the exports are read back, and
the screen is driven as a lead would (scope, F5, a change made elsewhere, an early warning opened).
"""

from __future__ import annotations

import csv
import os
import stat
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from desk_helpers import WAIT, add_referrals, drain
from desk_window import open_window
from live_helpers import change_watch, other_desk, seen_by
from PySide6.QtCharts import QAbstractBarSeries, QAreaSeries, QBarCategoryAxis, QChart, QLineSeries
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractScrollArea, QFileDialog, QLabel, QScrollArea, QTableView, QWidget
from sqlalchemy import select, update

from cras_desk.db.models import ContactAttempt, Referral, Service, User
from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import ContactChannel, ContactOutcome, ReferralStatus, ServiceCode, SlotKind
from cras_desk.gui.dashboard.charts import day_of
from cras_desk.gui.dashboard.figure_panel import FigurePanel
from cras_desk.gui.dashboard.figure_table import VALUE_ROLE, FigureTable
from cras_desk.gui.dashboard.view import DashboardView
from cras_desk.gui.dashboard.warnings_panel import OpenReferral, ShowWorklist, WarningsPanel
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.announcer import Announcer
from cras_desk.services.dashboard import DashboardScope, DashboardService
from cras_desk.services.worklist import Scope

from a11y_tree import problems  # isort: skip

LEAD = "lena"  # East's team lead in tests/world.py
APPROX = 1e-6


# --- data ------------------------------------------------------------------------------------------


def busy_world(world) -> None:
    """The small world, plus half a year of East's physiotherapy referrals (enough weeks to forecast),
    two callbacks now overdue and a week of calls by Amy and Ben."""
    ids = add_referrals(world.db, 160, assignee="amy", seed=11)
    now = utcnow()
    with world.db.write() as s:
        for rid in ids[:2]:
            s.execute(
                update(Referral)
                .where(Referral.id == rid)
                .values(status=ReferralStatus.CALLBACK, next_action_at=now - timedelta(hours=3))
            )
        users = {u.username: u.id for u in s.scalars(select(User))}
        for i, rid in enumerate(ids[10:40]):
            s.add(
                ContactAttempt(
                    referral_id=rid,
                    at=now - timedelta(minutes=5 + i),
                    user_id=users["amy" if i % 3 else "ben"],
                    channel=ContactChannel.PHONE,
                    outcome=ContactOutcome.SPOKE if i % 2 else ContactOutcome.NO_ANSWER,
                )
            )


def open_dashboard(qtbot, ctx: DeskContext, size: tuple[int, int] = (1366, 720)) -> DashboardView:
    view = DashboardView(ctx)
    qtbot.addWidget(view)
    view.resize(*size)
    with qtbot.waitSignal(view.figures_painted, timeout=60_000):
        view.show()
    drain(qtbot, ctx)
    return view


def reloaded(qtbot, view: DashboardView, action) -> None:
    before = view.loads_finished
    action()
    qtbot.waitUntil(lambda: view.loads_finished > before, timeout=60_000)
    drain(qtbot, view.ctx)


# --- reading what was painted ----------------------------------------------------------------------


def line(chart: QChart, name: str) -> list[tuple[date, float]]:
    for series in chart.series():
        if isinstance(series, QLineSeries) and series.name() == name:
            return [(day_of(p.x()), p.y()) for p in series.points()]
    raise AssertionError(f"no line {name!r} in {[s.name() for s in chart.series()]}")


def area(chart: QChart, name: str) -> tuple[list[tuple[date, float]], list[tuple[date, float]]]:
    for series in chart.series():
        if isinstance(series, QAreaSeries) and series.name() == name:
            return (
                [(day_of(p.x()), p.y()) for p in series.lowerSeries().points()],
                [(day_of(p.x()), p.y()) for p in series.upperSeries().points()],
            )
    raise AssertionError(f"no band {name!r}")


def bars(chart: QChart) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for series in chart.series():
        if isinstance(series, QAbstractBarSeries):
            for bar_set in series.barSets():
                found[bar_set.label()] = [bar_set.at(i) for i in range(bar_set.count())]
    return found


def categories(chart: QChart) -> list[str]:
    axis = next(a for a in chart.axes(Qt.Orientation.Horizontal) if isinstance(a, QBarCategoryAxis))
    return list(axis.categories())


def shown(table_view: QTableView) -> FigureTable:
    """The table as its view's model gives it, cell by cell (not the FigureTable it was set from)."""
    model = table_view.model()
    columns = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    rows = [
        tuple(model.index(r, c).data(VALUE_ROLE) for c in range(model.columnCount()))
        for r in range(model.rowCount())
    ]
    return FigureTable(tuple(columns), tuple(rows))  # type: ignore[arg-type]


def col(table: FigureTable, heading: str) -> list:
    at = list(table.columns).index(heading)
    return [row[at] for row in table.rows]


def close(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        (x is None and y is None) or (x is not None and y is not None and abs(float(x) - float(y)) < APPROX)
        for x, y in zip(a, b, strict=True)
    )


# --- every figure, painted as the service gives it -----------------------------------------------


def test_every_figure_painted_is_the_services_figure(qtbot, world, make_desk) -> None:
    busy_world(world)
    ctx = make_desk(world, LEAD)
    view = open_dashboard(qtbot, ctx)
    lead = world.actor(LEAD)
    scope = DashboardScope(None, lead.team_id)
    service = DashboardService(world.db)
    today = today_london()
    assert view.scope() == scope
    assert not view.banner.isVisible(), view.banner.text()

    # Demand: the history line, the forecast line and both bands, and the same weeks in the table.
    demand = service.demand(lead, scope, today)
    assert view.figures()["demand"] == demand
    assert demand.forecast is not None and demand.forecast.points, (
        "half a year of weeks is enough to forecast"
    )
    chart = view.demand.chart
    assert line(chart, "Received (complete weeks)") == [(w.week_start, w.count) for w in demand.history]
    points = demand.forecast.points
    forecast = line(chart, "Forecast")
    assert [d for d, _ in forecast] == [p.week_start for p in points]
    assert close([v for _, v in forecast], [p.mean for p in points])
    low80, high80 = area(chart, "80% prediction interval")
    assert close([v for _, v in low80], [p.lower_80 for p in points])
    assert close([v for _, v in high80], [p.upper_80 for p in points])
    low95, high95 = area(chart, "95% prediction interval")
    assert close([v for _, v in low95], [p.lower_95 for p in points])
    assert close([v for _, v in high95], [p.upper_95 for p in points])
    table = shown(view.demand.table)
    weeks = col(table, "Week of")
    received = dict(zip(weeks, col(table, "Received"), strict=True))
    for w in demand.history:
        assert received[w.week_start] == w.count
    assert received[demand.current_week.week_start] == demand.current_week.count
    by_week = dict(zip(weeks, col(table, "Forecast"), strict=True))
    assert close([by_week[p.week_start] for p in points], [p.mean for p in points])
    high = dict(zip(weeks, col(table, "95% high"), strict=True))
    assert close([high[p.week_start] for p in points], [p.upper_95 for p in points])
    # The backtest's error beside it: every candidate, and the chosen one named in words.
    backtest = shown(view.backtest.table)
    assert close(col(backtest, "Error a week"), [c.mae for c in demand.forecast.candidates])
    assert demand.forecast.backtest is not None
    assert f"{demand.forecast.backtest.mae:.1f}" in view.demand.summary.text()

    # The waiting list: bands, share within 18 weeks against 92%, median and 92nd percentile, trend.
    waits = service.waiting_list(lead, scope, today)
    assert view.figures()["waiting_list"] == waits
    table = shown(view.wait_bands.table)
    assert col(table, "Weeks waited") == [b.label for b in waits.bands]
    assert col(table, "Open referrals") == [b.count for b in waits.bands]
    assert categories(view.wait_bands.chart) == [b.label for b in waits.bands]
    painted = bars(view.wait_bands.chart)
    assert [sum(painted[b.label]) for b in waits.bands] == [b.count for b in waits.bands]
    assert waits.share_within_18 is not None
    summary = view.wait_bands.summary.text()
    assert f"{waits.share_within_18 * 100:.1f}% within 18 weeks" in summary
    assert f"{waits.open_count:,} open referrals" in summary
    assert "92% standard" in summary
    assert waits.median_days is not None and f"{waits.median_days // 7} week" in summary
    trend = shown(view.wait_trend.table)
    assert col(trend, "As at") == [p.as_of for p in waits.trend]
    assert col(trend, "Open") == [p.open_count for p in waits.trend]
    assert close(col(trend, "Share"), [p.share_within_18 for p in waits.trend])
    share = line(view.wait_trend.chart, "Share within 18 weeks")
    expected = [(p.as_of, p.share_within_18 * 100) for p in waits.trend if p.share_within_18 is not None]
    assert [d for d, _ in share] == [d for d, _ in expected]
    assert close([v for _, v in share], [v for _, v in expected])
    assert {v for _, v in line(view.wait_trend.chart, "92% standard")} == {92.0}

    # Capacity: the services' weeks added up, per service, and per site.
    capacity = service.capacity(lead, scope, utcnow())
    assert view.figures()["capacity"] == capacity
    totals: dict[date, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for svc in capacity.services:
        for w in svc.weeks:
            totals[w.week_start][0] += w.free_one_to_one
            totals[w.week_start][1] += w.free_group
            totals[w.week_start][2] += w.forecast_demand
    order = sorted(totals)
    assert len(order) == 16
    table = shown(view.capacity_weeks.table)
    assert col(table, "Week of") == order
    assert col(table, "1:1") == [totals[d][0] for d in order]
    assert col(table, "Group") == [totals[d][1] for d in order]
    assert close(col(table, "Demand"), [totals[d][2] for d in order])
    painted = bars(view.capacity_weeks.chart)
    assert painted["Free 1:1 places"] == [totals[d][0] for d in order]
    assert painted["Free group places"] == [totals[d][1] for d in order]
    demand_line = [p[1] for p in line_points_by_index(view.capacity_weeks.chart, "Forecast demand")]
    assert close(demand_line, [totals[d][2] for d in order])
    table = shown(view.capacity_services.table)
    assert col(table, "Service") == [s.service_name for s in capacity.services]
    assert col(table, "Waiting") == [s.backlog for s in capacity.services]
    assert col(table, "Runs out") == [s.runs_out_week for s in capacity.services]
    assert col(table, "Free") == [s.weeks[-1].cumulative_free for s in capacity.services]
    assert bars(view.capacity_services.chart)["Free places"] == [
        s.weeks[-1].cumulative_free for s in capacity.services
    ]
    for svc in capacity.services:
        if svc.runs_out_week is not None:
            assert (
                f"{svc.service_name} in the week of {svc.runs_out_week:%d %b}"
                in view.capacity_weeks.summary.text()
            )
    sites = {s.site_id: s.name for s in capacity.sites}
    names = {s.service_id: s.service_name for s in capacity.services}
    free: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for cell in capacity.cells:
        free[(sites[cell.site_id], names[cell.service_id])][0 if cell.kind is SlotKind.ONE_TO_ONE else 1] += (
            cell.free_places
        )
    table = shown(view.capacity_sites.table)
    painted_rows = {(r[0], r[1]): [r[2], r[3]] for r in table.rows}
    assert painted_rows == dict(free)
    painted = bars(view.capacity_sites.chart)
    site_order = categories(view.capacity_sites.chart)
    for (site, svc), (one, group) in free.items():
        assert painted[svc][site_order.index(site)] == one + group

    # Early warnings: each list, row for row, and what each row opens.
    warnings = view.figures()["early_warnings"]
    fresh = service.early_warnings(lead, scope, utcnow(), book_within_days=14)
    assert warnings.breach_risk == fresh.breach_risk
    assert warnings.overdue_callbacks_total == fresh.overdue_callbacks_total == 2
    table = shown(view.breach_risk.table)
    assert col(table, "Referral") == [r.referral_id for r in fresh.breach_risk.rows]
    assert col(table, "Breach date") == [r.breach_on for r in fresh.breach_risk.rows]
    assert col(table, "Book by") == [r.last_free_slot_before_breach for r in fresh.breach_risk.rows]
    assert view.breach_risk.targets() == [OpenReferral(r.referral_id) for r in fresh.breach_risk.rows]
    assert f"{fresh.breach_risk.total:,} referral" in view.breach_risk.summary.text()
    table = shown(view.overdue.table)
    assert col(table, "Referral") == [c.referral_id for c in fresh.overdue_callbacks]
    assert view.overdue.targets() == [OpenReferral(c.referral_id) for c in fresh.overdue_callbacks]
    assert col(shown(view.growing.table), "Service") == [g.service_name for g in fresh.growing_waits]
    assert col(shown(view.shortfalls.table), "Site") == [s.site_name for s in fresh.site_shortfalls]
    assert all(isinstance(t, ShowWorklist) for t in view.growing.targets() + view.shortfalls.targets())

    # The unit's day and week: per advisor and for the team.
    unit = service.unit_activity(lead, scope, utcnow())
    for panel, period in ((view.activity_day, "day"), (view.activity_week, "week")):
        table = shown(panel.table)
        assert col(table, "Advisor") == [a.name for a in unit.advisors] + ["Whole team"]
        counts = [getattr(a, period) for a in unit.advisors] + [getattr(unit, f"team_{period}")]
        assert col(table, "Calls") == [c.calls for c in counts]
        assert col(table, "Spoke") == [c.spoke for c in counts]
        assert close(col(table, "Rate"), [c.contact_rate for c in counts])
        assert col(table, "Booked") == [c.bookings for c in counts]
        assert categories(panel.chart) == [a.name for a in unit.advisors]
        assert bars(panel.chart)["Calls"] == [getattr(a, period).calls for a in unit.advisors]
    assert unit.team_day.calls == 30, "the calls made in busy_world, all today"
    assert f"{unit.team_day.calls} calls" in view.activity_day.summary.text()


def line_points_by_index(chart: QChart, name: str) -> list[tuple[float, float]]:
    for series in chart.series():
        if isinstance(series, QLineSeries) and series.name() == name:
            return [(p.x(), p.y()) for p in series.points()]
    raise AssertionError(f"no line {name!r}")


# --- exports ---------------------------------------------------------------------------------------


def test_every_table_exports_to_csv_and_reads_back(
    qtbot, world_sqlite, make_desk, tmp_path, monkeypatch
) -> None:
    busy_world(world_sqlite)
    view = open_dashboard(qtbot, make_desk(world_sqlite, LEAD))
    panels: list[FigurePanel | WarningsPanel] = [*view.figure_panels, *view.warning_panels, view.backtest]
    chosen: list[str] = []

    def save_as(_parent, _caption, suggested, _filter):
        path = tmp_path / Path(suggested).stem  # no suffix typed: the export adds .csv
        chosen.append(str(path))
        return str(path), "CSV files (*.csv)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_as))
    for panel in panels:
        QTest.mouseClick(panel.csv_button, Qt.MouseButton.LeftButton)
        path = Path(chosen[-1] + ".csv")
        assert path.is_file(), panel.key
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        table = panel.figure_table
        assert rows[0] == [c.csv_heading for c in table.columns]
        assert len(rows) == len(table.rows) + 1
        for written, row in zip(rows[1:], table.rows, strict=True):
            for cell, value, column in zip(written, row, table.columns, strict=True):
                if value is None:
                    assert cell == ""
                elif isinstance(value, int):
                    assert int(cell) == value
                elif isinstance(value, float):
                    expected = value * 100 if column.csv_heading.endswith("(%)") else value
                    assert abs(float(cell) - expected) < 1e-3
                elif isinstance(value, date):
                    assert date.fromisoformat(cell) == value
                else:
                    assert cell == str(value)
        assert panel.banner.isVisible() and str(path) in panel.banner.text()
    assert len(chosen) == len(panels)


def test_every_chart_exports_to_png(qtbot, world_sqlite, make_desk, tmp_path) -> None:
    view = open_dashboard(qtbot, make_desk(world_sqlite, LEAD))
    for panel in view.figure_panels:
        path = tmp_path / f"{panel.key}.png"
        assert panel.export_png(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        image = QImage(str(path))
        assert not image.isNull()
        assert image.size() == panel.chart_view.grab().toImage().size()
        assert image.width() >= panel.chart_view.width()  # the whole chart, not a thumbnail


def test_a_failed_export_says_why_at_the_figure(qtbot, world_sqlite, make_desk, tmp_path) -> None:
    view = open_dashboard(qtbot, make_desk(world_sqlite, LEAD))
    missing = tmp_path / "no such folder" / "waits.csv"
    assert not view.wait_bands.export_csv(missing)
    assert view.wait_bands.banner.isVisible()
    assert "could not be saved" in view.wait_bands.banner.text()
    assert not missing.exists()


# --- scope, refresh and change --------------------------------------------------------------------


def test_changing_the_service_reloads_every_figure_for_it(qtbot, world, make_desk) -> None:
    busy_world(world)
    view = open_dashboard(qtbot, make_desk(world, LEAD))
    lead = world.actor(LEAD)
    everything = view.figures()["waiting_list"].open_count
    with world.db.read() as s:
        physio = s.scalar(select(Service.id).where(Service.code == ServiceCode.PHYSIOTHERAPY))
    combo = view.scope_bar.service
    reloaded(qtbot, view, lambda: combo.setCurrentIndex(combo.findData(physio)))
    scope = DashboardScope(physio, lead.team_id)
    assert view.scope() == scope
    service = DashboardService(world.db)
    waits = service.waiting_list(lead, scope, today_london())
    assert view.figures()["waiting_list"] == waits
    assert col(shown(view.wait_bands.table), "Open referrals") == [b.count for b in waits.bands]
    assert view.figures()["demand"] == service.demand(lead, scope, today_london())
    assert [s.service_id for s in view.figures()["capacity"].services] == [physio]
    assert waits.open_count <= everything
    # The team combo offers a lead their own team only: the service refuses any other.
    assert [view.scope_bar.team.itemData(i) for i in range(view.scope_bar.team.count())] == [lead.team_id]


def test_an_admin_starts_on_every_team_and_can_choose_one(qtbot, world_sqlite, make_desk) -> None:
    view = open_dashboard(qtbot, make_desk(world_sqlite, "root"))
    assert view.scope() == DashboardScope(None, None)
    teams = view.scope_bar.team
    assert teams.count() == 3  # all teams, East, West
    east = world_sqlite.actor(LEAD).team_id
    reloaded(qtbot, view, lambda: teams.setCurrentIndex(teams.findData(east)))
    assert view.scope() == DashboardScope(None, east)
    admin = world_sqlite.actor("root")
    expected = DashboardService(world_sqlite.db).waiting_list(
        admin, DashboardScope(None, east), today_london()
    )
    assert view.figures()["waiting_list"] == expected


def test_f5_and_the_breach_window_load_again(qtbot, world_sqlite, make_desk) -> None:
    view = open_dashboard(qtbot, make_desk(world_sqlite, LEAD))
    reloaded(qtbot, view, lambda: QTest.keyClick(view.scope_bar.refresh_button, Qt.Key.Key_F5))
    spin = view.scope_bar.book_within

    def set_window() -> None:
        spin.setValue(30)
        spin.editingFinished.emit()

    reloaded(qtbot, view, set_window)
    assert view.figures()["early_warnings"].breach_risk.book_within_days == 30
    assert "within 30 days" in view.breach_risk.summary.text()


def test_a_change_made_elsewhere_reloads_the_open_dashboard(qtbot, world, make_desk) -> None:
    ctx = make_desk(world, LEAD)
    with change_watch(qtbot, ctx) as live:
        view = DashboardView(ctx, min_reload_ms=0)
        view.follow(live.changes_seen)
        qtbot.addWidget(view)
        view.resize(1366, 720)
        with qtbot.waitSignal(view.figures_painted, timeout=60_000):
            view.show()
        drain(qtbot, ctx)
        before = view.figures()["waiting_list"].open_count
        with other_desk(world) as desk:
            add_referrals(desk.db, 3, assignee=None, seed=99)  # another desk (an import) adds three
        qtbot.waitUntil(lambda: view.figures()["waiting_list"].open_count == before + 3, timeout=30_000)
        assert col(shown(view.wait_bands.table), "Open referrals") == [
            b.count for b in view.figures()["waiting_list"].bands
        ]
        # Off screen it does not load; back on screen it follows again.
        view.hide()
        assert not view.watch.active
        view.show()
        assert view.watch.active


# --- who sees it, and how it is heard and fits ------------------------------------------------------


def test_an_advisor_is_refused_and_sees_no_figure(qtbot, world_sqlite, make_desk) -> None:
    ctx = make_desk(world_sqlite, "amy")
    view = DashboardView(ctx)
    qtbot.addWidget(view)
    view.show()
    drain(qtbot, ctx)
    assert "team leads and admins" in view.refusal_text()
    assert not view.scroll_area.isVisible()
    assert view.figures() == {}
    assert all(p.figure_table.rows == () for p in view.figure_panels)


def test_only_leads_and_admins_have_the_dashboard_tab(qtbot, world_sqlite, make_desk) -> None:
    def tabs(username: str) -> list[str]:
        window = open_window(qtbot, make_desk(world_sqlite, username))
        screens = window.ui.screens
        return [screens.tabText(i) for i in range(screens.count())]

    assert "Dashboard" not in tabs("amy")
    assert "Dashboard" in tabs(LEAD)
    assert "Dashboard" in tabs("root")


def test_an_early_warning_opens_its_referral_and_the_worklist(qtbot, world_sqlite, make_desk) -> None:
    busy_world(world_sqlite)
    window = open_window(qtbot, make_desk(world_sqlite, LEAD), size=(1366, 768))
    window.ui.screens.setCurrentWidget(window.dashboard)
    view = window.dashboard.ready
    assert isinstance(view, DashboardView)
    qtbot.waitUntil(lambda: view.loads_finished > 0, timeout=60_000)
    drain(qtbot, window.ctx)
    target = view.overdue.targets()[0]
    assert isinstance(target, OpenReferral)
    view.overdue.table.setFocus()
    QTest.keyClick(view.overdue.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current_referral == target.referral_id, timeout=WAIT)
    assert window.ui.screens.currentWidget() is window.ui.deskTab
    drain(qtbot, window.ctx)
    # "Show all in worklist": the worklist's own controls say what it now lists.
    window.ui.screens.setCurrentWidget(window.dashboard)
    QTest.mouseClick(view.overdue.all_button, Qt.MouseButton.LeftButton)
    assert window.ui.screens.currentWidget() is window.ui.deskTab
    flt = window.worklist.current_filter()
    assert flt.callbacks_due and flt.scope is Scope.TEAM
    qtbot.waitUntil(lambda: not window.worklist.model.loading, timeout=WAIT)
    drain(qtbot, window.ctx)
    assert window.worklist.model.query.filter == flt


def test_every_control_is_named_and_each_load_is_announced(qtbot, world_sqlite, make_desk) -> None:
    busy_world(world_sqlite)
    ctx = make_desk(world_sqlite, LEAD)
    host = QWidget()
    qtbot.addWidget(host)
    notice = QLabel(host)
    announcer = Announcer(notice, host)
    heard: list[str] = []
    announcer.announced.connect(heard.append)
    view = DashboardView(ctx, host)
    host.resize(1366, 720)
    view.resize(1366, 720)
    with qtbot.waitSignal(view.figures_painted, timeout=60_000):
        host.show()
    drain(qtbot, ctx)
    assert problems(view) == []
    waits = view.figures()["waiting_list"]
    assert heard and heard[-1] == view.headline()
    assert f"{waits.share_within_18 * 100:.1f}% within 18 weeks" in heard[-1]
    # Every table, summary and button is reached by Tab, in the order the screen reads.
    for panel in view.figure_panels:
        for widget in (panel.summary, panel.table, panel.csv_button, panel.png_button):
            assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus, (panel.key, widget)
            assert widget.accessibleName()


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_dashboard_fits_without_sideways_scrolling(qtbot, qapp, world_sqlite, make_desk, size) -> None:
    from cras_desk.gui import style

    app = qapp
    font, sheet = app.font(), app.styleSheet()
    style.apply(app)
    try:
        busy_world(world_sqlite)
        window = open_window(qtbot, make_desk(world_sqlite, LEAD), size=size)
        window.ui.screens.setCurrentWidget(window.dashboard)
        view = window.dashboard.ready
        assert isinstance(view, DashboardView)
        qtbot.waitUntil(lambda: view.loads_finished > 0, timeout=60_000)
        drain(qtbot, window.ctx)
        qtbot.wait(50)  # the tables' column fitting runs on the next turn of the event loop
        assert window.width() <= size[0]
        found = []
        for area_ in view.findChildren(QAbstractScrollArea):
            if not area_.isVisible():
                continue
            name = area_.accessibleName() or area_.objectName()
            if area_.horizontalScrollBar().isVisible():
                found.append(f"{name}: a horizontal scroll bar")
            inner = area_.widget() if isinstance(area_, QScrollArea) else None
            if inner is not None and inner.width() > area_.viewport().width():
                found.append(f"{name}: content wider than its view")
            if isinstance(area_, QTableView):
                header = area_.horizontalHeader()
                used = sum(
                    header.sectionSize(i) for i in range(header.count()) if not header.isSectionHidden(i)
                )
                if used > area_.viewport().width():
                    found.append(f"{name}: columns {used} wide in {area_.viewport().width()}")
        assert found == []
        assert view.width() <= size[0]
        warnings = next(s for s in view.sections if view.breach_risk in s.panels)
        assert warnings.columns == 2  # the lists two to a row, each chart beside its table
        assert all(s.columns == 1 for s in view.sections if s is not warnings)
    finally:
        app.setStyleSheet(sheet)
        app.setFont(font)


def test_a_service_warning_sets_the_worklist_controls_to_what_it_lists(
    qtbot, world_sqlite, make_desk
) -> None:
    from cras_desk.gui.dashboard.hookup import show_in_worklist
    from cras_desk.services.worklist import WorklistFilter

    window = open_window(qtbot, make_desk(world_sqlite, LEAD))
    wanted = WorklistFilter(
        scope=Scope.TEAM, service=ServiceCode.PHYSIOTHERAPY, to_do=True, breach_within_days=21
    )
    loads: list[int] = []
    window.worklist.model.query_loaded.connect(lambda n, _s: loads.append(n))
    assert show_in_worklist(window.worklist, wanted)
    qtbot.waitUntil(lambda: bool(loads), timeout=WAIT)
    drain(qtbot, window.ctx)
    assert window.worklist.current_filter() == wanted
    assert window.worklist.model.query.filter == wanted
    assert len(loads) == 1  # one query for the whole change, not one per control
    assert window.worklist.service.currentText() == "Physiotherapy"
    assert window.worklist.breach.value() == 21
    # An advisor's worklist has no "all teams": asked for it, it says no and changes nothing.
    amy = open_window(qtbot, make_desk(world_sqlite, "amy"))
    before = amy.worklist.current_filter()
    assert not show_in_worklist(amy.worklist, WorklistFilter(scope=Scope.ALL, callbacks_due=True))
    assert amy.worklist.current_filter() == before


def test_changes_reload_the_figures_no_more_often_than_the_minimum(qtbot, world_sqlite, make_desk) -> None:
    ctx = make_desk(world_sqlite, LEAD)
    with change_watch(qtbot, ctx) as live:
        view = DashboardView(ctx, min_reload_ms=60_000)
        view.follow(live.changes_seen)
        qtbot.addWidget(view)
        with qtbot.waitSignal(view.figures_painted, timeout=60_000):
            view.show()
        drain(qtbot, ctx)
        before = view.loads_finished
        waited = seen_by(qtbot, live, ctx, "referral")
        with other_desk(world_sqlite) as desk:
            add_referrals(desk.db, 1, assignee=None, seed=5)
        waited()
        assert view.watch.seen >= 1  # it has seen the change...
        assert view.loads_finished == before  # ...and held back: the figures are under a minute old
    reloaded(qtbot, view, view.refresh)  # F5 is never held back
    assert (
        view.figures()["waiting_list"].open_count
        == DashboardService(world_sqlite.db)
        .waiting_list(world_sqlite.actor(LEAD), view.scope(), today_london())
        .open_count
    )
