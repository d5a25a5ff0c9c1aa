"""The dashboard screen: every figure for the chosen service and team, each a chart with its table.

For team leads and admins (the main window shows the tab to them only; anyone else who reaches
the view sees the service's refusal and no figures). Every figure is an SQL aggregate computed
on the worker thread, one task per group, so the quick ones are painted while the forecast is
still being fitted; the screen loads again when the lead changes the scope, presses F5, or the
desk's change watch reads that the data has moved while the screen is open (change_watch.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QFont, QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget
from shiboken6 import isValid

from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import PermissionDenied
from cras_desk.gui.dashboard import bindings
from cras_desk.gui.dashboard.change_watch import ChangeWatch
from cras_desk.gui.dashboard.figure_panel import FigurePanel
from cras_desk.gui.dashboard.scope_bar import DEFAULT_BOOK_WITHIN_DAYS, ScopeBar
from cras_desk.gui.dashboard.warnings_panel import WarningsPanel
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.announcer import announce
from cras_desk.gui.widgets.banner import MessageBanner
from cras_desk.gui.widgets.panel_keys import PanelKeys
from cras_desk.gui.widgets.tab_order import set_entry, set_tab_order
from cras_desk.gui.widgets.vertical_scroll import VerticalScrollArea
from cras_desk.services.worklist import Scope

SHORTCUTS: list[tuple[str, str]] = [
    ("F5", "Load every figure again"),
    ("Tab", "From the scope to each figure's table and its Export buttons"),
    ("Ctrl+C", "In a table: copy the selected rows (all rows if none) with the headings"),
    ("Return", "In an early-warning list: open the referral, or show the worklist for the row"),
]
GROUPS = ("demand", "waiting_list", "capacity", "early_warnings", "unit_activity")
NARROW = 1000  # below it the early-warning lists go one to a row
LOCAL_STYLE = "QLabel:focus { border: 3px solid #212B32; }"  # summaries are Tab stops: show the ring


@dataclass(frozen=True)
class _Request:
    """One load: what it is for, so a late answer to an older request is recognised and dropped."""

    number: int
    scope: Any  # DashboardScope
    book_within_days: int
    started: float = field(default_factory=time.perf_counter)
    # Per group: seconds on the worker, then seconds binding and painting on the UI thread.
    worker_s: dict[str, float] = field(default_factory=dict)
    bind_s: dict[str, float] = field(default_factory=dict)


class _PageLayout(QVBoxLayout):
    """The scrolled page's layout, which the scroll area sizes by its minimum height.

    Not by height-for-width (which a word-wrapped label anywhere inside would make it ask for):
    measured, that came out at 4,096 pixels for a page needing 4,220, and squeezed every figure
    below its chart's minimum. The summaries keep their own minimum heights as they wrap
    (SummaryLabel), so the minimum is right at every width.
    """

    def hasHeightForWidth(self) -> bool:
        return False


class _Section(QWidget):
    """A heading over panels laid out in a grid whose column count follows the width."""

    def __init__(self, title: str, panels: list[QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panels = panels
        self.setAccessibleName(title)
        heading = QLabel(title, self)
        font = QFont(heading.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        heading.setFont(font)
        heading.setAccessibleName(title)
        heading.setStyleSheet("QLabel { color: #003087; }")
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(10)
        self.grid.setVerticalSpacing(10)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.addWidget(heading)
        layout.addLayout(self.grid)
        self.columns = 0
        self.arrange(1)

    def arrange(self, columns: int) -> None:
        if columns == self.columns:
            return
        self.columns = columns
        for panel in self.panels:
            self.grid.removeWidget(panel)
        for i, panel in enumerate(self.panels):
            self.grid.addWidget(panel, i // columns, i % columns)
        for c in range(2):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)


class DashboardView(QWidget):
    referral_requested = Signal(int)  # open this referral on the desk
    worklist_requested = Signal(object, str)  # show the worklist with this WorklistFilter; what it shows
    figures_painted = Signal()  # every figure of a load is on screen (the benchmark waits for it)

    def __init__(
        self,
        ctx: DeskContext,
        parent: QWidget | None = None,
        *,
        min_reload_ms: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._service: Any = None  # DashboardService, made on the worker (its imports stay off start-up)
        self._choices: Any = None  # ScopeChoices
        self._context: bindings.Context | None = None
        self._requests = 0
        self._current: _Request | None = None
        self._pending: set[str] = set()
        self._failed_groups: set[str] = set()
        self._figures: dict[str, Any] = {}
        self._refused = False
        self._referral_id: int | None = None
        self.loaded_at: datetime | None = None
        self.loads_finished = 0
        self._quiet = False
        self._moved_while_loading = False
        watch_args = {"min_reload_ms": min_reload_ms} if min_reload_ms is not None else {}
        self.watch = ChangeWatch(self, **watch_args)
        self.watch.changed.connect(self._data_changed)
        self._early: dict[str, Any] = {}  # figures that came back before the scope's names did
        if ctx.actor.is_lead:
            # Asked for before the widgets are built: the worker answers while they are made.
            self._load_choices()
            self._start(self._default_request())
        self._build()
        if self._current is not None:
            self.scope_bar.set_updated(None, loading=True)
        keys = PanelKeys(self)
        keys.add("F5", self.refresh)
        keys.attach()
        if not ctx.actor.is_lead:
            self._refuse("The dashboard is for team leads and admins. You are signed in as an advisor.")

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.setAccessibleName("Dashboard")
        self.setStyleSheet(LOCAL_STYLE)
        title = QLabel("Dashboard: demand, waits, capacity and early warnings", self)
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)
        self.refusal_label = QLabel(self)
        self.refusal_label.setWordWrap(True)
        self.refusal_label.setAccessibleName("Access refused")
        self.refusal_label.setStyleSheet(
            "QLabel { color: #8a1c1c; background: #fdecea; border: 1px solid #d93025; padding: 12px; }"
        )
        self.refusal_label.hide()
        self.banner = MessageBanner(self)
        self.scope_bar = ScopeBar(self)
        self.scope_bar.changed.connect(self._scope_changed)
        self.scope_bar.refresh_requested.connect(self.refresh)

        self.demand = FigurePanel(
            "demand", "Referrals received per week, with the forecast", self, shares=(1, 1)
        )
        self.backtest = WarningsPanel(
            "forecast_backtest", "Forecast error by model (backtest)", self, actions=False
        )
        self.wait_bands = FigurePanel("waiting_bands", "Open referrals by weeks waited", self)
        self.wait_trend = FigurePanel("waiting_trend", "Share within 18 weeks, last 26 weeks", self)
        self.capacity_weeks = FigurePanel(
            "capacity_weeks", "Free places against forecast demand, next 16 weeks", self, shares=(1, 1)
        )
        self.capacity_services = FigurePanel("capacity_services", "Capacity by service", self)
        self.capacity_sites = FigurePanel("capacity_sites", "Free places by site", self, shares=(1, 1))
        self.breach_risk = WarningsPanel("breach_risk", "Will breach unless booked soon", self)
        self.overdue = WarningsPanel("overdue_callbacks", "Callbacks overdue", self)
        self.growing = WarningsPanel("growing_waits", "Services whose waits are growing", self)
        self.shortfalls = WarningsPanel("site_shortfalls", "Sites with no place before breach", self)
        self.activity_day = FigurePanel("activity_day", "The unit today", self, shares=(1, 1))
        self.activity_week = FigurePanel("activity_week", "The unit this week", self, shares=(1, 1))
        self.figure_panels: list[FigurePanel] = [
            self.demand,
            self.wait_bands,
            self.wait_trend,
            self.capacity_weeks,
            self.capacity_services,
            self.capacity_sites,
            self.activity_day,
            self.activity_week,
        ]
        self.warning_panels: list[WarningsPanel] = [
            self.breach_risk,
            self.overdue,
            self.growing,
            self.shortfalls,
        ]
        for warning in self.warning_panels:
            warning.referral_requested.connect(self.referral_requested)
            warning.worklist_requested.connect(self.worklist_requested)

        self.content = QWidget(self)
        self.sections = [
            _Section("Demand", [self.demand, self.backtest], self.content),
            _Section("Waiting list", [self.wait_bands, self.wait_trend], self.content),
            _Section(
                "Capacity", [self.capacity_weeks, self.capacity_services, self.capacity_sites], self.content
            ),
            _Section("Early warnings", list(self.warning_panels), self.content),
            _Section("The unit's day and week", [self.activity_day, self.activity_week], self.content),
        ]
        content_layout = _PageLayout(self.content)
        content_layout.setContentsMargins(0, 0, 8, 0)
        for section in self.sections:
            content_layout.addWidget(section)
        content_layout.addStretch(1)
        self.scroll_area = VerticalScrollArea(self)
        self.scroll_area.setObjectName("dashboardScroll")
        self.scroll_area.setAccessibleName("Dashboard figures")
        self.scroll_area.setFocusPolicy(
            Qt.FocusPolicy.NoFocus
        )  # Tab goes on to the figures, which scroll into view
        self.scroll_area.setWidget(self.content)
        # The scroll area sizes the page when it is itself resized, not when the page's minimum
        # grows (a figure loaded, a summary wrapping onto a second line): without this the page
        # stayed at its first height and squeezed the figures below their charts' minimum.
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(lambda: self.scroll_area.setWidgetResizable(True))
        self.content.installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.refusal_label)
        layout.addWidget(self.scope_bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.scroll_area, 1)

        order: list[QWidget] = [
            self.scope_bar.service,
            self.scope_bar.team,
            self.scope_bar.book_within,
            self.scope_bar.refresh_button,
        ]
        for section in self.sections:
            for shown in section.panels:
                order += _panel_order(shown)
        set_tab_order(order)
        set_entry(self, self.scope_bar.service)
        # The summaries are Tab stops, so a screen reader reads each figure's sentence before its table.
        keyboard = (
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        panels: list[FigurePanel | WarningsPanel] = [*self.figure_panels, *self.warning_panels, self.backtest]
        for each in panels:
            each.summary.setTextInteractionFlags(keyboard)
            each.summary.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.content and event.type() == QEvent.Type.LayoutRequest:
            self._refit.start()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # A chart and its table share a row whatever the width (a table of seven columns needs
        # some 520 pixels beside its chart); the early-warning lists, tables only, go two to a row.
        lists = 1 if event.size().width() < NARROW else 2
        for section in self.sections:
            section.arrange(lists if section.panels[0] in self.warning_panels else 1)

    # -- the common widget interface --------------------------------------------------------------

    def set_referral(self, referral_id: int | None) -> None:
        """The desk's current referral; the dashboard is about the whole service, so it only remembers it."""
        self._referral_id = referral_id

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._refused and not self.ctx.actor.is_lead:
            return
        if self._current is None:
            self.refresh()
        self.watch.start()  # back on the screen: loads again if anything moved meanwhile

    def follow(self, seen: SignalInstance) -> None:
        """Follow the desk's change watch (LiveUpdates.changes_seen)."""
        self.watch.follow(seen)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.watch.stop()

    # -- background work --------------------------------------------------------------------------

    def _run(
        self,
        name: str,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        def done(result: object) -> None:
            if isValid(self):
                on_done(result)

        def failed(exc: BaseException) -> None:
            if isValid(self):
                on_error(exc)

        self.ctx.tasks.run(fn, done, failed, key=f"DashboardView:{id(self)}:{name}")

    def service(self) -> Any:
        """The dashboard service (built on first use, on whichever thread asks: the worker)."""
        if self._service is None:
            from cras_desk.services.dashboard import DashboardService

            self._service = DashboardService(self.ctx.services.db)
        return self._service

    def _refuse(self, message: str) -> None:
        self._refused = True
        self.watch.stop()
        self.scope_bar.hide()
        self.scroll_area.hide()
        self.refusal_label.setText(message)
        self.refusal_label.show()
        announce(self, message)

    def refusal_text(self) -> str:
        return self.refusal_label.text() if not self.refusal_label.isHidden() else ""

    # -- loading ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        if self._refused:
            return
        if self._choices is None:
            self._load_choices()
        else:
            self._load()

    def _load_choices(self) -> None:
        db, actor = self.ctx.services.db, self.ctx.actor

        def fetch() -> Any:
            from cras_desk.services.dashboard.scope_choices import scope_choices

            return scope_choices(db, actor)

        self._run("choices", fetch, self._choices_loaded, self._failed)

    def _choices_loaded(self, choices: Any) -> None:
        self._choices = choices
        self.scope_bar.set_options(
            [(s.service_id, s.name) for s in choices.services],
            [(t.team_id, t.name) for t in choices.teams],
            all_teams=choices.all_teams,
            team_id=choices.default.team_id,
        )
        services = bindings.services_by_id(
            [bindings.ServiceName(s.service_id, s.code, s.name) for s in choices.services]
        )
        self._context = self._context_for(services)
        request = self._current
        if request is None or request.scope != self.scope() or request.book_within_days != self._within():
            self._load()
            return
        early, self._early = self._early, {}
        for group, figure in early.items():
            self._group_loaded(request, group, figure)

    def _context_for(self, services: dict[int, bindings.ServiceName]) -> bindings.Context:
        admin = self.ctx.actor.role is Role.ADMIN
        return bindings.Context(services, today_london(), Scope.ALL if admin else Scope.TEAM)

    def _default_request(self) -> _Request:
        """What the screen opens on (the scope choices' default): every service, the lead's team
        (an admin: every team), warnings for the default booking window."""
        from cras_desk.services.dashboard.figures import DashboardScope

        actor = self.ctx.actor
        team = None if actor.role is Role.ADMIN else actor.team_id
        self._requests += 1
        return _Request(self._requests, DashboardScope(None, team), DEFAULT_BOOK_WITHIN_DAYS)

    def _within(self) -> int:
        return self.scope_bar.book_within.value()

    def scope(self) -> Any:
        from cras_desk.services.dashboard.figures import DashboardScope

        return DashboardScope(service_id=self.scope_bar.service_id(), team_id=self.scope_bar.team_id())

    def _scope_changed(self) -> None:
        if self._choices is not None:
            self._load()

    def _data_changed(self) -> None:
        if self._current is None:
            return
        if self._pending:
            self._moved_while_loading = True  # once this load is painted, one more
            return
        self._load(quiet=True)

    def _load(self, *, quiet: bool = False) -> None:
        self._requests += 1
        self._quiet = quiet
        if self._context is not None:
            self._context = self._context_for(dict(self._context.services))
        self.scope_bar.set_updated(self.loaded_at, loading=True)
        self._start(_Request(self._requests, self.scope(), self._within()))

    def _start(self, request: _Request) -> None:
        """Ask the worker for every figure group of this request (the widgets need not exist yet)."""
        self._current = request
        self._pending = set(GROUPS)
        self._failed_groups = set()
        self._early = {}
        self.watch.loading()
        self._moved_while_loading = False
        actor, scope, within = self.ctx.actor, request.scope, request.book_within_days
        now = utcnow()

        # Every group from one read of the database (the service shares what the groups have in
        # common): on SQLite at 300,000 referrals 0.4 s, against 1.8 s asked for one by one.
        def everything() -> Any:
            return self.service().all_figures(actor, scope, now, book_within_days=within)

        def loaded(figures: Any) -> None:
            for group in GROUPS:
                self._group_loaded(request, group, getattr(figures, group))

        def failed(exc: BaseException) -> None:
            for group in GROUPS:
                self._group_failed(request, group, exc)

        self._run("figures", partial(_timed, everything, "all", request.worker_s), loaded, failed)

    def _group_loaded(self, request: _Request, group: str, figure: Any) -> None:
        if request is not self._current:
            return
        if self._context is None:  # the services' names are not back yet: bound when they are
            self._early[group] = figure
            return
        self._figures[group] = figure
        started = time.perf_counter()
        self._bind(group, figure)
        request.bind_s[group] = time.perf_counter() - started
        self._group_done(group)

    def _group_failed(self, request: _Request, group: str, exc: BaseException) -> None:
        if request is not self._current:
            return
        if isinstance(exc, PermissionDenied):
            self._refuse(str(exc))
            return
        from cras_desk.gui.widgets.error_text import describe_error

        self._failed_groups.add(group)
        for panel in self._panels_of(group):
            panel.set_problem(describe_error(exc))
        self._group_done(group)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, PermissionDenied):
            self._refuse(str(exc))
            return
        from cras_desk.gui.widgets.error_text import describe_error

        self.scope_bar.set_updated(None)
        self.banner.error(describe_error(exc))

    def _group_done(self, group: str) -> None:
        self._pending.discard(group)
        if self._pending:
            return
        for panel in self.figure_panels:
            panel.chart_view.repaint()
        self.loaded_at = datetime.now()
        self.scope_bar.set_updated(self.loaded_at)
        self.loads_finished += 1
        self.figures_painted.emit()
        if self._failed_groups:
            self.banner.error(
                f"{len(self._failed_groups)} of {len(GROUPS)} figure groups could not be loaded: "
                "their panels say why. Press F5 to try again."
            )
        else:
            self.banner.clear()
        if not self._quiet or self._failed_groups:
            announce(self, self.headline())
        if self._moved_while_loading and self.watch.active:
            QTimer.singleShot(0, self, lambda: self._load(quiet=True))

    def _panels_of(self, group: str) -> list[FigurePanel | WarningsPanel]:
        panels: dict[str, list[FigurePanel | WarningsPanel]] = {
            "demand": [self.demand, self.backtest],
            "waiting_list": [self.wait_bands, self.wait_trend],
            "capacity": [self.capacity_weeks, self.capacity_services, self.capacity_sites],
            "early_warnings": list(self.warning_panels),
            "unit_activity": [self.activity_day, self.activity_week],
        }
        return panels[group]

    # -- binding ----------------------------------------------------------------------------------

    def _bind(self, group: str, fig: Any) -> None:
        ctx = self._context
        assert ctx is not None
        if group == "demand":
            self._show(self.demand, bindings.demand(fig))
            # The weeks that matter first: the last complete ones, this week and the forecast.
            self.demand.scroll_to_row(max(len(fig.history) - 4, 0))
            table = bindings.backtest_table(fig)
            best = fig.forecast.backtest if fig.forecast is not None else None
            text = (
                f"The forecast uses {bindings.backtest_text(best)}."
                if best is not None
                else "No backtest: too few weeks held."
            )
            self.backtest.set_rows(table, [None] * len(table.rows), text)
        elif group == "waiting_list":
            self._show(self.wait_bands, bindings.waiting_bands(fig))
            self._show(self.wait_trend, bindings.waiting_trend(fig))
        elif group == "capacity":
            self._show(self.capacity_weeks, bindings.capacity_weeks(fig, ctx))
            self._show(self.capacity_services, bindings.capacity_services(fig, ctx))
            self._show(self.capacity_sites, bindings.capacity_sites(fig, ctx))
        elif group == "early_warnings":
            for panel, bind in (
                (self.breach_risk, bindings.breach_risk),
                (self.overdue, bindings.overdue_callbacks),
                (self.growing, bindings.growing_waits),
                (self.shortfalls, bindings.site_shortfalls),
            ):
                bound = bind(fig, ctx)
                panel.set_rows(bound.table, bound.targets, bound.summary, bound.list_target)
        elif group == "unit_activity":
            self._show(self.activity_day, bindings.activity(fig, week=False))
            self._show(self.activity_week, bindings.activity(fig, week=True))

    @staticmethod
    def _show(panel: FigurePanel, bound: bindings.Bound) -> None:
        panel.set_figure(bound.chart, bound.table, bound.summary)

    def load_times(self) -> dict[str, dict[str, float]]:
        """The last load's seconds per group, on the worker and binding (for the benchmark)."""
        request = self._current
        if request is None:
            return {}
        return {"worker_s": dict(request.worker_s), "bind_s": dict(request.bind_s)}

    def figures(self) -> dict[str, Any]:
        """The figures on screen, by group (for the tests: what was painted came from these)."""
        return dict(self._figures)

    def headline(self) -> str:
        """The load's result in one sentence: what is spoken when the figures arrive."""
        parts = [f"Dashboard for {self.scope_bar.describe()}"]
        waits = self._figures.get("waiting_list")
        if (
            waits is not None
            and "waiting_list" not in self._failed_groups
            and waits.share_within_18 is not None
        ):
            parts.append(f"{waits.open_count:,} open, {waits.share_within_18 * 100:.1f}% within 18 weeks")
        warnings = self._figures.get("early_warnings")
        if warnings is not None and "early_warnings" not in self._failed_groups:
            parts.append(
                f"{bindings.plural(warnings.breach_risk.total, 'referral')} at risk of breach, "
                f"{bindings.plural(warnings.overdue_callbacks_total, 'callback')} overdue"
            )
        if self._failed_groups:
            parts.append(f"{len(self._failed_groups)} figure groups not loaded")
        return ": ".join(parts[:1]) + (": " + "; ".join(parts[1:]) if len(parts) > 1 else "") + "."


def _timed(call: Callable[[], Any], group: str, into: dict[str, float]) -> Any:
    """call(), its time written into `into` (on the worker; read once the result is delivered)."""
    started = time.perf_counter()
    try:
        return call()
    finally:
        into[group] = time.perf_counter() - started


def _panel_order(panel: QWidget) -> list[QWidget]:
    if isinstance(panel, FigurePanel):
        return [panel.summary, panel.table, panel.csv_button, panel.png_button]
    if isinstance(panel, WarningsPanel):
        if not panel.has_actions:
            return [panel.summary, panel.table, panel.csv_button]
        return [panel.summary, panel.table, panel.open_button, panel.all_button, panel.csv_button]
    return []
