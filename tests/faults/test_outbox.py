"""The outbox: call outcomes and "time to think" saved while the database is away are kept on the
PC (0600), survive kill -9 and a restart, and replay in order, exactly once, when it is back; a
replay cut off mid-way (the connection dropped at a COMMIT that happened) duplicates nothing, and
one that meets a changed world waits for the advisor's decision."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

from commit_proxy import CommitDropProxy
from sqlalchemy import func, select

from cras_desk.db.engine import Database, sqlite_url
from cras_desk.db.models import ContactAttempt
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import ContactOutcome
from cras_desk.outbox import ItemKind, ItemState, Outbox
from cras_desk.services.choice import ChoiceService
from cras_desk.services.claims import ClaimService
from cras_desk.services.contact import ContactService
from cras_desk.services.idempotency import new_key
from cras_desk.services.outbox_replay import call_payload, replay


def _unreachable(db: Database, tmp_path: Path) -> Database:
    if db.dialect == "sqlite":
        return Database(sqlite_url(tmp_path / "no-such-folder" / "desk.sqlite3"))
    return Database(db.url.update_query_dict({"host": str(tmp_path / "no-server-here")}))


def _attempts(db: Database, rid: int) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).where(ContactAttempt.referral_id == rid)) or 0)


def _queue_calls(outbox: Outbox, rid: int, n: int) -> list[str]:
    start = utcnow() - timedelta(minutes=n)
    keys = [new_key() for _ in range(n)]
    for i, key in enumerate(keys):
        payload = call_payload(
            ContactOutcome.NO_ANSWER,
            start + timedelta(minutes=i),
            number_used=None,
            notes=f"try {i}",
            callback_at=None,
        )
        outbox.add(ItemKind.CALL_OUTCOME, rid, payload, key)
    return keys


def test_the_outbox_file_is_the_users_alone_and_keeps_an_item_once(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox" / "amy.sqlite3")
    key = new_key()
    box.add(ItemKind.CALL_OUTCOME, 7, {"notes": "a"}, key)
    box.add(ItemKind.CALL_OUTCOME, 7, {"notes": "a"}, key)
    box.close()
    assert (tmp_path / "outbox" / "amy.sqlite3").stat().st_mode & 0o777 == 0o600
    again = Outbox(tmp_path / "outbox" / "amy.sqlite3")
    assert [(i.key, i.state, i.payload) for i in again.items()] == [(key, ItemState.PENDING, {"notes": "a"})]
    assert again.waiting() == 1


def test_calls_kept_offline_replay_in_order_once_when_the_database_is_back(world, tmp_path: Path) -> None:
    amy, rid = world.actor("amy"), world.referrals["Smith"]
    box = Outbox(tmp_path / "amy.sqlite3")
    _queue_calls(box, rid, 3)
    gone = _unreachable(world.db, tmp_path)
    report = replay(box, amy, ContactService(gone), ChoiceService(gone))
    assert (report.sent, report.still_pending, report.stopped_by) == (
        0,
        3,
        "The database is still not answering.",
    )
    gone.dispose()
    report = replay(box, amy, ContactService(world.db), ChoiceService(world.db))
    assert (report.sent, report.needs_decision, report.still_pending) == (3, 0, 0)
    with world.db.read() as s:
        notes = list(
            s.scalars(
                select(ContactAttempt.notes)
                .where(ContactAttempt.referral_id == rid)
                .order_by(ContactAttempt.at)
            )
        )
    assert notes == ["try 0", "try 1", "try 2"]
    assert all(i.state is ItemState.SENT and i.message.startswith("Call recorded") for i in box.items())
    assert replay(box, amy, ContactService(world.db), ChoiceService(world.db)).sent == 0


def test_a_replay_cut_off_at_a_commit_that_happened_duplicates_nothing(world, tmp_path: Path) -> None:
    amy, rid = world.actor("amy"), world.referrals["Smith"]
    box = Outbox(tmp_path / "amy.sqlite3")
    _queue_calls(box, rid, 4)
    if world.db.dialect == "postgresql":
        proxy = CommitDropProxy(world.db.url)
        desk = Database(proxy.for_database(str(world.db.url.database)))
        replay(box, amy, ContactService(desk), ChoiceService(desk))  # all four through the proxy
        assert _attempts(world.db, rid) == 4
        for item in box.items():  # as if the replay had been cut off before it could note them sent
            box.retry(item.id)
        proxy.drop_next_commit()
        cut = replay(box, amy, ContactService(desk), ChoiceService(desk))
        assert cut.stopped_by is not None and cut.still_pending == 4  # the first one's answer was lost
        report = replay(box, amy, ContactService(desk), ChoiceService(desk))
        desk.dispose()
        proxy.close()
    else:
        report = replay(box, amy, ContactService(world.db), ChoiceService(world.db))
        for item in box.items():
            box.retry(item.id)
        report = replay(box, amy, ContactService(world.db), ChoiceService(world.db))
    assert report.sent == 4 and _attempts(world.db, rid) == 4


def test_a_changed_world_waits_for_the_advisors_decision(world, tmp_path: Path) -> None:
    amy, rid = world.actor("amy"), world.referrals["Smith"]
    box = Outbox(tmp_path / "amy.sqlite3")
    _queue_calls(box, rid, 1)
    claims = ClaimService(world.db)
    claims.claim(world.actor("ben"), rid)  # meanwhile another advisor took the patient
    report = replay(box, amy, ContactService(world.db), ChoiceService(world.db))
    assert (report.sent, report.needs_decision) == (0, 1)
    (item,) = box.items()
    assert item.state is ItemState.NEEDS_DECISION and item.message.startswith("Not sent:")
    assert "Ben" in item.message  # who has it, in the service's own words
    assert box.waiting() == 1 and _attempts(world.db, rid) == 0
    claims.release(world.actor("ben"), rid)
    box.retry(item.id)  # the advisor's decision, once Ben has let the patient go
    assert replay(box, amy, ContactService(world.db), ChoiceService(world.db)).sent == 1
    assert box.waiting() == 0 and _attempts(world.db, rid) == 1


DESK = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from cras_desk.domain.enums import ContactOutcome
    from cras_desk.outbox import ItemKind, Outbox
    from cras_desk.services.idempotency import new_key
    from cras_desk.services.outbox_replay import call_payload
    box = Outbox(Path(sys.argv[1]))
    for i in range(3):
        payload = call_payload(ContactOutcome.NO_ANSWER, datetime.now(UTC), number_used=None,
                               notes=f"offline {i}", callback_at=None)
        box.add(ItemKind.CALL_OUTCOME, int(sys.argv[2]), payload, new_key())
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_what_was_kept_offline_survives_kill_9_and_replays_after_restart(world, tmp_path: Path) -> None:
    amy, rid = world.actor("amy"), world.referrals["Smith"]
    path = tmp_path / "amy.sqlite3"
    done = subprocess.run([sys.executable, "-c", DESK, str(path), str(rid)], timeout=60)
    assert done.returncode == -signal.SIGKILL
    box = Outbox(path)  # the desk started again
    assert [i.payload["notes"] for i in box.items(ItemState.PENDING)] == [
        "offline 0",
        "offline 1",
        "offline 2",
    ]
    assert replay(box, amy, ContactService(world.db), ChoiceService(world.db)).sent == 3
    assert _attempts(world.db, rid) == 3
    assert os.stat(path).st_mode & 0o777 == 0o600
