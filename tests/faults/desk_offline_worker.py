"""A desk process for the kill -9 tests (test_outbox_kill9.py): the real services, the real outbox.

    python desk_offline_worker.py queue OUTBOX UNREACHABLE_URL ACTOR_JSON SETUP_JSON FIRST COUNT
    python desk_offline_worker.py replay OUTBOX DATABASE_URL ACTOR_JSON [DIE_AFTER_COMMIT]

queue: saves COUNT call outcomes and "time to think" (numbered from FIRST) as a desk does while the
database is away: each is first sent to the service, which fails with a connection error, then
put in the outbox. It prints "put N" before each put and "queued N KEY" once the put has returned
(the item is on the disk), so whoever kills it knows what it was doing and what it promised.

replay: replays the outbox into a reachable database, printing "committed" after every database
commit and "done SENT NEEDS_DECISION STILL_PENDING" at the end. With DIE_AFTER_COMMIT n it kills
itself (SIGKILL) straight after its n-th commit: the item is recorded centrally and the outbox has
not yet been told, the narrowest window a desk can die in.

SETUP_JSON: {"referrals": [ids...], "shown": [option snapshots for "time to think"],
"callback_at": iso time}. Every item's fields follow from its number alone (item_fields), so the
test can tell a corrupted item from a sound one.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from cras_desk.db.connection_errors import is_connection_error
from cras_desk.db.engine import Database
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import ContactOutcome, Role
from cras_desk.domain.offer_snapshot import ChoiceOption
from cras_desk.outbox import ItemKind, Outbox
from cras_desk.services.actor import Actor
from cras_desk.services.choice import ChoiceService, Decision
from cras_desk.services.contact import ContactService
from cras_desk.services.idempotency import new_key
from cras_desk.services.outbox_replay import call_payload, replay, thinking_payload

THINK_EVERY = 5  # every fifth item is a "time to think"
OUTCOMES = (ContactOutcome.NO_ANSWER, ContactOutcome.VOICEMAIL, ContactOutcome.CALLBACK_REQUESTED)


def item_fields(n: int, setup: dict[str, Any]) -> dict[str, Any]:
    """What item n is, apart from its key and the moment it was saved."""
    referrals = setup["referrals"]
    if n % THINK_EVERY == THINK_EVERY - 1:
        return {"kind": ItemKind.TIME_TO_THINK, "referral_id": referrals[0], "sdm_notes": f"offline {n}"}
    outcome = OUTCOMES[n % len(OUTCOMES)]
    return {
        "kind": ItemKind.CALL_OUTCOME,
        "referral_id": referrals[n % len(referrals)],
        "outcome": outcome,
        "number_used": f"07700 9001{n % 100:02d}",
        "notes": f"offline {n}",
        "callback_at": (
            datetime.fromisoformat(setup["callback_at"])
            if outcome is ContactOutcome.CALLBACK_REQUESTED
            else None
        ),
    }


def _actor(text: str) -> Actor:
    raw = json.loads(text)
    return Actor(raw["user_id"], raw["username"], raw["full_name"], Role(raw["role"]), raw["team_id"])


def _say(line: str) -> None:
    print(line, flush=True)


def queue(box: Outbox, db: Database, actor: Actor, setup: dict[str, Any], first: int, count: int) -> int:
    contact, choice = ContactService(db), ChoiceService(db)
    shown = [ChoiceOption.from_snapshot(o) for o in setup["shown"]]
    for n in range(first, first + count):
        f = item_fields(n, setup)
        key = new_key()  # made as Save is pressed
        try:
            if f["kind"] is ItemKind.TIME_TO_THINK:
                payload = thinking_payload(shown, f["sdm_notes"])
                choice.record_offer(
                    actor, f["referral_id"], shown, Decision.TIME_TO_THINK, sdm_notes=f["sdm_notes"], key=key
                )
            else:
                at = utcnow()
                fields = {k: f[k] for k in ("number_used", "notes", "callback_at")}
                payload = call_payload(f["outcome"], at, **fields)
                contact.record_attempt(actor, f["referral_id"], f["outcome"], at=at, key=key, **fields)
        except Exception as exc:
            if not is_connection_error(exc):
                raise
        else:
            _say(f"reached {n}")  # the database was meant to be unreachable: the test fails on this
            return 3
        _say(f"put {n}")
        box.add(f["kind"], f["referral_id"], payload, key)
        _say(f"queued {n} {key}")
    return 0


def replay_all(box: Outbox, db: Database, actor: Actor, die_after: int) -> int:
    commits = [0]

    def committed(session: Session) -> None:
        if not session.in_nested_transaction():
            commits[0] += 1
            _say("committed")
            if commits[0] == die_after:
                os.kill(os.getpid(), signal.SIGKILL)

    event.listen(Session, "after_commit", committed)
    report = replay(box, actor, ContactService(db), ChoiceService(db))
    _say(f"done {report.sent} {report.needs_decision} {report.still_pending}")
    return 0


def main(argv: list[str]) -> int:
    mode, path, url, actor = argv[0], Path(argv[1]), argv[2], _actor(argv[3])
    box = Outbox(path)
    db = Database(url)
    _say("ready")
    if mode == "queue":
        return queue(box, db, actor, json.loads(Path(argv[4]).read_text()), int(argv[5]), int(argv[6]))
    return replay_all(box, db, actor, int(argv[4]) if len(argv) > 4 else 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
