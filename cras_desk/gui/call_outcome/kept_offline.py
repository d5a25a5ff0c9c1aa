"""A call outcome saved while the database is away: kept in the desk's outbox, not lost.

The outbox (cras_desk.outbox) sends it, in order and exactly once, when the database is back; the
draft of its notes is let go only once the call is safely in the outbox file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cras_desk.domain.enums import ContactOutcome
from cras_desk.gui.desk_context import DeskContext
from cras_desk.outbox import ItemKind
from cras_desk.services.outbox_replay import call_payload

NOTES_FIELD = "call_notes"  # the drafts field the panel keeps its notes in


@dataclass(frozen=True)
class OfflineCall:
    outcome: ContactOutcome
    at: datetime  # when the advisor pressed Save: the call's time, whenever it reaches the database
    number_used: str | None
    notes: str
    callback_at: datetime | None
    key: str  # made when Save was pressed; the replay sends it, so the call is recorded once


def keep_offline(ctx: DeskContext, rid: int, call: OfflineCall) -> int | None:
    """Keep the call; how many items now wait to be sent, or None if this desk has no outbox."""
    if ctx.outbox is None:
        return None
    payload = call_payload(
        call.outcome, call.at, number_used=call.number_used, notes=call.notes, callback_at=call.callback_at
    )
    ctx.outbox.add(ItemKind.CALL_OUTCOME, rid, payload, call.key)
    if ctx.drafts.get(rid, NOTES_FIELD) == call.notes:
        ctx.drafts.clear(rid, NOTES_FIELD)
    return ctx.outbox.waiting()


def offline_words(waiting: int) -> str:
    return (
        "The database cannot be reached: this call is kept on this PC and will be sent as soon as "
        f"it is back ({waiting} waiting to send). You can carry on."
    )
