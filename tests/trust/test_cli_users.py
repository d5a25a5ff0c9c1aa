"""`cras-desk users ...` keeps the users table and the database logins in step.

On SQLite an admin signs in with --user (password from standard input); on PostgreSQL the admin is
whoever the server says is connected, so the command runs on an admin's own login.
"""

from __future__ import annotations

import io
import secrets

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from cras_desk.cli.users import users_command
from cras_desk.db.engine import Database
from cras_desk.db.login_roles import GROUP_ROLES
from cras_desk.db.models import AuditEvent, User
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import AuthenticationFailed
from cras_desk.services import central_settings
from cras_desk.services.auth import AccountLocked, AuthService
from cras_desk.services.users import UserAdmin

PASSWORD = "correct horse 1"  # the test world's (tests/world.py)


def run(db: Database, command: str, stdin: str, capsys, **options: object) -> tuple[int, str, str]:
    code = users_command(db, command, stdin=io.StringIO(stdin), **options)  # type: ignore[arg-type]
    out = capsys.readouterr()
    return code, out.out, out.err


def test_on_the_embedded_database_an_admin_adds_lists_deactivates_and_resets(sqlite_world, capsys) -> None:
    db = sqlite_world.db
    name = "newcomer"
    code, out, _ = run(
        db,
        "add",
        f"{PASSWORD}\nfirst-password-9\n",
        capsys,
        username=name,
        full_name="New Comer",
        role="advisor",
        team="East",
        admin_user="root",
    )
    assert code == 0 and f"Added {name}" in out
    AuthService(db).sign_in(name, "first-password-9")
    code, out, _ = run(db, "list", f"{PASSWORD}\n", capsys, admin_user="root")
    assert code == 0
    [line] = [ln for ln in out.splitlines() if ln.startswith(name + "\t")]
    assert line.split("\t")[1:5] == ["New Comer", "advisor", "East", "active"]
    code, _, _ = run(db, "deactivate", f"{PASSWORD}\n", capsys, username=name, admin_user="root")
    assert code == 0
    with pytest.raises(AuthenticationFailed):
        AuthService(db).sign_in(name, "first-password-9")
    code, _, _ = run(db, "reactivate", f"{PASSWORD}\n", capsys, username=name, admin_user="root")
    code, _, _ = run(
        db, "reset-password", f"{PASSWORD}\nsecond-password-9\n", capsys, username=name, admin_user="root"
    )
    assert code == 0
    assert AuthService(db).sign_in(name, "second-password-9").username == name


def test_an_admin_unlocks_a_locked_out_user_from_the_command_line(sqlite_world, capsys) -> None:
    db = sqlite_world.db
    auth = AuthService(db)
    with db.read() as s:
        failures = central_settings.read(s).lockout_failures
    for _ in range(failures):
        with pytest.raises(AuthenticationFailed):
            auth.sign_in("amy", "not her password")
    with pytest.raises(AccountLocked):
        auth.sign_in("amy", PASSWORD)
    code, out, err = run(db, "unlock", f"{PASSWORD}\n", capsys, username="amy", admin_user="root")
    assert code == 0, err
    assert "Unlocked amy" in out
    assert auth.sign_in("amy", PASSWORD).username == "amy"
    with db.read() as s:
        [detail] = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "unlock_user")).all()
    assert detail == {"was_locked": True}


def test_an_advisor_cannot_run_the_user_commands(sqlite_world, capsys) -> None:
    code, _, err = run(sqlite_world.db, "list", f"{PASSWORD}\n", capsys, admin_user="amy")
    assert code == 2 and "not an admin" in err
    code, _, err = run(sqlite_world.db, "list", "wrong\n", capsys, admin_user="root")
    assert code == 2 and "Cannot sign in" in err


def test_on_postgresql_the_command_acts_as_the_connected_admin_and_makes_logins(
    pg_world, pg_server, capsys
) -> None:
    pg_server.require_passwords(tuple(GROUP_ROLES.values()))
    admin_name, admin_pw = f"adm_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    UserAdmin(pg_world.db).add(pg_world.actor("root"), admin_name, "Admin Login", Role.ADMIN, None, admin_pw)
    admin_db = Database(pg_world.db.url.set(username=admin_name, password=admin_pw), personal_login=True)
    name = f"pat_{secrets.token_hex(3)}"
    try:
        code, _, err = run(
            admin_db,
            "add",
            "her-first-password\n",
            capsys,
            username=name,
            full_name="Pat",
            role="advisor",
            team="East",
        )
        assert code == 0, err
        login = create_engine(
            pg_world.db.url.set(username=name, password="her-first-password"), poolclass=NullPool
        )
        with login.connect() as conn:
            assert conn.execute(text("SELECT session_user")).scalar_one() == name
        code, _, err = run(admin_db, "deactivate", "", capsys, username=name)
        assert code == 0, err
        with pytest.raises(OperationalError), login.connect():
            pass
        login.dispose()
        with pg_world.db.read() as s:
            assert s.scalar(select(User.active).where(User.username == name)) is False
    finally:
        admin_db.dispose()
        with pg_world.db.engine.connect() as conn:
            for role in (name, admin_name):
                q = conn.dialect.identifier_preparer.quote(role)
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"),
                    {"n": role},
                )
                conn.exec_driver_sql(f"DROP OWNED BY {q}")
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {q}")
            conn.commit()
