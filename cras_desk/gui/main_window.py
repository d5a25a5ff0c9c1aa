"""The main window: composes the feature widgets and the desk's parts (claims_controller.py, the
status bar in status_bar.py, the lock, live updates), binds the menus' actions, nothing more.

Layout for an advisor on the phone: the worklist on the left; the patient pane on the right with
the call flow (outcome, choice script, booking) in tabs under it. The team-lead view and the
letters print queue are further screens (tabs), built the first time they are opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QLayout, QMainWindow, QWidget

from cras_desk.db.connection_errors import is_connection_error
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import CrasError
from cras_desk.gui import shortcuts
from cras_desk.gui.claims_controller import ClaimsController
from cras_desk.gui.dashboard.hookup import PREPARE_AFTER_MS, connect_dashboard, prepare_forecasting
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.desk_layout import DeskLayout
from cras_desk.gui.desk_menus import add_admin_menu, menu_layout
from cras_desk.gui.features import (
    BOOKING,
    CHOICE,
    DASHBOARD,
    IMPORTS,
    LETTERS,
    OUTCOME,
    TEAM,
    Feature,
    FeatureSlot,
    letters_factory,
)
from cras_desk.gui.flow_panel import BookingFlowPanel, ChoiceFlowPanel, FlowPanel
from cras_desk.gui.generated.ui_main_window import Ui_MainWindow
from cras_desk.gui.lock.controller import DeskLock
from cras_desk.gui.outbox_view import OutboxController
from cras_desk.gui.patient.pane import PatientPane
from cras_desk.gui.status_bar import DeskStatusBar
from cras_desk.gui.widgets.accessible_names import name_combos
from cras_desk.gui.widgets.vertical_scroll import VerticalScrollArea
from cras_desk.gui.worklist.live import SAFETY_POLL_MS, ChangedElsewhere, LiveUpdates
from cras_desk.gui.worklist.panel import WorklistPanel
from cras_desk.services.worklist import Scope

if TYPE_CHECKING:
    from cras_desk.gui.live_view import FeedChanges
    from cras_desk.gui.team.view import TeamLeadView
    from cras_desk.services.central_settings import SettingsVersion

FLOW_MIN_HEIGHT = 440  # below this a call-flow panel scrolls rather than squashing its parts
# Live updates, the idle lock and the claim timer start once the first page is painted, or after this
# long if it never comes (a database down at start-up still gets its heartbeat and its lock).
BACKGROUND_START_MS = 2000


class MainWindow(QMainWindow):
    sign_out_requested = Signal()
    first_page_shown = Signal()  # the first worklist page is painted (start-up benchmark)

    def __init__(
        self,
        ctx: DeskContext,
        *,
        database_text: str = "",
        team_name: str | None = None,
        live_interval_ms: int = SAFETY_POLL_MS,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.ui = Ui_MainWindow()
        self.ui.setupUi(self)
        self.current_referral: int | None = None
        self._first_page_done = False
        self._background_started = False
        self._warm_up_steps: list[Callable[[], object]] = []
        self._shut_down = False
        self._team_name = team_name
        # The desk's one change watch: the worklist, the open patient and every screen follow it.
        self.live = LiveUpdates(
            ctx.services.db, ctx.tasks, live_interval_ms, self, ignore_user=ctx.actor.user_id
        )

        self.worklist = WorklistPanel(ctx, self.ui.worklistHost)
        self.ui.worklistHostLayout.addWidget(self.worklist)
        self.patient = PatientPane(ctx, self.ui.patientHost)
        self.ui.patientHostLayout.addWidget(self.patient)
        self.flow: dict[str, FeatureSlot] = {}  # the call-flow tabs, by feature key
        self.panels: dict[str, FlowPanel] = {}  # their panels, once built
        self._booking: BookingFlowPanel | None = None
        self._flow_pages: dict[str, QWidget] = {}
        self._add_flow_slot(OUTCOME, self.ui.outcomeTab, self.ui.outcomeTabLayout)
        self._add_flow_slot(CHOICE, self.ui.choiceTab, self.ui.choiceTabLayout)
        self._add_flow_slot(BOOKING, self.ui.bookingTab, self.ui.bookingTabLayout)
        self.flow[CHOICE.key].built.connect(self._choice_built)
        self.flow[BOOKING.key].built.connect(self._booking_built)
        self.ui.flowTabs.hide()  # no call flow until a patient is open
        self.team: FeatureSlot | None = None
        if ctx.actor.is_lead:  # the service refuses advisors anyway; they do not see the tab at all
            self.team = FeatureSlot(TEAM, ctx, parent=self.ui.screens)
            self.team.built.connect(self._team_built)
            self.ui.screens.addTab(self.team, "Team")
        self.dashboard: FeatureSlot | None = None
        if ctx.actor.is_lead:  # leads and admins only, as the team view
            self.dashboard = FeatureSlot(DASHBOARD, ctx, parent=self.ui.screens)
            self.dashboard.built.connect(lambda view: connect_dashboard(self, view))
            self.dashboard.built.connect(self._follow_changes)
            self.ui.screens.addTab(self.dashboard, "Dashboard")
            # The forecast's libraries load on a thread of their own while the lead starts work.
            self.first_page_shown.connect(
                lambda: QTimer.singleShot(PREPARE_AFTER_MS, self, prepare_forecasting)
            )
        self.imports: FeatureSlot | None = None
        if ctx.actor.role is Role.ADMIN:  # importing referrals is an administrator's job only
            self.imports = FeatureSlot(IMPORTS, ctx, parent=self.ui.screens)
            self.ui.screens.addTab(self.imports, "Imports")
        self.letters = FeatureSlot(LETTERS, ctx, letters_factory, self.ui.screens)
        self.letters.built.connect(self._follow_changes)
        self.ui.screens.addTab(self.letters, "Letters")
        self.ui.mainSplitter.setStretchFactor(0, 5)
        self.ui.mainSplitter.setStretchFactor(1, 6)
        self.ui.rightSplitter.setStretchFactor(0, 5)
        self.ui.rightSplitter.setStretchFactor(1, 6)
        splitters = {"main": self.ui.mainSplitter, "right": self.ui.rightSplitter}
        self.desk_layout = DeskLayout(self, ctx.settings, ctx.actor.username, splitters, self.worklist)

        self.claims = ClaimsController(ctx, self)
        self.actions_by_id: dict[str, QAction] = {}
        self._build_menus()
        self.status = DeskStatusBar(self, ctx.actor, database_text, team_name)
        self.announcer = self.status.announcer
        self.lock = DeskLock(ctx, self.ui.pages, self.ui.deskPage, list(self.actions_by_id.values()), self)
        self.lock.sign_out_requested.connect(self.sign_out_requested)
        # A locked desk shows nobody's details: not even the last "Booked ..." in the status bar.
        self.lock.locked.connect(self.announcer.clear)
        self.lock.locked.connect(self.patient.hide_dialogs)
        self.lock.unlocked.connect(self.patient.show_dialogs)
        self.outbox = OutboxController(ctx, self)
        self._connect()
        name_combos(self.worklist)
        self.setWindowTitle(f"CRAS Desk - {ctx.actor.full_name}")
        self.worklist.search.setFocus()

    # --- composition -----------------------------------------------------------------------------

    def _add_flow_slot(self, feature: Feature, page: QWidget, page_layout: QLayout) -> None:
        # In a scroll area: a tall panel scrolls (up and down only) instead of squeezing the patient
        # pane above it; its confirm bars and messages scroll themselves into view.
        scroll = VerticalScrollArea(page)
        # Not a Tab stop of its own: Tab goes on to the panel's controls, which scroll into view.
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        slot = FeatureSlot(feature, self.ctx, parent=scroll)
        slot.setMinimumHeight(FLOW_MIN_HEIGHT)  # a script squeezed to one line cannot be read aloud
        scroll.setWidget(slot)
        page_layout.addWidget(scroll)
        slot.built.connect(lambda panel, key=feature.key: self._flow_built(key, panel))
        self.flow[feature.key] = slot
        self._flow_pages[feature.key] = page

    def _flow_built(self, key: str, panel: FlowPanel) -> None:
        self.panels[key] = panel
        panel.changed.connect(self._referral_changed_here)
        if self.current_referral is not None:
            panel.set_referral(self.current_referral)

    def _choice_built(self, panel: ChoiceFlowPanel) -> None:
        panel.site_chosen.connect(self._site_chosen)

    def _booking_built(self, panel: BookingFlowPanel) -> None:
        self._booking = panel
        self._follow_changes(panel)

    def _team_built(self, view: TeamLeadView) -> None:
        # One reload per bulk move (its `changed` fires once per referral moved).
        view.reassigned.connect(lambda _n: self.worklist.refresh())
        view.follow(self.live.changes_seen)

    def _follow_changes(self, view: object) -> None:
        """A screen that follows its data live, from this desk's one change watch."""
        follow = getattr(view, "follow", None)
        if follow is not None:
            follow(self.live.changes_seen)

    def _build_menus(self) -> None:
        menus = menu_layout(self.ui, every_team=self.ctx.actor.role is Role.ADMIN, team=self.team is not None)
        handlers = {
            "desk.next_patient": self.claims.next_patient,
            "desk.work_selected": self.work_selected,
            "desk.release": self.claims.release,
            "desk.outbox": lambda: self.outbox.open_list(self),
            "app.lock": lambda: self.lock.lock(),
            "app.sign_out": self.sign_out_requested.emit,
            "app.quit": self.close,
            "worklist.search": self._on_desk(self.worklist.focus_search),
            "worklist.focus": self._on_desk(self.worklist.focus_table),
            "worklist.refresh": self.worklist.refresh,
            "worklist.scope_mine": lambda: self.worklist.set_scope(Scope.MINE),
            "worklist.scope_team": lambda: self.worklist.set_scope(Scope.TEAM),
            "worklist.scope_all": lambda: self.worklist.set_scope(Scope.ALL),
            "worklist.callbacks": self.worklist.toggle_callbacks,
            "worklist.clear_filters": self.worklist.clear_filters,
            "flow.outcome": lambda: self.show_flow(OUTCOME.key),
            "flow.choice": lambda: self.show_flow(CHOICE.key),
            "flow.booking": lambda: self.show_flow(BOOKING.key),
            "patient.focus": self._on_desk(self.patient.focus),
            "patient.copy_phone": lambda: self.patient.copy_phone(0),
            "patient.copy_phone_2": lambda: self.patient.copy_phone(1),
            "patient.copy_nhs": self.patient.copy_nhs,
            "patient.edit_contact": self._on_desk(self.patient.edit_contact_details),
            "patient.add_note": self._on_desk(self.patient.add_note),
            "view.desk": self.show_desk,
            "view.team": self._show_team,
            "view.letters": lambda: self.ui.screens.setCurrentWidget(self.letters),
            "help.shortcuts": self.show_shortcuts,
        }
        for menu, ids in menus.items():
            for sid in ids:
                if sid is None:
                    menu.addSeparator()
                    continue
                context = Qt.ShortcutContext.WindowShortcut
                if sid == "desk.work_selected":  # Ctrl+Return means "save" inside the call-flow panels
                    context = Qt.ShortcutContext.WidgetWithChildrenShortcut
                act = shortcuts.action(self, sid, handlers[sid], context=context)
                (self.worklist if sid == "desk.work_selected" else self).addAction(act)
                menu.addAction(act)
                self.actions_by_id[sid] = act
        about = QAction("About CRAS Desk", self)
        about.triggered.connect(self._about)
        self.ui.menuHelp.addAction(about)
        add_admin_menu(self, self.ctx)

    def _on_desk(self, then: Callable[[], object]) -> Callable[[], None]:
        """A menu action on the desk screen: back to it from another screen first."""

        def act() -> None:
            self.show_desk()
            then()

        return act

    def _connect(self) -> None:
        ctx = self.ctx
        self.worklist.referral_activated.connect(self.open_referral)
        self.worklist.model.query_loaded.connect(self._page_loaded)
        self.patient.message.connect(lambda text: self.announcer.announce(text, timeout_ms=5000))
        self.patient.load_failed.connect(self._task_failed)
        self.patient.changed.connect(self._patient_changed_here)
        ctx.tasks.busy_changed.connect(self.status.set_busy)
        ctx.tasks.failed.connect(self._task_failed)
        self.live.connection_changed.connect(self._connection_changed)
        self.live.connection_changed.connect(self.outbox.connection_changed)
        self.live.referrals_changed.connect(self._changed_elsewhere)
        self.live.changed_elsewhere.connect(self._changed_by_others)
        self.ctx.tasks.not_answering.connect(self.status.show_not_answering)
        self.outbox.waiting_changed.connect(self.status.show_waiting)
        self.outbox.said.connect(lambda text: self.announcer.announce(text, timeout_ms=15000))
        self.live.flooded.connect(self.worklist.refresh)
        self.claims.claimed.connect(self._claimed)
        self.claims.claim_changed.connect(self.worklist.refresh_referral)
        self.claims.said.connect(lambda text, ms: self.announcer.announce(text, timeout_ms=ms))
        self.claims.failed.connect(self._task_failed)

    def show_on_screen(self, available: QRect | None = None) -> None:
        """Show the desk as this user left it (size, place, maximised), fitted to today's screen
        (its free area; `available` stands in for it in tests)."""
        self.desk_layout.show(available)

    def start(self) -> None:
        """Once shown: the first worklist page; then live updates, the idle lock and the rest."""
        QTimer.singleShot(0, self, self.desk_layout.proportions)  # once laid out at its real size
        self.worklist.start()
        QTimer.singleShot(BACKGROUND_START_MS, self, self._start_background)
        waiting = self.ctx.drafts.referrals_with_drafts()
        if waiting:
            self.announcer.announce(
                f"Unsaved notes kept for {len(waiting)} referral(s): they come back when you open them.",
                timeout_ms=15000,
            )

    def _start_background(self) -> None:
        """What the advisor does not need on the first screen, started once it is painted.

        Before then it would only slow the first page down: the change-feed poll and the team's
        name queue up on the one database worker behind the page, and the idle lock's
        application-wide event filter makes PySide6 build a Python type (with its enums) for every
        kind of object the first paint sends an event to, some 150 of them.
        """
        if self._background_started or self._shut_down:
            return
        self._background_started = True
        self.live.start()
        self.outbox.start()
        self.claims.start()
        self._read_unit_rules()
        self.live.changes_seen.connect(self._maybe_rules_changed)
        self._look_up_team()
        if not self._first_page_done:
            self.lock.start()  # no page, so no warm-up to wait for (it starts the lock otherwise)

    def _read_unit_rules(self) -> None:
        actor, central = self.ctx.actor, self.ctx.services.central
        self.ctx.tasks.run(lambda: central.current(actor), self._unit_rules_read, lambda _e: None)

    def _maybe_rules_changed(self, seen: FeedChanges) -> None:
        if seen.touches({"central_settings"}):
            self._read_unit_rules()

    def _unit_rules_read(self, current: SettingsVersion) -> None:
        """The unit's settings as the database holds them: applied to the idle lock and the
        callback field now (the services read them at every call themselves)."""
        if self._shut_down or current.settings == self.ctx.unit:
            return
        self.ctx.unit = current.settings
        self.lock.rules_changed()
        # Not imported for an isinstance check: the call outcome panel's module loads when first shown.
        set_hours = getattr(self.panels.get(OUTCOME.key), "set_calling_hours", None)
        if set_hours is not None:
            set_hours(current.settings.calling_hours())

    def _look_up_team(self) -> None:
        actor, auth = self.ctx.actor, self.ctx.services.auth
        if self._team_name is not None or actor.team_id is None:
            return
        team_id = actor.team_id
        self.ctx.tasks.run(lambda: auth.team_name(team_id), self._team_found, lambda _e: None)

    def _team_found(self, name: str | None) -> None:
        if name and not self._shut_down:
            self._team_name = name
            self.status.set_team(name)

    def _page_loaded(self, _rows: int, _seconds: float) -> None:
        if self._first_page_done:
            return
        self._first_page_done = True
        # Painted now, not on the next event-loop turn. The table, not its viewport(): the viewport is
        # a bare QWidget made in C++, and handing it to Python the first time makes PySide6 load every
        # QWidget subclass to find its type (15-25 ms).
        self.worklist.table.repaint()
        self.first_page_shown.emit()
        QTimer.singleShot(0, self, self._start_background)  # tied to the window: dropped if it is gone
        # Build the record view and the call-flow panels while the advisor reads the list, so F2
        # opens them at once: one per event-loop turn (a panel takes up to 100 ms), so keys typed
        # and results arriving meanwhile are not held up behind all of them.
        self._warm_up_steps = [self._build_patient, *(slot.widget for slot in self.flow.values())]
        QTimer.singleShot(0, self, self._warm_up)

    def _build_patient(self) -> None:
        self.patient.build()
        name_combos(self.patient)

    def _warm_up(self) -> None:
        if self._shut_down:
            return
        if self._warm_up_steps:
            self._warm_up_steps.pop(0)()
            QTimer.singleShot(0, self, self._warm_up)
            return
        self.lock.start()  # the idle clock starts once the desk has stopped being busy

    # --- screens ---------------------------------------------------------------------------------

    def show_desk(self) -> None:
        self.ui.screens.setCurrentWidget(self.ui.deskTab)

    def show_flow(self, key: str) -> None:
        self.show_desk()
        if self.current_referral is None:
            self.announcer.announce(
                f"Open a patient first ({shortcuts.text('desk.next_patient')} for the next one).",
                timeout_ms=5000,
            )
            return
        self.ui.flowTabs.show()
        self.ui.flowTabs.setCurrentWidget(self._flow_pages[key])
        self.flow[key].enter()

    def _show_team(self) -> None:
        if self.team is not None:
            self.ui.screens.setCurrentWidget(self.team)

    def show_shortcuts(self) -> None:
        shortcuts.ShortcutsDialog(self).exec()

    def _about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from cras_desk import __version__

        QMessageBox.about(
            self,
            "About CRAS Desk",
            f"CRAS Desk {__version__}\nMSK Clinical Referral and Assessment Service.\n"
            f"Signed in as {self.ctx.actor.full_name}.",
        )

    # --- the call flow ---------------------------------------------------------------------------

    def open_referral(self, referral_id: int) -> None:
        """Show the referral everywhere: patient pane, call-flow panels, worklist cursor."""
        self.current_referral = referral_id
        self.patient.show_referral(referral_id)
        for panel in self.panels.values():
            panel.set_referral(referral_id)
        self.ui.flowTabs.show()
        self.worklist.select_referral(referral_id)

    def work_selected(self) -> None:
        rid = self.worklist.current_referral_id()
        if rid is not None:
            self.claims.work(rid)

    @property
    def claimed_referral(self) -> int | None:
        """The referral this desk holds a claim on (kept by the claims controller)."""
        return self.claims.referral_id

    @claimed_referral.setter
    def claimed_referral(self, referral_id: int | None) -> None:  # claimed outside the desk (screenshots)
        self.claims.referral_id = referral_id

    def _claimed(self, referral_id: int) -> None:
        self.open_referral(referral_id)
        self.worklist.refresh_referral(referral_id)
        self.show_flow(OUTCOME.key)
        # Said through the outcome list just focused too: the record loading floods Orca 43.
        self.announcer.announce(
            "Referral claimed: it is yours for this call.", timeout_ms=5000, via_focus=True
        )

    def _site_chosen(self, referral_id: int, site_id: int) -> None:
        """The patient chose a site on the script: straight on to booking at that site."""
        if referral_id != self.current_referral:
            return
        self.flow[BOOKING.key].widget()  # built now if need be (_booking_built keeps it)
        if self._booking is not None:
            self._booking.preselect_sites([site_id])
        self.show_flow(BOOKING.key)

    def _referral_changed_here(self, referral_id: int) -> None:
        """A call-flow panel saved a change: repaint the row, the pane and the other panels (a choice
        made on the script is what the booking panel searches)."""
        self.claims.adopt(referral_id)
        self.worklist.refresh_referral(referral_id)
        if referral_id != self.current_referral:
            return
        self.patient.reload()
        source: object = self.sender()  # the panel that saved: it shows the change already
        for panel in self.panels.values():
            if panel is not source:
                panel.set_referral(referral_id)  # same id: reloads when next shown, keeps drafts

    def _patient_changed_here(self, referral_id: int) -> None:
        """Contact details or a note saved from the patient pane (which reloads itself): the row, and
        the call-flow panels, whose number-used list must follow a number marked wrong."""
        self.worklist.refresh_referral(referral_id)
        if referral_id != self.current_referral:
            return
        for panel in self.panels.values():
            panel.set_referral(referral_id)  # same id: reloads when next shown, keeps drafts

    def _changed_by_others(self, notes: dict[int, ChangedElsewhere]) -> None:
        """The open patient changed at another desk: say where, by whom and when (what the advisor
        has typed stays: the panels keep their fields and drafts)."""
        note = notes.get(self.current_referral) if self.current_referral is not None else None
        if note is not None:
            self.announcer.announce(note.words(), timeout_ms=15000)

    def _changed_elsewhere(self, referral_ids: set[int]) -> None:
        self.worklist.apply_changes(referral_ids)
        if self.current_referral in referral_ids:
            self.patient.reload()

    # --- state -----------------------------------------------------------------------------------

    def _connection_changed(self, ok: bool, message: str) -> None:
        self.status.show_connection(ok, message)
        if not ok:
            self.live.timer.setInterval(min(self.live.timer.interval(), 5000))

    def _task_failed(self, exc: BaseException) -> None:
        if is_connection_error(exc):
            self.live.report_error(exc)
            return
        text = str(exc) if isinstance(exc, CrasError) else f"Something went wrong: {exc}"
        self.announcer.announce(text, timeout_ms=10000)

    # --- closing ---------------------------------------------------------------------------------

    def shutdown(self, wait_ms: int = 5000) -> None:
        """Stop timers and give back this desk's claims (called on close and sign-out)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.desk_layout.keep()
        self.live.stop()
        self.outbox.stop()
        self.lock.stop()
        self.claims.release_all()
        self.ctx.tasks.wait_idle(wait_ms)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
