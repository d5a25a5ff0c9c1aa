"""Who is really calling, and whether the record asked for is theirs to touch.

A service is handed an Actor built by its caller, which could be stale (the user was deactivated,
moved team or changed role while their desk stayed open) or forged (an advisor's id with the admin
role). So every public service call, inside its own session, loads the caller's users row by
primary key and refuses unless the row is there, active, and agrees with the Actor's role and
team; from then on the row is the truth (a Caller). Scope checks then say whether a referral (or
the patient, booking or letter reached through one) belongs to the caller:

- advisor and team lead: referrals of their own team, or assigned to them;
- admin: every referral.

Each check is one indexed query: the users row by primary key, with the record asked for joined
by its id in the same statement. A record that does not exist is not refused here: the service
says "does not exist" in its own words.

On a central database where each person connects as their own login role (Database's
personal_login), who is calling is what the server says: the same statement reads session_user,
and an Actor that is not the connected login is refused, whatever it claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, false, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cras_desk.db.engine import PERSONAL_LOGIN
from cras_desk.db.models import Booking, Letter, Patient, Referral, User
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import PermissionDenied
from cras_desk.services.actor import Actor

DEACTIVATED = "Your account has been deactivated; sign in again."
UNKNOWN_USER = "Your account no longer exists; sign in again."
CHANGED = "Your role or team has changed since you signed in; sign in again."
NOT_YOU = "This desk is signed in as someone else; sign in again."
OTHER_TEAM = "This referral belongs to another team."
OTHER_TEAM_PATIENT = "This patient's referrals belong to another team."


@dataclass(frozen=True)
class Caller(Actor):
    """An Actor checked against its users row in this transaction: role and team are the row's."""


_USER_COLUMNS = (User.id, User.username, User.full_name, User.role, User.team_id, User.active)


def _as_connected(session: Session, statement: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """The statement, also reading who the server says is connected when that is a person."""
    if session.info.get(PERSONAL_LOGIN):
        return statement.add_columns(func.session_user())
    return statement


def caller(session: Session, actor: Actor) -> Caller:
    """The caller's users row, checked: refuse a missing, inactive, forged or stale Actor."""
    row = session.execute(
        _as_connected(session, select(*_USER_COLUMNS).where(User.id == actor.user_id))
    ).first()
    return _checked(session, actor, row)


def for_referral(session: Session, actor: Actor, referral_id: int) -> Caller:
    """The checked caller, refused unless the referral is in their scope (one statement)."""
    return _through(session, actor, _scoped().outerjoin(Referral, Referral.id == referral_id))


def for_booking(session: Session, actor: Actor, booking_id: int) -> Caller:
    """The checked caller, refused unless the booking's referral is in their scope."""
    statement = (
        _scoped()
        .outerjoin(Booking, Booking.id == booking_id)
        .outerjoin(Referral, Referral.id == Booking.referral_id)
    )
    return _through(session, actor, statement)


def for_letter(session: Session, actor: Actor, letter_id: int) -> Caller:
    """The checked caller, refused unless the letter's referral is in their scope."""
    statement = (
        _scoped()
        .outerjoin(Letter, Letter.id == letter_id)
        .outerjoin(Referral, Referral.id == Letter.referral_id)
    )
    return _through(session, actor, statement)


def _scoped() -> Select[*tuple[Any, ...]]:
    """The caller's row and the scope of the referral a record belongs to, joined by the caller."""
    return select(*_USER_COLUMNS, Referral.id, Referral.team_id, Referral.assigned_to).select_from(User)


def _through(session: Session, actor: Actor, statement: Select[*tuple[Any, ...]]) -> Caller:
    found = session.execute(_as_connected(session, statement.where(User.id == actor.user_id))).first()
    who = _checked(session, actor, found)
    assert found is not None  # _checked refused a missing user
    _in_scope(who, found[6], found[7], found[8])
    return who


def for_letters(session: Session, actor: Actor, letter_ids: list[int]) -> Caller:
    """The checked caller, refused if any of the letters' referrals is outside their scope."""
    who = caller(session, actor)
    if who.role is Role.ADMIN or not letter_ids:
        return who
    outside = session.scalar(
        select(literal(True))
        .select_from(Letter)
        .join(Referral, Referral.id == Letter.referral_id)
        .where(Letter.id.in_(letter_ids), ~_scope_clause(who))
        .limit(1)
    )
    if outside:
        raise PermissionDenied(OTHER_TEAM)
    return who


def for_patient(session: Session, actor: Actor, patient_id: int) -> Caller:
    """The checked caller, refused unless one of the patient's referrals is in their scope."""
    known = exists().where(Patient.id == patient_id)
    mine = exists().where(
        Referral.patient_id == patient_id,
        or_(Referral.team_id == User.team_id, Referral.assigned_to == User.id),
    )
    found = session.execute(
        _as_connected(session, select(*_USER_COLUMNS, known, mine).where(User.id == actor.user_id))
    ).first()
    who = _checked(session, actor, found)
    assert found is not None
    if who.role is not Role.ADMIN and found[6] and not found[7]:
        raise PermissionDenied(OTHER_TEAM_PATIENT)
    return who


def _scope_clause(who: Caller) -> ColumnElement[bool]:
    own_team = Referral.team_id == who.team_id if who.team_id is not None else false()
    return or_(own_team, Referral.assigned_to == who.user_id)


def _checked(session: Session, actor: Actor, row: Sequence[Any] | None) -> Caller:
    if row is None:
        raise PermissionDenied(UNKNOWN_USER)
    user_id, username, full_name, role, team_id, active = row[:6]
    if session.info.get(PERSONAL_LOGIN) and row[-1] != username:
        raise PermissionDenied(NOT_YOU)  # the login connected is not the Actor's user
    if not active:
        raise PermissionDenied(DEACTIVATED)
    if role is not actor.role or team_id != actor.team_id:
        raise PermissionDenied(CHANGED)
    assert isinstance(user_id, int) and isinstance(role, Role)
    assert isinstance(username, str) and isinstance(full_name, str)
    assert team_id is None or isinstance(team_id, int)
    return Caller(user_id, username, full_name, role, team_id)


def _in_scope(who: Caller, referral_id: object, team_id: object, assigned_to: object) -> None:
    if referral_id is None or who.role is Role.ADMIN:
        return  # a missing record is the service's to report, in its own words
    if assigned_to == who.user_id or (team_id is not None and team_id == who.team_id):
        return
    raise PermissionDenied(OTHER_TEAM)


__all__ = ["Caller", "caller", "for_booking", "for_letter", "for_letters", "for_patient", "for_referral"]
