"""A frozen PostgreSQL server (every process stopped with SIGSTOP: the sockets stay open, nothing
answers) does not hold a desk's statement for ever: the desk's own deadline ends it with a
connection error, the pool drops that connection, and once the server runs again the next unit of
work succeeds on a fresh connection."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from cras_desk.db.connection_errors import is_connection_error
from cras_desk.db.engine import Database
from cras_desk.db.local_postgres import PostgresServer

DEADLINE_S = 1.5


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A server of this test's own: freezing the session's server would freeze every other test."""
    if os.environ.get("CRAS_PG_URL"):
        pytest.fail("this test freezes its own server: it cannot use the one CRAS_PG_URL names")
    data = Path(tempfile.mkdtemp(prefix="cras-pg-frozen-"))
    server = PostgresServer.start(data)
    yield server
    _signal_all(server, signal.SIGCONT)
    shutil.rmtree(data, ignore_errors=True)


def _signal_all(server: PostgresServer, sig: signal.Signals) -> None:
    pid = server.postmaster_pid()
    assert pid is not None
    postmaster = psutil.Process(pid)
    for proc in [postmaster, *postmaster.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(sig)


def _wait_until_gone(db: Database, backend: int, timeout_s: float = 20.0) -> None:
    # One transaction a look: pg_stat_activity is a snapshot that holds for a transaction.
    deadline = time.monotonic() + timeout_s
    alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
    while True:
        with db.read() as s:
            if not s.execute(alive, {"pid": backend}).scalar_one():
                return
        assert time.monotonic() < deadline, f"backend {backend} still there after {timeout_s} s"
        time.sleep(0.05)


def test_a_statement_to_a_frozen_server_ends_and_the_desk_recovers(own_server: PostgresServer) -> None:
    db = Database(own_server.create_database(), statement_deadline_s=DEADLINE_S)
    try:
        with db.read() as s:
            assert s.execute(text("SELECT 1")).scalar_one() == 1
        _signal_all(own_server, signal.SIGSTOP)
        t0 = time.monotonic()
        try:
            with pytest.raises(OperationalError) as raised, db.read() as s:
                s.execute(text("SELECT 2")).scalar_one()
        finally:
            waited = time.monotonic() - t0
            _signal_all(own_server, signal.SIGCONT)
        assert is_connection_error(raised.value)
        # The deadline, then the cancel's grace, then the socket shut down: a few seconds, not for ever.
        assert DEADLINE_S <= waited < DEADLINE_S + 6, waited
        assert db.statement_watch is not None and db.statement_watch.interrupted == 1
        with db.read() as s:  # a fresh connection; nothing for the advisor to do
            assert s.execute(text("SELECT 3")).scalar_one() == 3
    finally:
        db.dispose()


def test_a_commit_to_a_frozen_server_ends_too(own_server: PostgresServer) -> None:
    db = Database(own_server.create_database(), statement_deadline_s=DEADLINE_S)
    try:
        with db.write() as s:
            s.execute(text("CREATE TABLE t (n int)"))
        t0 = time.monotonic()
        with pytest.raises(OperationalError), db.write() as s:
            backend = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
            s.execute(text("INSERT INTO t VALUES (1)"))
            _signal_all(own_server, signal.SIGSTOP)  # frozen between the INSERT and the COMMIT
        waited = time.monotonic() - t0
        _signal_all(own_server, signal.SIGCONT)
        assert waited < DEADLINE_S + 6, waited
        # Woken, the old backend reads what waits in its socket; until it has, and has gone, what
        # it does with the COMMIT is not yet decided.
        _wait_until_gone(db, backend)
        with db.read() as s:
            # The COMMIT was already in the frozen server's socket buffer: woken, the server reads
            # and commits it, then finds the desk gone. The desk saw an error for a commit that
            # happened, which is why every advisor action carries an idempotency key.
            assert s.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
    finally:
        db.dispose()
