"""Sign-in and user administration."""

from __future__ import annotations

from functools import cache

from sqlalchemy import select

from cras_desk.db.engine import Database
from cras_desk.db.models import Team, User
from cras_desk.domain import input_rules
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import AuthenticationFailed, ValidationError
from cras_desk.services import audit
from cras_desk.services.actor import Actor
from cras_desk.services.passwords import hash_password, verify_password


@cache
def _dummy_hash() -> str:
    """Verifying against a dummy hash when the user does not exist keeps the timing the same, so
    sign-in does not reveal which user names exist. Made on first use: it is slow on purpose."""
    return hash_password("not-a-real-password", salt=b"0123456789abcdef")


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, user.full_name, user.role, user.team_id)


class AuthService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def sign_in(self, username: str, password: str) -> Actor:
        with self.db.write() as s:
            user = s.scalar(select(User).where(User.username == username.strip().lower()))
            ok = verify_password(password, user.password_hash if user else _dummy_hash())
            if user is None or not ok or not user.active:
                audit.record(
                    s,
                    None,
                    "sign_in_failed",
                    "user",
                    user.id if user else None,
                    detail={"username": username[:64]},
                )
                failed = True
            else:
                actor = actor_of(user)
                audit.record(s, actor, "sign_in", "user", user.id)
                failed = False
        if failed:
            raise AuthenticationFailed("User name or password is not right.")
        return actor

    def team_name(self, team_id: int | None) -> str | None:
        if team_id is None:
            return None
        with self.db.read() as s:
            return s.scalar(select(Team.name).where(Team.id == team_id))

    def verify(self, actor: Actor, password: str) -> bool:
        """Re-check the password of a signed-in user (unlocking an idle desk)."""
        with self.db.write() as s:
            user = s.get(User, actor.user_id)
            ok = bool(user and user.active and verify_password(password, user.password_hash))
            audit.record(s, actor, "unlock" if ok else "unlock_failed", "user", actor.user_id)
        return ok

    def create_user(
        self, actor: Actor, username: str, full_name: str, password: str, role: Role, team_id: int | None
    ) -> int:
        actor.require(Role.ADMIN, action="create users")
        input_rules.check_text(username, "The user name", max_length=64)  # users.username VARCHAR(64)
        input_rules.check_text(full_name, "The full name", max_length=120)
        if len(password) < 8:
            raise ValidationError("A password needs at least 8 characters.")
        with self.db.write() as s:
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
        if len(password) < 8:
            raise ValidationError("A password needs at least 8 characters.")
        with self.db.write() as s:
            user = s.get(User, user_id)
            if user is None:
                raise ValidationError("No such user.")
            user.password_hash = hash_password(password)
            audit.record(s, actor, "set_password", "user", user_id)
