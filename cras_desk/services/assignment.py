"""Who has what: the team lead's workload view and bulk reassignment.

Only team leads (and admins) may use this service; advisors are refused here, not only hidden from
the menu. A lead sees and moves the work of their own team; an admin any team's, and may move work
across teams (the referral then joins the new owner's team).

Decisions worth knowing:
- Reassigning does not take or break a claim: an advisor on the phone with the patient keeps the
  referral until they release it (or the claim expires); the referral is theirs to finish, and the
  new owner sees it once it is free. So reassignment does not go through claims.ensure_claim.
- Counts in AdvisorLoad are over open referrals assigned to the user:
  due_today: a follow-up (callback, retry day, reply window) falls due by the end of today in
  London; referrals never scheduled (next_action_at empty) are not counted, they are in `open`.
  breaching_2w: the RTT breach date is within 14 days (or already past).
  claimed_now: under a live claim by anyone, so not free to be picked up by the new owner yet.
- Users who still hold open work of the team are listed even if they left it or were deactivated,
  so the lead can see and move that work.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.orm import Session

from cras_desk.db import change_feed
from cras_desk.db.engine import Database
from cras_desk.db.models import Assignment, Referral, User
from cras_desk.domain import input_rules
from cras_desk.domain.clock import LONDON, today_london, utcnow
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import NotFound, PermissionDenied, ValidationError
from cras_desk.services import access, audit
from cras_desk.services.actor import Actor

UNASSIGNED_ID = 0  # user_id of the "Unassigned" pseudo-row (ids from the database start at 1)
UNASSIGNED_NAME = "Unassigned"
BREACH_WINDOW_DAYS = 14
# Both backends cap bound parameters per statement (SQLite 32,766; PostgreSQL 65,535), and a lead
# may move thousands of referrals at once: IN lists are sent in chunks of this size.
_CHUNK = 1000
_REASON_MAX = 200  # assignments.reason is VARCHAR(200)
_ASSIGNABLE_ROLES = (Role.ADVISOR, Role.TEAM_LEAD)

T = TypeVar("T")


@dataclass(frozen=True)
class AdvisorLoad:
    user_id: int
    name: str
    team_id: int | None
    open: int
    due_today: int
    breaching_2w: int
    claimed_now: int


@dataclass(frozen=True)
class _Row:
    id: int
    patient_id: int
    team_id: int | None
    assigned_to: int | None


class AssignmentService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- reads --------------------------------------------------------------------------------

    def workload(self, actor: Actor, team_id: int | None = None) -> list[AdvisorLoad]:
        """One row per advisor and lead of the team, after an "Unassigned" row for the team's pool.

        A lead sees their own team; an admin the team asked for, or every team when none is.
        """
        actor.require(Role.TEAM_LEAD, action="see the team's workload")
        team = _team_scope(actor, team_id)
        now = utcnow()
        today = today_london()
        end_of_today = datetime.combine(today + timedelta(days=1), time(0), LONDON).astimezone(UTC)

        def count_if(condition: Any) -> Any:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        counts = (
            select(
                Referral.assigned_to,
                func.count(),
                count_if(Referral.next_action_at < end_of_today),
                count_if(Referral.breach_on <= today + timedelta(days=BREACH_WINDOW_DAYS)),
                count_if(and_(Referral.claimed_by.is_not(None), Referral.claimed_until > now)),
            )
            .where(Referral.is_open.is_(True))
            .group_by(Referral.assigned_to)
        )
        if team is not None:
            counts = counts.where(Referral.team_id == team)

        members = select(User.id, User.full_name, User.team_id, User.active).where(
            User.active.is_(True), User.role.in_(_ASSIGNABLE_ROLES)
        )
        if team is not None:
            members = members.where(User.team_id == team)

        with self.db.read() as s:
            access.caller(s, actor)
            loads = {row[0]: tuple(int(v) for v in row[1:]) for row in s.execute(counts)}
            people = {uid: (name, tid, active) for uid, name, tid, active in s.execute(members)}
            # Holders outside the member list: left the team or were deactivated with work in hand.
            missing = [uid for uid in loads if uid is not None and uid not in people]
            if missing:
                people.update(
                    {
                        uid: (name, tid, active)
                        for uid, name, tid, active in s.execute(
                            select(User.id, User.full_name, User.team_id, User.active).where(
                                User.id.in_(missing)
                            )
                        )
                    }
                )

        zero = (0, 0, 0, 0)
        result = [AdvisorLoad(UNASSIGNED_ID, UNASSIGNED_NAME, team, *loads.get(None, zero))]
        rows = [
            AdvisorLoad(uid, name if active else f"{name} (inactive)", tid, *loads.get(uid, zero))
            for uid, (name, tid, active) in people.items()
        ]
        rows.sort(key=lambda r: (r.name.casefold(), r.user_id))
        return result + rows

    def advisors(self, actor: Actor, team_id: int | None = None) -> list[tuple[int, str]]:
        """Active advisors and leads of the team, by name: who work may be given to."""
        actor.require(Role.TEAM_LEAD, action="list the team's advisors")
        team = _team_scope(actor, team_id)
        query = (
            select(User.id, User.full_name)
            .where(User.active.is_(True), User.role.in_(_ASSIGNABLE_ROLES))
            .order_by(User.full_name, User.id)
        )
        if team is not None:
            query = query.where(User.team_id == team)
        with self.db.read() as s:
            access.caller(s, actor)
            return [(uid, name) for uid, name in s.execute(query)]

    # -- changes ------------------------------------------------------------------------------

    def reassign(
        self, actor: Actor, referral_ids: Sequence[int], to_user_id: int | None, reason: str = ""
    ) -> int:
        """Give the referrals to one advisor (None: back to the team pool). Returns how many moved.

        All or nothing: one referral the lead may not move refuses the whole call.
        """
        actor.require(Role.TEAM_LEAD, action="reassign work")
        reason = _reason(reason)
        ids = list(dict.fromkeys(int(i) for i in referral_ids))
        if not ids:
            return 0
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            actor = access.caller(s, actor)
            target_team = _check_target(s, actor, to_user_id)
            rows = _lock_rows(s, ids)
            missing = set(ids) - {r.id for r in rows}
            if missing:
                raise NotFound(f"{len(missing)} of the referrals no longer exist; refresh the list.")
            _check_scope(actor, rows)
            return _move(s, actor, rows, to_user_id, target_team, reason)

    def reassign_all(
        self, actor: Actor, from_user_id: int, to_user_ids: Sequence[int] | None, reason: str
    ) -> int:
        """Move all of an absent advisor's open work: to one advisor, spread round-robin over
        several (most urgent first, so each gets a fair share of the urgent work), or with None
        back to the team pool. Returns how many moved."""
        actor.require(Role.TEAM_LEAD, action="reassign work")
        reason = _reason(reason)
        targets: list[int | None]
        if to_user_ids is None:
            targets = [None]
        else:
            targets = list(dict.fromkeys(int(u) for u in to_user_ids))
            if not targets:
                raise ValidationError("Choose at least one advisor to give the work to.")
            if from_user_id in targets:
                raise ValidationError("The work cannot be given back to the advisor it is taken from.")
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            actor = access.caller(s, actor)
            source = s.get(User, from_user_id)
            if source is None:
                raise NotFound("No such user.")
            target_teams = {t: _check_target(s, actor, t) for t in targets}
            query = (
                select(Referral.id, Referral.patient_id, Referral.team_id, Referral.assigned_to)
                .where(Referral.assigned_to == from_user_id, Referral.is_open.is_(True))
                .order_by(Referral.priority_rank, Referral.breach_on, Referral.id)
                .with_for_update()
            )
            if actor.role is not Role.ADMIN:
                query = query.where(Referral.team_id == actor.team_id)
            rows = [_Row(*r) for r in s.execute(query)]
            if not rows and actor.role is not Role.ADMIN and source.team_id != actor.team_id:
                raise PermissionDenied(f"{source.full_name} is not in your team.")
            moved = 0
            for i, target in enumerate(targets):
                share = rows[i :: len(targets)]
                if share:
                    moved += _move(s, actor, share, target, target_teams[target], reason)
            return moved


# -- helpers ------------------------------------------------------------------------------------


def _team_scope(actor: Actor, team_id: int | None) -> int | None:
    """The team a lead may look at (always their own); for admins, the one asked for or all."""
    if actor.role is Role.ADMIN:
        return team_id
    if team_id is not None and team_id != actor.team_id:
        raise PermissionDenied("A team lead can only see their own team's work.")
    if actor.team_id is None:
        raise PermissionDenied("You are not in a team, so there is no team work to show.")
    return actor.team_id


def _reason(reason: str) -> str:
    reason = input_rules.check_text(reason, "The reason").strip()
    if len(reason) > _REASON_MAX:
        raise ValidationError(f"The reason is too long (at most {_REASON_MAX} characters).")
    return reason


def _check_target(s: Session, actor: Actor, to_user_id: int | None) -> int | None:
    """Refuse a target who cannot take work from this actor; return the target's team."""
    if to_user_id is None:
        return None
    user = s.get(User, to_user_id)
    if user is None:
        raise NotFound("No such user to give the work to.")
    if not user.active:
        raise ValidationError(f"{user.full_name}'s account is inactive: choose someone else.")
    if user.role not in _ASSIGNABLE_ROLES:
        raise ValidationError(f"{user.full_name} is not an advisor or team lead and cannot hold work.")
    if actor.role is not Role.ADMIN and user.team_id != actor.team_id:
        raise PermissionDenied(
            f"{user.full_name} is not in your team: only an admin can move work across teams."
        )
    return user.team_id


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lock_rows(s: Session, ids: Sequence[int]) -> list[_Row]:
    # FOR UPDATE on PostgreSQL, so the "from" written to the history is the owner we replace even
    # when two leads move the same referrals at once; SQLite's write transaction already serialises.
    rows: list[_Row] = []
    for chunk in _chunks(ids):
        query = (
            select(Referral.id, Referral.patient_id, Referral.team_id, Referral.assigned_to)
            .where(Referral.id.in_(chunk))
            .with_for_update()
        )
        rows.extend(_Row(*r) for r in s.execute(query))
    return rows


