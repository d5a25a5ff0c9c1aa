"""The call-outcome panel when the database is in doubt or away: Save after an uncertain commit
records the call once and says it was saved; with the database away the call goes to the outbox,
the form is cleared for the next call, and the banner says so."""

from __future__ import annotations

from commit_proxy import desk_whose_next_commit_is_uncertain
from PySide6.QtCore import Qt
from sqlalchemy import func, select
from test_call_outcome_panel import WAIT, open_panel

from cras_desk.db.engine import Database, sqlite_url
from cras_desk.db.models import ContactAttempt
from cras_desk.domain.enums import ContactOutcome
from cras_desk.gui.call_outcome.kept_offline import NOTES_FIELD
from cras_desk.outbox import ItemKind, ItemState, Outbox
from cras_desk.services.bundle import ServiceBundle


def _attempts(world, rid: int) -> int:
    with world.db.read() as s:
        return int(s.scalar(select(func.count()).where(ContactAttempt.referral_id == rid)) or 0)


def _save(qtbot, panel, notes: str | None = None) -> None:
    if notes is not None:
        qtbot.keyClick(panel.notes_edit, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
        qtbot.keyClicks(panel.notes_edit, notes)
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_save_again_after_an_uncertain_commit_records_the_call_once(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Smith"]
    ctx = make_ctx("amy")
    panel = open_panel(qtbot, ctx, rid)
    with desk_whose_next_commit_is_uncertain(world.db) as desk:
        ctx.services = ServiceBundle.build(desk)
        _save(qtbot, panel, "Rang out")
        qtbot.waitUntil(lambda: panel.banner.level == "error", timeout=WAIT)
        assert "Nothing you typed has been lost" in panel.banner.text()
        assert _attempts(world, rid) == 1  # it was recorded, though the desk could not know
        _save(qtbot, panel)  # the advisor presses Save again, as the banner says
        qtbot.waitUntil(lambda: panel.banner.level == "success", timeout=WAIT)
    assert panel.banner.text().startswith("Call saved.")
    assert _attempts(world, rid) == 1


def test_with_the_database_away_the_call_is_kept_in_the_outbox(qtbot, world, make_ctx, tmp_path) -> None:
    rid = world.referrals["Smith"]
    ctx = make_ctx("amy")
    ctx.outbox = Outbox(tmp_path / "outbox" / "amy.sqlite3")
    panel = open_panel(qtbot, ctx, rid)
    if world.db.dialect == "sqlite":
        gone = Database(sqlite_url(tmp_path / "no-such-folder" / "desk.sqlite3"))
    else:
        gone = Database(world.db.url.update_query_dict({"host": str(tmp_path / "no-server")}))
    ctx.services = ServiceBundle.build(gone)
    kept: list[int] = []
    panel.kept_offline.connect(kept.append)
    _save(qtbot, panel, "Line dead")
    qtbot.waitUntil(lambda: kept == [rid], timeout=WAIT)
    assert panel.banner.level == "warning"
    assert "kept on this PC" in panel.banner.text() and "1 waiting to send" in panel.banner.text()
    assert panel.notes_edit.toPlainText() == "" and panel.outcome() is None  # ready for the next call
    (item,) = ctx.outbox.items()
    assert (item.kind, item.referral_id, item.state) == (ItemKind.CALL_OUTCOME, rid, ItemState.PENDING)
    assert item.payload["notes"] == "Line dead" and item.payload["outcome"] == ContactOutcome.NO_ANSWER.value
    assert ctx.drafts.get(rid, NOTES_FIELD) == ""  # the outbox holds it now
    assert _attempts(world, rid) == 0
    gone.dispose()
