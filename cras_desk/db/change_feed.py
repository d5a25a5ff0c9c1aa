"""The change feed: one monotonic row per change, so desks can ask "what changed since seq N?".

ORM inserts/updates/deletes of feed-tracked models are recorded by a flush hook; services that
change rows with a Core UPDATE (claims, slot counters) call record() themselves.

A service on a hot path may call defer(session) at the start of its transaction: the rows it
records from then on are written in ONE insert just before the transaction commits, instead of
one round trip each, and a transaction that rolls back (a lost race) writes none. The rows are
the same either way; only their sequence numbers are taken at commit rather than mid-transaction
(which, if anything, narrows the window in which a reader can see seq N+1 before seq N).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, event, insert, select
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

_CHANGES: Table = Change.__table__  # type: ignore[assignment]
# Built once: this runs inside every booking. RETURNING is there for how it is sent, not for the
# values: with it SQLAlchemy puts several rows into ONE multi-row INSERT ("insertmanyvalues"),
# where without it the driver would run the INSERT once per row.
_INSERT = insert(_CHANGES).returning(_CHANGES.c.seq)
_DEFERRED = "change_feed.deferred"  # session.info key: rows waiting for the commit


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
    rows = [{"entity": e, "entity_id": i, "op": op, "user_id": user_id, "at": at} for e, i, op in changes]
    deferred: list[dict[str, Any]] | None = session.info.get(_DEFERRED)
    if deferred is not None:
        deferred.extend(rows)
    else:
        session.connection().execute(_INSERT, rows)


def defer(session: Session) -> None:
    """Until this session's transaction ends, collect recorded rows and write them all at commit."""
    session.info.setdefault(_DEFERRED, [])


def changes_since(session: Session, seq: int, limit: int = 1000) -> list[Change]:
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