def _check_scope(actor: Actor, rows: Iterable[_Row]) -> None:
    if actor.role is Role.ADMIN:
        return
    outside = sum(1 for r in rows if r.team_id != actor.team_id)
    if outside:
        raise PermissionDenied(
            f"{outside} of the selected referrals belong to another team: a team lead can only move "
            "their own team's work."
        )


def _move(
    s: Session,
    actor: Actor,
    rows: Sequence[_Row],
    to_user_id: int | None,
    target_team: int | None,
    reason: str,
) -> int:
    """Bulk-move rows to the target: UPDATE, history, change feed and audit, a statement each."""
    # An admin moving work to someone in another team moves it into that team; unassigning keeps
    # the referral in its team's pool.
    new_team = {r.id: target_team if to_user_id is not None else r.team_id for r in rows}
    changing = [r for r in rows if r.assigned_to != to_user_id or r.team_id != new_team[r.id]]
    if not changing:
        return 0
    at = utcnow()
    by_team: dict[int | None, list[int]] = {}
    for r in changing:
        by_team.setdefault(new_team[r.id], []).append(r.id)
    for team, ids in by_team.items():
        for chunk in _chunks(ids):
            s.execute(
                update(Referral)
                .where(Referral.id.in_(chunk))
                .values(assigned_to=to_user_id, team_id=team, updated_at=at)
                .execution_options(synchronize_session=False)
            )
    s.execute(
        insert(Assignment),
        [
            {
                "referral_id": r.id,
                "from_user_id": r.assigned_to,
                "to_user_id": to_user_id,
                "by_user_id": actor.user_id,
                "at": at,
                "reason": reason or None,
            }
            for r in changing
        ],
    )
    change_feed.record(s, "referral", [r.id for r in changing], "update", actor.user_id)
    audit.record_many(
        s,
        actor,
        "reassign",
        "referral",
        [(r.id, r.patient_id, _detail(r, to_user_id, new_team[r.id], reason)) for r in changing],
    )
    return len(changing)


def _detail(r: _Row, to_user_id: int | None, team: int | None, reason: str) -> dict[str, Any]:
    detail: dict[str, Any] = {"from_user_id": r.assigned_to, "to_user_id": to_user_id}
    if team != r.team_id:
        detail["from_team_id"] = r.team_id
        detail["to_team_id"] = team
    if reason:
        detail["reason"] = reason
    return detail
