"""Sign-in and user administration.

Sign-in protections (embedded users table; on PostgreSQL the server authenticates the role too):
- Argon2id hashes (services.passwords); a scrypt hash or one with weaker parameters is replaced
  at the next good sign-in, in the same transaction that records it.
- Lockout: policy(session).max_failures consecutive wrong passwords lock the account for
  lockout_minutes, or until an admin unlocks it. While locked every attempt gets the same answer,
  right password or wrong, so the lock cannot be used to test passwords.
- A password with a control character (NUL included) or over passwords.MAX_LENGTH characters is a
  failed sign-in, never hashed and never sent to the database.
- An unknown user name is checked against a dummy hash, so the time taken does not say which
  names exist. Every failure, lock and unlock is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from cras_desk.db.engine import Database
from cras_desk.db.models import Team, User
from cras_desk.domain import input_rules
from cras_desk.domain.clock import to_london, utcnow
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import AuthenticationFailed, ValidationError
from cras_desk.services import access, audit
from cras_desk.services.actor import Actor
from cras_desk.services.passwords import (
    hash_password,
    needs_rehash,
    new_password_problem,
    password_problem,
    verify_password,
)
from cras_desk.services.sign_in_policy import UNTIL_UNLOCKED, SignInPolicy, default_policy

NOT_RIGHT = "User name or password is not right."


@cache
def _dummy_hash() -> str:
    """Verifying against a dummy hash when the user does not exist keeps the timing the same, so
    sign-in does not reveal which user names exist. Made on first use: it is slow on purpose."""
    return hash_password("not-a-real-password", salt=b"0123456789abcdef")


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, user.full_name, user.role, user.team_id)


def locked_message(until: datetime) -> str:
    if until >= UNTIL_UNLOCKED:
        return "This account is locked after too many wrong passwords: ask an admin to unlock it."
    return (
        "This account is locked after too many wrong passwords. "
        f"Try again after {to_london(until):%H:%M}, or ask an admin to unlock it."
    )


class AccountLocked(AuthenticationFailed):
    pass


def _printable(text: str) -> str:
    """A user name as typed, fit for the audit trail (a NUL is refused by PostgreSQL's JSON)."""
    return "".join(c if c.isprintable() else "?" for c in text[:64])


class AuthService:
    def __init__(
        self,
        db: Database,
        policy: Callable[[Session], SignInPolicy] = default_policy,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock

    def sign_in(self, username: str, password: str) -> Actor:
        name = username.strip().lower()
        with self.db.write() as s:
            user = None
            if name.isprintable() and len(name) <= 64:
                # Locked for this transaction: two desks failing at once both count.
                user = s.scalar(select(User).where(User.username == name).with_for_update())
            outcome = self._check(s, user, password, detail={"username": _printable(username)})
            if user is not None and outcome is None:
                actor = actor_of(user)
                audit.record(s, actor, "sign_in", "user", user.id)
        if outcome is not None:
            raise outcome
        return actor

    def verify(self, actor: Actor, password: str) -> bool:
        """Re-check the password of a signed-in user (unlocking an idle desk): wrong passwords
        here count towards the lockout as at sign-in, and a locked account does not unlock:
        AccountLocked says so (with when, or that an admin must unlock it), after the count and
        the audit rows are committed."""
        with self.db.write() as s:
            user = s.scalar(select(User).where(User.id == actor.user_id).with_for_update())
            outcome = self._check(s, user, password, actor=actor, failed_action="unlock_failed")
            if outcome is None:
                audit.record(s, actor, "unlock", "user", actor.user_id)
        if isinstance(outcome, AccountLocked):
            raise outcome
        return outcome is None

    def _check(
        self,
        s: Session,
        user: User | None,
        password: str,
        *,
        actor: Actor | None = None,
        detail: dict[str, str] | None = None,
        failed_action: str = "sign_in_failed",
    ) -> AuthenticationFailed | None:
        """None if user may sign in with password; else the error to raise, with the user's
        failure count, lock and audit rows written in s."""
        problem = password_problem(password)
        # The hash is checked whatever else is wrong (unknown, inactive, locked), so each answer
        # takes as long; only a password refused for its text, whoever it is for, is not hashed.
        ok = problem is None and verify_password(password, user.password_hash if user else _dummy_hash())
        user_id = user.id if user else None
        why = {**(detail or {})}
        if user is None or not user.active:
            why["reason"] = "unknown user" if user is None else "inactive"
            audit.record(s, actor, failed_action, "user", user_id, detail=why)
            return AuthenticationFailed(NOT_RIGHT)
        now = self.clock()
        if user.locked_until is not None:
            if user.locked_until > now:
                audit.record(s, actor, failed_action, "user", user_id, detail={**why, "reason": "locked"})
                return AccountLocked(locked_message(user.locked_until))
            user.locked_until = None  # the lock has run out: a fresh count starts
            user.failed_sign_ins = 0
        if not ok:
            why["reason"] = "wrong password" if problem is None else "password refused: " + problem
            user.failed_sign_ins += 1
            audit.record(
                s,
                actor,
                failed_action,
                "user",
                user_id,
                detail={**why, "failures": str(user.failed_sign_ins)},
            )
            policy = self.policy(s)
            if user.failed_sign_ins >= policy.max_failures:
                user.locked_until = (
                    UNTIL_UNLOCKED
                    if policy.until_admin_unlocks
                    else now + timedelta(minutes=policy.lockout_minutes)
                )
                audit.record(
                    s,
                    actor,
                    "account_locked",
                    "user",
                    user_id,
                    detail={
                        "failures": str(user.failed_sign_ins),
                        "minutes": "until unlocked"
                        if policy.until_admin_unlocks
                        else str(policy.lockout_minutes),
                    },
                )
                return AccountLocked(locked_message(user.locked_until))
            return AuthenticationFailed(NOT_RIGHT)
        user.failed_sign_ins = 0
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
            audit.record(s, actor_of(user), "password_rehashed", "user", user_id)
        return None

    def team_name(self, team_id: int | None) -> str | None:
        if team_id is None:
            return None
        with self.db.read() as s:
            return s.scalar(select(Team.name).where(Team.id == team_id))

    def create_user(
        self, actor: Actor, username: str, full_name: str, password: str, role: Role, team_id: int | None
    ) -> int:
        actor.require(Role.ADMIN, action="create users")
        input_rules.check_text(username, "The user name", max_length=64)  # users.username VARCHAR(64)
        input_rules.check_text(full_name, "The full name", max_length=120)
        problem = new_password_problem(password)
        if problem is not None:
            raise ValidationError(problem)
        with self.db.write() as s:
            actor = access.caller(s, actor)  # the users row's role, not the Actor's word
            actor.require(Role.ADMIN, action="create users")
            user = User(
                username=username.strip().lower(),
                full_name=full_name,
                role=role,
                team_id=team_id,
                password_hash=hash_password(password),
            )
            s.add(user)
            s.flush()
            audit.record(s, actor, "create_user", "user", user.id, detail={"role": role.value})
            return user.id

    def set_password(self, actor: Actor, user_id: int, password: str) -> None:
        if actor.user_id != user_id:
            actor.require(Role.ADMIN, action="set another user's password")
        problem = new_password_problem(password)
        if problem is not None:
            raise ValidationError(problem)
        with self.db.write() as s:
            actor = access.caller(s, actor)
            if actor.user_id != user_id:
                actor.require(Role.ADMIN, action="set another user's password")
            user = s.get(User, user_id)
            if user is None:
                raise ValidationError("No such user.")
            user.password_hash = hash_password(password)
            audit.record(s, actor, "set_password", "user", user_id)
