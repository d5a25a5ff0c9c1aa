"""the database as the trust boundary: group roles, grants, row-level security, admin functions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 00:45:00

PostgreSQL only (a no-op on SQLite, whose single user is the desk itself). Each person signs in
as their own login role (named as users.username, one per person across the cluster), a member
of one group role: cras_advisor, cras_team_lead or cras_admin (cras_desk.db.login_roles).

- GRANTs per group, table by table and column by column, from what the services do: advisors
  change the working columns of referrals, patients' contact details, phones, bookings and
  letters, and append attempts, notes, offers and audit rows; only leads and admins reassign
  (referrals.assigned_to/team_id, assignments); only admins write users and reference data;
  nobody but the owner reads users.password_hash, deletes, truncates or updates history.
- Row-level security: an advisor or lead sees and changes the referrals of their team or
  assigned to them, and the patients, phones, attempts, notes, offers, bookings, letters and
  assignments of those referrals; an admin everything. Helper functions map session_user to the
  users row (NULL for an unknown or deactivated user, so every policy refuses them); policies call
  them as `(SELECT f())` so each is evaluated once per statement and the indexes still serve.
  The owner (cras_owner) and superusers bypass row-level security, as intended.
- SECURITY DEFINER admin functions, owned by cras_owner (CREATEROLE, ADMIN on the groups) and
  executable only by cras_admin: create a login from a SCRAM verifier, set its password,
  deactivate (NOLOGIN, users.active false, its sessions ended), reactivate.

The group roles are cluster-wide and other databases may use them: the downgrade removes this
database's grants, policies and functions, not the roles.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import Connection, text

from cras_desk.db.login_roles import GROUP_ROLES, OWNER_ROLE, ensure_cluster_roles, is_superuser
from cras_desk.domain.enums import Role

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADVISOR, LEAD, ADMIN = (GROUP_ROLES[r] for r in (Role.ADVISOR, Role.TEAM_LEAD, Role.ADMIN))
EVERYONE = (ADVISOR, LEAD, ADMIN)

REFERENCE_TABLES = (
    "teams",
    "services",
    "providers",
    "sites",
    "site_services",
    "clinicians",
    "clinics",
    "slots",
    "waiting_times",
    "gp_practices",
)
# What an advisor's call, booking, choice, contact-details and letter work writes (grep the
# services for update()/ORM attribute changes); everything else on these rows is the importer's.
REFERRAL_WORK = (
    "status",
    "is_open",
    "claimed_by",
    "claimed_until",
    "attempt_count",
    "failed_attempt_count",
    "last_attempt_at",
    "next_action_at",
    "utc_letter_sent_on",
    "updated_at",
)
PATIENT_CONTACT = (
    "address_line1",
    "address_line2",
    "town",
    "county",
    "postcode",
    "postcode_key",
    "latitude",
    "longitude",
    "email",
    "preferred_contact_times",
    "language",
    "interpreter_needed",
    "adjustments",
    "adjustments_note",
    "unavailable_weekdays",
    "available_day_parts",
    "availability_note",
)
USER_READABLE = ("id", "username", "full_name", "role", "team_id", "active", "created_at")
USER_WRITABLE = ("username", "full_name", "role", "team_id", "password_hash")
USER_INSERTABLE = (*USER_WRITABLE, "active", "created_at")  # a new row's own columns
SIGN_IN_COLUMNS = ("failed_sign_ins", "locked_until")  # migration 0008's, when it has them

# (privilege, columns or None for the whole table, groups) per table.
Grant = tuple[str, tuple[str, ...] | None, tuple[str, ...]]
GRANTS: dict[str, list[Grant]] = {
    **{
        t: [("SELECT", None, EVERYONE), ("INSERT", None, (ADMIN,)), ("UPDATE", None, (ADMIN,))]
        for t in REFERENCE_TABLES
    },
    "slots": [
        ("SELECT", None, EVERYONE),
        ("UPDATE", ("booked_count", "status"), EVERYONE),  # taking and freeing a place
        ("INSERT", None, (ADMIN,)),
        ("UPDATE", None, (ADMIN,)),
    ],
    "users": [
        ("SELECT", USER_READABLE, EVERYONE),
        ("INSERT", USER_INSERTABLE, (ADMIN,)),
        ("UPDATE", USER_WRITABLE, (ADMIN,)),
    ],
    "patients": [
        ("SELECT", None, EVERYONE),
        ("UPDATE", PATIENT_CONTACT, EVERYONE),
        ("INSERT", None, (ADMIN,)),
        ("UPDATE", None, (ADMIN,)),
    ],
    "patient_phones": [
        ("SELECT", None, EVERYONE),
        ("INSERT", None, EVERYONE),
        ("UPDATE", ("is_preferred", "status", "status_changed_at"), EVERYONE),
        ("UPDATE", None, (ADMIN,)),
    ],
    "referrals": [
        ("SELECT", None, EVERYONE),
        ("UPDATE", REFERRAL_WORK, EVERYONE),
        ("UPDATE", ("assigned_to", "team_id"), (LEAD, ADMIN)),  # reassignment
        ("INSERT", None, (ADMIN,)),
        ("UPDATE", None, (ADMIN,)),
    ],
    "contact_attempts": [("SELECT", None, EVERYONE), ("INSERT", None, EVERYONE)],
    "referral_notes": [("SELECT", None, EVERYONE), ("INSERT", None, EVERYONE)],
    "choice_offers": [("SELECT", None, EVERYONE), ("INSERT", None, EVERYONE)],
    "bookings": [
        ("SELECT", None, EVERYONE),
        ("INSERT", None, EVERYONE),
        ("UPDATE", ("status", "ended_at", "ended_by", "reason"), EVERYONE),
    ],
    "letters": [
        ("SELECT", None, EVERYONE),
        ("INSERT", None, EVERYONE),
        (
            "UPDATE",
            (
                "status",
                "inputs",
                "document_id",
                "sha256",
                "rendered_at",
                "printed_at",
                "printed_by",
                "sent_to",
                "withdrawn_at",
                "withdrawn_reason",
            ),
            EVERYONE,
        ),
    ],
    "assignments": [("SELECT", None, EVERYONE), ("INSERT", None, (LEAD, ADMIN))],
    "audit_events": [("INSERT", None, EVERYONE), ("SELECT", None, (LEAD, ADMIN))],
    "changes": [("SELECT", None, EVERYONE), ("INSERT", None, EVERYONE)],
    "idempotency_keys": [
        ("SELECT", None, EVERYONE),
        ("INSERT", None, EVERYONE),
        ("UPDATE", ("result",), EVERYONE),
    ],
    "central_settings": [("SELECT", None, EVERYONE), ("INSERT", None, (ADMIN,)), ("UPDATE", None, (ADMIN,))],
    "alembic_version": [("SELECT", None, EVERYONE)],  # a desk checks the schema is current
}

# The advisors' and leads' policy per table: (USING, WITH CHECK or "" for the same). Their scope is
# a referral of their team or assigned to them; each table below reaches it through its referral.
# Written out whole, not assembled, so each reads as the SQL it is.
SCOPED: dict[str, tuple[str, str]] = {
    "referrals": (
        "team_id = (SELECT cras_current_team_id()) OR assigned_to = (SELECT cras_current_user_id())",
        "",
    ),
    "bookings": ("EXISTS (SELECT 1 FROM referrals r WHERE r.id = bookings.referral_id)", ""),
    "letters": ("EXISTS (SELECT 1 FROM referrals r WHERE r.id = letters.referral_id)", ""),
    "assignments": ("EXISTS (SELECT 1 FROM referrals r WHERE r.id = assignments.referral_id)", ""),
    # Append-only history, written in one's own name only.
    "contact_attempts": (
        "EXISTS (SELECT 1 FROM referrals r WHERE r.id = contact_attempts.referral_id)",
        "EXISTS (SELECT 1 FROM referrals r WHERE r.id = contact_attempts.referral_id)"
        " AND user_id = (SELECT cras_current_user_id())",
    ),
    "referral_notes": (
        "EXISTS (SELECT 1 FROM referrals r WHERE r.id = referral_notes.referral_id)",
        "EXISTS (SELECT 1 FROM referrals r WHERE r.id = referral_notes.referral_id)"
        " AND user_id = (SELECT cras_current_user_id())",
    ),
    "choice_offers": (
        "EXISTS (SELECT 1 FROM referrals r WHERE r.id = choice_offers.referral_id)",
        "EXISTS (SELECT 1 FROM referrals r WHERE r.id = choice_offers.referral_id)"
        " AND user_id = (SELECT cras_current_user_id())",
    ),
    "patients": ("EXISTS (SELECT 1 FROM referrals r WHERE r.patient_id = patients.id)", ""),
    "patient_phones": (
        "EXISTS (SELECT 1 FROM referrals r WHERE r.patient_id = patient_phones.patient_id)",
        "",
    ),
}
# The subqueries above read referrals as the calling user, so the referrals policy applies inside
# them too: one definition of the scope (PostgreSQL applies row-level security to every table a
# policy's expression reads, as the current user).
IS_ADMIN = "(SELECT cras_current_role()) = 'admin'"
ACTIVE = "(SELECT cras_current_user_id()) IS NOT NULL"
# Shared data every active user may read (and admins write): refused to a deactivated user.
ACTIVE_ONLY = REFERENCE_TABLES
OWN_ROWS = {"idempotency_keys": "user_id = (SELECT cras_current_user_id())"}

HELPER_FUNCTIONS = ("cras_current_user_id()", "cras_current_team_id()", "cras_current_role()")
ADMIN_FUNCTIONS = (
    "cras_create_login(text, text, text)",
    "cras_set_login_password(text, text)",
    "cras_deactivate_login(text)",
    "cras_end_sessions(text)",
    "cras_reactivate_login(text)",
)
INTERNAL_FUNCTIONS = ("cras_is_admin_caller()", "cras_check_managed_login(text)")

# Bodies name tables unqualified: each function's search_path is fixed after it is made (catalog
# first, this schema, temp last) so a caller cannot slip in their own users table or operator.
FUNCTIONS = (
    """CREATE FUNCTION cras_current_user_id() RETURNS integer
        LANGUAGE sql STABLE SECURITY DEFINER AS $$
        SELECT id FROM users WHERE username = session_user AND active
    $$""",
    """CREATE FUNCTION cras_current_team_id() RETURNS integer
        LANGUAGE sql STABLE SECURITY DEFINER AS $$
        SELECT team_id FROM users WHERE username = session_user AND active
    $$""",
    """CREATE FUNCTION cras_current_role() RETURNS text
        LANGUAGE sql STABLE SECURITY DEFINER AS $$
        SELECT role::text FROM users WHERE username = session_user AND active
    $$""",
    """CREATE FUNCTION cras_is_admin_caller() RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER AS $$
        SELECT coalesce(cras_current_role() = 'admin', false)
            OR EXISTS (SELECT FROM pg_roles WHERE rolname = session_user AND rolsuper)
    $$""",
    """CREATE FUNCTION cras_check_managed_login(p_username text) RETURNS void
        LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
        BEGIN
            IF NOT cras_is_admin_caller() THEN
                RAISE EXCEPTION 'only an admin may manage database logins'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NOT EXISTS (
                SELECT FROM pg_auth_members m
                JOIN pg_roles g ON g.oid = m.roleid
                JOIN pg_roles u ON u.oid = m.member
                WHERE u.rolname = p_username AND NOT u.rolsuper
                    AND g.rolname IN ('cras_advisor', 'cras_team_lead', 'cras_admin')
            ) THEN
                RAISE EXCEPTION 'no CRAS database login named %', p_username
                    USING ERRCODE = 'undefined_object';
            END IF;
        END $$""",
    r"""CREATE FUNCTION cras_create_login(p_username text, p_verifier text, p_role text) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER AS $$
        DECLARE
            v_group text := CASE p_role WHEN 'advisor' THEN 'cras_advisor'
                WHEN 'team_lead' THEN 'cras_team_lead' WHEN 'admin' THEN 'cras_admin' END;
        BEGIN
            IF NOT cras_is_admin_caller() THEN
                RAISE EXCEPTION 'only an admin may create database logins'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF v_group IS NULL THEN
                RAISE EXCEPTION 'no such role: %', p_role USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF p_username !~ '^[a-z][a-z0-9_.-]{0,62}$' OR p_username ~ '^(pg_|cras_)' THEN
                RAISE EXCEPTION 'not a login name: %', p_username USING ERRCODE = 'invalid_name';
            END IF;
            -- The password itself must never reach the server (nor its logs): a verifier only.
            IF p_verifier !~ '^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
                RAISE EXCEPTION 'a SCRAM-SHA-256 verifier is required' USING ERRCODE = 'invalid_password';
            END IF;
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = p_username) THEN
                RAISE EXCEPTION 'a database login named % already exists on this server', p_username
                    USING ERRCODE = 'duplicate_object';
            END IF;
            EXECUTE format(
                'CREATE ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION'
                ' NOBYPASSRLS PASSWORD %L IN ROLE %I', p_username, p_verifier, v_group);
        END $$""",
    r"""CREATE FUNCTION cras_set_login_password(p_username text, p_verifier text) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER AS $$
        BEGIN
            PERFORM cras_check_managed_login(p_username);
            IF p_verifier !~ '^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
                RAISE EXCEPTION 'a SCRAM-SHA-256 verifier is required' USING ERRCODE = 'invalid_password';
            END IF;
            EXECUTE format('ALTER ROLE %I PASSWORD %L', p_username, p_verifier);
        END $$""",
    """CREATE FUNCTION cras_end_sessions(p_username text) RETURNS integer
        LANGUAGE plpgsql SECURITY DEFINER AS $$
        BEGIN
            PERFORM cras_check_managed_login(p_username);
            -- Only a login that can no longer sign in: this is not a way to throw people out.
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = p_username AND rolcanlogin) THEN
                RAISE EXCEPTION 'login % is active: deactivate it first', p_username
                    USING ERRCODE = 'object_in_use';
            END IF;
            RETURN (SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
                    FROM pg_stat_activity WHERE usename = p_username AND pid <> pg_backend_pid());
        END $$""",
    """CREATE FUNCTION cras_deactivate_login(p_username text) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER AS $$
        BEGIN
            IF NOT cras_is_admin_caller() THEN
                RAISE EXCEPTION 'only an admin may deactivate users' USING ERRCODE = 'insufficient_privilege';
            END IF;
            -- A user from before per-person logins has no login yet: only the row changes.
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = p_username) THEN
                PERFORM cras_check_managed_login(p_username);
                EXECUTE format('ALTER ROLE %I NOLOGIN', p_username);
            END IF;
            UPDATE users SET active = false WHERE username = p_username;
            -- Sessions end now, before this transaction commits; the caller ends them again after
            -- the commit (cras_end_sessions) for a pool that reconnected in between.
            PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE usename = p_username AND pid <> pg_backend_pid();
        END $$""",
    """CREATE FUNCTION cras_reactivate_login(p_username text) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER AS $$
        BEGIN
            IF NOT cras_is_admin_caller() THEN
                RAISE EXCEPTION 'only an admin may reactivate users' USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = p_username) THEN
                PERFORM cras_check_managed_login(p_username);
                EXECUTE format('ALTER ROLE %I LOGIN', p_username);
            END IF;
            UPDATE users SET active = true WHERE username = p_username;
        END $$""",
)


def _existing(conn: Connection, schema: str) -> dict[str, set[str]]:
    rows = conn.execute(
        text("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = :s"),
        {"s": schema},
    )
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    return tables


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    if is_superuser(conn):
        ensure_cluster_roles(conn)
    elif (
        conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = :o"), {"o": OWNER_ROLE}).scalar()
        == 0
    ):
        raise RuntimeError("Run `cras-desk db init-roles` as a superuser first: the CRAS roles are missing.")
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    q = quote(schema)
    owner = quote(OWNER_ROLE)
    tables = _existing(conn, schema)
    conn.execute(text(f"GRANT USAGE ON SCHEMA {q} TO {', '.join(quote(g) for g in EVERYONE)}"))
    # The definer functions run as the owner role: until init-roles gives it the tables, grant it
    # what they touch.
    conn.execute(text(f"GRANT SELECT, UPDATE ON {q}.users TO {owner}"))
    for table, grants in GRANTS.items():
        if table not in tables:
            continue  # a table of a later feature (central settings) gets its grants in its own migration
        for privilege, columns, groups in grants:
            cols = f" ({', '.join(quote(c) for c in columns if c in tables[table])})" if columns else ""
            conn.execute(
                text(
                    f"GRANT {privilege}{cols} ON {q}.{quote(table)} TO {', '.join(quote(g) for g in groups)}"
                )
            )
        if any(p == "INSERT" for p, _, _ in grants):
            inserters = sorted({g for p, _, gs in grants if p == "INSERT" for g in gs})
            for column in ("id", "seq"):
                if column in tables[table]:
                    seq = conn.execute(
                        text("SELECT pg_get_serial_sequence(:t, :c)"),
                        {"t": f"{q}.{quote(table)}", "c": column},
                    ).scalar()
                    if seq:  # already a quoted, qualified name
                        conn.execute(
                            text(f"GRANT USAGE ON SEQUENCE {seq} TO {', '.join(quote(g) for g in inserters)}")
                        )
    present = [c for c in SIGN_IN_COLUMNS if c in tables["users"]]
    if present:
        conn.execute(
            text(
                f"GRANT SELECT ({', '.join(present)}) ON {q}.users TO {', '.join(quote(g) for g in EVERYONE)}"
            )
        )
        conn.execute(
            text(
                f"GRANT INSERT ({', '.join(present)}), UPDATE ({', '.join(present)}) ON {q}.users TO {quote(ADMIN)}"
            )
        )

    for sql in FUNCTIONS:
        conn.execute(text(sql))
    for signature in (*HELPER_FUNCTIONS, *ADMIN_FUNCTIONS, *INTERNAL_FUNCTIONS):
        function = f"{q}.{signature}"
        conn.execute(text(f"ALTER FUNCTION {function} SET search_path = pg_catalog, {q}, pg_temp"))
        conn.execute(text(f"ALTER FUNCTION {function} OWNER TO {owner}"))
        conn.execute(text(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC"))
    for signature in HELPER_FUNCTIONS:
        conn.execute(
            text(f"GRANT EXECUTE ON FUNCTION {q}.{signature} TO {', '.join(quote(g) for g in EVERYONE)}")
        )
    for signature in ADMIN_FUNCTIONS:
        conn.execute(text(f"GRANT EXECUTE ON FUNCTION {q}.{signature} TO {quote(ADMIN)}"))

    staff = f"{quote(ADVISOR)}, {quote(LEAD)}"
    for table, (using, check) in SCOPED.items():
        conn.execute(text(f"ALTER TABLE {q}.{quote(table)} ENABLE ROW LEVEL SECURITY"))
        with_check = f" WITH CHECK ({check})" if check else ""
        conn.execute(
            text(f"CREATE POLICY cras_scope ON {q}.{quote(table)} TO {staff} USING ({using}){with_check}")
        )
        conn.execute(
            text(f"CREATE POLICY cras_admin_all ON {q}.{quote(table)} TO {quote(ADMIN)} USING ({IS_ADMIN})")
        )
    everyone = ", ".join(quote(g) for g in EVERYONE)
    for table in ACTIVE_ONLY:
        conn.execute(text(f"ALTER TABLE {q}.{quote(table)} ENABLE ROW LEVEL SECURITY"))
        conn.execute(text(f"CREATE POLICY cras_active ON {q}.{quote(table)} TO {everyone} USING ({ACTIVE})"))
    for table, own in OWN_ROWS.items():
        conn.execute(text(f"ALTER TABLE {q}.{quote(table)} ENABLE ROW LEVEL SECURITY"))
        conn.execute(text(f"CREATE POLICY cras_own ON {q}.{quote(table)} TO {everyone} USING ({own})"))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    q = quote(schema)
    tables = _existing(conn, schema)
    policies = [
        *((t, "cras_scope") for t in SCOPED),
        *((t, "cras_admin_all") for t in SCOPED),
        *((t, "cras_active") for t in ACTIVE_ONLY),
        *((t, "cras_own") for t in OWN_ROWS),
    ]
    for table, policy in policies:
        conn.execute(text(f"DROP POLICY IF EXISTS {policy} ON {q}.{quote(table)}"))
    for table in {t for t, _ in policies}:
        conn.execute(text(f"ALTER TABLE {q}.{quote(table)} DISABLE ROW LEVEL SECURITY"))
    for signature in (*ADMIN_FUNCTIONS, *INTERNAL_FUNCTIONS, *HELPER_FUNCTIONS):
        conn.execute(text(f"DROP FUNCTION IF EXISTS {q}.{signature}"))
    everyone = ", ".join(quote(g) for g in EVERYONE)
    for table in GRANTS:
        if table in tables:
            conn.execute(text(f"REVOKE ALL ON {q}.{quote(table)} FROM {everyone}"))
    conn.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {q} FROM {everyone}"))
    conn.execute(text(f"REVOKE USAGE ON SCHEMA {q} FROM {everyone}"))
    if conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = :o"), {"o": OWNER_ROLE}).scalar():
        conn.execute(text(f"REVOKE SELECT, UPDATE ON {q}.users FROM {quote(OWNER_ROLE)}"))
