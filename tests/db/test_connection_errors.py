"""One rule for "the database cannot be reached", tried against a real unreachable server and a refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from cras_desk.db.connection_errors import is_connection_error
from cras_desk.db.models import Team


def test_a_server_nobody_answers_is_a_connection_error() -> None:
    # Port 9 on loopback (discard): nothing listens there, so the connect is refused at once.
    engine = create_engine("postgresql+psycopg://desk@127.0.0.1:9/cras", connect_args={"connect_timeout": 2})
    with pytest.raises(Exception) as caught, engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()
    assert is_connection_error(caught.value)


def test_a_refused_statement_is_not(db) -> None:
    with db.write() as s:
        s.add(Team(name="East"))
    with pytest.raises(IntegrityError) as caught, db.write() as s:
        s.add(Team(name="East"))  # teams.name is unique
    assert not is_connection_error(caught.value)
    assert not is_connection_error(ValueError("not a database error"))
