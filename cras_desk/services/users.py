"""The admin's user administration: the users table and, on PostgreSQL, each person's database
login kept in step (cras_desk.db.login_roles), every change audited.

On PostgreSQL the database refuses these to anyone but an admin's own login (the functions of
migration 0010); the checks here give the clear message, and are the only guard on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from cras_desk.db import change_feed, login_roles
from cras_desk.db.engine import Database
from cras_desk.db.models import AuditEvent, Referral, Team, User
from cras_desk.domain import input_rules
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import NotFound, PermissionDenied, ValidationError
from cras_desk.services import access, audit
from cras_desk.services.actor import Actor
from cras_desk.services.passwords import hash_password, new_password_problem

_DUPLICATE_OBJECT = "42710"
_INSUFFICIENT_PRIVILEGE = "42501"


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    full_name: str
    role: Role
    team_id: int | None
    team_name: str | None
    active: bool
    locked: bool
    last_sign_in: datetime | None


@dataclass(frozen=True)
class _Target:
    username: str
    role: Role
    active: bool


def _check_password(password: str) -> None:
    problem = new_password_problem(password)
    if problem is not None:
        raise ValidationError(problem)


def _admin(s: Session, actor: Actor, action: str) -> Actor:
    """The caller's row, re-checked in this transaction: an admin, active, as they signed in."""
    who = access.caller(s, actor)
    who.require(Role.ADMIN, action=action)
    return who


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


