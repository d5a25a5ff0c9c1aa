"""an audit the database writes and no desk can erase

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 01:00:00

PostgreSQL
- `audit_events.db_user`: the login that wrote the row. A BEFORE INSERT trigger sets it to
  session_user and, for anyone but the owner, `at` to the server's clock, whatever the desk sent:
  who and when cannot be forged by a desk (the owner may write history: the demo seed, migrations).
- Every insert, update and delete of patient and booking data (AUDITED_TABLES) writes audit rows
  from triggers owned by the schema owner (SECURITY DEFINER, fixed search_path), with the table,
  the row id, the patient id, the operation and, for updates, the NAMES of the changed columns:
  values stay out of the trail, which must hold no patient data beyond ids. The triggers are
  statement-level with transition tables (one INSERT ... SELECT per statement): a lead moving
  2,000 referrals or a COPY of a seed writes its audit rows in one statement, not 2,000.
- TRUNCATE of audit_events is refused by a trigger (also when it comes by TRUNCATE ... CASCADE from
  users); UPDATE and DELETE already were (0001). TRUNCATE, UPDATE, DELETE, REFERENCES and TRIGGER
  are revoked from PUBLIC and every role but the owner; the group roles of 0010 keep INSERT, and
  cras_admin SELECT. DROP, ALTER (rename, DISABLE TRIGGER) and DROP TRIGGER need ownership in
  PostgreSQL, and CREATE TRIGGER by a non-owner is refused by an event trigger
  (cras_desk.db.trigger_guard), installed here when the migration runs as a superuser.
- cras_read_full_record(referral_id, user_id): the one read that opens a patient's full record
  writes its "view" audit row in the same statement. SECURITY INVOKER on purpose: it must see only
  what the caller's row-level security lets them see (a definer function would run as the owner
  and open any team's record).

SQLite
- A BEFORE INSERT trigger refuses a row whose id already exists. INSERT OR REPLACE deletes the old
  row without firing DELETE triggers (unless PRAGMA recursive_triggers is on, which the desk does
  not set), so 0001's triggers let it overwrite history. Anyone holding the file can still edit it:
  the embedded mode is single-user and trusts its OS account (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cras_desk.db import trigger_guard

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Table -> how a changed row names its patient (row alias "n"; "r" is the referral, joined when needed).
AUDITED_TABLES: dict[str, str] = {
    "patients": "n.id",
    "patient_phones": "n.patient_id",
    "referrals": "n.patient_id",
    "contact_attempts": "r.patient_id",
    "referral_notes": "r.patient_id",
    "choice_offers": "r.patient_id",
    "bookings": "r.patient_id",
    "letters": "r.patient_id",
    "assignments": "r.patient_id",
}
GROUP_ROLES = ("cras_advisor", "cras_team_lead", "cras_admin")
REVOKED = "TRUNCATE, UPDATE, DELETE, REFERENCES, TRIGGER"


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("db_user", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        op.execute(
            "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
            "WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: a row cannot be replaced'); END"
        )


def _postgresql_upgrade() -> None:
    bind = op.get_bind()
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    path = f"pg_catalog, {bind.dialect.identifier_preparer.quote(schema)}, pg_temp"

    op.execute(
        f"""
        CREATE FUNCTION cras_audit_stamp() RETURNS trigger LANGUAGE plpgsql
        SET search_path = {path} AS $$
        BEGIN
            NEW.db_user := session_user;
            -- Desks cannot backdate; the owner (migrations, the demo seed's history) may.
            IF NOT pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
                NEW.at := clock_timestamp();
            END IF;
            RETURN NEW;
        END $$
        """  # noqa: S608 - DDL from constants
    )
    op.execute(
        "CREATE TRIGGER audit_events_stamp BEFORE INSERT ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION cras_audit_stamp()"
    )
    op.execute(
        f"""
        CREATE FUNCTION cras_audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql
        SET search_path = {path} AS $$
        BEGIN
            RAISE EXCEPTION 'audit_events is append-only: TRUNCATE refused'
                USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION cras_audit_refuse_truncate()"
    )
    for table, patient in AUDITED_TABLES.items():
        _audit_changes_of(table, patient, path)
    _read_full_record(path)
    _privileges()
    if trigger_guard.is_superuser(bind):
        trigger_guard.install(bind)


