"""Queueing a letter from a workflow (booking, choice, contact policy) inside its transaction.

The inputs are snapshotted now, so the printed letter says what was true when it was queued and a
reprint reproduces it exactly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cras_desk.db.models import Letter, Referral
from cras_desk.domain.enums import AdjustmentFlag, LetterKind, LetterStatus
from cras_desk.services.actor import Actor


def queue_letter(
    session: Session,
    actor: Actor,
    referral_id: int,
    kind: LetterKind,
    extra: dict[str, Any] | None = None,
    recipient: str = "patient",
) -> int:
    referral = session.get(Referral, referral_id)
    assert referral is not None
    letter = Letter(
        referral_id=referral_id,
        kind=kind,
        status=LetterStatus.QUEUED,
        recipient=recipient,
        large_print=AdjustmentFlag.LARGE_PRINT.value in (referral.patient.adjustments or []),
        inputs={"referral_id": referral_id, **(extra or {})},
        created_by=actor.user_id,
    )
    session.add(letter)
    session.flush()
    return letter.id
