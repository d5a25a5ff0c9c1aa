"""The desk's outbox on screen: calls kept while the database was away are sent when it is back
and said to be; one the world overtook waits in the list for the advisor's decision."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cras_desk.db.models import ContactAttempt
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import ContactOutcome
from cras_desk.gui.outbox_view import OutboxController
from cras_desk.outbox import ItemKind, ItemState, Outbox
from cras_desk.services.claims import ClaimService
from cras_desk.services.idempotency import new_key
from cras_desk.services.outbox_replay import call_payload

WAIT = 10_000


def _kept(outbox: Outbox, rid: int, notes: str) -> None:
    at = utcnow() - timedelta(minutes=5)
    payload = call_payload(ContactOutcome.NO_ANSWER, at, number_used=None, notes=notes, callback_at=None)
    outbox.add(ItemKind.CALL_OUTCOME, rid, payload, new_key())


def _attempts(world, rid: int) -> int:
    with world.db.read() as s:
        return int(s.scalar(select(func.count()).where(ContactAttempt.referral_id == rid)) or 0)


def test_kept_calls_are_sent_when_the_database_is_back_and_said(qtbot, world, make_ctx, tmp_path) -> None:
    rid = world.referrals["Smith"]
    ctx = make_ctx("amy")
    ctx.outbox = Outbox(tmp_path / "amy.sqlite3")
    _kept(ctx.outbox, rid, "first")
    _kept(ctx.outbox, rid, "second")
    controller = OutboxController(ctx)
    said: list[str] = []
    waiting: list[int] = []
    controller.said.connect(said.append)
    controller.waiting_changed.connect(waiting.append)
    controller.start()
    qtbot.waitUntil(lambda: bool(said), timeout=WAIT)
    assert said == ["2 saved while the database was away now sent."]
    assert waiting == [2, 0] and _attempts(world, rid) == 2
    controller.stop()


def test_an_overtaken_call_waits_for_the_advisors_decision(qtbot, world, make_ctx, tmp_path) -> None:
    rid = world.referrals["Smith"]
    ctx = make_ctx("amy")
    ctx.outbox = Outbox(tmp_path / "amy.sqlite3")
    _kept(ctx.outbox, rid, "kept")
    claims = ClaimService(world.db)
    claims.claim(world.actor("ben"), rid)  # Ben took the patient meanwhile
    controller = OutboxController(ctx)
    said: list[str] = []
    controller.said.connect(said.append)
    controller.start()
    qtbot.waitUntil(lambda: bool(said), timeout=WAIT)
    assert "1 need your decision" in said[0]
    dialog = controller.open_list(None)
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 3).text() == "Needs your decision"
    assert dialog.table.item(0, 4).text().startswith("Not sent:")
    assert dialog.retry_button.isEnabled() and dialog.table.accessibleName() == "Items waiting to send"
    claims.release(world.actor("ben"), rid)
    said.clear()
    dialog.retry_button.click()
    qtbot.waitUntil(lambda: bool(said), timeout=WAIT)
    assert said == ["1 saved while the database was away now sent."] and _attempts(world, rid) == 1
    dialog.load()
    assert dialog.table.rowCount() == 0
    _kept(ctx.outbox, rid, "another")
    ctx.outbox.mark(ctx.outbox.items(ItemState.PENDING)[0].id, ItemState.NEEDS_DECISION, "Not sent: test")
    dialog.load()
    dialog.discard_button.click()
    assert dialog.table.rowCount() == 0 and ctx.outbox.waiting() == 0
    controller.stop()
