"""The live-booking rule (one booked place per referral) is a partial unique index on both engines.

The model attaches its PostgreSQL predicate only once SQLAlchemy's PostgreSQL dialect is loaded (so
a desk on SQLite does not import that dialect at start-up): these tests hold the model to the
migration's index on each engine, and to the same DDL.
"""

from __future__ import annotations

import re
import subprocess
import sys

from sqlalchemy import Index, inspect
from sqlalchemy.schema import CreateIndex

from cras_desk.db.engine import Database
from cras_desk.db.models import Booking

NAME = "uq_bookings_live_per_referral"


def _model_index() -> Index:
    return next(ix for ix in Booking.__table__.indexes if ix.name == NAME)


def _bare(sql: str) -> str:
    # PostgreSQL reflects "(status)::text = 'booked'::text" for "status = 'booked'".
    return re.sub(r"[()\s]", "", re.sub(r"::\w+", "", sql))


def test_importing_the_models_does_not_load_the_postgresql_dialect() -> None:
    code = "import sys, cras_desk.db.models; print('sqlalchemy.dialects.postgresql' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_model_ddl_is_partial_on_both_engines() -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    index = _model_index()
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        ddl = str(CreateIndex(index).compile(dialect=dialect))
        assert ddl == f"CREATE UNIQUE INDEX {NAME} ON bookings (referral_id) WHERE status = 'booked'"
    assert set(index.dialect_kwargs) == {"sqlite_where", "postgresql_where"}


def test_migrated_index_has_the_models_predicate(db: Database) -> None:
    import sqlalchemy.dialects.postgresql  # noqa: F401 - as on a PostgreSQL desk, whichever engine runs

    engine = db.engine.dialect.name
    reflected = {ix["name"]: ix for ix in inspect(db.engine).get_indexes("bookings")}[NAME]
    assert reflected["unique"]
    assert reflected["column_names"] == ["referral_id"]
    got = str(reflected["dialect_options"][f"{engine}_where"])
    want = str(_model_index().dialect_kwargs[f"{engine}_where"])
    assert _bare(got) == _bare(want) == "status='booked'"
