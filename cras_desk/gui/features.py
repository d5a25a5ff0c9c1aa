"""Feature widgets the main window hosts, built the first time they are needed.

Each slot knows the module and class of its feature and imports it only when the slot is first
shown (or asked for), so start-up pays for the worklist alone: the team view, the print queue
and their imports (reportlab among them) cost nothing until used. A feature that is not
installed shows a placeholder rather than taking the desk down.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.tab_order import set_entry

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
LETTERS = Feature("letters", "Letters", "cras_desk.gui.letters.print_queue_widget", "PrintQueueWidget")


def desk_factory(feature: Feature) -> Callable[[DeskContext, QWidget], QWidget]:
    """Build a feature that takes the desk context, as every call-flow panel does."""

    def build(ctx: DeskContext, parent: QWidget) -> QWidget:
        cls = getattr(importlib.import_module(feature.module), feature.cls)
        return cls(ctx, parent)

    return build


def letters_factory(ctx: DeskContext, parent: QWidget) -> QWidget:
    module = importlib.import_module(LETTERS.module)
    return module.PrintQueueWidget(ctx.services.letters, ctx.actor, ctx.tasks.run, parent)


class FeatureSlot(QWidget):
    """Holds one feature widget; builds it on first show or first call to widget()."""

    built = Signal(object)  # the feature widget

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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

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
                self.layout().addWidget(placeholder)
                return None
            self.layout().addWidget(self._widget)
            set_entry(self, self._widget)
            self.built.emit(self._widget)
        return self._widget

    def showEvent(self, event: QShowEvent) -> None:
        self.widget()
        super().showEvent(event)
