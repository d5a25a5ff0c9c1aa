"""The team-lead view: who has what, and moving work between advisors in bulk.

For team leads and admins. An advisor who reaches it anyway sees the refusal the service gives
(AssignmentService refuses every call from an advisor); nothing of the team's work is shown.

Live: a referral changed at any desk (a claim, a call, a move by another lead) reloads the
workload and the chosen advisor's list in one read on the worker, in place: the advisor chosen,
the referrals selected, the scroll place and the focus stay. Nothing is said unless a selected
referral was changed or moved away by someone else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Signal, SignalInstance
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from cras_desk.domain.enums import Role
from cras_desk.domain.errors import PermissionDenied
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.live_view import FeedChanges, LiveRefresh
from cras_desk.gui.team.models import AdvisorReferralsModel, WorkloadModel
from cras_desk.gui.widgets.announcer import announce
from cras_desk.gui.widgets.banner import MessageBanner
from cras_desk.gui.widgets.confirm_bar import ConfirmBar
from cras_desk.gui.widgets.error_text import describe_error
from cras_desk.gui.widgets.panel_keys import PanelKeys
from cras_desk.gui.widgets.tab_order import set_entry, set_tab_order
from cras_desk.gui.widgets.tables import keeping_place, setup_table
from cras_desk.services.actor import Actor
from cras_desk.services.assignment import UNASSIGNED_ID, AdvisorLoad
from cras_desk.services.bundle import ServiceBundle
from cras_desk.services.worklist import MAX_PAGE, Scope, WorklistFilter, WorklistRow

SHORTCUTS: list[tuple[str, str]] = [
    ("F5", "Refresh the team's workload"),
    ("Up / Down", "Choose an advisor; their open referrals are listed"),
    ("Shift+Up / Shift+Down, Ctrl+A", "Select several referrals / all of them"),
    ("Ctrl+Return", "Reassign the selected referrals to the advisor chosen in 'Give to'"),
    ("Ctrl+Shift+E", "Reassign all of the chosen advisor's open work (absent advisor)"),
    ("Return / Escape", "Confirm / go back, when asked to confirm"),
]

POOL = -1  # "Give to" value for the team's unassigned pool (user ids start at 1)
MAX_UNASSIGNED_PAGES = 5  # the pool is read page by page from the team's list; see _fetch_rows


@dataclass(frozen=True)
class _Team:
    loads: list[AdvisorLoad]
    advisors: list[tuple[int, str]]
    rows_of: int | None = None  # a live refresh: the advisor whose referrals `rows` are
    rows: list[WorklistRow] | None = None


def _load_key(load: AdvisorLoad) -> int:
    return load.user_id


def _row_key(row: WorklistRow) -> int:
    return row.referral_id


class TeamLeadView(QWidget):
    changed = Signal(int)  # a referral id that was moved (one per referral of a selected-rows move)
    reassigned = Signal(int)  # how many referrals a move changed: the main window refreshes its list

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._team: _Team | None = None
        self._busy = False
        self._refused = False
        self._referral_id: int | None = None
        self._build()
        # Only referrals move the workload; the lead's own moves from here repaint themselves.
        self.live_refresh = LiveRefresh(self, {"referral"}, self._live_refresh, mine=ctx.actor.user_id)
        keys = PanelKeys(self)
        keys.add("F5", self.refresh)
        keys.add("Ctrl+Return", self.request_reassign_selected)
        keys.add("Ctrl+Enter", self.request_reassign_selected)
        keys.add("Ctrl+Shift+E", self.request_reassign_all)
        keys.attach()
        if ctx.actor.role not in (Role.TEAM_LEAD, Role.ADMIN):
            # Shown at once; the service's own refusal replaces it when the first refresh returns.
            self._refuse("The team-lead view is for team leads. You are signed in as an advisor.")
        self._set_enabled()

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.setAccessibleName("Team-lead view")
        title = QLabel("Team workload", self)
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)
        self.banner = MessageBanner(self)
        self.refusal_label = QLabel(self)
        self.refusal_label.setWordWrap(True)
        self.refusal_label.setAccessibleName("Access refused")
        self.refusal_label.setStyleSheet(
            "QLabel { color: #8a1c1c; background: #fdecea; border: 1px solid #d93025; padding: 12px; }"
        )
        self.refusal_label.hide()

        self.workload_model = WorkloadModel(self)
        self.workload_table = QTableView(self)
        self.workload_table.setModel(self.workload_model)
        setup_table(self.workload_table, "Workload per advisor")
        self.workload_table.horizontalHeader().setStretchLastSection(False)
        self.workload_table.selectionModel().currentRowChanged.connect(lambda *_: self._advisor_changed())

        self.referrals_model = AdvisorReferralsModel(self)
        self.referrals_table = QTableView(self)
        self.referrals_table.setModel(self.referrals_model)
        setup_table(
            self.referrals_table, "Open referrals of the chosen advisor (select several to move)", multi=True
        )
        self.referrals_label = QLabel(self)
        self.referrals_label.setAccessibleName("Whose referrals are listed")
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.referrals_label)
        right_layout.addWidget(self.referrals_table)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.workload_table)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([440, 660])

        self.target_combo = QComboBox(self)
        self.target_combo.setAccessibleName("Give the work to")
        self.spread_check = QCheckBox("Spread across the whole team (for 'reassign all')", self)
        self.spread_check.setAccessibleName("Spread an absent advisor's work across the whole team")
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setAccessibleName("Reason for the reassignment")
        self.reason_edit.setPlaceholderText("Reason, e.g. annual leave (recorded in each referral's history)")
        self.reason_edit.setMaxLength(200)
        self.move_selected_button = QPushButton("Reassign selected (Ctrl+Enter)", self)
        self.move_selected_button.setAccessibleName("Reassign the selected referrals")
        self.move_all_button = QPushButton("Reassign all of this advisor's work (Ctrl+Shift+E)", self)
        self.move_all_button.setAccessibleName("Reassign all of the chosen advisor's open work")
        self.refresh_button = QPushButton("Refresh (F5)", self)
        self.refresh_button.setAccessibleName("Refresh the workload")
        self.move_selected_button.clicked.connect(self.request_reassign_selected)
        self.move_all_button.clicked.connect(self.request_reassign_all)
        self.refresh_button.clicked.connect(self.refresh)

        form = QFormLayout()
        form.addRow("Give to:", self.target_combo)
        form.addRow("", self.spread_check)
        form.addRow("Reason:", self.reason_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.move_selected_button)
        buttons.addWidget(self.move_all_button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        self.confirm = ConfirmBar(self)

        self.content = QWidget(self)
        content_layout = QVBoxLayout(self.content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(self.splitter, 1)
        content_layout.addLayout(form)
        content_layout.addLayout(buttons)
        content_layout.addWidget(self.confirm)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.banner)
        layout.addWidget(self.refusal_label)
        layout.addWidget(self.content, 1000)
        layout.addStretch(1)  # keeps a refusal at the top when the content is hidden

        order: list[QWidget] = [
            self.workload_table,
            self.referrals_table,
            self.target_combo,
            self.spread_check,
            self.reason_edit,
            self.move_selected_button,
            self.move_all_button,
            self.refresh_button,
        ]
        set_tab_order(order)
        set_entry(self, self.workload_table)

    # -- the common widget interface --------------------------------------------------------------

    def set_referral(self, referral_id: int | None) -> None:
        """The desk's current referral; the team view works on whole caseloads, so it only remembers it."""
        self._referral_id = referral_id

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Every time the lead comes back to the view: the workload moves all day.
        if not self._busy:
            self.live_refresh.forget()  # what changed while it was hidden, this read shows
            self.refresh()

    def follow(self, seen: SignalInstance) -> None:
        """Follow the desk's change watch (LiveUpdates.changes_seen)."""
        self.live_refresh.follow(seen)

    # -- background work --------------------------------------------------------------------------

    def _run(
        self,
        name: str,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        def done(result: object) -> None:
            if isValid(self):
                on_done(result)

        def failed(exc: BaseException) -> None:
            if isValid(self):
                (on_error or self._failed)(exc)

        self.ctx.tasks.run(fn, done, failed, key=f"TeamLeadView:{id(self)}:{name}" if name else None)

    def _failed(self, exc: BaseException) -> None:
        self.live_refresh.done()
        if isinstance(exc, PermissionDenied):
            self._refuse(str(exc))
            return
        self._busy = False
        self._set_enabled()
        self.banner.error(describe_error(exc))

    def _refuse(self, message: str) -> None:
        self._refused = True
        self._team = None
        self.workload_model.set_loads([])
        self.referrals_model.set_rows([])
        self.content.hide()
        self.refusal_label.setText(message)
        self.refusal_label.show()
        announce(self, message)
        self._set_enabled()

    def refusal_text(self) -> str:
        return self.refusal_label.text() if self.refusal_label.isVisible() else ""

    # -- loading ----------------------------------------------------------------------------------

    def _team_id(self) -> int | None:
        actor = self.ctx.actor
        return None if actor.role is Role.ADMIN else actor.team_id

    def refresh(self) -> None:
        services, actor, team = self.ctx.services, self.ctx.actor, self._team_id()

        def fetch() -> _Team:
            return _Team(services.assignment.workload(actor, team), services.assignment.advisors(actor, team))

        self._run("team", fetch, self._team_loaded)

    def _live_refresh(self, changes: FeedChanges) -> None:
        """Another desk changed referrals: the workload and the chosen advisor's list, one read."""
        if self._busy or self._refused or self._team is None:
            self.live_refresh.done()  # a move's own refresh, or the first load, is on its way
            return
        services, actor, team = self.ctx.services, self.ctx.actor, self._team_id()
        chosen = self.chosen_advisor()
        uid = chosen.user_id if chosen is not None else None
        scope = Scope.ALL if actor.role is Role.ADMIN else Scope.TEAM

        def fetch() -> _Team:
            loads = services.assignment.workload(actor, team)
            advisors = services.assignment.advisors(actor, team)
            rows = _fetch_rows(services, actor, scope, uid) if uid is not None else None
            return _Team(loads, advisors, uid, rows)

        self._run("team", fetch, lambda fresh: self._live_loaded(fresh, changes))

    def _live_loaded(self, team: _Team, changes: FeedChanges) -> None:
        self.live_refresh.done()
        chosen = self.chosen_advisor()
        if self._busy or chosen is None or team.rows_of != chosen.user_id or team.rows is None:
            self._team_loaded(team)  # the lead moved on meanwhile: as F5 would
            return
        if self.workload_model.row_of(chosen.user_id) < 0 or all(
            load.user_id != chosen.user_id for load in team.loads
        ):
            self._team_loaded(team)
            return
        self._team = team
        with keeping_place(self.workload_table, self.workload_model, _load_key):
            self.workload_model.update_rows(team.loads, _load_key)
        if [(i, n) for i, n in team.advisors] != self._advisor_items():
            self._fill_targets(team.advisors)
        selected = set(self.selected_referral_ids())
        before = {r.referral_id: r for r in self.referrals_model.rows()}
        with keeping_place(self.referrals_table, self.referrals_model, _row_key):
            self.referrals_model.update_rows(team.rows, _row_key)
        load = next(load for load in team.loads if load.user_id == chosen.user_id)
        self._say_rows(load, len(team.rows))
        self._set_enabled()
        after = {r.referral_id: r for r in team.rows}
        gone = [rid for rid in selected if rid not in after]
        altered = [rid for rid in selected if rid in after and after[rid] != before.get(rid)]
        said = _selection_news(gone, altered, changes)
        if said:
            self.banner.info(said)  # spoken, too

    def _advisor_items(self) -> list[tuple[int, str]]:
        items = [
            (self.target_combo.itemData(i), self.target_combo.itemText(i))
            for i in range(self.target_combo.count())
        ]
        return [(int(uid), name) for uid, name in items if uid != POOL]

    def _fill_targets(self, advisors: list[tuple[int, str]]) -> None:
        target = self.target_combo.currentData()
        self.target_combo.clear()
        for uid, name in advisors:
            self.target_combo.addItem(name, uid)
        self.target_combo.addItem("Nobody: back to the team's unassigned pool", POOL)
        index = self.target_combo.findData(target) if target is not None else -1
        self.target_combo.setCurrentIndex(max(index, 0))

    def _team_loaded(self, team: _Team) -> None:
        self.live_refresh.done()
        self._refused = False
        self.refusal_label.hide()
        self.content.show()
        chosen = self.chosen_advisor()
        self._team = team
        self.workload_model.set_loads(team.loads)
        self._fill_targets(team.advisors)
        row = self.workload_model.row_of(chosen.user_id) if chosen else -1
        if row < 0:
            # Start on the first advisor with work (the pool row comes first).
            row = next((i for i, r in enumerate(team.loads) if r.user_id != UNASSIGNED_ID and r.open), 0)
        self.workload_table.selectionModel().setCurrentIndex(
            self.workload_model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self._advisor_changed()
        self._set_enabled()

    def chosen_advisor(self) -> AdvisorLoad | None:
        index = self.workload_table.selectionModel().currentIndex()
        return self.workload_model.load(index.row()) if index.isValid() else None

    def choose_advisor(self, user_id: int) -> bool:
        row = self.workload_model.row_of(user_id)
        if row < 0:
            return False
        self.workload_table.selectionModel().setCurrentIndex(
            self.workload_model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        return True

    def _advisor_changed(self) -> None:
        load = self.chosen_advisor()
        self.referrals_model.set_rows([])
        if load is None:
            self.referrals_label.clear()
            self._set_enabled()
            return
        self.referrals_label.setText(f"Open referrals of {load.name}: loading…")
        if self.target_combo.currentData() == load.user_id:
            # Offer someone else by default: giving work to its owner is never what is meant.
            other = next(
                (
                    i
                    for i in range(self.target_combo.count())
                    if self.target_combo.itemData(i) != load.user_id
                ),
                0,
            )
            self.target_combo.setCurrentIndex(other)
        services, actor = self.ctx.services, self.ctx.actor
        scope = Scope.ALL if actor.role is Role.ADMIN else Scope.TEAM
        uid = load.user_id

        def fetch() -> list[WorklistRow]:
            return _fetch_rows(services, actor, scope, uid)

        self._run("referrals", fetch, lambda rows: self._rows_loaded(load, rows))
        self._set_enabled()

    def _rows_loaded(self, load: AdvisorLoad, rows: list[WorklistRow]) -> None:
        chosen = self.chosen_advisor()
        if chosen is None or chosen.user_id != load.user_id:
            return
        self.referrals_model.set_rows(rows)
        self._say_rows(load, len(rows))
        self._set_enabled()

    def _say_rows(self, load: AdvisorLoad, shown: int) -> None:
        extra = f" (first {shown} of {load.open})" if shown < load.open else ""
        self.referrals_label.setText(f"Open referrals of {load.name}: {load.open}{extra}")

    def selected_referral_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.referrals_table.selectionModel().selectedRows())
        return [r.referral_id for r in (self.referrals_model.referral(i) for i in rows) if r is not None]

    # -- enabling ---------------------------------------------------------------------------------

    def _set_enabled(self) -> None:
        ready = self._team is not None and not self._busy and not self._refused
        load = self.chosen_advisor() if ready else None
        self.target_combo.setEnabled(ready)
        self.spread_check.setEnabled(ready)
        self.reason_edit.setEnabled(ready)
        self.move_selected_button.setEnabled(ready and self.referrals_model.rowCount() > 0)
        self.move_all_button.setEnabled(
            ready and load is not None and load.user_id != UNASSIGNED_ID and load.open > 0
        )
        self.refresh_button.setEnabled(not self._busy and not self._refused)

    # -- moving work ------------------------------------------------------------------------------

    def _target(self) -> tuple[int | None, str] | None:
        data = self.target_combo.currentData()
        if data is None:
            return None
        if data == POOL:
            return None, "the team's unassigned pool"
        return int(data), self.target_combo.currentText()

    def request_reassign_selected(self) -> None:
        if self._busy or self._team is None:
            return
        ids = self.selected_referral_ids()
        source = self.chosen_advisor()
        if not ids or source is None:
            self.banner.warning(
                "Select the referrals to move first (Shift+Down adds rows, Ctrl+A selects all)."
            )
            self.referrals_table.setFocus()
            return
        target = self._target()
        if target is None:
            return
        to_id, to_name = target
        if to_id is not None and to_id == source.user_id:
            self.banner.warning(
                f"These referrals are already {source.name}'s: choose someone else in 'Give to'."
            )
            self.target_combo.setFocus()
            return
        n = len(ids)
        reason = self.reason_edit.text().strip()
        self.confirm.ask(
            f"Give {n} referral{'s' if n != 1 else ''} of {source.name} to {to_name}?",
            "Reassign",
            lambda: self._move(lambda s, a: s.assignment.reassign(a, ids, to_id, reason), ids),
            return_focus=self.referrals_table,
        )

    def request_reassign_all(self) -> None:
        if self._busy or self._team is None:
            return
        source = self.chosen_advisor()
        if source is None or source.user_id == UNASSIGNED_ID:
            self.banner.warning("Choose the absent advisor in the workload table first.")
            self.workload_table.setFocus()
            return
        reason = self.reason_edit.text().strip()
        if self.spread_check.isChecked():
            targets: list[int] | None = [uid for uid, _ in self._team.advisors if uid != source.user_id]
            if not targets:
                self.banner.warning("There is nobody else in the team to spread the work across.")
                return
            where = f"spread evenly across {len(targets)} team member{'s' if len(targets) != 1 else ''}"
        else:
            target = self._target()
            if target is None:
                return
            to_id, to_name = target
            if to_id == source.user_id:
                self.banner.warning(
                    "Choose someone else in 'Give to', or tick 'Spread across the whole team'."
                )
                self.target_combo.setFocus()
                return
            targets = None if to_id is None else [to_id]
            where = f"to {to_name}"
        self.confirm.ask(
            f"Move all {source.open} open referrals of {source.name} {where}?",
            "Reassign all",
            # The listed referrals are the ones that move (all of them when the caseload fits a page).
            lambda: self._move(
                lambda s, a: s.assignment.reassign_all(a, source.user_id, targets, reason),
                self.referrals_model.referral_ids(),
            ),
            return_focus=self.workload_table,
        )

    def _move(self, call: Callable[[ServiceBundle, Actor], int], ids: list[int]) -> None:
        services, actor = self.ctx.services, self.ctx.actor
        self._busy = True
        self._set_enabled()
        self.banner.info("Moving…")
        self._run(
            "", lambda: call(services, actor), lambda moved: self._moved(int(moved), ids), self._move_failed
        )

    def _move_failed(self, exc: BaseException) -> None:
        # A refused move (someone outside the team, say) is an error on that move, not on the view.
        self._busy = False
        self._set_enabled()
        self.banner.error(describe_error(exc))
        self.refresh()  # what the lead sees may be stale: that is often why a move fails

    def _moved(self, moved: int, ids: list[int]) -> None:
        self._busy = False
        self.banner.success(f"Moved {moved} referral{'s' if moved != 1 else ''}.")
        for rid in ids:
            self.changed.emit(rid)
        self.reassigned.emit(moved)
        self.refresh()


def _selection_news(gone: list[int], altered: list[int], changes: FeedChanges) -> str:
    """What a live refresh did to the referrals the lead had selected, said once ("" if nothing)."""
    if not gone and not altered:
        return ""
    first = changes.last("referral", (gone or altered)[0])
    where = first.where() if first is not None else ""
    by = f" by {first.by}" if first is not None and first.by else ""
    if gone:
        n = len(gone)
        what = "A referral you selected was" if n == 1 else f"{n} referrals you selected were"
        return f"{what} just moved off this list{where}{by}."
    n = len(altered)
    what = "A referral you selected was" if n == 1 else f"{n} referrals you selected were"
    return f"{what} just changed{where}{by}."


def _fetch_rows(services: ServiceBundle, actor: Actor, scope: Scope, user_id: int) -> list[WorklistRow]:
    """The advisor's open referrals, most urgent first (the worklist service's own order)."""
    if user_id != UNASSIGNED_ID:
        return services.worklist.page(actor, WorklistFilter(scope=scope, advisor_id=user_id), limit=MAX_PAGE)
    # The worklist filter has no "unassigned" option, so the pool is picked out of the team's list;
    # bounded, because the team's list can be long.
    rows: list[WorklistRow] = []
    for page in range(MAX_UNASSIGNED_PAGES):
        batch = services.worklist.page(
            actor, WorklistFilter(scope=scope), offset=page * MAX_PAGE, limit=MAX_PAGE
        )
        rows.extend(r for r in batch if r.assigned_to_name is None)
        if len(batch) < MAX_PAGE:
            break
    return rows
