"""The outbox across a real server outage: PostgreSQL stopped (pg_ctl stop) or killed (SIGKILL to
every server process), not a wrong URL.

Call outcomes (notes, number used, callback time) and "time to think" saved while the server is
down fail at the service with a connection error, as at the desk, and go to the outbox; once the
server is started again one replay records each exactly once with its fields. A replay the server
walks out of half-way (stopped or killed inside an item's transaction, or at a moment nobody
chose) stops with the rest pending, and the next replay finishes: 0 duplicates, 0 lost.

The server is this module's own (tests/restartable_postgres.py): stopping the session's server
would fail every other test using it.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from outbox_tally import tally
from restartable_postgres import RestartablePostgres
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.orm import Session
from world import World, build_world

from cras_desk.db.connection_errors import is_connection_error
from cras_desk.db.engine import Database
from cras_desk.db.migrate import upgrade
from cras_desk.db.models import ChoiceOffer, ContactAttempt, IdempotencyKey
from cras_desk.domain.clock import LONDON, today_london, utcnow
from cras_desk.domain.enums import ContactOutcome
from cras_desk.domain.offer_snapshot import ChoiceOption
from cras_desk.domain.working_days import next_working_day
from cras_desk.outbox import ItemKind, ItemState, Outbox
from cras_desk.services.actor import Actor
from cras_desk.services.choice import ChoiceService, Decision
from cras_desk.services.contact import ContactService
from cras_desk.services.idempotency import new_key
from cras_desk.services.outbox_replay import call_payload, replay, thinking_payload

STILL_DOWN = "The database is still not answering."


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[RestartablePostgres, str]]:
    pg = RestartablePostgres()
    template = "outbox_world"
    db = Database(pg.create_database(template), interactive=False)
    upgrade(db.engine)
    build_world(db)
    db.dispose()
    yield pg, template
    pg.close()


@pytest.fixture
def world(server: tuple[RestartablePostgres, str]) -> Iterator[World]:
    pg, template = server
    if not pg.is_running():  # a test that failed half-way left it down
        pg.start()
    url = pg.server.create_database(template=template)
    # A clone made by CREATE DATABASE ... TEMPLATE (PostgreSQL 15+, WAL_LOG strategy) copies each
    # sequence's page as it stands in memory, behind what the template had WAL-logged ahead; the
    # clone's next values are then not logged either, and crash recovery after a kill winds its
    # sequences back to hand out ids already committed (measured: duplicate key on changes.seq).
    # A checkpoint makes the first nextval after it log afresh. A server's real databases are
    # not clones; this is the test's own making.
    admin = create_engine(pg.base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CHECKPOINT")
    admin.dispose()
    db = Database(url)
    yield World.load(db)
    db.dispose()


def _count(s: Session, model: type[ContactAttempt] | type[ChoiceOffer]) -> int:
    return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _save_or_keep(
    box: Outbox, kind: ItemKind, rid: int, payload: dict[str, Any], send: Callable[[str], Any]
) -> str:
    """What a desk does at Save: a key made now, the service tried, the outbox on a connection error."""
    key = new_key()
    with pytest.raises(Exception) as raised:  # which error it is: the next line asks
        send(key)
    assert is_connection_error(raised.value), raised.value
    box.add(kind, rid, payload, key)
    return key


def _call(
    box: Outbox, contact: ContactService, amy: Actor, rid: int, outcome: ContactOutcome, **fields: Any
) -> str:
    at = utcnow()
    payload = call_payload(outcome, at, **fields)

    def send(key: str) -> None:
        contact.record_attempt(amy, rid, outcome, at=at, key=key, **fields)

    return _save_or_keep(box, ItemKind.CALL_OUTCOME, rid, payload, send)


def _think(
    box: Outbox, choice: ChoiceService, amy: Actor, rid: int, shown: list[ChoiceOption], notes: str
) -> str:
    def send(key: str) -> None:
        choice.record_offer(amy, rid, shown, Decision.TIME_TO_THINK, sdm_notes=notes, key=key)

    return _save_or_keep(box, ItemKind.TIME_TO_THINK, rid, thinking_payload(shown, notes), send)


def test_what_was_saved_while_the_server_was_stopped_is_recorded_once_with_its_fields(
    server: tuple[RestartablePostgres, str], world: World, tmp_path: Path
) -> None:
    pg, _ = server
    amy, db = world.actor("amy"), world.db
    zoe, nowak, smith = (world.referrals[n] for n in ("Ó Súilleabháin", "Nowak", "Smith"))
    contact, choice = ContactService(db), ChoiceService(db)
    # Read out while the database answered: what the patient was shown before the line went.
    nowak_shown, smith_shown = choice.options(amy, nowak), choice.options(amy, smith)
    assert nowak_shown and smith_shown
    with db.read() as s:
        before = (_count(s, ContactAttempt), _count(s, ChoiceOffer))
    callback = datetime.combine(next_working_day(today_london()), time(14, 30), LONDON)
    box = Outbox(tmp_path / "amy.sqlite3")

    pg.stop()
    assert not pg.is_running()
    calls = [
        (zoe, ContactOutcome.NO_ANSWER, "07700 900120", "Rang twice, no answer", None),
        (nowak, ContactOutcome.CALLBACK_REQUESTED, "07700 900121", "At work: ring after lunch", callback),
        (smith, ContactOutcome.VOICEMAIL, "07700 900122", "Left a message with our number", None),
    ]
    keys = {}
    for rid, outcome, number, notes, callback_at in calls:
        keys[notes] = _call(
            box, contact, amy, rid, outcome, number_used=number, notes=notes, callback_at=callback_at
        )
    keys["think nowak"] = _think(box, choice, amy, nowak, nowak_shown, "Will talk it over with her daughter")
    keys["think smith"] = _think(box, choice, amy, smith, smith_shown, "Wants to compare the waits")
    saved = {i.key: i for i in box.items()}
    assert box.waiting() == 5 and all(i.state is ItemState.PENDING for i in saved.values())
    # Still down: the replay tries, stops at the first item, and keeps everything.
    assert replay(box, amy, contact, choice).stopped_by == STILL_DOWN and box.waiting() == 5

    pg.start()
    report = replay(box, amy, contact, choice)  # the same desk objects: the pool reconnects itself
    assert (report.sent, report.needs_decision, report.still_pending, report.stopped_by) == (5, 0, 0, None)
    assert box.waiting() == 0 and box.items(ItemState.PENDING) == []
    assert all(i.state is ItemState.SENT for i in box.items())

    with db.read() as s:
        attempts = list(
            s.scalars(
                select(ContactAttempt)
                .where(ContactAttempt.user_id == amy.user_id)
                .order_by(ContactAttempt.id)
            )
        )
        offers = list(
            s.scalars(select(ChoiceOffer).where(ChoiceOffer.user_id == amy.user_id).order_by(ChoiceOffer.id))
        )
        recorded_keys = set(s.scalars(select(IdempotencyKey.key).where(IdempotencyKey.key.in_(saved))))
        after = (_count(s, ContactAttempt), _count(s, ChoiceOffer))
    assert after == (before[0] + 3, before[1] + 2)
    assert [(a.referral_id, a.outcome, a.number_used, a.notes, a.callback_at, a.at) for a in attempts] == [
        (rid, outcome, number, notes, callback_at, datetime.fromisoformat(saved[keys[notes]].payload["at"]))
        for rid, outcome, number, notes, callback_at in calls
    ]
    assert [(o.referral_id, o.decision, o.sdm_notes, [e["site_id"] for e in o.options]) for o in offers] == [
        (nowak, "time_to_think", "Will talk it over with her daughter", [o.site_id for o in nowak_shown]),
        (smith, "time_to_think", "Wants to compare the waits", [o.site_id for o in smith_shown]),
    ]
    assert recorded_keys == set(saved)
    assert tally(db, box.items()).exactly_once
    # Replayed again (the desk restarted, say): nothing is sent twice.
    assert replay(box, amy, contact, choice).sent == 0
    assert tally(db, box.items()).exactly_once


def _queue(box: Outbox, world: World, n: int) -> list[str]:
    """n items saved offline: calls to two patients, every fourth a "time to think" for Nowak."""
    amy = world.actor("amy")
    zoe, nowak = world.referrals["Ó Súilleabháin"], world.referrals["Nowak"]
    shown = ChoiceService(world.db).options(amy, nowak)
    start = utcnow() - timedelta(minutes=n)
    keys = []
    for i in range(n):
        key = new_key()
        if i % 4 == 3:
            box.add(ItemKind.TIME_TO_THINK, nowak, thinking_payload(shown, f"offline {i}"), key)
        else:
            payload = call_payload(
                ContactOutcome.NO_ANSWER,
                start + timedelta(minutes=i),
                number_used=f"07700 90012{i % 2}",
                notes=f"offline {i}",
                callback_at=None,
            )
            box.add(ItemKind.CALL_OUTCOME, (zoe, nowak)[i % 2], payload, key)
        keys.append(key)
    return keys


N, K = 12, 5  # items queued; the server goes away during item K + 1


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_a_server_gone_inside_an_items_transaction_loses_and_doubles_nothing(
    server: tuple[RestartablePostgres, str], world: World, tmp_path: Path, how: str
) -> None:
    pg, _ = server
    amy, db = world.actor("amy"), world.db
    box = Outbox(tmp_path / "amy.sqlite3")
    _queue(box, world, N)
    commits = [0]

    def gone_at_commit(_conn: Any) -> None:
        # Fired as the COMMIT is about to go: the item's rows are written but not yet committed.
        commits[0] += 1
        if commits[0] == K + 1:
            pg.stop() if how == "stop" else pg.kill()

    event.listen(db.engine, "commit", gone_at_commit)
    try:
        cut = replay(box, amy, ContactService(db), ChoiceService(db))
    finally:
        event.remove(db.engine, "commit", gone_at_commit)
    assert (cut.sent, cut.still_pending, cut.stopped_by) == (K, N - K, STILL_DOWN)
    assert not pg.is_running()

    pg.start()  # after a kill: crash recovery, which must not bring back the uncommitted item
    report = replay(box, amy, ContactService(db), ChoiceService(db))
    assert (report.sent, report.still_pending, report.stopped_by) == (N - K, 0, None)
    counted = tally(db, box.items())
    assert (counted.duplicates, counted.lost, len(counted.rows)) == (0, 0, N) and counted.exactly_once
    assert box.waiting() == 0


def test_a_server_killed_at_a_moment_nobody_chose_loses_and_doubles_nothing(
    server: tuple[RestartablePostgres, str], world: World, tmp_path: Path
) -> None:
    """The kill comes from another thread, a random few milliseconds after the K-th item was sent:
    inside a statement, at the COMMIT or between items, wherever the replay happens to be."""
    pg, _ = server
    amy, db = world.actor("amy"), world.db
    box = Outbox(tmp_path / "amy.sqlite3")
    _queue(box, world, N)
    rng = random.Random(10)
    sent_k = threading.Event()
    killed = threading.Event()
    commits = [0]

    def count(_conn: Any) -> None:
        commits[0] += 1
        if commits[0] == K:
            sent_k.set()

    def killer() -> None:
        if sent_k.wait(timeout=60):
            threading.Event().wait(rng.uniform(0.0, 0.015))
            pg.kill()
            killed.set()

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    event.listen(db.engine, "commit", count)
    rounds, sent = 0, 0
    try:
        while rounds < 5:
            rounds += 1
            report = replay(box, amy, ContactService(db), ChoiceService(db))
            sent += report.sent
            if report.stopped_by is None:
                break
            thread.join(timeout=60)
            assert killed.is_set()
            pg.start()
    finally:
        event.remove(db.engine, "commit", count)
        thread.join(timeout=60)
    assert killed.is_set() and rounds == 2  # the kill came mid-replay, and one more replay finished
    assert pg.is_running() and box.waiting() == 0 and sent == N
    counted = tally(db, box.items())
    assert (counted.duplicates, counted.lost, len(counted.rows)) == (0, 0, N) and counted.exactly_once
