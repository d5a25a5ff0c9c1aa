"""The SQLite planner hint renders as SQLite's unary plus there, as the bare column elsewhere, and
binds exactly as the column does."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from cras_desk.db.engine import Database
from cras_desk.db.models import Referral
from cras_desk.db.sqlite_hints import unindexed

R = Referral.__table__


def test_renders_per_dialect() -> None:
    statement = select(R.c.id).where(unindexed(R.c.team_id) == bindparam("team"))
    assert "WHERE +referrals.team_id = ?" in str(statement.compile(dialect=sqlite.dialect()))
    pg = str(statement.compile(dialect=postgresql.dialect()))
    assert "WHERE referrals.team_id = %(team)s" in pg and "+" not in pg


def test_binds_and_filters_like_the_column(world) -> None:
    db: Database = world.db
    since = date(2000, 1, 1)
    hinted = select(R.c.id).where(unindexed(R.c.received_on) >= bindparam("since")).order_by(R.c.id)
    plain = select(R.c.id).where(R.c.received_on >= bindparam("since")).order_by(R.c.id)
    with db.read() as s:
        got = s.scalars(hinted, {"since": since}).all()
        assert got == s.scalars(plain, {"since": since}).all()
        assert sorted(got) == sorted(world.referrals.values())
        assert s.scalars(hinted, {"since": date(2999, 1, 1)}).all() == []
