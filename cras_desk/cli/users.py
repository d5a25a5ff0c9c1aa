"""`cras-desk db init-roles` and `cras-desk users add|deactivate|reactivate|reset-password|unlock|list`.

Who acts: on PostgreSQL the login in --url (session_user), mapped to its users row, which must be an
active admin; the database itself refuses everyone else. On the embedded SQLite file, an admin
signs in as for the letters commands (--user, password asked for or read from standard input).

A new password is asked for twice without echo (getpass), or read as one line from standard input
when that is not a terminal; never taken from the command line, where the shell history and the
process list would keep it. On SQLite the signing-in password comes first, the new one next.
Exit status: 0 done, 1 refused (the reason on standard error), 2 nobody (admin) signed in.
"""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from sqlalchemy import select

from cras_desk.cli.letters import sign_in
from cras_desk.db import login_roles
from cras_desk.db.engine import Database
from cras_desk.db.models import Team, User
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import CrasError
from cras_desk.services import audit
from cras_desk.services.actor import Actor
from cras_desk.services.auth import actor_of
from cras_desk.services.database_login import connected_user
from cras_desk.services.passwords import hash_password
from cras_desk.services.users import UserAdmin

ROLE_NAMES = {r.value: r for r in Role}


def _new_password(username: str, stdin: TextIO) -> str | None:
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"New password for {username}: ")
    if getpass.getpass("The same again: ") != first:
        print("The two passwords differ; nothing changed.", file=sys.stderr)
        return None
    return first


def acting_admin(db: Database, username: str | None, stdin: TextIO) -> Actor | None:
    """The admin running the command, or None after saying why."""
    if db.dialect == "postgresql":
        with db.read() as s:
            found = connected_user(s)
        if found.actor is None:
            print(f"The database login {found.login} is not an active CRAS user.", file=sys.stderr)
            return None
        actor = found.actor
    else:
        signed_in = sign_in(db, username, stdin)
        if signed_in is None:
            return None
        actor = signed_in
    if actor.role is not Role.ADMIN:
        print(f"{actor.username} is not an admin.", file=sys.stderr)
        return None
    return actor


def _user_id(db: Database, username: str) -> int | None:
    with db.read() as s:
        found = s.scalar(select(User.id).where(User.username == username.strip().lower()))
    if found is None:
        print(f"No user named {username}.", file=sys.stderr)
    return found


def _team_id(db: Database, team: str | None) -> int | None:
    if team is None:
        return None
    with db.read() as s:
        found = s.scalar(select(Team.id).where(Team.name == team))
    if found is None:
        raise LookupError(f"No team named {team}.")
    return found


def users_command(
    db: Database,
    command: str,
    *,
    username: str | None = None,
    full_name: str | None = None,
    role: str | None = None,
    team: str | None = None,
    admin_user: str | None = None,
    stdin: TextIO | None = None,
) -> int:
    stdin = stdin if stdin is not None else sys.stdin
    actor = acting_admin(db, admin_user, stdin)
    if actor is None:
        return 2
    admin = UserAdmin(db)
    try:
        if command == "list":
            for row in admin.list_users(actor):
                state = "active" if row.active else "deactivated"
                if row.locked:
                    state += ", locked"
                seen = row.last_sign_in.strftime("%Y-%m-%d %H:%M") if row.last_sign_in else "never"
                print(
                    f"{row.username}\t{row.full_name}\t{row.role.value}\t{row.team_name or '-'}\t"
                    f"{state}\tlast sign-in {seen}"
                )
            return 0
        assert username is not None
        if command == "add":
            password = _new_password(username, stdin)
            if password is None:
                return 1
            new_id = admin.add(
                actor,
                username,
                full_name or username,
                ROLE_NAMES[role or "advisor"],
                _team_id(db, team),
                password,
            )
            print(f"Added {username.strip().lower()} (user {new_id}).")
            return 0
        user_id = _user_id(db, username)
        if user_id is None:
            return 1
        if command == "deactivate":
            admin.deactivate(actor, user_id)
            print(f"Deactivated {username}: their sessions are ended and they cannot sign in.")
        elif command == "reactivate":
            admin.reactivate(actor, user_id)
            print(f"Reactivated {username}.")
        elif command == "reset-password":
            password = _new_password(username, stdin)
            if password is None:
                return 1
            admin.reset_password(actor, user_id, password)
            print(f"Password of {username} changed.")
        elif command == "unlock":
            admin.unlock(actor, user_id)
            print(f"Unlocked {username}: the count of wrong passwords starts again.")
        return 0
    except (CrasError, LookupError) as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 1


def init_roles_command(db: Database, admin_login: str | None = None, stdin: TextIO | None = None) -> int:
    """Make the CRAS roles and give the owner role the schema (a superuser's URL); with
    admin_login, give that existing admin user their database login (the first admin's way in)."""
    if db.dialect != "postgresql":
        print("init-roles is for PostgreSQL: the embedded database has no logins.", file=sys.stderr)
        return 1
    try:
        moved = login_roles.init_roles(db.engine)
    except PermissionError as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 1
    print(f"CRAS roles ready; {moved} objects now owned by {login_roles.OWNER_ROLE}.")
    if admin_login is None:
        return 0
    stdin = stdin if stdin is not None else sys.stdin
    with db.read() as s:
        found = s.scalar(select(User).where(User.username == admin_login, User.role == Role.ADMIN))
    if found is None or not found.active:
        print(f"No active admin user named {admin_login}.", file=sys.stderr)
        return 1
    password = _new_password(admin_login, stdin)
    if password is None:
        return 1
    try:
        with db.write() as s:
            user = s.get(User, found.id)
            assert user is not None
            user.password_hash = hash_password(password)
            conn = s.connection()
            if login_roles.login_exists(conn, admin_login):
                login_roles.set_login_password(conn, admin_login, password)
            else:
                login_roles.create_login(conn, admin_login, Role.ADMIN, password)
            audit.record(s, actor_of(user), "init_admin_login", "user", user.id)
    except CrasError as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 1
    print(f"{admin_login} can now sign in to the database with their own login.")
    return 0
