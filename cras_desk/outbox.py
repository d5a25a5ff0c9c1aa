"""The outbox: what an advisor saved while the central database could not be reached.

A call outcome (with its notes, the number used and a callback time) or a patient's "time to
think" is kept here, on the PC, in a SQLite file of the user's own (0600), instead of being lost
or left in a form the advisor must remember to save again. Each item carries the idempotency key
made when the advisor pressed Save (services.idempotency), so replaying it is exactly once however
often the replay is interrupted: a replay cut off after the database committed finds the key.

Items replay in the order they were saved (cras_desk.services.outbox_replay). One that meets a
changed world (the referral discharged, reassigned, or being worked at another desk) waits for the
advisor's decision, retry or discard, and is never dropped or forced through on its own. The file
survives kill -9 (SQLite's journal, synchronous=FULL) and a restart.

No Qt, no central database: only the standard library.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from cras_desk.private_files import private_database_file, private_folder


class ItemKind(StrEnum):
    CALL_OUTCOME = "call_outcome"
    TIME_TO_THINK = "time_to_think"


class ItemState(StrEnum):
    PENDING = "pending"  # waiting for the database
    SENT = "sent"  # recorded centrally
    NEEDS_DECISION = "needs_decision"  # the world changed meanwhile: the advisor decides
    DISCARDED = "discarded"  # the advisor decided not to send it


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    kind: ItemKind
    referral_id: int
    payload: dict[str, Any]
    saved_at: datetime
    state: ItemState
    message: str  # what happened to it, in the advisor's words ("" while pending)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    referral_id INTEGER NOT NULL,
    payload TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    message TEXT NOT NULL DEFAULT '',
    changed_at TEXT
)
"""
_COLUMNS = "id, key, kind, referral_id, payload, saved_at, state, message"
_BY_KEY = f"SELECT {_COLUMNS} FROM items WHERE key = ?"  # noqa: S608 - a constant column list


class Outbox:
    """One user's outbox file. Safe to use from one thread at a time (the desk's worker)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        private_folder(path.parent)  # the desk's own outbox folder, as an older desk may have left it
        private_database_file(path)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")  # saved means on the disk
        self._db.execute(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def add(self, kind: ItemKind, referral_id: int, payload: dict[str, Any], key: str) -> OutboxItem:
        """Keep one saved action (its key made when the advisor pressed Save); the same key twice
        keeps it once."""
        now = datetime.now(UTC).isoformat()
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO items (key, kind, referral_id, payload, saved_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (key, ItemKind(kind).value, referral_id, json.dumps(payload, sort_keys=True), now),
            )
            row = db.execute(_BY_KEY, (key,)).fetchone()
        return _item(row)

    def items(self, *states: ItemState) -> list[OutboxItem]:
        """Items in the order they were saved; only those in `states` if any are given."""
        wanted = [ItemState(s).value for s in states] or [s.value for s in ItemState]
        marks = ", ".join("?" * len(wanted))
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM items WHERE state IN ({marks}) ORDER BY id",  # noqa: S608 - placeholders only
            wanted,
        ).fetchall()
        return [_item(r) for r in rows]

    def waiting(self) -> int:
        """How many items the advisor should know about: pending or needing a decision."""
        row = self._db.execute(
            "SELECT count(*) FROM items WHERE state IN (?, ?)",
            (ItemState.PENDING.value, ItemState.NEEDS_DECISION.value),
        ).fetchone()
        return int(row[0])

    def mark(self, item_id: int, state: ItemState, message: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE items SET state = ?, message = ?, changed_at = ? WHERE id = ?",
                (ItemState(state).value, message, datetime.now(UTC).isoformat(), item_id),
            )

    def retry(self, item_id: int) -> None:
        """The advisor's decision: send it again (after the other desk let the referral go, say)."""
        self.mark(item_id, ItemState.PENDING, "")

    def discard(self, item_id: int) -> None:
        self.mark(item_id, ItemState.DISCARDED, "Not sent: you chose to discard it.")


def _item(row: tuple[Any, ...]) -> OutboxItem:
    id_, key, kind, referral_id, payload, saved_at, state, message = row
    return OutboxItem(
        id=int(id_),
        key=str(key),
        kind=ItemKind(kind),
        referral_id=int(referral_id),
        payload=json.loads(payload),
        saved_at=datetime.fromisoformat(saved_at),
        state=ItemState(state),
        message=str(message),
    )


def outbox_path(data_dir: Path, username: str) -> Path:
    """Where a user's outbox lives: beside the drafts, one file per user of the PC."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in username)
    return data_dir / "outbox" / f"{safe}.sqlite3"
