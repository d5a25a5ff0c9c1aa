"""Signing in as one's own PostgreSQL login: the server checks the password, the desk asks who it is.

On a central database every person connects as their own login role (the login is their user
name), so the password is checked by PostgreSQL (SCRAM-SHA-256) and nothing is stored on the desk.
Once connected, who is calling is what the server says (`session_user`), mapped to the users row;
the desk never tells the database who it is.
"""

from __future__ import annotations

from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from cras_desk.db.engine import CONNECT_TIMEOUT_S, Database
from cras_desk.db.models import User
from cras_desk.domain.errors import AuthenticationFailed
from cras_desk.services import audit
from cras_desk.services.actor import Actor

WRONG = "User name or password is not right."
# libpq's words when the server refuses the login itself (wrong password, unknown or NOLOGIN role).
_REFUSED = ("password authentication failed", "is not permitted to log in", "does not exist")


def is_refused_login(exc: BaseException) -> bool:
    """Whether a connection error is the server refusing these credentials (not being away)."""
    if not isinstance(exc, DBAPIError):
        return False
    message = str(exc.orig) if exc.orig is not None else str(exc)
    return any(words in message for words in _REFUSED)


class DatabaseLogin:
    """Sign-in and unlock for a desk connected as the person's own login role."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def sign_in(self) -> Actor:
        """Who the server says is connected, as an Actor; refused if they have no active users row."""
        with self.db.write() as s:
            login = s.execute(text("SELECT session_user")).scalar_one()
            # Named columns: a desk's login may not read users.password_hash (migration 0010).
            user = s.execute(
                select(User.id, User.username, User.full_name, User.role, User.team_id, User.active).where(
                    User.username == login
                )
            ).first()
            if user is None or not user.active:
                audit.record(s, None, "sign_in_failed", "user", user.id if user else None)
                failed = True
            else:
                actor = Actor(user.id, user.username, user.full_name, user.role, user.team_id)
                audit.record(s, actor, "sign_in", "user", user.id)
                failed = False
        if failed:
            raise AuthenticationFailed(WRONG)
        return actor

    def verify(self, actor: Actor, password: str) -> bool:
        """Re-check the password (unlocking an idle desk) by having the server check it again."""
        if not password or "\x00" in password:
            return False
        url = self.db.url.set(username=actor.username, password=password)
        # A connection of its own, opened and closed here: the desk's pool stays as it is.
        probe = create_engine(
            url, poolclass=NullPool, hide_parameters=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
        )
        try:
            with probe.connect() as conn:
                conn.execute(text("SELECT 1"))
            ok = True
        except OperationalError as exc:
            if not is_refused_login(exc):
                raise  # the server is away: say so, not "wrong password"
            ok = False
        finally:
            probe.dispose()
        with self.db.write() as s:
            audit.record(s, actor, "unlock" if ok else "unlock_failed", "user", actor.user_id)
        return ok
