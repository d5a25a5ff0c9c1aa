"""Another desk's commit wakes this desk: NOTIFY on PostgreSQL (through one listening connection,
listening again after it drops), PRAGMA data_version on SQLite."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from cras_desk.db import change_feed
from cras_desk.db.change_signal import ChangeSignal
from cras_desk.db.engine import Database

WAIT_S = 5.0


class Seen:
    def __init__(self) -> None:
        self.changes = 0
        self.listening: list[bool] = []
        self.woken = threading.Event()
        self.up = threading.Event()
        self.down = threading.Event()

    def change(self) -> None:
        self.changes += 1
        self.woken.set()

    def state(self, ok: bool) -> None:
        self.listening.append(ok)
        (self.up if ok else self.down).set()


def _commit_a_change(db: Database, entity_id: int) -> None:
    with db.write() as s:
        change_feed.record(s, "referral", entity_id, "update", None)


def _started(db: Database) -> tuple[ChangeSignal, Seen]:
    seen = Seen()
    signal = ChangeSignal(db.engine, seen.change, seen.state)
    signal.start()
    assert seen.up.wait(WAIT_S)
    time.sleep(0.3)  # past the first look
    seen.woken.clear()
    return signal, seen


def test_another_desks_commit_wakes_this_desk(db: Database) -> None:
    other = Database(db.url)  # another desk: its own engine and connections
    signal, seen = _started(db)
    try:
        t0 = time.monotonic()
        _commit_a_change(other, 1)
        assert seen.woken.wait(WAIT_S)
        assert time.monotonic() - t0 < (0.5 if db.dialect == "postgresql" else 1.0)
    finally:
        signal.stop()
        other.dispose()


ROLLED_BACK = text(
    "INSERT INTO changes (at, entity, entity_id, op) VALUES (CURRENT_TIMESTAMP, 'referral', 5, 'update')"
)
LISTENER = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN cras_changes'"


def test_a_rolled_back_change_wakes_nobody(db: Database) -> None:
    """NOTIFY is sent at commit only; SQLite's data_version moves on commit only."""
    signal, seen = _started(db)
    try:
        other = Database(db.url)
        with other.engine.connect() as conn, conn.begin() as tx:
            conn.execute(ROLLED_BACK)
            tx.rollback()
        other.dispose()
        assert not seen.woken.wait(1.0)
        _commit_a_change(db, 6)
        assert seen.woken.wait(WAIT_S)
    finally:
        signal.stop()


def test_the_listener_listens_again_after_its_connection_drops(db: Database) -> None:
    signal, seen = _started(db)
    try:
        seen.up.clear()
        if db.dialect == "postgresql":
            with db.engine.connect() as conn:
                killed = conn.execute(text(LISTENER)).all()
            assert killed == [(True,)]
            assert seen.down.wait(WAIT_S)
            _commit_a_change(db, 9)  # committed while nobody listens
            assert seen.up.wait(WAIT_S)
            # Listening again, it looks at the feed once: the change made meanwhile is not missed.
            assert seen.woken.wait(WAIT_S)
            seen.woken.clear()
            _commit_a_change(db, 10)
            assert seen.woken.wait(WAIT_S)
            assert seen.listening[-2:] == [False, True]
        else:
            _commit_a_change(db, 9)
            assert seen.woken.wait(WAIT_S)
    finally:
        signal.stop()
