"""The audit trail cannot be erased or forged by anyone but the schema owner (issue 11, items 3 and 8).

PostgreSQL: the adversary is a LOGIN role holding every table privilege a non-owner can be given
on audit_events (INSERT, SELECT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER) plus a schema of
its own to create functions in, and, where migration 0010 made them, a member of each group role
(cras_advisor, cras_team_lead, cras_admin). Every way we know to erase, rewrite or hide audit rows
is tried and the ones that worked are counted: the count must be 0 and the rows unchanged.

SQLite: the tricks SQLite lets a file be refused (REPLACE, UPSERT, UPDATE, DELETE). Anyone holding
the file can still edit it; docs/security.md says so.

Roles are cluster-wide: each test makes its own with a random suffix and drops it at the end.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, create_engine, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from world import World

from cras_desk.db.engine import Database, make_engine
from cras_desk.db.models import ROW_CHANGE_ACTIONS, AuditEvent, Referral, User
from cras_desk.domain.enums import ContactOutcome, Role
from cras_desk.domain.errors import NotFound
from cras_desk.services.actor import Actor
from cras_desk.services.claims import ClaimService
from cras_desk.services.contact import ContactService
from cras_desk.services.patient_record import PatientRecordService

GROUP_ROLES = ("cras_advisor", "cras_team_lead", "cras_admin")
EVERY_TABLE_PRIVILEGE = "INSERT, SELECT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"
PATIENT_AND_BOOKING_TABLES = (
    "patients",
    "patient_phones",
    "referrals",
    "contact_attempts",
    "referral_notes",
    "choice_offers",
    "bookings",
    "letters",
    "assignments",
)
AUDIT_TRIGGERS = ("audit_events_append_only", "audit_events_no_truncate", "audit_events_stamp")


@dataclass
class Login:
    name: str
    url: URL


@contextmanager
def login_role(admin: Engine, db_url: URL, *, member_of: str | None = None) -> Iterator[Login]:
    """A LOGIN role of its own for the length of a test, dropped with all it holds afterwards."""
    name = f"cras_test_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    with admin.connect() as conn:
        quoted = conn.dialect.identifier_preparer.quote(name)
        # DDL takes no bound parameters: the server's own format() quotes the literal.
        create = conn.execute(
            text("SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', CAST(:name AS text), CAST(:pw AS text))"),
            {"name": name, "pw": password},
        ).scalar_one()
        conn.exec_driver_sql(create)
        if member_of is not None:
            conn.exec_driver_sql(f"GRANT {conn.dialect.identifier_preparer.quote(member_of)} TO {quoted}")
        conn.commit()
    try:
        yield Login(name, db_url.set(username=name, password=password))
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :name"),
                {"name": name},
            )
            conn.exec_driver_sql(f"DROP OWNED BY {quoted} CASCADE")
            conn.exec_driver_sql(f"DROP ROLE {quoted}")
            conn.commit()


def admin_engine(db: Database) -> Engine:
    return create_engine(db.url, isolation_level="AUTOCOMMIT")


def grant_strongest(admin: Engine, role: str) -> None:
    with admin.connect() as conn:
        quoted = conn.dialect.identifier_preparer.quote(role)
        conn.exec_driver_sql(f"GRANT {EVERY_TABLE_PRIVILEGE} ON audit_events TO {quoted}")
        sequence_grant = conn.execute(
            text(
                "SELECT format('GRANT USAGE ON SEQUENCE %s TO %I', "
                "pg_get_serial_sequence('audit_events', 'id'), CAST(:r AS text))"
            ),
            {"r": role},
        ).scalar_one()
        conn.exec_driver_sql(sequence_grant)
        # A schema of its own: the intruder's trigger function is not refused for want of a place.
        conn.exec_driver_sql(f"CREATE SCHEMA {quoted} AUTHORIZATION {quoted}")
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {quoted}")


def snapshot(admin: Engine) -> list[tuple[object, ...]]:
    with admin.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT id, at, user_id, action, entity, entity_id, patient_id, detail::text, db_user "
                    "FROM audit_events ORDER BY id"
                )
            )
        ]


def audit_guards(admin: Engine) -> list[tuple[str, str]]:
    """The audit table's triggers and whether each is enabled ('O'), plus the table's own name."""
    with admin.connect() as conn:
        return [
            (str(name), str(enabled))
            for name, enabled in conn.execute(
                text(
                    "SELECT tgname, tgenabled FROM pg_trigger "
                    "WHERE tgrelid = to_regclass('audit_events') AND NOT tgisinternal ORDER BY tgname"
                )
            )
        ]


def tampering_attempts(schema: str) -> dict[str, list[str]]:
    """Each way to erase, rewrite or hide audit rows: statements run in one transaction."""
    swallow = (
        f"CREATE FUNCTION {schema}.swallow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$"
    )
    forge = (
        f"CREATE FUNCTION {schema}.forge() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN NEW.db_user := 'someone_else'; NEW.at := '2001-01-01'; RETURN NEW; END $$"
    )
    return {
        "update": ["UPDATE audit_events SET action = 'tampered'"],
        "delete": ["DELETE FROM audit_events"],
        "delete via a CTE": [
            "WITH gone AS (DELETE FROM audit_events RETURNING id) SELECT count(*) FROM gone"
        ],
        "upsert over a row": [
            "INSERT INTO audit_events (id, at, action, entity) SELECT id, now(), 'tampered', 'x' "
            "FROM audit_events ON CONFLICT (id) DO UPDATE SET action = 'tampered'"
        ],
        "truncate": ["TRUNCATE audit_events"],
        "drop table": ["DROP TABLE audit_events"],
        "drop table cascade": ["DROP TABLE audit_events CASCADE"],
        "rename table": ["ALTER TABLE audit_events RENAME TO audit_events_old"],
        "disable the append-only trigger": [
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"
        ],
        "disable every trigger": ["ALTER TABLE audit_events DISABLE TRIGGER ALL"],
        "disable the stamp": ["ALTER TABLE audit_events DISABLE TRIGGER audit_events_stamp"],
        "drop the append-only trigger": ["DROP TRIGGER audit_events_append_only ON audit_events"],
        "drop the truncate trigger": ["DROP TRIGGER audit_events_no_truncate ON audit_events"],
        "drop the trigger function": ["DROP FUNCTION audit_events_append_only() CASCADE"],
        "replace the stamp function": [
            "CREATE OR REPLACE FUNCTION public.cras_audit_stamp() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NEW; END $$"
        ],
        "create a trigger that swallows audit rows": [
            swallow,
            "CREATE TRIGGER zz_swallow BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE "
            f"FUNCTION {schema}.swallow()",
        ],
        "create a trigger that rewrites who and when": [
            forge,
            "CREATE TRIGGER zzz_forge BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE "
            f"FUNCTION {schema}.forge()",
        ],
        "stop the audit of patient changes": ["ALTER TABLE patients DISABLE TRIGGER patients_audit_update"],
        "drop the audit of booking changes": ["DROP TRIGGER bookings_audit_insert ON bookings"],
        "create a rule": ["CREATE RULE no_audit AS ON INSERT TO audit_events DO INSTEAD NOTHING"],
        "row-level security to hide rows": ["ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY"],
        "a policy to hide rows": ["CREATE POLICY hide ON audit_events USING (false)"],
        "take ownership": ["ALTER TABLE audit_events OWNER TO CURRENT_USER"],
        "inherit to shadow": [f"CREATE TABLE {schema}.shadow () INHERITS (audit_events)"],
        "replication role (skips triggers)": ["SET session_replication_role = replica"],
        "replication role then delete": [
            "SET LOCAL session_replication_role = replica",
            "DELETE FROM audit_events",
        ],
    }


# Why an attempt may fail: refused for want of a privilege or ownership (42501, which our guards
# raise too), or by 0001's append-only trigger (P0001). Anything else (a typo, a missing object)
# would be a refusal for the wrong reason, and the attempt proved nothing.
REFUSED = {"42501", "P0001"}


FORGED_AT = datetime(2001, 1, 1, tzinfo=UTC)


def try_forging(conn: Connection) -> None:
    conn.execute(
        text(
            "INSERT INTO audit_events (at, action, entity, db_user) VALUES (:at, 'forged', "
            "'x', 'someone_else')"
        ),
        {"at": FORGED_AT},
    )


def attack(adversary: Engine, admin: Engine, schema: str) -> tuple[dict[str, str], dict[str, str]]:
    """Run every attempt as the adversary: (what worked, what failed for a reason not a refusal)."""
    worked: dict[str, str] = {}
    wrong_reason: dict[str, str] = {}
    for name, statements in tampering_attempts(schema).items():
        try:
            with adversary.connect() as conn:
                for sql in statements:
                    conn.exec_driver_sql(sql)
                conn.commit()
        except DBAPIError as refused:
            sqlstate = getattr(refused.orig, "sqlstate", None)
            if sqlstate not in REFUSED:
                wrong_reason[name] = f"{sqlstate}: {refused.orig}"
            continue
        worked[name] = "; ".join(statements)
    with adversary.connect() as conn:
        try_forging(conn)
        conn.commit()
    with admin.connect() as conn:
        forged = conn.execute(
            text("SELECT count(*) FROM audit_events WHERE db_user = 'someone_else' OR at < :cut"),
            {"cut": FORGED_AT + timedelta(days=1)},
        ).scalar_one()
    if forged:
        worked["insert with a forged db_user and at"] = f"{forged} row(s) kept the forged values"
    return worked, wrong_reason


def seed_trail(db: Database) -> None:
    with db.write() as s:
        s.add_all(
            AuditEvent(action="view", entity="referral", entity_id=n, patient_id=n) for n in range(1, 6)
        )


def test_no_tampering_succeeds_as_any_non_owner(pg_db: Database) -> None:
    db = pg_db
    seed_trail(db)
    admin = admin_engine(db)
    try:
        guards = audit_guards(admin)
        before = snapshot(admin)
        assert [name for name, _ in guards] == sorted(AUDIT_TRIGGERS)
        assert len(before) >= 5
        with admin.connect() as conn:
            groups = (
                conn.execute(
                    text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names) ORDER BY rolname"),
                    {"names": list(GROUP_ROLES)},
                )
                .scalars()
                .all()
            )
        adversaries: list[str | None] = [None, *groups]  # None: the strongest non-owner, no group
        results: dict[str, dict[str, str]] = {}
        wrong: dict[str, dict[str, str]] = {}
        for group in adversaries:
            with login_role(admin, db.url, member_of=group) as login:
                if group is None:
                    grant_strongest(admin, login.name)
                else:
                    with admin.connect() as conn:
                        quoted = conn.dialect.identifier_preparer.quote(login.name)
                        conn.exec_driver_sql(f"CREATE SCHEMA {quoted} AUTHORIZATION {quoted}")
                adversary = make_engine(login.url)
                try:
                    schema = adversary.dialect.identifier_preparer.quote(login.name)
                    who = group or "every table privilege"
                    results[who], wrong[who] = attack(adversary, admin, schema)
                finally:
                    adversary.dispose()
        assert {who: worked for who, worked in results.items() if worked} == {}
        assert sum(len(worked) for worked in results.values()) == 0
        assert {who: why for who, why in wrong.items() if why} == {}
        # The issue's own list is in the catalogue tried above (besides the forged insert).
        assert {"update", "delete", "truncate", "drop table", "disable every trigger"} <= set(
            tampering_attempts("x")
        )
        after = snapshot(admin)
        assert after[: len(before)] == before  # nothing changed, nothing gone
        assert audit_guards(admin) == guards  # every guard still there and enabled
    finally:
        admin.dispose()


def test_the_attempts_would_work_without_the_guards(pg_db: Database) -> None:
    """The adversary's privileges are real: INSERT and SELECT work, and with the TRIGGER privilege
    PostgreSQL itself would let it add a trigger to audit_events; only our guard refuses that.
    Without this the test above could pass for want of rights."""
    db = pg_db
    admin = admin_engine(db)
    try:
        with login_role(admin, db.url) as login:
            grant_strongest(admin, login.name)
            adversary = make_engine(login.url)
            schema = adversary.dialect.identifier_preparer.quote(login.name)
            try:
                with adversary.connect() as conn:
                    conn.execute(
                        text("INSERT INTO audit_events (at, action, entity) VALUES (now(), 'x', 'y')")
                    )
                    assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() >= 1
                    conn.commit()
                # Refused by the event trigger, by name: not for want of a function or of rights.
                with (
                    pytest.raises(
                        DBAPIError, match=r"only the owner of (public\.)?audit_events may add triggers"
                    ),
                    adversary.connect() as conn,
                ):
                    for sql in tampering_attempts(schema)["create a trigger that swallows audit rows"]:
                        conn.exec_driver_sql(sql)
                with adversary.connect() as conn:
                    # Its own table: creating a trigger there is allowed, so the guard is not a blanket ban.
                    conn.exec_driver_sql(f"CREATE TABLE {schema}.mine (id int)")
                    conn.exec_driver_sql(
                        f"CREATE FUNCTION {schema}.noop() RETURNS trigger LANGUAGE plpgsql "
                        "AS $$ BEGIN RETURN NEW; END $$"
                    )
                    conn.exec_driver_sql(
                        f"CREATE TRIGGER t BEFORE INSERT ON {schema}.mine FOR EACH ROW EXECUTE FUNCTION "
                        f"{schema}.noop()"
                    )
                    conn.commit()
                with (
                    pytest.raises(DBAPIError, match="permission denied to set parameter"),
                    adversary.connect() as conn,
                ):
                    conn.exec_driver_sql("SET session_replication_role = replica")
            finally:
                adversary.dispose()
    finally:
        admin.dispose()


def test_only_the_owner_can_disable_the_guards(pg_db: Database) -> None:
    """PostgreSQL's rule, shown: the owner (here the superuser that migrated) may ALTER the table and
    DISABLE its triggers (a visible DDL statement, logged by the server); TRUNCATE stays refused
    even for the owner until it does, also when it comes from TRUNCATE users CASCADE."""
    db = pg_db
    seed_trail(db)
    admin = admin_engine(db)
    try:
        for sql in ("TRUNCATE audit_events", "TRUNCATE users CASCADE"):
            with pytest.raises(DBAPIError, match="TRUNCATE refused"), admin.connect() as conn:
                conn.exec_driver_sql(sql)
        with db.engine.connect() as conn:  # one transaction, rolled back: the owner could, and did not
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            gone = conn.exec_driver_sql(
                "DELETE FROM audit_events WHERE id = (SELECT min(id) FROM audit_events)"
            )
            assert gone.rowcount == 1
            conn.rollback()
        with admin.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() >= 5
            owners = conn.execute(
                text(
                    "SELECT pg_get_userbyid(relowner) = current_user FROM pg_class WHERE oid = "
                    "'audit_events'::regclass"
                )
            ).scalar_one()
            public_rights = conn.execute(
                text(
                    "SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a "
                    "WHERE c.oid = 'audit_events'::regclass AND a.grantee <> c.relowner "
                    "AND a.privilege_type IN ('TRUNCATE', 'UPDATE', 'DELETE', 'REFERENCES', 'TRIGGER')"
                )
            ).scalar_one()
        assert owners is True
        assert public_rights == 0  # revoked from PUBLIC and every role the migration found
    finally:
        admin.dispose()


@contextmanager
def desk_role(db: Database) -> Iterator[tuple[str, Database, Actor]]:
    """A desk signed in as a person of its own: a login in the admin group (0010's grants and
    row-level security let an admin see every team's records) with its users row."""
    admin = admin_engine(db)
    try:
        with login_role(admin, db.url, member_of="cras_admin") as login:
            with db.write() as s:
                user = User(username=login.name, full_name="Desk Login", role=Role.ADMIN, password_hash="!")
                s.add(user)
                s.flush()
                actor = Actor(user.id, user.username, user.full_name, Role.ADMIN, None)
            desk = Database(login.url)
            try:
                yield login.name, desk, actor
            finally:
                desk.dispose()
    finally:
        admin.dispose()


def row_changes(
    db: Database, after_id: int
) -> list[tuple[str, str, int | None, int | None, str | None, object]]:
    with db.read() as s:
        return [
            (e.action, e.entity, e.entity_id, e.patient_id, e.db_user, e.detail)
            for e in s.scalars(
                select(AuditEvent)
                .where(AuditEvent.id > after_id, AuditEvent.action.in_(ROW_CHANGE_ACTIONS))
                .order_by(AuditEvent.id)
            )
        ]


def last_audit_id(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.coalesce(func.max(AuditEvent.id), 0))) or 0)


