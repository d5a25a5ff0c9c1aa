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

TRACKED: dict[type, str] = {
    Referral: "referral",
    Patient: "patient",
    Booking: "booking",
    Slot: "slot",
    ContactAttempt: "contact_attempt",
    ChoiceOffer: "choice_offer",
    Letter: "letter",
}


def record(
    session: Session, entity: str, entity_ids: int | Sequence[int], op: str, user_id: int | None
) -> None:
    ids = [entity_ids] if isinstance(entity_ids, int) else list(entity_ids)
    if ids:
        session.execute(
            insert(Change),
            [{"entity": entity, "entity_id": i, "op": op, "user_id": user_id} for i in ids],
        )


def changes_since(session: Session, seq: int, limit: int = 1000) -> list[Change]:
    return list(session.scalars(select(Change).where(Change.seq > seq).order_by(Change.seq).limit(limit)))


def latest_seq(session: Session) -> int:
    return session.scalar(select(Change.seq).order_by(Change.seq.desc()).limit(1)) or 0


@event.listens_for(Session, "after_flush")
def _record_orm_changes(session: Session, _ctx: Any) -> None:
    user_id = session.info.get("user_id")
    rows: list[dict[str, Any]] = []
    for op, objs in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            entity = TRACKED.get(type(obj))
            if entity is None or (op == "update" and not session.is_modified(obj)):
                continue
            rows.append({"entity": entity, "entity_id": obj.id, "op": op, "user_id": user_id})
    if rows:
        session.execute(insert(Change), rows)
