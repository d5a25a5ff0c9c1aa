from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from cras_desk.db.engine import Database
from cras_desk.db.migrate import head_revision, is_current
from cras_desk.db.models import AuditEvent, Base, Change, compared_by_autogenerate


def test_migrations_make_every_model_table(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert is_current(db.engine)
    assert head_revision() == "0013"


def test_audit_events_are_append_only(db: Database) -> None:
    with db.write() as s:
        s.add(AuditEvent(action="view", entity="patient", entity_id=1, patient_id=1))
    with pytest.raises(DBAPIError, match="append-only"), db.write() as s:
        s.execute(text("UPDATE audit_events SET action = 'tampered'"))
    with pytest.raises(DBAPIError, match="append-only"), db.write() as s:
        s.execute(text("DELETE FROM audit_events"))
    with db.read() as s:
        assert s.scalars(select(AuditEvent.action)).all() == ["view"]


def test_utc_datetimes_round_trip_aware(db: Database) -> None:
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC) + timedelta(microseconds=5)
    with db.write() as s:
        s.add(Change(entity="x", entity_id=1, op="insert", at=moment))
    with db.read() as s:
        back = s.scalars(select(Change.at)).one()
    assert back == moment
    assert back.tzinfo is not None


def test_enum_values_are_checked_by_database(db: Database) -> None:
    with pytest.raises(IntegrityError), db.write() as s:
        s.execute(
            text(
                "INSERT INTO users (username, full_name, role, password_hash, active, created_at) "
                "VALUES ('x', 'X', 'wizard', 'h', true, :t)"
            ),
            {"t": datetime(2026, 1, 1)},
        )
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


def test_models_and_migrations_agree(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        opts = {"compare_type": True, "include_object": compared_by_autogenerate}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert diff == []


def test_downgrade_to_nothing_and_back(db: Database) -> None:
    from alembic import command

    from cras_desk.db.migrate import alembic_config, upgrade

    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade(db.engine)
    assert is_current(db.engine)


def test_change_feed_records_orm_and_core_changes(db: Database) -> None:
    from cras_desk.db import change_feed
    from cras_desk.db.models import Team

    with db.write() as s:
        s.add(Team(name="North"))  # not a tracked entity: no feed row
        change_feed.record(s, "slot", [7, 8], "update", None)
    with db.read() as s:
        rows = change_feed.changes_since(s, 0)
        assert [(c.entity, c.entity_id) for c in rows] == [("slot", 7), ("slot", 8)]
        assert change_feed.changes_since(s, rows[0].seq) == rows[1:]
        assert change_feed.latest_seq(s) == rows[-1].seq