def test_the_database_records_who_changed_patient_data_through_the_services(pg_world: World) -> None:
    world = pg_world
    db = world.db
    rid = world.referrals["Smith"]
    with db.read() as s:
        patient_id = s.scalar(select(Referral.patient_id).where(Referral.id == rid))
    with desk_role(db) as (role, desk, person):
        start = last_audit_id(db)
        ClaimService(desk).claim(person, rid)
        ContactService(desk).record_attempt(person, rid, ContactOutcome.NO_ANSWER)
        changes = row_changes(db, start)
    claim = changes[0]
    assert claim[:5] == ("db_update", "referrals", rid, patient_id, role)
    assert {"claimed_by", "claimed_until"} <= set(claim[5]["columns"])
    attempts = [c for c in changes if c[1] == "contact_attempts"]
    assert [c[:5] for c in attempts] == [("db_insert", "contact_attempts", attempts[0][2], patient_id, role)]
    # Names of columns only: no value of the patient's record is in the trail.
    assert all(c[4] == role for c in changes)
    with db.read() as s:
        smith = s.execute(
            text("SELECT family_name, postcode FROM patients WHERE id = :p"), {"p": patient_id}
        ).one()
        details = " ".join(
            str(d) for (d,) in s.execute(select(AuditEvent.detail).where(AuditEvent.id > start))
        )
    assert smith.family_name not in details and smith.postcode not in details


