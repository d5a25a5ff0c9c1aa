"""A queued letter overtaken by events before it was printed: withdrawn from the queue, with why.

The workflows that change a booking or reach the patient call withdraw_superseded inside their
own transaction, so the letter that no longer tells the truth leaves the queue in the same commit
as the change that made it untrue: the appointment letter of a booking that was rebooked or
cancelled, the "appointment changed" letter of a booking then cancelled, the unable-to-contact
letter of a patient who was reached or booked meanwhile. A withdrawn letter is never printed; the
queue screen shows it with its reason ("Appointment rebooked on 04/12/2026 by Amy Advisor").

Plain Core on the session's connection: this runs inside every rebook and cancel, and one
UPDATE ... RETURNING is all it costs when there is nothing to withdraw.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from cras_desk.db import change_feed
from cras_desk.db.models import Letter
from cras_desk.db.tables import table_of
from cras_desk.domain.clock import to_london, utcnow
from cras_desk.domain.enums import LetterKind, LetterStatus
from cras_desk.domain.letter_supersession import OVERTAKES, Supersession, withdrawal_reason
from cras_desk.services import audit
from cras_desk.services.actor import Actor

__all__ = ["Supersession", "queued_utc_letter_on", "withdraw_superseded"]


def withdraw_superseded(
    session: Session,
    actor: Actor,
    referral_id: int,
    event: Supersession,
    patient_id: int | None,
) -> list[int]:
    """Withdraw the referral's queued letters that event overtakes; returns their ids (audited,
    and in the change feed so other desks' queue screens drop them)."""
    event = Supersession(event)
    now = utcnow()
    reason = withdrawal_reason(event, actor.full_name, to_london(now).date())
    ids = [
        row.id
        for row in session.connection().execute(
            _WITHDRAW,
            {"w_referral": referral_id, "w_kinds": list(OVERTAKES[event]), "w_now": now, "w_reason": reason},
        )
    ]
    if ids:
        change_feed.record(session, "letter", ids, "update", actor.user_id)
        audit.record_many(
            session,
            actor,
            "withdraw_letter",
            "letter",
            [(letter_id, patient_id, {"reason": reason, "event": event.value}) for letter_id in ids],
        )
    return ids


def queued_utc_letter_on(session: Session, referral_id: int) -> date | None:
    """The London day the referral's unable-to-contact letter still waiting in the print queue was
    queued, or None. While it waits, its reply window has not begun (it starts when printed)."""
    created = session.connection().execute(_QUEUED_UTC, {"q_referral": referral_id}).scalar()
    return to_london(created).date() if created is not None else None


_letters = table_of(Letter)

_WITHDRAW = (
    update(_letters)
    .where(
        _letters.c.referral_id == bindparam("w_referral", type_=_letters.c.referral_id.type),
        _letters.c.status == LetterStatus.QUEUED,
        _letters.c.kind.in_(bindparam("w_kinds", expanding=True, type_=_letters.c.kind.type)),
    )
    .values(
        status=LetterStatus.WITHDRAWN,
        withdrawn_at=bindparam("w_now", type_=_letters.c.withdrawn_at.type),
        withdrawn_reason=bindparam("w_reason", type_=_letters.c.withdrawn_reason.type),
    )
    .returning(_letters.c.id)
)

_QUEUED_UTC = select(func.max(_letters.c.created_at)).where(
    _letters.c.referral_id == bindparam("q_referral", type_=_letters.c.referral_id.type),
    _letters.c.kind == LetterKind.UNABLE_TO_CONTACT,
    _letters.c.status == LetterStatus.QUEUED,
)
