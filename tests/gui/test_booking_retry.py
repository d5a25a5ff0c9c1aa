"""Book pressed again after an uncertain commit says "Booked ..." for the patient's own place, not
"slot just taken by another advisor", and books it once."""

from __future__ import annotations

from commit_proxy import desk_whose_next_commit_is_uncertain
from PySide6.QtCore import Qt
from test_booking_panel import WAIT, live_bookings, open_panel

from cras_desk.services.bundle import ServiceBundle


def test_book_again_after_an_uncertain_commit_tells_the_truth(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_ctx("amy")
    panel = open_panel(qtbot, ctx, rid)
    soonest = panel.model.slot(0)
    with desk_whose_next_commit_is_uncertain(world.db) as desk:
        ctx.services = ServiceBundle.build(desk)
        qtbot.keyClick(panel.table, Qt.Key.Key_Return)
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Enter)
        qtbot.waitUntil(lambda: panel.banner.level == "error", timeout=WAIT)
        assert [b.slot_id for b in live_bookings(world, rid)] == [soonest.slot_id]  # it happened
        with qtbot.waitSignal(panel.changed, timeout=WAIT):
            panel.book(soonest)  # the advisor books the same slot again
    assert panel.banner.level == "success" and panel.banner.text().startswith("Booked ")
    assert "taken" not in panel.banner.text()
    assert [b.slot_id for b in live_bookings(world, rid)] == [soonest.slot_id]