def test_the_database_records_inserts_updates_and_deletes_of_every_patient_table(pg_world: World) -> None:
    world = pg_world
    db = world.db
    rid = world.referrals["Smith"]
    with db.read() as s:
        patient_id = s.scalar(select(Referral.patient_id).where(Referral.id == rid))
    # Rows in every table first, made through the services by the superuser (a booking, a letter...).
    ContactService(db).record_attempt(world.actor("ben"), rid, ContactOutcome.NO_ANSWER)
    with desk_role(db) as (role, desk, person):
        start = last_audit_id(db)
        touched: list[str] = []
        with desk.engine.connect() as conn:
            for table in PATIENT_AND_BOOKING_TABLES:
                # Least privilege (0010): some tables are append-only even for an admin.
                if not conn.execute(text("SELECT has_table_privilege(:t, 'UPDATE')"), {"t": table}).scalar():
                    continue
                rows = conn.exec_driver_sql(
                    f"UPDATE {table} SET id = id WHERE id = (SELECT min(id) FROM {table})"  # noqa: S608 - our table names
                )
                if rows.rowcount:
                    touched.append(table)
            note = conn.execute(
                text(
                    "INSERT INTO referral_notes (referral_id, at, user_id, text) "
                    "VALUES (:r, now(), :u, 'synthetic note') RETURNING id"
                ),
                {"r": rid, "u": person.user_id},
            ).scalar_one()
            conn.commit()
        # Notes are append-only for every desk role (0010): the owner deletes, and is recorded.
        with db.engine.connect() as conn:
            owner = conn.execute(text("SELECT session_user")).scalar_one()
            conn.execute(text("DELETE FROM referral_notes WHERE id = :n"), {"n": note})
            conn.commit()
        changes = row_changes(db, start)
    assert {"patients", "patient_phones", "referrals"} <= set(touched)
    assert [(c[0], c[1]) for c in changes if c[0] == "db_update"] == [("db_update", t) for t in touched]
    assert all(c[5] == {"columns": []} for c in changes if c[0] == "db_update")  # SET id = id changes nothing
    assert [c[:5] for c in changes if c[1] == "referral_notes"] == [
        ("db_insert", "referral_notes", note, patient_id, role),
        ("db_delete", "referral_notes", note, patient_id, owner),
    ]
    assert {c[4] for c in changes} == {role, owner}


