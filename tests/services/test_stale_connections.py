"""Pooled PostgreSQL connections: pinged when they may be stale, not before every transaction.

Every service call checks a connection out of the pool; a desk that slept, or outlived a server
restart, must get a working one without the advisor seeing an error (see db/engine.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from cras_desk.db import engine as engine_module
from cras_desk.db.engine import Database
from cras_desk.db.local_postgres import PostgresServer


@pytest.fixture
def pg_db(pg_server: PostgresServer) -> Iterator[Database]:
    url = pg_server.create_database()
    db = Database(url, pool_size=1, max_overflow=0)
    yield db
    db.dispose()
    pg_server.drop_database(str(url.database))


@pytest.fixture
def pings(pg_db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    dialect = pg_db.engine.dialect
    real = dialect.do_ping

    def counting(dbapi_conn: object) -> bool:
        seen.append(1)
        return real(dbapi_conn)

    monkeypatch.setattr(dialect, "do_ping", counting)
    return seen


def _backend_pid(db: Database) -> int:
    with db.read() as s:
        return int(s.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(server: PostgresServer, pid: int) -> None:
    admin = Database(server.base_url, pool_pre_ping=False)
    with admin.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True
    admin.dispose()


def test_a_connection_in_use_a_moment_ago_is_not_pinged(pg_db: Database, pings: list[int]) -> None:
    first = _backend_pid(pg_db)
    pings.clear()
    for _ in range(5):
        assert _backend_pid(pg_db) == first
    assert pings == []


def test_an_idle_connection_is_pinged(
    pg_db: Database, pings: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _backend_pid(pg_db)
    pings.clear()
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_S", 0.05)
    time.sleep(0.1)
    _backend_pid(pg_db)
    assert pings == [1]


def test_a_desk_waking_from_sleep_pings_even_if_its_monotonic_clock_stood_still(
    pg_db: Database, pings: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _backend_pid(pg_db)
    pings.clear()
    later = time.time() + 8 * 3600  # the wall clock moved on overnight; the monotonic one did not
    monkeypatch.setattr(engine_module.time, "time", lambda: later)
    _backend_pid(pg_db)
    assert pings == [1]


def test_a_connection_the_server_ended_is_replaced_without_an_error(
    pg_db: Database, pg_server: PostgresServer
) -> None:
    first = _backend_pid(pg_db)
    _terminate(pg_server, first)  # as a server restart or an idle-session timeout would
    time.sleep(0.2)  # the server's goodbye reaches the idle socket
    second = _backend_pid(pg_db)  # the very next call works, on a new connection
    assert second != first


def test_an_idle_connection_that_died_silently_is_replaced(
    pg_db: Database, pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend_pid(pg_db)
    _terminate(pg_server, first)
    time.sleep(0.2)
    # Even when the socket gives no sign (say a firewall dropped the session), idleness alone pings.
    monkeypatch.setattr(engine_module, "_fresh", lambda *_: False)
    assert _backend_pid(pg_db) != first
