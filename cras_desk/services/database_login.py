"""Signing in as one's own PostgreSQL login: the server checks the password, the desk asks who it is.

On a central database every person connects as their own login role (the login is their user
name), so the password is checked by PostgreSQL (SCRAM-SHA-256) and nothing is stored on the desk.
Once connected, who is calling is what the server says (`session_user`), mapped to the users row;
the desk never tells the database who it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
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


@dataclass(frozen=True)
class ConnectedUser:
    """The login the server says is connected, and its users row (None if it has none)."""

    login: str
    user_id: int | None
    actor: Actor | None  # None unless the row is there and active


def connected_user(session: Session) -> ConnectedUser:
    login = str(session.execute(text("SELECT session_user")).scalar_one())
    # Named columns: a desk's login may not read users.password_hash (migration 0010).
    row = session.execute(
        select(User.id, User.username, User.full_name, User.role, User.team_id, User.active).where(
            User.username == login
        )
    ).first()
    if row is None:
        return ConnectedUser(login, None, None)
    actor = Actor(row.id, row.username, row.full_name, row.role, row.team_id) if row.active else None
    return ConnectedUser(login, row.id, actor)


class DatabaseLogin:
    """Sign-in and unlock for a desk connected as the person's own login role."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def sign_in(self) -> Actor:
        """Who the server says is connected, as an Actor; refused if they have no active users row."""
        with self.db.write() as s:
            found = connected_user(s)
            actor = found.actor
            if actor is None:
                audit.record(s, None, "sign_in_failed", "user", found.user_id)
            else:
                audit.record(s, actor, "sign_in", "user", actor.user_id)
        if actor is None:
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