def test_a_full_record_read_writes_exactly_one_audit_row_in_its_transaction(world) -> None:
    db = world.db
    rid = world.referrals["Smith"]
    records = PatientRecordService(db)
    start = last_audit_id(db)
    record = records.open(world.actor("ben"), rid)
    records.open(world.actor("ben"), rid)
    with pytest.raises(NotFound):
        records.open(world.actor("ben"), 999_999)  # nothing read, nothing recorded
    with db.read() as s:
        views = s.execute(
            select(AuditEvent.user_id, AuditEvent.action, AuditEvent.entity_id, AuditEvent.patient_id).where(
                AuditEvent.id > start
            )
        ).all()
    view = (world.actor("ben").user_id, "view", rid, record.patient_id)
    assert [tuple(v) for v in views] == [view, view]


def test_a_rolled_back_raw_read_leaves_no_row_and_a_committed_one_is_stamped(pg_world: World) -> None:
    """What is right: the row belongs to the transaction that read. A desk shows a record only after
    that transaction committed (PatientRecordService.open returns after COMMIT), so every record on a
    screen has its row; a raw reader who rolls back leaves none in the table, only the server log's
    line (RAISE LOG in cras_read_full_record), which no rollback takes back."""
    world = pg_world
    db = world.db
    rid = world.referrals["Smith"]
    with desk_role(db) as (role, desk, _person):
        start = last_audit_id(db)
        with desk.engine.connect() as conn:
            assert (
                conn.execute(text("SELECT cras_read_full_record(:r, NULL)"), {"r": rid}).scalar_one()
                is not None
            )
            conn.rollback()
        assert last_audit_id(db) == start
        with desk.engine.connect() as conn:
            conn.execute(text("SELECT cras_read_full_record(:r, NULL)"), {"r": rid})
            assert (
                conn.execute(text("SELECT cras_read_full_record(:r, NULL)"), {"r": 999_999}).scalar_one()
                is None
            )
            conn.commit()
        with db.read() as s:
            rows = s.execute(
                select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.db_user, AuditEvent.at).where(
                    AuditEvent.id > start
                )
            ).all()
    assert [(a, e, u) for a, e, u, _ in rows] == [("view", rid, role)]
    assert abs(rows[0].at - datetime.now(UTC)) < timedelta(minutes=5)  # the server's clock


