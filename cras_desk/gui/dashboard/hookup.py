"""Joins the dashboard to the desk: an early warning opens its referral, or the worklist filtered.

Kept apart from view.py so the main window can import it at start-up without importing QtCharts:
the dashboard itself is built only when its tab is first opened (features.FeatureSlot).

A lead's desk also loads the forecast's libraries (statsmodels, pandas: over a second) on a
thread of their own a little after start-up, as the forecast module suggests, so the first
opening of the dashboard does not wait for them; an advisor's desk never loads them.
"""

from __future__ import annotations

import contextlib
import threading
from functools import cache
from typing import Protocol

from PySide6.QtWidgets import QWidget

from cras_desk.gui.widgets.announcer import announce
from cras_desk.gui.worklist.panel import WorklistPanel
from cras_desk.services.worklist import WorklistFilter

PREPARE_AFTER_MS = 8000  # after the first page, the background start and the panels' warm-up


class Desk(Protocol):
    """What the dashboard needs of the main window."""

    worklist: WorklistPanel

    def show_desk(self) -> None: ...

    def open_referral(self, referral_id: int) -> None: ...


def connect_dashboard(desk: Desk, view: QWidget) -> None:
    """Wire a built DashboardView (its referral_requested and worklist_requested) to the desk."""

    def open_referral(referral_id: int) -> None:
        desk.show_desk()
        desk.open_referral(referral_id)

    def show_worklist(flt: WorklistFilter, what: str) -> None:
        desk.show_desk()
        shown = show_in_worklist(desk.worklist, flt)
        desk.worklist.focus_table()
        if shown:
            announce(desk.worklist, f"The worklist now shows {what}.")
        else:
            announce(desk.worklist, f"The worklist cannot show {what} for you.")

    view.referral_requested.connect(open_referral)  # type: ignore[attr-defined]
    view.worklist_requested.connect(show_worklist)  # type: ignore[attr-defined]


def show_in_worklist(panel: WorklistPanel, flt: WorklistFilter) -> bool:
    """Set the worklist's own filter controls to flt, then load it once (not once per control).

    The controls are set rather than the model's filter alone, so what the advisor sees in them
    is what the list holds, and F5 or a change of sort keeps it. False if the worklist has no
    such choice for this user (an advisor asked for all teams).
    """
    scope_at = panel.scope.findData(flt.scope)
    service_at = panel.service.findData(flt.service) if flt.service is not None else 0
    if flt.to_do:
        status_at = 0  # "To do" is the first entry
    elif flt.status is not None:
        status_at = panel.status.findData(flt.status)
    else:
        status_at = 1  # "Open, booked too"
    if min(scope_at, service_at, status_at) < 0:
        return False
    controls = (
        panel.scope,
        panel.service,
        panel.priority,
        panel.status,
        panel.breach,
        panel.callbacks,
        panel.search,
    )
    for widget in controls:
        widget.blockSignals(True)
    try:
        panel.scope.setCurrentIndex(scope_at)
        panel.service.setCurrentIndex(service_at)
        at = panel.priority.findData(flt.priority) if flt.priority is not None else 0
        panel.priority.setCurrentIndex(max(at, 0))
        panel.status.setCurrentIndex(status_at)
        panel.breach.setValue(-1 if flt.breach_within_days is None else flt.breach_within_days)
        panel.callbacks.setChecked(flt.callbacks_due)
        panel.search.setText(flt.search)
    finally:
        for widget in controls:
            widget.blockSignals(False)
    panel.search_hint.clear()
    panel.model.set_filter(panel.current_filter())
    return True


@cache
def prepare_forecasting() -> threading.Thread:
    """Import the forecasting libraries once, on a daemon thread (not the database worker, which
    a second's import would hold up)."""

    def load() -> None:
        from cras_desk.services.dashboard import forecast

        with contextlib.suppress(ImportError):  # the dashboard says so itself when it is opened
            forecast.prepare()

    thread = threading.Thread(target=load, name="prepare-forecasting", daemon=True)
    thread.start()
    return thread
