"""PostgreSQL logins, one per person, and the roles that own and use the schema.

The cluster-wide roles (they serve every database on the server, so they are made idempotently and
safely against a concurrent maker):
- `cras_owner` (NOLOGIN, CREATEROLE, BYPASSRLS): owns the tables and the SECURITY DEFINER functions;
  no desk ever holds it. Under PostgreSQL 16's CREATEROLE rules a role manages only the roles it
  holds ADMIN OPTION on, so it is given ADMIN (without INHERIT or SET) on the three group roles,
  and it gets ADMIN on every login automatically because it creates them. pg_signal_backend lets
  it end a deactivated login's sessions.
- `cras_advisor`, `cras_team_lead`, `cras_admin` (NOLOGIN): the group roles the grants and the
  row-level security policies of migration 0010 name.
- a LOGIN role per person, named exactly as users.username: one login per person across the
  cluster, so two CRAS databases on one server cannot both have a user "amy".

The password never reaches the server: the client computes the SCRAM-SHA-256 verifier (RFC 5802,
RFC 7677) and the admin functions refuse anything else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import stringprep
import unicodedata

from sqlalchemy import Connection, Engine, text

from cras_desk.domain.enums import Role
from cras_desk.domain.errors import ValidationError

OWNER_ROLE = "cras_owner"
GROUP_ROLES: dict[Role, str] = {
    Role.ADVISOR: "cras_advisor",
    Role.TEAM_LEAD: "cras_team_lead",
    Role.ADMIN: "cras_admin",
}
SCRAM_ITERATIONS = 4096  # PostgreSQL's own default (scram_iterations)

# A login name that needs no quoting anywhere and cannot pass for one of ours or a system role.
_LOGIN_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,62}$")
_RESERVED_PREFIXES = ("pg_", "cras_")

# Each role made in its own guarded block: CREATE ROLE has no IF NOT EXISTS, and two databases
# migrated at once race between the check and the create (duplicate_object, or unique_violation
# on pg_authid when both inserts meet).
_ENSURE_ROLE = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {name_literal}) THEN
        BEGIN
            EXECUTE pg_catalog.format('CREATE ROLE %I {attributes}', {name_literal});
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- made meanwhile by another session: what we wanted
        END;
    END IF;
END $$
"""


def _literal(value: str) -> str:
    """A SQL string literal for a fixed identifier of ours (checked above; DO blocks take no binds)."""
    if not re.fullmatch(r"[a-z_]+", value):
        raise ValueError(f"not a role name of ours: {value!r}")
    return f"'{value}'"


def ensure_cluster_roles(conn: Connection) -> None:
    """The owner and group roles, and the owner's rights over the groups; needs a superuser.

    Idempotent: safe on every database of the cluster and at every upgrade."""
    owner = _literal(OWNER_ROLE)
    conn.execute(text(_ENSURE_ROLE.format(name_literal=owner, attributes="NOLOGIN CREATEROLE BYPASSRLS")))
    for group in GROUP_ROLES.values():
        conn.execute(text(_ENSURE_ROLE.format(name_literal=_literal(group), attributes="NOLOGIN")))
    quote = conn.dialect.identifier_preparer.quote
    for group in GROUP_ROLES.values():
        # ADMIN only: the owner may grant and revoke the group but does not take on its rights.
        conn.exec_driver_sql(
            f"GRANT {quote(group)} TO {quote(OWNER_ROLE)} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE"
        )
    conn.exec_driver_sql(f"GRANT pg_signal_backend TO {quote(OWNER_ROLE)}")


def is_superuser(conn: Connection) -> bool:
    return bool(
        conn.execute(text("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user")).scalar()
    )


