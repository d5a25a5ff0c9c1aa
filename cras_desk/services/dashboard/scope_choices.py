"""What the dashboard's scope may be set to, for this actor: the services, and the teams they may see.

A team lead may see their own team only (DashboardService refuses any other), so that is the one
team offered; an admin is offered every team and "all teams", and starts on all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from cras_desk.db.engine import Database
from cras_desk.db.models import Service, Team
from cras_desk.domain.enums import Role, ServiceCode
from cras_desk.domain.errors import PermissionDenied
from cras_desk.services import access
from cras_desk.services.actor import Actor
from cras_desk.services.dashboard.figures import DashboardScope


@dataclass(frozen=True, slots=True)
class ServiceChoice:
    service_id: int
    code: ServiceCode
    name: str


@dataclass(frozen=True, slots=True)
class TeamChoice:
    team_id: int
    name: str


@dataclass(frozen=True, slots=True)
class ScopeChoices:
    services: tuple[ServiceChoice, ...]  # by name
    teams: tuple[TeamChoice, ...]  # by name; a lead's own team only
    all_teams: bool  # "all teams" may be chosen (admins)
    default: DashboardScope


def scope_choices(db: Database, actor: Actor) -> ScopeChoices:
    actor.require(Role.TEAM_LEAD, action="see the dashboard")
    admin = actor.role is Role.ADMIN
    if not admin and actor.team_id is None:
        raise PermissionDenied("You are not in a team, so there is no team dashboard to show.")
    with db.read() as s:
        access.caller(s, actor)
        services = tuple(
            ServiceChoice(sid, code, name)
            for sid, code, name in s.execute(
                select(Service.id, Service.code, Service.name).order_by(Service.name)
            )
        )
        query = select(Team.id, Team.name).order_by(Team.name)
        if not admin:
            query = query.where(Team.id == actor.team_id)
        teams = tuple(TeamChoice(tid, name) for tid, name in s.execute(query))
    return ScopeChoices(services, teams, admin, DashboardScope(None, None if admin else actor.team_id))
