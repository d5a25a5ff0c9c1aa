"""The letters print queue follows the queue live: a letter queued or printed at another desk
shows without a key pressed, in place (the letter selected and previewed stays), the letter being
previewed leaving the list is said with where and by whom, and a change to no letter reads nothing."""

from __future__ import annotations

from desk_helpers import WAIT, drain
from live_helpers import change_watch, count_calls, note_elsewhere, other_desk, seen_by

from cras_desk.db import change_feed
from cras_desk.gui.letters.print_queue_widget import PrintQueueWidget
from cras_desk.services.booking import SlotQuery
from cras_desk.services.bundle import ServiceBundle


def book_elsewhere(desk: ServiceBundle, actor, referral_id: int) -> None:
    """Another desk books the soonest slot: its appointment letter joins the team's queue."""
    slot = desk.booking.find_slots(actor, referral_id, SlotQuery())[0]
    desk.booking.book(actor, referral_id, slot.slot_id)


def open_queue(qtbot, ctx) -> PrintQueueWidget:
    widget = PrintQueueWidget(ctx.services.letters, ctx.actor, ctx.tasks.run)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    with qtbot.waitSignal(widget.preview_loaded, timeout=20_000):
        widget.show()
    drain(qtbot, ctx)
    return widget


def test_letters_queued_and_printed_elsewhere_follow_unasked(qtbot, world, make_desk) -> None:
    ctx = make_desk(world, "amy")
    ben, lena = world.actor("ben"), world.actor("lena")
    with other_desk(world) as desk_b:
        book_elsewhere(desk_b, ben, world.referrals["Nowak"])
        widget = open_queue(qtbot, ctx)
        assert widget.model.rowCount() == 1
        first = widget.model.letter_at(0)
        widget.table.setFocus()
        with change_watch(qtbot, ctx) as live:
            widget.follow(live.changes_seen)
            book_elsewhere(desk_b, lena, world.referrals["Ó Súilleabháin"])
            qtbot.waitUntil(lambda: widget.model.rowCount() == 2, timeout=WAIT)
            drain(qtbot, ctx)
            # In place: the letter previewed is still the one selected; nothing said.
            assert widget.count_label.text() == "2 letters waiting"
            assert widget.table.currentIndex().row() == widget.model.row_of(first.id)
            assert [i.row() for i in widget.table.selectionModel().selectedRows()] == [
                widget.model.row_of(first.id)
            ]
            assert widget.status_label.text() == ""
            assert widget.table.hasFocus() or not widget.isActiveWindow()
            # Ben prints the letter Amy is looking at: she is told, and sees the other one.
            desk_b.letters.print_letter(ben, first.id, None)
            qtbot.waitUntil(lambda: widget.model.row_of(first.id) is None, timeout=WAIT)
            drain(qtbot, ctx)
        assert widget.status_label.text() == (
            f"The letter you selected ({first.reference}) was just printed or withdrawn "
            f"at desk {change_feed.DESK} by Ben Advisor."
        )
        assert widget.count_label.text() == "1 letter waiting"
        # Its neighbour is selected and previewed, ready to print.
        assert [i.row() for i in widget.table.selectionModel().selectedRows()] == [0]
        qtbot.waitUntil(widget.print_button.isEnabled, timeout=WAIT)


def test_a_change_to_no_letter_does_not_reload_the_queue(qtbot, world, make_desk, monkeypatch) -> None:
    ctx = make_desk(world, "amy")
    ben = world.actor("ben")
    with other_desk(world) as desk_b:
        book_elsewhere(desk_b, ben, world.referrals["Nowak"])
        widget = open_queue(qtbot, ctx)
        reads = count_calls(monkeypatch, ctx.services.letters, "queue")
        with change_watch(qtbot, ctx) as live:
            widget.follow(live.changes_seen)
            unrelated = seen_by(qtbot, live, ctx, "referral_note")
            note_elsewhere(desk_b, world.referrals["Nowak"], ben.user_id)
            unrelated()
            assert reads == []
            # A claim is no letter either; a booking (with its letter) is, and reads the queue once.
            desk_b.claims.claim(ben, world.referrals["Smith"])
            book_elsewhere(desk_b, world.actor("lena"), world.referrals["Ó Súilleabháin"])
            qtbot.waitUntil(lambda: widget.model.rowCount() == 2, timeout=WAIT)
            drain(qtbot, ctx)
        assert len(reads) == 1
