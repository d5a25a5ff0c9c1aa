"""central settings: one row of unit-wide rules every desk reads, edited by admins, audited

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 13:30:00

One row (id 1) of the options of domain.central_settings.CentralSettings, seeded with today's
defaults, with the same ranges as CHECK constraints: a desk that skips the service's checks still
cannot store a contact policy of zero calls or calling hours that close before they open.

PostgreSQL
- Every active user may read it (row-level security: not a deactivated one); only an admin's login
  may UPDATE it; nobody but the owner may INSERT or DELETE (there is no such grant).
- A BEFORE UPDATE trigger stamps updated_at from the server clock and updated_by from
  session_user, and counts the edit in `version`, whatever the desk sent; an AFTER UPDATE trigger
  owned by the owner writes the audit row, with each changed option's old and new value (the
  options are policy, not patient data, so the values belong in the trail).

SQLite: a trigger refuses deleting the row; the service writes the audit row.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cras_desk.db.types import UtcDateTime

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name -> (default, minimum, maximum); booleans have no range. Written out here, not imported from
# the domain, so this migration stays what it was when a later release changes a default.
OPTIONS: dict[str, tuple[int, int, int] | bool] = {
    "max_failed_attempts": (3, 1, 10),
    "min_distinct_days": (2, 1, 10),
    "require_distinct_times_of_day": True,
    "respond_within_days": (14, 7, 60),
    "calling_opens": (540, 420, 1260),
    "calling_closes": (1200, 480, 1320),
    "claim_minutes": (20, 10, 240),
    "idle_lock_min_minutes": (1, 1, 60),
    "idle_lock_max_minutes": (15, 1, 120),
    "lockout_failures": (5, 3, 20),
    "lockout_minutes": (15, 5, 1440),
    "lockout_until_admin_unlocks": False,
}
GROUP_ROLES = ("cras_advisor", "cras_team_lead", "cras_admin")


def upgrade() -> None:
    columns: list[sa.Column[object] | sa.CheckConstraint] = [
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False)
    ]
    for name, spec in OPTIONS.items():
        if isinstance(spec, bool):
            columns.append(sa.Column(name, sa.Boolean(), nullable=False))
        else:
            _, low, high = spec
            columns.append(sa.Column(name, sa.Integer(), nullable=False))
            columns.append(sa.CheckConstraint(f"{name} BETWEEN {low} AND {high}", name=f"{name}_range"))
    op.create_table(
        "central_settings",
        *columns,
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.Column(
            "updated_by", sa.Integer(), sa.ForeignKey("users.id", name="fk_central_settings_updated_by_users")
        ),
        sa.CheckConstraint("id = 1", name="one_row"),
        sa.CheckConstraint("calling_opens < calling_closes", name="calling_hours_order"),
        sa.CheckConstraint("idle_lock_min_minutes <= idle_lock_max_minutes", name="idle_lock_order"),
        sa.PrimaryKeyConstraint("id", name="pk_central_settings"),
    )
    defaults = {name: spec if isinstance(spec, bool) else spec[0] for name, spec in OPTIONS.items()}
    op.bulk_insert(
        sa.table("central_settings", *(sa.column(n) for n in ("id", *defaults, "version"))),
        [{"id": 1, **defaults, "version": 1}],
    )
    if _sqlite():
        op.execute(
            "CREATE TRIGGER central_settings_keep BEFORE DELETE ON central_settings "
            "BEGIN SELECT RAISE(ABORT, 'the central settings row cannot be deleted'); END"
        )
    else:
        _postgresql_upgrade()


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _postgresql_upgrade() -> None:
    bind = op.get_bind()
    quote = bind.dialect.identifier_preparer.quote
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    path = f"pg_catalog, {quote(schema)}, pg_temp"
    changed = " || ".join(
        f"CASE WHEN o.{n} IS DISTINCT FROM n.{n} THEN jsonb_build_object('{n}', "
        f"jsonb_build_array(o.{n}, n.{n})) ELSE '{{}}'::jsonb END"
        for n in OPTIONS
    )
    op.execute(
        f"""
        CREATE FUNCTION cras_central_settings_stamp() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER SET search_path = {path} AS $$
        BEGIN
            NEW.id := OLD.id;
            NEW.version := OLD.version + 1;
            NEW.updated_at := clock_timestamp();
            NEW.updated_by := coalesce((SELECT u.id FROM users u WHERE u.username = session_user), NEW.updated_by);
            RETURN NEW;
        END $$
        """  # noqa: S608 - DDL from constants
    )
    op.execute(
        "CREATE TRIGGER central_settings_stamp BEFORE UPDATE ON central_settings "
        "FOR EACH ROW EXECUTE FUNCTION cras_central_settings_stamp()"
    )
    op.execute(
        f"""
        CREATE FUNCTION cras_audit_central_settings() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER SET search_path = {path} AS $$
        BEGIN
            INSERT INTO audit_events (at, user_id, action, entity, entity_id, detail)
            SELECT clock_timestamp(), n.updated_by, 'db_update', 'central_settings', n.id,
                   jsonb_build_object('changes', {changed}, 'version', n.version)
            FROM new_rows n JOIN old_rows o ON o.id = n.id;
            RETURN NULL;
        END $$
        """  # noqa: S608 - DDL from constants
    )
    op.execute(
        "CREATE TRIGGER central_settings_audit_update AFTER UPDATE ON central_settings "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION cras_audit_central_settings()"
    )
    op.execute("REVOKE ALL ON central_settings FROM PUBLIC")
    present = bind.execute(
        sa.text("SELECT rolname FROM pg_roles WHERE rolname = ANY (:roles)"), {"roles": list(GROUP_ROLES)}
    ).scalars()
    groups = [quote(r) for r in present]
    if not groups:
        return  # a server without the CRAS roles (one shared account): nothing to grant
    editable = ", ".join(quote(n) for n in (*OPTIONS, "version", "updated_at", "updated_by"))
    op.execute(f"GRANT SELECT ON central_settings TO {', '.join(groups)}")
    if quote("cras_admin") in groups:
        op.execute(f"GRANT UPDATE ({editable}) ON central_settings TO cras_admin")
    op.execute("ALTER TABLE central_settings ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY cras_active ON central_settings FOR SELECT TO {', '.join(groups)} "
        "USING ((SELECT cras_current_user_id()) IS NOT NULL)"
    )
    if quote("cras_admin") in groups:
        op.execute(
            "CREATE POLICY cras_admin_edit ON central_settings FOR UPDATE TO cras_admin "
            "USING ((SELECT cras_current_role()) = 'admin') WITH CHECK ((SELECT cras_current_role()) = 'admin')"
        )


def downgrade() -> None:
    if not _sqlite():
        op.execute("DROP TRIGGER central_settings_audit_update ON central_settings")
        op.execute("DROP FUNCTION cras_audit_central_settings()")
        op.execute("DROP TRIGGER central_settings_stamp ON central_settings")
        op.execute("DROP FUNCTION cras_central_settings_stamp()")
    op.drop_table("central_settings")
