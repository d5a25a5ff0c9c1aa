"""The slot list follows other desks: a place taken elsewhere leaves the list in place (the advisor's
chosen slot and focus stay), the chosen slot taken is said and its neighbour chosen, and a change
that moves no place reads nothing."""

from __future__ import annotations

from desk_helpers import WAIT
from live_helpers import change_watch, count_calls, note_elsewhere, other_desk, seen_by
from sqlalchemy import select

from cras_desk.db.models import Referral
from cras_desk.gui.booking.panel import BookingPanel

PATIENT = "Ó Súilleabháin"


def open_panel(qtbot, ctx, live, referral_id: int) -> BookingPanel:
    panel = BookingPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(900, 900)
    panel.show()
    panel.follow(live.changes_seen)
    panel.set_referral(referral_id)
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0, timeout=WAIT)
    return panel


def another_referral_like(world, referral_id: int) -> int:
    """An open referral of the same service and team, for the other desk to book."""
    with world.db.read() as s:
        mine = s.get(Referral, referral_id)
        assert mine is not None
        other = s.scalar(
            select(Referral.id)
            .where(
                Referral.id != referral_id,
                Referral.service_id == mine.service_id,
                Referral.team_id == mine.team_id,
                Referral.is_open.is_(True),
            )
            .order_by(Referral.id)
            .limit(1)
        )
    assert other is not None, "the test world has a second open referral of that service"
    return other


def test_a_place_taken_elsewhere_leaves_the_list_in_place(qtbot, world, make_ctx) -> None:
    rid = world.referrals[PATIENT]
    ctx = make_ctx("amy")
    with change_watch(qtbot, ctx) as live:
        panel = open_panel(qtbot, ctx, live, rid)
        before = panel.model.rowCount()
        chosen = panel.selected_slot()
        assert chosen is not None
        taken = panel.model.slot(2)
        panel.table.setFocus()
        waited = seen_by(qtbot, live, ctx, "slot", taken.slot_id)
        with other_desk(world) as desk:
            desk.booking.book(world.actor("ben"), another_referral_like(world, rid), taken.slot_id)
        waited()
        qtbot.waitUntil(lambda: taken.slot_id not in panel.model.slot_ids(), timeout=WAIT)
        assert panel.model.rowCount() == before - 1
        still = panel.selected_slot()
        assert still is not None and still.slot_id == chosen.slot_id
        assert panel.table.hasFocus()
        assert "just taken" not in panel.banner.text()


def test_the_chosen_slot_taken_elsewhere_is_said_and_its_neighbour_chosen(qtbot, world, make_ctx) -> None:
    rid = world.referrals[PATIENT]
    ctx = make_ctx("amy")
    with change_watch(qtbot, ctx) as live:
        panel = open_panel(qtbot, ctx, live, rid)
        chosen = panel.selected_slot()
        assert chosen is not None
        neighbour = panel.model.slot(1)
        waited = seen_by(qtbot, live, ctx, "slot", chosen.slot_id)
        with other_desk(world) as desk:
            desk.booking.book(world.actor("ben"), another_referral_like(world, rid), chosen.slot_id)
        waited()
        qtbot.waitUntil(lambda: "just taken" in panel.banner.text(), timeout=WAIT)
        assert "The slot you chose was just taken" in panel.banner.text()
        now = panel.selected_slot()
        assert now is not None and now.slot_id == neighbour.slot_id


def test_a_change_that_moves_no_place_reads_nothing(qtbot, world, make_ctx, monkeypatch) -> None:
    rid = world.referrals[PATIENT]
    ctx = make_ctx("amy")
    with change_watch(qtbot, ctx) as live:
        panel = open_panel(qtbot, ctx, live, rid)
        searches = count_calls(monkeypatch, ctx.services.booking, "search_slots")
        waited = seen_by(qtbot, live, ctx, "referral_note")
        with other_desk(world) as desk:
            note_elsewhere(desk, rid, world.actor("ben").user_id)
        waited()
        assert searches == []
        assert panel.model.rowCount() > 0
