"""Feature widgets the main window hosts, built the first time they are needed.

Each slot knows the module and class of its feature and imports it only when the slot is first
shown (or asked for), so start-up pays for the worklist alone: the team view, the print queue
and their imports (reportlab among them) cost nothing until used. A feature that is not
installed shows a placeholder rather than taking the desk down.

A new screen is a Feature entry here and a FeatureSlot tab in the main window, beside Team.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.accessible_names import name_combos
from cras_desk.gui.widgets.tab_order import set_entry
from cras_desk.gui.widgets.vertical_scroll import reveal_current

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Feature:
    key: str
    title: str
    module: str
    cls: str


OUTCOME = Feature("outcome", "Call outcome", "cras_desk.gui.call_outcome.panel", "CallOutcomePanel")
CHOICE = Feature("choice", "Choice script", "cras_desk.gui.choice.panel", "ChoicePanel")
BOOKING = Feature("booking", "Booking", "cras_desk.gui.booking.panel", "BookingPanel")
TEAM = Feature("team", "Team", "cras_desk.gui.team.view", "TeamLeadView")
DASHBOARD = Feature("dashboard", "Dashboard", "cras_desk.gui.dashboard.view", "DashboardView")
IMPORTS = Feature("imports", "Imports", "cras_desk.gui.imports.view", "ImportView")
LETTERS = Feature("letters", "Letters", "cras_desk.gui.letters.print_queue_widget", "PrintQueueWidget")


def desk_factory(feature: Feature) -> Callable[[DeskContext, QWidget], QWidget]:
    """Build a feature that takes the desk context, as every call-flow panel does."""

    def build(ctx: DeskContext, parent: QWidget) -> QWidget:
        cls: Callable[[DeskContext, QWidget], QWidget] = getattr(
            importlib.import_module(feature.module), feature.cls
        )
        return cls(ctx, parent)

    return build


def letters_factory(ctx: DeskContext, parent: QWidget) -> QWidget:
    module = importlib.import_module(LETTERS.module)
    widget: QWidget = module.PrintQueueWidget(ctx.services.letters, ctx.actor, ctx.tasks.run, parent)
    return widget


class FeatureSlot(QWidget):
    """Holds one feature widget; builds it on first show or first call to widget()."""

    built = Signal(object)  # the feature widget, its combo boxes named by their labels

    def __init__(
        self,
        feature: Feature,
        ctx: DeskContext,
        factory: Callable[[DeskContext, QWidget], QWidget] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.feature = feature
        self.ctx = ctx
        self._factory = factory or desk_factory(feature)
        self._widget: QWidget | None = None
        self._failed = False
        self.setObjectName(f"slot_{feature.key}")
        self.setAccessibleName(feature.title)
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)

    @property
    def ready(self) -> QWidget | None:
        """The feature widget if it has been built (never builds it)."""
        return self._widget

    def widget(self) -> QWidget | None:
        """The feature widget, built now if need be; None if the feature cannot be loaded."""
        if self._widget is None and not self._failed:
            try:
                self._widget = self._factory(self.ctx, self)
            except ImportError as exc:
                self._failed = True
                log.warning("feature %s not available: %s", self.feature.key, exc)
                placeholder = QLabel(f"{self.feature.title} is not available in this installation.", self)
                placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
                placeholder.setAccessibleName(placeholder.text())
                self._box.addWidget(placeholder)
                return None
            self._box.addWidget(self._widget)
            set_entry(self, self._widget)
            name_combos(self._widget)
            self.built.emit(self._widget)
        return self._widget

    def enter(self) -> None:
        """Focus the feature's first control (building it if need be), scrolled into view."""
        widget = self.widget()
        if widget is None:
            return
        widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
        focused = QApplication.focusWidget()
        if focused is not None and widget.isAncestorOf(focused):
            reveal_current(focused)  # the slot list's row, the outcomes: in view on a short screen

    def showEvent(self, event: QShowEvent) -> None:
        self.widget()
        super().showEvent(event)
