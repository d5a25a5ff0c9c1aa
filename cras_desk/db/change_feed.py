"""The change feed: one monotonic row per change, so desks can ask "what changed since seq N?".

ORM inserts/updates/deletes of feed-tracked models are recorded by a flush hook; services that
change rows with a Core UPDATE (claims, slot counters) call record() themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from cras_desk.db.models import Booking, Change, ChoiceOffer, ContactAttempt, Letter, Patient, Referral, Slot
from cras_desk.domain.clock import utcnow

TRACKED: dict[type, str] = {
    Referral: "referral",
    Patient: "patient",
    Booking: "booking",
    Slot: "slot",
    ContactAttempt: "contact_attempt",
    ChoiceOffer: "choice_offer",
    Letter: "letter",
}

_CHANGES = Change.__table__


def record(
    session: Session, entity: str, entity_ids: int | Sequence[int], op: str, user_id: int | None
) -> None:
    ids = [entity_ids] if isinstance(entity_ids, int) else list(entity_ids)
    record_many(session, [(entity, i, op) for i in ids], user_id)


def record_many(session: Session, changes: Sequence[tuple[str, int, str]], user_id: int | None) -> None:
    """(entity, id, op) rows in one statement: plain Core on the session's connection, because this
    runs inside every booking and the ORM's bookkeeping would be pure overhead here."""
    if changes:
        at = utcnow()
        session.connection().execute(
            insert(_CHANGES),
            [{"entity": e, "entity_id": i, "op": op, "user_id": user_id, "at": at} for e, i, op in changes],
        )


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
