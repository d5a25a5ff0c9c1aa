"""What the central database holds of each outbox item: recorded once, twice, or not at all.

Each item the fault tests queue carries notes of its own ("offline 17"), so the rows it made can
be counted whether or not they came through its idempotency key: a duplicate made without the
key (a replay that forgot it) is counted as surely as one made with it. The key's recorded result
must also point at the one row, which is what a retry after an uncertain commit relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from cras_desk.db.engine import Database
from cras_desk.db.models import ChoiceOffer, ContactAttempt, IdempotencyKey
from cras_desk.outbox import ItemKind, OutboxItem


@dataclass
class Tally:
    rows: dict[str, int] = field(default_factory=dict)  # item key -> rows found for it
    keyed: dict[str, bool] = field(default_factory=dict)  # item key -> its key points at its row

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.rows.values() if n > 1)

    @property
    def lost(self) -> int:
        return sum(1 for n in self.rows.values() if n == 0)

    @property
    def exactly_once(self) -> bool:
        return all(n == 1 for n in self.rows.values()) and all(self.keyed.values())


def _notes(item: OutboxItem) -> str:
    p = item.payload
    return str(p["notes"] if item.kind is ItemKind.CALL_OUTCOME else p["sdm_notes"])


def tally(db: Database, items: list[OutboxItem]) -> Tally:
    with db.read() as s:
        call_ids: dict[tuple[int, str | None], list[int]] = {}
        for rid, notes, id_ in s.execute(
            select(ContactAttempt.referral_id, ContactAttempt.notes, ContactAttempt.id)
        ):
            call_ids.setdefault((rid, notes), []).append(id_)
        offer_ids: dict[tuple[int, str | None], list[int]] = {}
        for rid, notes, id_ in s.execute(
            select(ChoiceOffer.referral_id, ChoiceOffer.sdm_notes, ChoiceOffer.id)
        ):
            offer_ids.setdefault((rid, notes), []).append(id_)
        keyed = select(IdempotencyKey.key, IdempotencyKey.result).where(
            IdempotencyKey.key.in_([i.key for i in items])
        )
        results = {key: result for key, result in s.execute(keyed)}
    out = Tally()
    for item in items:
        found = (call_ids if item.kind is ItemKind.CALL_OUTCOME else offer_ids).get(
            (item.referral_id, _notes(item)), []
        )
        out.rows[item.key] = len(found)
        result = results.get(item.key) or {}
        pointed = result.get("attempt_id" if item.kind is ItemKind.CALL_OUTCOME else "choice_offer_id")
        out.keyed[item.key] = len(found) == 1 and pointed == found[0]
    return out
