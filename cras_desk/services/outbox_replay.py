"""Replaying the outbox (cras_desk.outbox) once the database answers again: in order, exactly once.

Each item goes to the service it was meant for with the idempotency key made when the advisor
pressed Save, so an item whose replay was cut off after the database committed is not recorded
twice: the retry finds the key. A call keeps the time it was made, not the time it is replayed.

- The database still does not answer: the replay stops where it is; the rest stay pending.
- The world changed meanwhile (the referral discharged or booked, reassigned out of the advisor's
  reach, or being worked at another desk): the service refuses it, and the item waits for the
  advisor's decision with the service's own words beside it. Nothing is dropped or forced through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cras_desk.db.connection_errors import is_connection_error
from cras_desk.domain.enums import ContactChannel, ContactOutcome
from cras_desk.domain.errors import CrasError
from cras_desk.domain.offer_snapshot import ChoiceOption
from cras_desk.outbox import ItemKind, ItemState, Outbox, OutboxItem
from cras_desk.services.actor import Actor
from cras_desk.services.choice import ChoiceService, Decision
from cras_desk.services.contact import ContactService


@dataclass(frozen=True)
class ReplayReport:
    sent: int
    needs_decision: int
    still_pending: int
    stopped_by: str | None  # why the replay stopped early, or None if it went through the list


def call_payload(
    outcome: ContactOutcome,
    at: datetime,
    *,
    number_used: str | None,
    notes: str,
    callback_at: datetime | None,
    channel: ContactChannel = ContactChannel.PHONE,
) -> dict[str, Any]:
    """What the outbox keeps of a call outcome saved while the database was away."""
    return {
        "outcome": ContactOutcome(outcome).value,
        "at": at.isoformat(),
        "number_used": number_used,
        "notes": notes,
        "callback_at": callback_at.isoformat() if callback_at is not None else None,
        "channel": ContactChannel(channel).value,
    }


def thinking_payload(shown: list[ChoiceOption], sdm_notes: str) -> dict[str, Any]:
    """What the outbox keeps of a patient's "time to think": the options exactly as read out."""
    return {"shown": [o.as_snapshot() for o in shown], "sdm_notes": sdm_notes}


def replay(outbox: Outbox, actor: Actor, contact: ContactService, choice: ChoiceService) -> ReplayReport:
    sent = decisions = 0
    for item in outbox.items(ItemState.PENDING):
        try:
            message = _send(item, actor, contact, choice)
        except Exception as exc:
            if is_connection_error(exc):
                left = len(outbox.items(ItemState.PENDING))
                return ReplayReport(sent, decisions, left, "The database is still not answering.")
            if not isinstance(exc, CrasError):
                raise
            outbox.mark(item.id, ItemState.NEEDS_DECISION, f"Not sent: {exc}")
            decisions += 1
            continue
        outbox.mark(item.id, ItemState.SENT, message)
        sent += 1
    return ReplayReport(sent, decisions, 0, None)


def _send(item: OutboxItem, actor: Actor, contact: ContactService, choice: ChoiceService) -> str:
    p = item.payload
    if item.kind is ItemKind.CALL_OUTCOME:
        result = contact.record_attempt(
            actor,
            item.referral_id,
            ContactOutcome(p["outcome"]),
            number_used=p["number_used"],
            notes=p["notes"],
            callback_at=datetime.fromisoformat(p["callback_at"]) if p["callback_at"] else None,
            channel=ContactChannel(p["channel"]),
            at=datetime.fromisoformat(p["at"]),
            key=item.key,
        )
        return f"Call recorded. {result.next_step.message}"
    shown = [ChoiceOption.from_snapshot(o) for o in p["shown"]]
    choice.record_offer(
        actor, item.referral_id, shown, Decision.TIME_TO_THINK, sdm_notes=p["sdm_notes"], key=item.key
    )
    return "Time to think recorded; the choice letter is queued."
