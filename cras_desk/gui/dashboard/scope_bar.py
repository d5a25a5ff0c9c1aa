"""The dashboard's scope: which service (or all) and which team (or all) every figure is for.

A team lead sees their own team by default and may ask for every team where the service lets
them; an admin starts on every team. The bar also says when the figures were last loaded, and
holds Refresh (F5).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget

from cras_desk.gui.style import set_role

DEFAULT_BOOK_WITHIN_DAYS = 14
ALL = -1  # combo data for "all services" / "all teams" (ids start at 1)


class ScopeBar(QWidget):
    changed = Signal()  # the service, team or booking window was changed by the lead
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dashboardScope")
        self.setAccessibleName("Dashboard scope")
        self.service = QComboBox(self)
        self.service.setObjectName("dashboardService")
        self.service.setAccessibleName("Service")
        self.team = QComboBox(self)
        self.team.setObjectName("dashboardTeam")
        self.team.setAccessibleName("Team")
        for combo in (self.service, self.team):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
        self.book_within = QSpinBox(self)
        self.book_within.setObjectName("dashboardBookWithin")
        self.book_within.setAccessibleName("Breach warning: book within days")
        self.book_within.setToolTip(
            "Warn about referrals that will breach unless booked within this many days"
        )
        self.book_within.setRange(1, 90)
        self.book_within.setValue(DEFAULT_BOOK_WITHIN_DAYS)
        self.book_within.setSuffix(" days")
        service_label = QLabel("&Service:", self)
        service_label.setBuddy(self.service)
        team_label = QLabel("&Team:", self)
        team_label.setBuddy(self.team)
        within_label = QLabel("&Warn unless booked within:", self)
        within_label.setBuddy(self.book_within)
        self.updated = QLabel(self)
        self.updated.setObjectName("dashboardUpdated")
        self.updated.setAccessibleName("When the figures were loaded")
        set_role(self.updated, "hint")
        self.refresh_button = QPushButton("Refresh (F5)", self)
        self.refresh_button.setAccessibleName("Refresh every figure")
        self.refresh_button.clicked.connect(self.refresh_requested)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(service_label)
        layout.addWidget(self.service, 1)
        layout.addSpacing(8)
        layout.addWidget(team_label)
        layout.addWidget(self.team, 1)
        layout.addSpacing(8)
        layout.addWidget(within_label)
        layout.addWidget(self.book_within)
        layout.addSpacing(8)
        layout.addWidget(self.updated, 1)
        layout.addWidget(self.refresh_button)

        self.service.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.team.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.book_within.editingFinished.connect(self._within_edited)
        self._within = self.book_within.value()

    def _within_edited(self) -> None:
        # Only once the lead has finished typing: "21" is not a query for 2 days, then one for 21.
        if self.book_within.value() != self._within:
            self._within = self.book_within.value()
            self.changed.emit()

    def set_options(
        self,
        services: Sequence[tuple[int, str]],
        teams: Sequence[tuple[int, str]],
        *,
        all_teams: bool,
        team_id: int | None,
    ) -> None:
        """Fill the combos (keeping what is chosen where it is still offered) without emitting."""
        chosen_service, chosen_team = self.service_id(), self.team_id()
        first = self.service.count() == 0
        for combo in (self.service, self.team):
            combo.blockSignals(True)
            combo.clear()
        self.service.addItem("All services", ALL)
        for sid, name in services:
            self.service.addItem(name, sid)
        if all_teams:
            self.team.addItem("All teams", ALL)
        for tid, name in teams:
            self.team.addItem(name, tid)
        want_team = team_id if first else chosen_team
        at = self.team.findData(ALL if want_team is None else want_team)
        self.team.setCurrentIndex(max(at, 0))
        at = self.service.findData(ALL if chosen_service is None else chosen_service)
        self.service.setCurrentIndex(max(at, 0))
        for combo in (self.service, self.team):
            combo.blockSignals(False)

    def service_id(self) -> int | None:
        data = self.service.currentData()
        return None if data in (None, ALL) else int(data)

    def team_id(self) -> int | None:
        data = self.team.currentData()
        return None if data in (None, ALL) else int(data)

    def choose(self, *, service_id: int | None = None, team_id: int | None = None) -> bool:
        """Choose a service and team as the lead would (emits `changed` once if anything moved)."""
        s_at = self.service.findData(ALL if service_id is None else service_id)
        t_at = self.team.findData(ALL if team_id is None else team_id)
        if s_at < 0 or t_at < 0:
            return False
        moved = s_at != self.service.currentIndex() or t_at != self.team.currentIndex()
        for combo, at in ((self.service, s_at), (self.team, t_at)):
            combo.blockSignals(True)
            combo.setCurrentIndex(at)
            combo.blockSignals(False)
        if moved:
            self.changed.emit()
        return True

    def describe(self) -> str:
        """The scope in words: "Physiotherapy, Brighton & Hove"."""
        return f"{self.service.currentText() or 'All services'}, {self.team.currentText() or 'all teams'}"

    def set_updated(self, at: datetime | None, *, loading: bool = False) -> None:
        if loading:
            self.updated.setText("Loading the figures…")
        elif at is not None:
            self.updated.setText(f"Figures as at {at:%H:%M:%S}")
        else:
            self.updated.clear()
        self.updated.setAccessibleName(self.updated.text() or "When the figures were loaded")

    def set_busy(self, busy: bool) -> None:
        self.refresh_button.setEnabled(not busy)
