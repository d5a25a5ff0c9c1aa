"""The database refuses by itself: raw SQL as each person's own login role, bypassing the app.

Each caller is a real login made by the user administration (cras_desk.services.users, on
migration 0010's functions), its password checked by the server (SCRAM). One table, written once,
says what each role may do; row-level security refuses by showing no rows, grants by an error.
PostgreSQL only by nature: the tests take the PostgreSQL factory directly.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from cras_desk.db.login_roles import GROUP_ROLES
from cras_desk.domain.enums import Role
from cras_desk.services.users import UserAdmin

CALLERS = ("advisor", "other_advisor", "lead", "other_lead", "admin")
# A: allowed (and it did something), R: refused (an error, or no row to see or change).
TABLE: dict[str, str] = {
    "read a referral of the team": "ARARA",
    "claim it": "ARARA",
    "read its patient": "ARARA",
    "reassign it": "RRARA",
    "change a user": "RRRRA",
    "create a login": "RRRRA",
    "read the audit trail": "RRRRA",
    "read the central settings": "AAAAA",
    "change the central settings": "RRRRA",
    "delete the central settings": "RRRRR",
    "add central settings": "RRRRR",
}


@dataclass(frozen=True)
class Person:
    user_id: int
    login: str
    url: URL


@pytest.fixture
def people(pg_world, pg_server) -> Iterator[dict[str, Person]]:
    """One login per kind of caller; East is the team of the referral the statements touch."""
    pg_server.require_passwords(tuple(GROUP_ROLES.values()))
    admin_actor = pg_world.actor("root")
    east, west = pg_world.actor("amy").team_id, pg_world.actor("cara").team_id
    kinds = {
        "advisor": (Role.ADVISOR, east),
        "other_advisor": (Role.ADVISOR, west),
        "lead": (Role.TEAM_LEAD, east),
        "other_lead": (Role.TEAM_LEAD, west),
        "admin": (Role.ADMIN, None),
        "deactivated": (Role.ADVISOR, east),
    }
    users = UserAdmin(pg_world.db)
    made: dict[str, Person] = {}
    for kind, (role, team) in kinds.items():
        login = f"t_{kind[:8]}_{secrets.token_hex(3)}"
        password = secrets.token_urlsafe(12)
        user_id = users.add(admin_actor, login, f"Test {kind}", role, team, password)
        made[kind] = Person(user_id, login, pg_world.db.url.set(username=login, password=password))
    yield made
    with pg_world.db.engine.connect() as conn:
        for person in made.values():
            q = conn.dialect.identifier_preparer.quote(person.login)
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"),
                {"n": person.login},
            )
            conn.exec_driver_sql(f"DROP OWNED BY {q}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {q}")
        conn.commit()


def attempt(url: URL, what: str, me: Person, lead: Person, rid: int, patient_id: int) -> bool:
    """Run one statement as that login; True if it was allowed and did something."""
    statements = {
        "read a referral of the team": ("SELECT count(*) FROM referrals WHERE id = :r", {"r": rid}),
        "claim it": (
            "UPDATE referrals SET claimed_by = :me, claimed_until = now() + interval '5 minutes' "
            "WHERE id = :r",
            {"me": me.user_id, "r": rid},
        ),
        "read its patient": ("SELECT count(*) FROM patients WHERE id = :p", {"p": patient_id}),
        "reassign it": (
            "UPDATE referrals SET assigned_to = :to WHERE id = :r",
            {"to": lead.user_id, "r": rid},
        ),
        "change a user": ("UPDATE users SET full_name = 'Renamed' WHERE id = :me", {"me": me.user_id}),
        "create a login": (
            "SELECT cras_create_login(:n, 'SCRAM-SHA-256$4096:AAAA$AAAA:AAAA', 'advisor')",
            {"n": f"intruder_{secrets.token_hex(3)}"},
        ),
        "read the audit trail": ("SELECT count(*) FROM audit_events", {}),
        "read the central settings": ("SELECT count(*) FROM central_settings", {}),
        "change the central settings": ("UPDATE central_settings SET claim_minutes = 33 WHERE id = 1", {}),
        "delete the central settings": ("DELETE FROM central_settings", {}),
        "add central settings": ("INSERT INTO central_settings SELECT * FROM central_settings", {}),
    }
    sql, params = statements[what]
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            result = conn.execute(text(sql), params)
            if sql.startswith("SELECT count"):
                did = bool(result.scalar_one())
            elif sql.startswith("SELECT"):
                did = True
            else:
                did = result.rowcount > 0
            conn.rollback()  # nothing kept: every statement meets the same world
            return did
    except DBAPIError as exc:
        assert "permission denied" in str(exc.orig) or "row-level security" in str(exc.orig), exc
        return False
    finally:
        engine.dispose()


def test_the_database_refuses_what_the_table_refuses(pg_world, people) -> None:
    rid = pg_world.referrals["Ó Súilleabháin"]
    with pg_world.db.read() as s:
        patient_id = s.execute(
            text("SELECT patient_id FROM referrals WHERE id = :r"), {"r": rid}
        ).scalar_one()
    got = {
        what: "".join(
            "A" if attempt(people[c].url, what, people[c], people["lead"], rid, patient_id) else "R"
            for c in CALLERS
        )
        for what in TABLE
    }
    assert got == TABLE


def test_each_login_sees_exactly_the_patients_of_the_referrals_it_may_see(pg_world, people) -> None:
    """The whole patients table, as each login: the patients of its team's referrals and of those
    assigned to it, no other (0013 changed how the policy is computed, not what it lets through)."""
    east, west = pg_world.actor("amy").team_id, pg_world.actor("cara").team_id
    moved = pg_world.referrals["Ó Súilleabháin"]
    with pg_world.db.write() as s:
        # One referral in West, assigned to the East advisor: both branches of the policy.
        s.execute(
            text("UPDATE referrals SET team_id = :w, assigned_to = :me WHERE id = :r"),
            {"w": west, "me": people["advisor"].user_id, "r": moved},
        )
    with pg_world.db.read() as s:
        rows = s.execute(text("SELECT patient_id, team_id, assigned_to FROM referrals")).all()
        every = set(s.execute(text("SELECT id FROM patients")).scalars())

    def visible(team: int, user_id: int) -> set[int]:
        return {p for p, t, a in rows if t == team or a == user_id}

    expected = {
        "advisor": visible(east, people["advisor"].user_id),
        "other_advisor": visible(west, people["other_advisor"].user_id),
        "lead": visible(east, people["lead"].user_id),
        "other_lead": visible(west, people["other_lead"].user_id),
        "admin": every,
    }
    assert expected["advisor"] > expected["lead"] and expected["other_advisor"] < every
    for kind, patients in expected.items():
        engine = create_engine(people[kind].url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                # In name order: the plan a worklist sorted by name makes, the one 0013 changed.
                seen = set(conn.execute(text("SELECT id FROM patients ORDER BY family_key")).scalars())
        finally:
            engine.dispose()
        assert seen == patients, kind


def test_a_wrong_password_is_refused_by_the_server(people) -> None:
    wrong = create_engine(people["advisor"].url.set(password="not-the-password"), poolclass=NullPool)
    with pytest.raises(OperationalError, match="password authentication failed"), wrong.connect():
        pass
    wrong.dispose()


def test_deactivation_ends_the_open_session_and_refuses_the_next_login(pg_world, people) -> None:
    person = people["deactivated"]
    engine = create_engine(person.url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT session_user")).scalar_one() == person.login
            UserAdmin(pg_world.db).deactivate(pg_world.actor("root"), person.user_id)
            with pytest.raises(DBAPIError):
                conn.execute(text("SELECT 1"))  # its session was ended
        with pytest.raises(OperationalError, match="not permitted to log in"), engine.connect():
            pass
    finally:
        engine.dispose()


def test_an_admins_change_to_the_central_settings_is_stamped_and_audited_by_the_database(
    pg_world, people
) -> None:
    """Whatever the desk sends as who and when, the row and its audit say the login and the server."""
    admin, advisor = people["admin"], people["advisor"]
    engine = create_engine(admin.url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE central_settings SET claim_minutes = 35, updated_by = :forged, "
                    "updated_at = '2001-01-01', version = 99 WHERE id = 1"
                ),
                {"forged": advisor.user_id},
            )
    finally:
        engine.dispose()
    with pg_world.db.read() as s:
        row = s.execute(
            text("SELECT claim_minutes, version, updated_by, updated_at FROM central_settings")
        ).one()
        audited = s.execute(
            text(
                "SELECT user_id, db_user, detail FROM audit_events "
                "WHERE entity = 'central_settings' AND action = 'db_update'"
            )
        ).one()
    assert (row.claim_minutes, row.version, row.updated_by) == (35, 2, admin.user_id)
    assert row.updated_at.year >= 2026
    assert (audited.user_id, audited.db_user) == (admin.user_id, admin.login)
    assert audited.detail == {"changes": {"claim_minutes": [20, 35]}, "version": 2}