# --- SQLite -------------------------------------------------------------------------------------------


def sqlite_file(db: Database) -> str:
    path = db.url.database
    assert path
    return path


SQLITE_TRICKS = {
    "INSERT OR REPLACE": (
        "INSERT OR REPLACE INTO audit_events (id, at, action, entity) VALUES (1, '2001-01-01', 'x', 'y')"
    ),
    "REPLACE INTO": "REPLACE INTO audit_events (id, at, action, entity) VALUES (2, '2001-01-01', 'x', 'y')",
    "UPSERT": (
        "INSERT INTO audit_events (id, at, action, entity) VALUES (3, '2001-01-01', 'x', 'y') "
        "ON CONFLICT (id) DO UPDATE SET action = 'tampered'"
    ),
    "UPDATE": "UPDATE audit_events SET action = 'tampered'",
    "UPDATE OR REPLACE": "UPDATE OR REPLACE audit_events SET id = 1 WHERE id = 2",
    "DELETE": "DELETE FROM audit_events",
    "INSERT OR REPLACE with recursive triggers": (
        "INSERT OR REPLACE INTO audit_events (id, at, action, entity) VALUES (4, '2001-01-01', 'x', 'y')"
    ),
}


def test_sqlite_refuses_every_trick_it_can_refuse(sqlite_db: Database) -> None:
    db = sqlite_db
    seed_trail(db)
    conn = sqlite3.connect(sqlite_file(db), timeout=5)
    try:
        before = conn.execute("SELECT * FROM audit_events ORDER BY id").fetchall()
        worked = []
        for name, sql in SQLITE_TRICKS.items():
            conn.execute(f"PRAGMA recursive_triggers = {'ON' if 'recursive' in name else 'OFF'}")
            try:
                conn.execute(sql)
                conn.commit()
                worked.append(name)
            except sqlite3.DatabaseError as refused:
                conn.rollback()
                assert "append-only" in str(refused)
        assert worked == []
        assert conn.execute("SELECT * FROM audit_events ORDER BY id").fetchall() == before
        conn.execute(
            "INSERT INTO audit_events (at, action, entity) VALUES ('2026-01-01', 'view', 'referral')"
        )
        conn.commit()  # appending is what the trail is for
        assert len(conn.execute("SELECT id FROM audit_events").fetchall()) == len(before) + 1
    finally:
        conn.close()


