"""The change feed: one row per change, so desks can ask "what changed since I last looked?".

Read it with a FeedCursor (cursor_now, changes_after), never by sequence number alone: on
PostgreSQL sequence numbers are taken in one order and committed in another, so a desk that has
read seq N+1 could otherwise miss a later-committing N for good. There each row carries the id of
the transaction that wrote it (migration 0007), and a read takes only rows written by transactions
older than the oldest one still running (the snapshot's xmin): every one of those has ended, so no
row can ever appear behind the cursor. The cursor is (transaction id, seq), read in that order. A
long transaction holds the feed back until it ends, which idle_in_transaction_session_timeout
bounds. On SQLite one writer at a time makes the sequence the commit order: the cursor is the seq.

ORM inserts/updates/deletes of feed-tracked models are recorded by a flush hook; services that
change rows with a Core UPDATE (claims, slot counters) call record() themselves.

A service on a hot path may call defer(session) at the start of its transaction: the rows it
records from then on are written in ONE insert just before the transaction commits, instead of
one round trip each, and a transaction that rolls back (a lost race) writes none. The rows are
the same either way; only their sequence numbers are taken at commit rather than mid-transaction
(which, if anything, narrows the window in which a reader can see seq N+1 before seq N).
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, select, text, tuple_
from sqlalchemy.orm import Session, SessionTransaction

from cras_desk.db.models import (
    Booking,
    Change,
    ChoiceOffer,
    ContactAttempt,
    Letter,
    Patient,
    PatientPhone,
    Referral,
    ReferralNote,
    Slot,
)
from cras_desk.db.tables import table_of
from cras_desk.domain.clock import utcnow

TRACKED: dict[type, str] = {
    Referral: "referral",
    Patient: "patient",
    Booking: "booking",
    Slot: "slot",
    ContactAttempt: "contact_attempt",
    ChoiceOffer: "choice_offer",
    Letter: "letter",
    PatientPhone: "patient_phone",
    ReferralNote: "referral_note",
}

_CHANGES = table_of(Change)
# Built once: this runs inside every booking. RETURNING is there for how it is sent, not for the
# values: with it SQLAlchemy puts several rows into ONE multi-row INSERT ("insertmanyvalues"),
# where without it the driver would run the INSERT once per row.
_INSERT = insert(_CHANGES).returning(_CHANGES.c.seq)
_DEFERRED = "change_feed.deferred"
# Which desk made a change ("changed at desk X by Y at HH:MM"): the PC's name, as the team knows it.
DESK = (platform.node() or "unknown desk")[:64]  # session.info key: rows waiting for the commit


def record(
    session: Session, entity: str, entity_ids: int | Sequence[int], op: str, user_id: int | None
) -> None:
    ids = [entity_ids] if isinstance(entity_ids, int) else list(entity_ids)
    record_many(session, [(entity, i, op) for i in ids], user_id)


def record_many(session: Session, changes: Sequence[tuple[str, int, str]], user_id: int | None) -> None:
    """(entity, id, op) rows in one statement: plain Core on the session's connection, because this
    runs inside every booking and the ORM's bookkeeping would be pure overhead here."""
    if not changes:
        return
    at = utcnow()
    rows = [
        {"entity": e, "entity_id": i, "op": op, "user_id": user_id, "at": at, "desk": DESK}
        for e, i, op in changes
    ]
    deferred: list[dict[str, Any]] | None = session.info.get(_DEFERRED)
    if deferred is not None:
        deferred.extend(rows)
    else:
        session.connection().execute(_INSERT, rows)


def defer(session: Session) -> None:
    """Until this session's transaction ends, collect recorded rows and write them all at commit."""
    session.info.setdefault(_DEFERRED, [])


@dataclass(frozen=True, order=True)
class FeedCursor:
    """Where a reader of the feed has got to: every change before it has been read."""

    xid: int  # PostgreSQL: the writing transaction; 0 on SQLite
    seq: int


_XMIN = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


def cursor_now(session: Session) -> FeedCursor:
    """A cursor after every change committed so far (changes still in flight come after it)."""
    if session.get_bind().dialect.name == "sqlite":
        return FeedCursor(0, latest_seq(session))
    return FeedCursor(int(session.execute(_XMIN).scalar_one()), 0)


def changes_after(session: Session, cursor: FeedCursor, limit: int = 1000) -> tuple[list[Change], FeedCursor]:
    """The changes after `cursor` in commit-safe order, at most `limit`, and the cursor after them."""
    if session.get_bind().dialect.name == "sqlite":
        rows = changes_since(session, cursor.seq, limit)
        return rows, FeedCursor(0, rows[-1].seq) if rows else cursor
    # Bound first, read second: a transaction older than the bound had ended when the bound was
    # taken, so the read (a later snapshot) sees all it wrote.
    bound = int(session.execute(_XMIN).scalar_one())
    xid = Change.xid
    query = (
        select(Change)
        .where(tuple_(xid, Change.seq) > tuple_(cursor.xid, cursor.seq), xid < bound)
        .order_by(xid, Change.seq)
        .limit(limit)
    )
    found = list(session.scalars(query))
    if len(found) < limit:
        return found, max(cursor, FeedCursor(bound, 0))
    last = found[-1]
    return found, FeedCursor(int(last.xid or 0), last.seq)


def changes_since(session: Session, seq: int, limit: int = 1000) -> list[Change]:
    """SQLite's reading order (see FeedCursor); on PostgreSQL use changes_after."""
    return list(session.scalars(select(Change).where(Change.seq > seq).order_by(Change.seq).limit(limit)))


def latest_seq(session: Session) -> int:
    return session.scalar(select(Change.seq).order_by(Change.seq.desc()).limit(1)) or 0


@event.listens_for(Session, "after_flush")
def _record_orm_changes(session: Session, _ctx: Any) -> None:
    changes: list[tuple[str, int, str]] = []
    for op, objs in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            entity = TRACKED.get(type(obj))
            if entity is None or (op == "update" and not session.is_modified(obj)):
                continue
            changes.append((entity, obj.id, op))
    record_many(session, changes, session.info.get("user_id"))


@event.listens_for(Session, "before_commit")
def _write_deferred(session: Session) -> None:
    if _DEFERRED not in session.info:
        return
    # The commit's own flush comes after this hook: flush first, so the rows its hook records are
    # collected here too rather than after the collection has been written.
    session.flush()
    rows = session.info.pop(_DEFERRED)
    if rows:
        session.connection().execute(_INSERT, rows)


@event.listens_for(Session, "after_transaction_end")
def _drop_deferred(session: Session, transaction: SessionTransaction) -> None:
    # A rolled-back transaction's rows go with it. Only the outermost transaction's end counts: rows
    # recorded before a savepoint that rolled back still belong to the transaction around it.
    if transaction.parent is None:
        session.info.pop(_DEFERRED, None)
