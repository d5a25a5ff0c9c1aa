"""A patient's "time to think" given while the database is away is kept in the outbox (with the
options exactly as read out) and recorded, once, when the outbox is replayed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from test_choice_panel import CTRL_SHIFT, WAIT, offers, open_panel

from cras_desk.db.engine import Database, sqlite_url
from cras_desk.outbox import ItemKind, Outbox
from cras_desk.services.bundle import ServiceBundle
from cras_desk.services.choice import Decision
from cras_desk.services.outbox_replay import replay


def test_time_to_think_offline_is_kept_then_recorded_once(qtbot, world, make_ctx, tmp_path) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_ctx("amy")
    ctx.outbox = Outbox(tmp_path / "amy.sqlite3")
    panel = open_panel(qtbot, ctx, rid)
    shown = [o.site_id for o in panel.model.shown()]
    if world.db.dialect == "sqlite":
        gone = Database(sqlite_url(tmp_path / "no-such-folder" / "desk.sqlite3"))
    else:
        gone = Database(world.db.url.update_query_dict({"host": str(tmp_path / "no-server")}))
    live = ctx.services
    ctx.services = ServiceBundle.build(gone)
    qtbot.keyClicks(panel.notes_edit, "Will talk it over")
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_T, CTRL_SHIFT)
    qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.banner.level == "warning", timeout=WAIT)
    assert "kept on this PC" in panel.banner.text() and "1 waiting to send" in panel.banner.text()
    (item,) = ctx.outbox.items()
    assert item.kind is ItemKind.TIME_TO_THINK and [o["site_id"] for o in item.payload["shown"]] == shown
    assert offers(world, rid) == []
    report = replay(ctx.outbox, ctx.actor, live.contact, live.choice)
    assert report.sent == 1 and replay(ctx.outbox, ctx.actor, live.contact, live.choice).sent == 0
    [offer] = offers(world, rid)
    assert offer.decision == Decision.TIME_TO_THINK.value and offer.sdm_notes == "Will talk it over"
    gone.dispose()
