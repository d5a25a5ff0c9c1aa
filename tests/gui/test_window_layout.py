"""The desk opens as each advisor last left it: the worklist as wide as they dragged it."""

from __future__ import annotations

from desk_window import open_window

from cras_desk.settings import Settings


def _open(qtbot, world, make_desk, username: str):
    # As the app does: the settings read from the user's config folder at start-up.
    window = open_window(qtbot, make_desk(world, username, settings=Settings.load()))
    qtbot.waitUntil(lambda: window.ui.mainSplitter.sizes()[0] > 0)
    return window


def test_splitter_positions_come_back_for_the_same_user_only(qtbot, world, make_desk) -> None:
    first = _open(qtbot, world, make_desk, "amy")
    default_left = first.ui.mainSplitter.sizes()[0]
    total = sum(first.ui.mainSplitter.sizes())
    wide = total * 3 // 4  # amy widens the worklist to see every column
    first.ui.mainSplitter.setSizes([wide, total - wide])
    kept = first.ui.mainSplitter.sizes()[0]
    assert abs(kept - default_left) > 100
    first.close()

    again = _open(qtbot, world, make_desk, "amy")
    qtbot.waitUntil(lambda: abs(again.ui.mainSplitter.sizes()[0] - kept) <= 2)
    again.close()

    other = _open(qtbot, world, make_desk, "ben")  # same PC, another advisor: the default layout
    qtbot.wait(50)
    assert abs(other.ui.mainSplitter.sizes()[0] - default_left) <= 2
    other.close()
    assert set(Settings.load().splitter_states) == {"amy", "ben"}


def test_a_locked_desk_keeps_no_patient_message_in_its_status_bar(qtbot, world_sqlite, make_desk) -> None:
    window = open_window(qtbot, make_desk(world_sqlite, "amy"))
    window.announcer.announce("Booked Wed 9 Dec 2026 16:15 for Zoë Ó Súilleabháin", timeout_ms=0)
    assert window.status.message.text().startswith("Booked")
    window.lock.lock()
    assert window.status.message.text() == "" and not window.status.message.isVisible()
    window.close()
