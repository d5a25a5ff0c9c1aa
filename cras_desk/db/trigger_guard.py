"""Only a table's owner adds triggers to it (PostgreSQL): the event trigger that closes the TRIGGER hole.

PostgreSQL lets any role holding the TRIGGER privilege on a table create a trigger on it. On
audit_events that is enough to erase the trail without touching a row: a BEFORE INSERT trigger
of the intruder's own (a function in pg_temp needs no CREATE right) that returns NULL swallows
every audit row from then on, or one that fires after ours rewrites the stamped db_user and time.
Migration 0011 revokes TRIGGER from every non-owner; this event trigger also refuses the
statement if someone later grants it again.

Creating an event trigger needs a superuser, so migration 0011 installs it when it runs as one
(the tests, a DBA running `cras-desk db upgrade` once) and `cras-desk db init-roles`, which a
superuser runs, is the place to install it on a server whose owner role is not a superuser.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

GUARD_FUNCTION = "cras_refuse_foreign_triggers"
GUARD_EVENT_TRIGGER = "cras_refuse_foreign_triggers"

_CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {GUARD_FUNCTION}() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    command record;
    target regclass;
BEGIN
    FOR command IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TRIGGER'
    LOOP
        SELECT c.oid INTO target
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE t.oid = command.objid AND NOT pg_has_role(current_user, c.relowner, 'USAGE');
        IF FOUND THEN
            RAISE EXCEPTION 'only the owner of % may add triggers to it', target
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END LOOP;
END $$
"""  # noqa: S608 - DDL from constants

_CREATE_EVENT_TRIGGER = (
    f"CREATE EVENT TRIGGER {GUARD_EVENT_TRIGGER} ON ddl_command_end "
    f"WHEN TAG IN ('CREATE TRIGGER') EXECUTE FUNCTION {GUARD_FUNCTION}()"
)


def is_superuser(conn: Connection) -> bool:
    return bool(conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())


def is_installed(conn: Connection) -> bool:
    found = conn.execute(
        text("SELECT 1 FROM pg_event_trigger WHERE evtname = :name"), {"name": GUARD_EVENT_TRIGGER}
    )
    return found.first() is not None


def install(conn: Connection) -> None:
    """Install (or refresh) the guard; needs a superuser connection to the CRAS database."""
    conn.execute(text(_CREATE_FUNCTION))
    if not is_installed(conn):
        conn.execute(text(_CREATE_EVENT_TRIGGER))


def uninstall(conn: Connection) -> None:
    conn.execute(text(f"DROP EVENT TRIGGER IF EXISTS {GUARD_EVENT_TRIGGER}"))
    conn.execute(text(f"DROP FUNCTION IF EXISTS {GUARD_FUNCTION}()"))
