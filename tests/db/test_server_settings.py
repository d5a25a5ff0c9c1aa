"""A desk's PostgreSQL sessions carry the timeouts and settings chosen for interactive work
(cras_desk.db.engine); bulk admin work does not."""

from __future__ import annotations

from sqlalchemy import text

from cras_desk.db.engine import INTERACTIVE_SERVER_SETTINGS, Database


def _show(db: Database, name: str) -> str:
    with db.read() as s:
        return str(s.execute(text(f"SHOW {name}")).scalar_one())


def test_desk_sessions_have_their_timeouts_and_bulk_sessions_do_not(db: Database) -> None:
    if db.dialect == "sqlite":
        # A local file: no server to wait on; its busy timeout bounds a wait for another writer.
        with db.read() as s:
            assert s.execute(text("PRAGMA busy_timeout")).scalar_one() == 10000
        return
    assert _show(db, "statement_timeout") == "30s"
    assert _show(db, "lock_timeout") == "10s"
    assert _show(db, "idle_in_transaction_session_timeout") == "1min"
    assert _show(db, "max_parallel_workers_per_gather") == "0"
    assert set(INTERACTIVE_SERVER_SETTINGS) == {
        "statement_timeout",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "max_parallel_workers_per_gather",
    }
    bulk = Database(db.url, interactive=False)
    try:
        assert _show(bulk, "statement_timeout") == "0"
        assert _show(bulk, "max_parallel_workers_per_gather") != "0"
        assert bulk.statement_watch is None and db.statement_watch is not None
    finally:
        bulk.dispose()