def make_0001_audit_table(conn: sqlite3.Connection) -> None:
    """audit_events as 0001 left it: UPDATE and DELETE refused by triggers, nothing else."""
    conn.execute("CREATE TABLE audit_events (id INTEGER PRIMARY KEY, action TEXT)")
    for verb in ("UPDATE", "DELETE"):
        conn.execute(
            f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
        )
    conn.execute("INSERT INTO audit_events VALUES (1, 'view')")


@pytest.mark.parametrize(("recursive", "replaced"), [(False, True), (True, False)])
def test_why_sqlite_needs_its_own_replace_guard(recursive: bool, replaced: bool) -> None:
    """REPLACE deletes the conflicting row without firing DELETE triggers unless recursive_triggers
    is on (SQLite's documented behaviour), so 0001's triggers alone let history be overwritten."""
    conn = sqlite3.connect(":memory:")
    try:
        make_0001_audit_table(conn)
        conn.execute(f"PRAGMA recursive_triggers = {'ON' if recursive else 'OFF'}")
        try:
            conn.execute("INSERT OR REPLACE INTO audit_events VALUES (1, 'tampered')")
        except sqlite3.DatabaseError as refused:
            assert "append-only" in str(refused)
        action = conn.execute("SELECT action FROM audit_events WHERE id = 1").fetchone()[0]
        assert (action == "tampered") is replaced
    finally:
        conn.close()


def test_sqlite_keeps_no_database_user(sqlite_db: Database) -> None:
    """The single-user embedded mode: the file's OS account is the only user; db_user stays empty."""
    db = sqlite_db
    seed_trail(db)
    with db.read() as s:
        assert set(s.scalars(select(AuditEvent.db_user))) == {None}