def init_roles(engine: Engine) -> int:
    """Make the roles (if missing) and give the owner role every object of the schema; returns how
    many objects changed owner. Run once on a fresh server after `db upgrade`, and again after
    later upgrades made as a superuser (objects they create belong to whoever ran them)."""
    with engine.begin() as conn:
        if not is_superuser(conn):
            raise PermissionError("init-roles needs a superuser connection (it makes cluster-wide roles).")
        ensure_cluster_roles(conn)
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        quote = conn.dialect.identifier_preparer.quote
        owner = quote(OWNER_ROLE)
        # Later migrations may be run as the owner role (a login granted cras_owner, SET ROLE).
        conn.exec_driver_sql(f"GRANT USAGE, CREATE ON SCHEMA {quote(schema)} TO {owner}")
        moved = 0
        # Sequences owned by a column follow their table, and partitions/indexes their parent.
        relations = conn.execute(
            text(
                "SELECT c.relname, c.relkind FROM pg_catalog.pg_class c"
                " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
                " AND c.relowner <> (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = :owner)"
                " AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_catalog.pg_depend d"
                "   WHERE d.objid = c.oid AND d.deptype = 'a' AND d.classid = 'pg_class'::regclass))"
            ),
            {"schema": schema, "owner": OWNER_ROLE},
        ).all()
        for name, kind in relations:
            what = {"S": "SEQUENCE", "v": "VIEW", "m": "MATERIALIZED VIEW"}.get(kind, "TABLE")
            conn.exec_driver_sql(f"ALTER {what} {quote(schema)}.{quote(name)} OWNER TO {owner}")
            moved += 1
        functions = conn.execute(
            text(
                "SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p"
                " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = :schema AND p.prokind = 'f'"
                " AND p.proowner <> (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = :owner)"
                " AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d"
                "   WHERE d.objid = p.oid AND d.deptype = 'e')"  # an extension's own functions stay its
            ),
            {"schema": schema, "owner": OWNER_ROLE},
        ).scalars()
        for signature in list(functions):
            # regprocedure's text is already a quoted, schema-qualified signature.
            conn.exec_driver_sql(f"ALTER FUNCTION {signature} OWNER TO {owner}")
            moved += 1
    return moved


def _saslprep(password: str) -> bytes:
    """SASLprep (RFC 4013) as PostgreSQL applies it; a password it prohibits is used as raw UTF-8,
    as the server does, so the verifier matches whatever the client library sends."""
    raw = password.encode("utf-8")
    if password.isascii():
        return raw
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else ch for ch in password if not stringprep.in_table_b1(ch)
    )
    normal = unicodedata.normalize("NFKC", mapped)
    prohibited = (
        stringprep.in_table_c12,
        stringprep.in_table_c21_c22,
        stringprep.in_table_c3,
        stringprep.in_table_c4,
        stringprep.in_table_c5,
        stringprep.in_table_c6,
        stringprep.in_table_c7,
        stringprep.in_table_c8,
        stringprep.in_table_c9,
        stringprep.in_table_a1,
    )
    if not normal or any(test(ch) for ch in normal for test in prohibited):
        return raw
    rand_al = [stringprep.in_table_d1(ch) for ch in normal]
    bidi_ok = not any(rand_al) or (
        rand_al[0] and rand_al[-1] and not any(stringprep.in_table_d2(ch) for ch in normal)
    )
    return normal.encode("utf-8") if bidi_ok else raw


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """ "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>", as PostgreSQL stores it."""
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", _saslprep(password), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def check_login_name(username: str) -> str:
    """The user name as it becomes a login role; refuses names that would need quoting or could
    pass for a system or CRAS role."""
    if not _LOGIN_NAME.fullmatch(username) or username.startswith(_RESERVED_PREFIXES):
        raise ValidationError(
            "A user name is 1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter,"
            " and not starting with 'pg_' or 'cras_'."
        )
    return username


def create_login(conn: Connection, username: str, role: Role, password: str) -> None:
    conn.execute(
        text("SELECT cras_create_login(:u, :v, :r)"),
        {"u": check_login_name(username), "v": scram_verifier(password), "r": role.value},
    )


def set_login_password(conn: Connection, username: str, password: str) -> None:
    conn.execute(
        text("SELECT cras_set_login_password(:u, :v)"),
        {"u": username, "v": scram_verifier(password)},
    )


def deactivate_login(conn: Connection, username: str) -> None:
    conn.execute(text("SELECT cras_deactivate_login(:u)"), {"u": username})


def end_sessions(conn: Connection, username: str) -> int:
    """End a deactivated login's sessions; returns how many. Called again after the deactivation
    commits: a pool reconnecting between the first ending and that commit still had LOGIN."""
    return int(conn.execute(text("SELECT cras_end_sessions(:u)"), {"u": username}).scalar_one())


def login_exists(conn: Connection, username: str) -> bool:
    found = conn.execute(text("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :u"), {"u": username})
    return found.first() is not None


def reactivate_login(conn: Connection, username: str) -> None:
    conn.execute(text("SELECT cras_reactivate_login(:u)"), {"u": username})
