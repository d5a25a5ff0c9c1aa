"""The audit trail: every view and change of a patient's record, appended in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cras_desk.db.engine import Database
from cras_desk.db.models import AuditEvent, User
from cras_desk.domain import input_rules
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import Role
from cras_desk.services import access
from cras_desk.services.actor import Actor

# Built once: an audit row is written in every use case. Inline: the new id is not asked for (no
# RETURNING, no nextval first): a desk may append to the trail but not read it (migration 0011).
_INSERT = insert(AuditEvent).inline()


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    record_many(session, actor, action, entity, [(entity_id, patient_id, detail)])


def record_many(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    rows: Sequence[tuple[int | None, int | None, dict[str, Any] | None]],
) -> None:
    """One statement for a bulk change (entity id, patient id, detail per row): a lead moving 2,000
    referrals must not hold the write lock for 2,000 round trips."""
    if rows:
        at = utcnow()
        session.connection().execute(
            _INSERT,
            [
                event_row(at, actor.user_id if actor else None, action, entity, entity_id, patient_id, detail)
                for entity_id, patient_id, detail in rows
            ],
        )


def event_row(
    at: datetime,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    patient_id: int | None,
    detail: dict[str, Any] | None,
) -> dict[str, Any]:
    """One audit_events row as written, for a bulk writer putting many in one statement."""
    return {
        "at": at,
        "user_id": user_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "patient_id": patient_id,
        "detail": detail,
    }


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    username: str | None
    action: str
    entity: str
    entity_id: int | None
    patient_id: int | None
    detail: dict[str, Any] | None


class AuditService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def trail(
        self, actor: Actor, *, patient_id: int | None = None, user_id: int | None = None, limit: int = 200
    ) -> list[AuditRow]:
        """Newest first. Reading the trail is itself audited."""
        actor.require(Role.TEAM_LEAD, Role.ADMIN, action="read the audit trail")
        input_rules.whole_number(limit, "The number of audit rows", 1, 100_000)
        query = (
            select(AuditEvent, User.username)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
        if patient_id is not None:
            query = query.where(AuditEvent.patient_id == patient_id)
        if user_id is not None:
            query = query.where(AuditEvent.user_id == user_id)
        with self.db.write() as s:
            actor = access.caller(s, actor)
            rows = [
                AuditRow(e.at, name, e.action, e.entity, e.entity_id, e.patient_id, e.detail)
                for e, name in s.execute(query)
            ]
            record(s, actor, "view_audit", "audit", None, patient_id, {"user_id": user_id})
        return rows