def _audit_changes_of(table: str, patient: str, path: str) -> None:
    referral = " LEFT JOIN referrals r ON r.id = n.referral_id" if patient.startswith("r.") else ""
    changed = (
        "json_build_object('columns', ARRAY(SELECT e.key FROM jsonb_each(to_jsonb(n)) e "
        "WHERE e.value IS DISTINCT FROM to_jsonb(o) -> e.key ORDER BY e.key))"
    )
    op.execute(
        f"""
        CREATE FUNCTION cras_audit_{table}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = {path} AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO audit_events (at, action, entity, entity_id, patient_id)
                SELECT clock_timestamp(), 'db_insert', TG_TABLE_NAME, n.id, {patient}
                FROM new_rows n{referral};
            ELSIF TG_OP = 'UPDATE' THEN
                INSERT INTO audit_events (at, action, entity, entity_id, patient_id, detail)
                SELECT clock_timestamp(), 'db_update', TG_TABLE_NAME, n.id, {patient}, {changed}
                FROM new_rows n JOIN old_rows o ON o.id = n.id{referral};
            ELSE
                INSERT INTO audit_events (at, action, entity, entity_id, patient_id)
                SELECT clock_timestamp(), 'db_delete', TG_TABLE_NAME, n.id, {patient}
                FROM old_rows n{referral};
            END IF;
            RETURN NULL;
        END $$
        """  # noqa: S608 - DDL from constants
    )
    for event, referencing in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        op.execute(
            f"CREATE TRIGGER {table}_audit_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION cras_audit_{table}()"
        )


def _read_full_record(path: str) -> None:
    # RAISE LOG goes to the server log, which a rollback cannot take back: a raw-SQL reader who
    # rolls back leaves no audit row but still leaves this line (ids and the login only).
    op.execute(
        f"""
        CREATE FUNCTION cras_read_full_record(p_referral_id integer, p_user_id integer)
        RETURNS integer LANGUAGE plpgsql SECURITY INVOKER SET search_path = {path} AS $$
        DECLARE
            v_patient integer;
        BEGIN
            SELECT r.patient_id INTO v_patient FROM referrals r WHERE r.id = p_referral_id;
            IF NOT FOUND THEN
                RETURN NULL;
            END IF;
            INSERT INTO audit_events (at, user_id, action, entity, entity_id, patient_id)
            VALUES (clock_timestamp(), p_user_id, 'view', 'referral', p_referral_id, v_patient);
            RAISE LOG 'cras_read_full_record: referral % read by %', p_referral_id, session_user;
            RETURN v_patient;
        END $$
        """  # noqa: S608 - DDL from constants
    )


def _privileges() -> None:
    # Every grantee but the owner, table- or column-level: a column grant of UPDATE is a grant too.
    op.execute(
        f"""
        DO $$
        DECLARE
            grantee oid;
            role_name text;
            sequence_name text := pg_get_serial_sequence('audit_events', 'id');
        BEGIN
            EXECUTE 'REVOKE {REVOKED} ON audit_events FROM PUBLIC';
            FOR grantee IN
                SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a
                WHERE c.oid = 'audit_events'::regclass AND a.grantee NOT IN (0, c.relowner)
                UNION
                SELECT DISTINCT a.grantee FROM pg_attribute t, aclexplode(t.attacl) a, pg_class c
                WHERE t.attrelid = 'audit_events'::regclass AND c.oid = t.attrelid
                  AND a.grantee NOT IN (0, c.relowner)
            LOOP
                EXECUTE format('REVOKE {REVOKED} ON audit_events FROM %s', grantee::regrole);
            END LOOP;
            -- The group roles of 0010, where they exist: INSERT for every desk, SELECT for admins.
            FOR role_name IN SELECT rolname FROM pg_roles WHERE rolname = ANY (ARRAY{list(GROUP_ROLES)!r})
            LOOP
                EXECUTE format('REVOKE ALL ON audit_events FROM %I', role_name);
                EXECUTE format('GRANT INSERT ON audit_events TO %I', role_name);
                EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', sequence_name, role_name);
                IF role_name = 'cras_admin' THEN
                    EXECUTE format('GRANT SELECT ON audit_events TO %I', role_name);
                END IF;
            END LOOP;
        END $$
        """  # noqa: S608 - DDL from constants
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        bind = op.get_bind()
        if trigger_guard.is_superuser(bind):
            trigger_guard.uninstall(bind)
        op.execute("DROP FUNCTION cras_read_full_record(integer, integer)")
        for table in AUDITED_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_audit_{event} ON {table}")
            op.execute(f"DROP FUNCTION cras_audit_{table}()")
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP FUNCTION cras_audit_refuse_truncate()")
        op.execute("DROP TRIGGER audit_events_stamp ON audit_events")
        op.execute("DROP FUNCTION cras_audit_stamp()")
        op.drop_column("audit_events", "db_user")
    else:
        op.execute("DROP TRIGGER audit_events_no_replace")
        # SQLite 3.35+ drops a column in place; Alembic's batch mode would rebuild the table and
        # lose 0001's append-only triggers with it.
        op.execute("ALTER TABLE audit_events DROP COLUMN db_user")
