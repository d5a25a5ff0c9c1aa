"""Live screens in a test: the desk's one change watch, another desk on the same database, and
counting the service reads a screen makes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from desk_helpers import WAIT, drain

from cras_desk.db.engine import Database
from cras_desk.db.models import ReferralNote
from cras_desk.domain.clock import utcnow
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.live_view import SETTLE_MS
from cras_desk.gui.worklist.live import LiveUpdates
from cras_desk.services.bundle import ServiceBundle


@contextmanager
def change_watch(qtbot, ctx: DeskContext) -> Iterator[LiveUpdates]:
    """The desk's change watch on ctx's worker, listening; its safety-net poll beyond the test, so
    whatever arrives was brought by the change signal."""
    live = LiveUpdates(ctx.services.db, ctx.tasks, interval_ms=600_000, ignore_user=ctx.actor.user_id)
    live.start()
    try:
        qtbot.waitUntil(lambda: live.connected is True and live.signal.listening, timeout=WAIT)
        yield live
    finally:
        live.stop()
        ctx.tasks.wait_idle(WAIT)


@contextmanager
def other_desk(world) -> Iterator[ServiceBundle]:
    """Another desk: its own Database object (engine, pool, connections) on the same database."""
    db = Database(world.db.url)
    try:
        yield ServiceBundle.build(db)
    finally:
        db.dispose()


def count_calls(monkeypatch, service: object, name: str) -> list[int]:
    """Count the calls of one service method (one entry per call) without changing what it does."""
    calls: list[int] = []
    original: Callable[..., Any] = getattr(service, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(service, name, counted)
    return calls


def seen_by(
    qtbot, live: LiveUpdates, ctx: DeskContext, entity: str, entity_id: int | None = None
) -> Callable[[], None]:
    """A waiter for the change watch to have read a change of `entity` (and that id) and for
    every screen to have had time to act on it (the settle time, three times over)."""
    reads: list[object] = []

    def record(changes: Any) -> None:
        for c in changes.changes:
            if c.entity == entity and (entity_id is None or c.entity_id == entity_id):
                reads.append(c)

    live.changes_seen.connect(record)

    def wait() -> None:
        qtbot.waitUntil(lambda: bool(reads), timeout=WAIT)
        qtbot.wait(SETTLE_MS * 3)
        drain(qtbot, ctx)

    return wait


def note_elsewhere(desk: ServiceBundle, referral_id: int, user_id: int) -> None:
    """A change no live screen shows: a referral note written straight to the table at another
    desk (the feed records it as a referral_note and nothing else)."""
    with desk.db.write() as s:
        s.info["user_id"] = user_id
        s.add(ReferralNote(referral_id=referral_id, user_id=user_id, text="Unrelated note", at=utcnow()))
