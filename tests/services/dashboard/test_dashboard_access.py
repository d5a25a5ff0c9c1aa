"""Who may see the dashboard, and what it shows over an empty service."""

from __future__ import annotations

from datetime import datetime

import pytest
from world import World

from cras_desk.db.engine import Database
from cras_desk.db.models import User
from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import PermissionDenied
from cras_desk.services.actor import Actor
from cras_desk.services.auth import actor_of
from cras_desk.services.dashboard import DashboardScope, DashboardService


def _calls(service: DashboardService, actor: Actor, scope: DashboardScope, now: datetime) -> list[object]:
    today = today_london()
    return [
        lambda: service.demand(actor, scope, today),
        lambda: service.waiting_list(actor, scope, today),
        lambda: service.capacity(actor, scope, now),
        lambda: service.early_warnings(actor, scope, now),
        lambda: service.unit_activity(actor, scope, now),
        lambda: service.all_figures(actor, scope, now),
    ]


def test_an_advisor_is_refused_every_figure(world: World) -> None:
    service = DashboardService(world.db)
    amy = world.actor("amy")
    for call in _calls(service, amy, DashboardScope(team_id=amy.team_id), utcnow()):
        with pytest.raises(PermissionDenied):
            call()  # type: ignore[operator]


def test_a_lead_sees_their_own_team_only(world: World) -> None:
    service = DashboardService(world.db)
    lena = world.actor("lena")
    other = world.actor("cara").team_id
    assert other != lena.team_id
    now = utcnow()
    for scope in (
        DashboardScope(),
        DashboardScope(team_id=other),
        DashboardScope(service_id=1, team_id=other),
    ):
        for call in _calls(service, lena, scope, now):
            with pytest.raises(PermissionDenied):
                call()  # type: ignore[operator]
    own = service.all_figures(lena, DashboardScope(team_id=lena.team_id), now)
    assert own.scope.team_id == lena.team_id


def test_an_admin_sees_any_team_and_all(world: World) -> None:
    service = DashboardService(world.db)
    root = world.actor("root")
    now = utcnow()
    for scope in (DashboardScope(), DashboardScope(team_id=world.actor("cara").team_id)):
        assert service.all_figures(root, scope, now).scope == scope


def test_an_empty_service_has_figures_of_nothing(db: Database) -> None:
    # Services check the caller's users row, so even an empty service has its admin.
    with db.write() as s:
        user = User(username="admin", full_name="Admin", role=Role.ADMIN, team_id=None, password_hash="-")
        s.add(user)
        s.flush()
        admin = actor_of(user)
    figures = DashboardService(db).all_figures(admin, DashboardScope(), utcnow())
    assert figures.demand.history == () and figures.demand.forecast is None
    assert figures.waiting_list.open_count == 0
    assert figures.waiting_list.share_within_18 is None and figures.waiting_list.meets_standard is None
    assert figures.waiting_list.median_days is None and figures.waiting_list.p92_days is None
    assert [b.count for b in figures.waiting_list.bands] == [0, 0, 0, 0]
    assert figures.capacity.cells == () and figures.capacity.services == ()
    assert figures.early_warnings.breach_risk.total == 0
    assert (
        figures.early_warnings.site_shortfalls == () and figures.early_warnings.overdue_callbacks_total == 0
    )
    assert figures.unit_activity.team_week.contact_rate is None
