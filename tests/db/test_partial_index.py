"""The database's partial unique indexes (one live booking per referral, one preferred number per
patient) are the migrations' alone: partial on both engines, with the predicates the models name,
and the models load without SQLAlchemy's PostgreSQL dialect (a desk on SQLite does not import it).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from sqlalchemy import inspect

from cras_desk.db.engine import Database
from cras_desk.db.models import PARTIAL_UNIQUE_INDEXES


def _bare(sql: str) -> str:
    # PostgreSQL reflects "(status)::text = 'booked'::text" for "status = 'booked'".
    return re.sub(r"[()\s]", "", re.sub(r"::\w+", "", sql))


def test_importing_the_models_does_not_load_the_postgresql_dialect() -> None:
    code = "import sys, cras_desk.db.models; print('sqlalchemy.dialects.postgresql' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", sorted(PARTIAL_UNIQUE_INDEXES))
def test_migrated_index_is_unique_and_partial(db: Database, name: str) -> None:
    table, columns, where = PARTIAL_UNIQUE_INDEXES[name]
    engine = db.engine.dialect.name
    reflected = {ix["name"]: ix for ix in inspect(db.engine).get_indexes(table)}[name]
    assert reflected["unique"]
    assert tuple(reflected["column_names"]) == columns
    got = str(reflected["dialect_options"][f"{engine}_where"])
    assert _bare(got) == _bare(where)
