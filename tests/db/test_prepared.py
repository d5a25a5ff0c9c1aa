"""Prepared statements (cras_desk.db.prepared): the same values in and out as SQLAlchemy's own
execution, one transaction per block, and driver errors surfacing as SQLAlchemy's exceptions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from cras_desk.db.engine import Database
from cras_desk.db.local_postgres import PostgresServer
from cras_desk.db.models import AuditEvent, Referral
from cras_desk.db.prepared import Prepared
from cras_desk.services import audit

_EVENTS = AuditEvent.__table__


def _insert_event() -> Prepared:
    names = ("at", "user_id", "action", "entity", "entity_id", "patient_id", "detail")
    return Prepared(insert(_EVENTS).values({n: bindparam(n) for n in names}))


def test_values_bound_through_the_column_types_read_back_by_the_orm(db: Database) -> None:
    at = datetime(2026, 3, 29, 0, 30, 15, 250, tzinfo=timezone(timedelta(hours=1)))  # a clock change
    detail = {"kind": "nhs", "note": "Łukasz", "n": [1, 2]}
    with db.prepared(write=True) as conn:
        conn.run(
            _insert_event(),
            {
                "at": at,
                "user_id": None,
                "action": "search",
                "entity": "referral",
                "entity_id": 7,
                "patient_id": None,
                "detail": detail,
            },
        )
    with db.read() as s:
        event = s.scalars(select(AuditEvent)).one()
    assert event.at == at.astimezone(UTC)
    assert event.detail == detail
    assert event.entity_id == 7


def test_a_block_that_fails_keeps_nothing_and_the_connection_stays_usable(db: Database) -> None:
    with pytest.raises(RuntimeError), db.prepared(write=True) as conn:
        audit.record_prepared(conn, None, "search", "referral", detail={"kind": "name"})
        raise RuntimeError("the advisor's PC lost power")
    with db.prepared() as conn:
        assert conn.scalar(Prepared(select(_EVENTS.c.id).limit(1)), {}) is None
    with db.prepared(write=True) as conn:
        audit.record_prepared(conn, None, "search", "referral", detail={"kind": "name"})
    with db.read() as s:
        assert s.scalar(text("SELECT count(*) FROM audit_events")) == 1


def test_a_read_block_keeps_no_writes(db: Database) -> None:
    with db.prepared() as conn:
        audit.record_prepared(conn, None, "search", "referral")
    with db.read() as s:
        assert s.scalar(text("SELECT count(*) FROM audit_events")) == 0


def test_dates_and_literals_in_a_statement(world) -> None:
    statement = Prepared(
        select(Referral.__table__.c.id)
        .where(
            Referral.__table__.c.received_on
            >= bindparam("since", type_=Referral.__table__.c.received_on.type)
        )
        .where(Referral.__table__.c.is_open.is_(True))
        .order_by(Referral.__table__.c.id)
    )
    with world.db.prepared() as conn:
        every = [r[0] for r in conn.rows(statement, {"since": date(2000, 1, 1)})]
        none = conn.rows(statement, {"since": date(2999, 1, 1)})
    assert sorted(every) == sorted(world.referrals.values())
    assert none == []


def test_a_missing_parameter_is_named(db: Database) -> None:
    with db.prepared() as conn, pytest.raises(ValueError, match="since"):
        conn.rows(Prepared(select(_EVENTS.c.id).where(_EVENTS.c.at >= bindparam("since"))), {})


def test_an_sql_error_is_sqlalchemys_and_rolls_back(db: Database) -> None:
    with pytest.raises(DBAPIError) as raised, db.prepared(write=True) as conn:
        audit.record_prepared(conn, None, "search", "referral")
        conn.run_text("SELECT * FROM no_such_table")
    assert raised.value.connection_invalidated is False
    with db.read() as s:
        assert s.scalar(text("SELECT count(*) FROM audit_events")) == 0


def test_a_postgresql_connection_killed_mid_transaction_is_dropped_not_reused(
    pg_server: PostgresServer,
) -> None:
    url = pg_server.create_database()
    db = Database(url, pool_size=1, max_overflow=0)
    try:
        with db.prepared() as conn:
            conn.run_text("SELECT 1")
        with pytest.raises(OperationalError) as raised, db.prepared() as conn:
            conn.run_text("SELECT pg_terminate_backend(pg_backend_pid())")
        assert raised.value.connection_invalidated is True
        with db.prepared() as conn:  # a fresh connection, with no error shown to the advisor
            assert conn.scalar(Prepared(select(bindparam("one"))), {"one": 1}) == 1
    finally:
        db.dispose()
        pg_server.drop_database(str(url.database))