class UserAdmin:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.postgresql = db.dialect == "postgresql"

    def list_users(self, actor: Actor) -> list[UserRow]:
        actor.require(Role.ADMIN, action="list users")
        last = (
            select(AuditEvent.user_id, func.max(AuditEvent.at).label("at"))
            .where(AuditEvent.action == "sign_in")
            .group_by(AuditEvent.user_id)
            .subquery()
        )
        query = (
            select(
                User.id,
                User.username,
                User.full_name,
                User.role,
                User.team_id,
                Team.name,
                User.active,
                last.c.at,
                User.locked_until,
            )
            .outerjoin(Team, Team.id == User.team_id)
            .outerjoin(last, last.c.user_id == User.id)
            .order_by(User.username)
        )
        now = utcnow()
        with self.db.write() as s:
            actor = _admin(s, actor, "list users")
            rows = [
                UserRow(
                    id=r[0],
                    username=r[1],
                    full_name=r[2],
                    role=r[3],
                    team_id=r[4],
                    team_name=r[5],
                    active=r[6],
                    locked=r[8] is not None and r[8] > now,
                    last_sign_in=r[7],
                )
                for r in s.execute(query)
            ]
            audit.record(s, actor, "list_users", "user")
        return rows

    def add(
        self, actor: Actor, username: str, full_name: str, role: Role, team_id: int | None, password: str
    ) -> int:
        actor.require(Role.ADMIN, action="add users")
        username = login_roles.check_login_name(username.strip().lower())
        full_name = full_name.strip()
        if not full_name:
            raise ValidationError("A user needs a full name.")
        input_rules.check_text(full_name, "The full name", max_length=120)
        if role is not Role.ADMIN and team_id is None:
            raise ValidationError("An advisor or team lead belongs to a team.")
        _check_password(password)
        try:
            with self.db.write() as s:
                actor = _admin(s, actor, "add users")
                if team_id is not None and s.get(Team, team_id) is None:
                    raise ValidationError("No such team.")
                if s.scalar(select(User.id).where(User.username == username)) is not None:
                    raise ValidationError(f"There is already a user named {username}.")
                user = User(
                    username=username,
                    full_name=full_name,
                    role=role,
                    team_id=team_id,
                    password_hash=hash_password(password),
                    active=True,
                )
                s.add(user)
                s.flush()
                if self.postgresql:
                    login_roles.create_login(s.connection(), username, role, password)
                audit.record(
                    s, actor, "create_user", "user", user.id, detail={"role": role.value, "team_id": team_id}
                )
                return user.id
        except IntegrityError as exc:
            raise ValidationError(f"There is already a user named {username}.") from exc
        except DBAPIError as exc:
            raise self._refusal(exc, username) from exc

    def deactivate(self, actor: Actor, user_id: int) -> None:
        actor.require(Role.ADMIN, action="deactivate users")
        if user_id == actor.user_id:
            raise ValidationError("You cannot deactivate yourself.")
        try:
            with self.db.write() as s:
                actor = _admin(s, actor, "deactivate users")
                user = self._user(s, user_id)
                if user.role is Role.ADMIN and user.active and self._other_active_admins(s, user_id) == 0:
                    raise ValidationError("This is the last active admin: add another admin first.")
                username = user.username
                if self.postgresql:
                    login_roles.deactivate_login(s.connection(), username)  # also users.active
                else:
                    s.execute(update(User).where(User.id == user_id).values(active=False))
                # Their claims go with them: a patient must not wait out a claim nobody will work.
                released = list(
                    s.scalars(
                        update(Referral)
                        .where(Referral.claimed_by == user_id)
                        .values(claimed_by=None, claimed_until=None)
                        .returning(Referral.id)
                    )
                )
                if released:
                    change_feed.record(s, "referral", released, "update", actor.user_id)
                audit.record(
                    s, actor, "deactivate_user", "user", user_id, detail={"claims_released": len(released)}
                )
            if self.postgresql and self._has_login(username):
                with self.db.write() as s:
                    login_roles.end_sessions(s.connection(), username)
        except DBAPIError as exc:
            raise self._refusal(exc, str(user_id)) from exc

    def reactivate(self, actor: Actor, user_id: int) -> None:
        actor.require(Role.ADMIN, action="reactivate users")
        try:
            with self.db.write() as s:
                actor = _admin(s, actor, "reactivate users")
                user = self._user(s, user_id)
                if self.postgresql:
                    login_roles.reactivate_login(s.connection(), user.username)
                else:
                    s.execute(update(User).where(User.id == user_id).values(active=True))
                audit.record(s, actor, "reactivate_user", "user", user_id)
        except DBAPIError as exc:
            raise self._refusal(exc, str(user_id)) from exc

    def reset_password(self, actor: Actor, user_id: int, new_password: str) -> None:
        """On PostgreSQL a user from before per-person logins gets their login here."""
        actor.require(Role.ADMIN, action="reset passwords")
        _check_password(new_password)
        try:
            with self.db.write() as s:
                actor = _admin(s, actor, "reset passwords")
                user = self._user(s, user_id)
                s.execute(
                    update(User).where(User.id == user_id).values(password_hash=hash_password(new_password))
                )
                if self.postgresql:
                    conn = s.connection()
                    if login_roles.login_exists(conn, user.username):
                        login_roles.set_login_password(conn, user.username, new_password)
                    else:
                        login_roles.create_login(conn, user.username, user.role, new_password)
                        if not user.active:
                            login_roles.deactivate_login(conn, user.username)
                audit.record(s, actor, "reset_password", "user", user_id)
        except DBAPIError as exc:
            raise self._refusal(exc, str(user_id)) from exc

    def unlock(self, actor: Actor, user_id: int) -> None:
        """End a lockout now, and the count of wrong passwords with it."""
        actor.require(Role.ADMIN, action="unlock users")
        with self.db.write() as s:
            actor = _admin(s, actor, "unlock users")
            self._user(s, user_id)
            until = s.scalar(select(User.locked_until).where(User.id == user_id))
            s.execute(update(User).where(User.id == user_id).values(failed_sign_ins=0, locked_until=None))
            was_locked = until is not None and until > utcnow()
            audit.record(s, actor, "unlock_user", "user", user_id, detail={"was_locked": was_locked})

    # --- helpers ------------------------------------------------------------------------------

    def _user(self, s: Session, user_id: int) -> _Target:
        # Named columns, not the entity: nobody's login may read users.password_hash.
        found = s.execute(select(User.username, User.role, User.active).where(User.id == user_id)).first()
        if found is None:
            raise NotFound("No such user.")
        return _Target(found[0], found[1], found[2])

    def _other_active_admins(self, s: Session, user_id: int) -> int:
        # Locked, so two admins deactivating each other at once cannot both succeed.
        ids = s.scalars(
            select(User.id).where(User.role == Role.ADMIN, User.active.is_(True)).with_for_update()
        ).all()
        return len([i for i in ids if i != user_id])

    def _has_login(self, username: str) -> bool:
        with self.db.read() as s:
            return login_roles.login_exists(s.connection(), username)

    @staticmethod
    def _refusal(exc: DBAPIError, who: str) -> Exception:
        state = _sqlstate(exc)
        if state == _INSUFFICIENT_PRIVILEGE:
            return PermissionDenied("The database refused: only an admin may manage users.")
        if state == _DUPLICATE_OBJECT:
            return ValidationError(f"A database login named {who} already exists on this server.")
        return exc
