"""The change feed never skips a change, however its writers' commits interleave.

On PostgreSQL two transactions take sequence numbers in one order and may commit in the other:
a reader that had read up to the later seq would never see the earlier one. The feed's cursor
reads only what transactions older than every running one wrote, in (transaction, seq) order.
On SQLite a writer waits for the one before it (BEGIN IMMEDIATE): seq order is commit order.
"""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from cras_desk.db import change_feed
from cras_desk.db.engine import Database
from cras_desk.db.models import Change


def _writer(db: Database) -> Session:
    return Session(db.engine.execution_options(cras_write=True))


def _read_all(db: Database, cursor: change_feed.FeedCursor) -> tuple[list[int], change_feed.FeedCursor]:
    with db.read() as s:
        rows, cursor = change_feed.changes_after(s, cursor, limit=2)  # small pages: the cursor pages too
        ids = [r.entity_id for r in rows]
        while len(rows) == 2:
            rows, cursor = change_feed.changes_after(s, cursor, limit=2)
            ids += [r.entity_id for r in rows]
    return ids, cursor


def _seqs(db: Database) -> dict[int, int]:
    with db.read() as s:
        rows = s.execute(select(Change.entity_id, Change.seq).where(Change.entity_id.in_([1, 2])))
        return {entity_id: seq for entity_id, seq in rows}


def test_a_late_commit_of_an_earlier_seq_is_not_skipped(db: Database) -> None:
    with db.read() as s:
        start = change_feed.cursor_now(s)
    if db.dialect == "sqlite":
        _sqlite_writers_take_turns(db, start)
        return
    first, second = _writer(db), _writer(db)
    try:
        first.begin()
        change_feed.record(first, "referral", 1, "update", None)  # takes seq N, not yet committed
        second.begin()
        change_feed.record(second, "referral", 2, "update", None)  # takes seq N+1
        second.commit()
        seq_of = _seqs(db)
        assert list(seq_of) == [2]  # only the committed one is visible yet

        ids, cursor = _read_all(db, start)
        # The gap as a reader by sequence number would have it: seq N+1 read, cursor past N.
        with db.read() as s:
            naive = [c.seq for c in change_feed.changes_since(s, 0) if c.entity_id in (1, 2)]
        assert naive == [seq_of[2]]
        # The feed holds N+1 back while the transaction that took N is running.
        assert ids == []

        first.commit()
        assert _seqs(db)[1] < seq_of[2]  # the earlier seq committed last: the gap's order
        ids, cursor = _read_all(db, cursor)
        assert sorted(ids) == [1, 2]
        ids, cursor = _read_all(db, cursor)
        assert ids == []  # nothing is read twice
    finally:
        first.close()
        second.close()


def _sqlite_writers_take_turns(db: Database, start: change_feed.FeedCursor) -> None:
    first = _writer(db)
    first.begin()
    change_feed.record(first, "referral", 1, "update", None)
    done = threading.Event()

    def second_writer() -> None:
        with db.write() as s:  # waits on first's write lock (busy_timeout), then takes the next seq
            change_feed.record(s, "referral", 2, "update", None)
        done.set()

    t = threading.Thread(target=second_writer)
    t.start()
    assert not done.wait(0.5)  # still waiting: nothing of the second is visible before the first
    ids, cursor = _read_all(db, start)
    assert ids == []
    first.commit()
    first.close()
    t.join(10)
    assert done.is_set()
    ids, cursor = _read_all(db, cursor)
    assert ids == [1, 2]
    assert _read_all(db, cursor)[0] == []


def test_cursor_now_starts_after_what_is_committed(db: Database) -> None:
    with db.write() as s:
        change_feed.record(s, "referral", 7, "update", None)
    with db.read() as s:
        cursor = change_feed.cursor_now(s)
    assert _read_all(db, cursor)[0] == []
    with db.write() as s:
        change_feed.record(s, "referral", 8, "update", None)
    assert _read_all(db, cursor)[0] == [8]
