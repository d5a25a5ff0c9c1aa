"""The team lead's early-warning dashboard: figures from SQL aggregates, and the demand forecast.

See figures.py for how to call it.
"""

from __future__ import annotations

from cras_desk.services.dashboard.figures import DashboardFigures, DashboardScope
from cras_desk.services.dashboard.service import DashboardService

__all__ = ["DashboardFigures", "DashboardScope", "DashboardService"]
