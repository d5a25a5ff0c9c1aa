"""Notes are kept as they are typed: a desk closed (or crashed) mid-call gives them back."""

from __future__ import annotations

from desk_helpers import WAIT, drain
from desk_window import open_window
from PySide6.QtCore import Qt

from cras_desk.drafts import saved_drafts

NOTE = "Patient asked for afternoons; son will drive"


def test_a_draft_survives_closing_the_desk(qtbot, world, make_desk, tmp_path) -> None:
    drafts = tmp_path / "amy-drafts"
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_desk(world, "amy", drafts=drafts)
    window = open_window(qtbot, ctx)
    with qtbot.waitSignal(window.patient.loaded, timeout=WAIT):
        window.open_referral(rid)
    qtbot.keyClick(window, Qt.Key.Key_F6)
    outcome = window.flow["outcome"].ready
    assert outcome is not None
    qtbot.waitUntil(lambda: outcome.notes_edit.isEnabled(), timeout=WAIT)
    outcome.notes_edit.setFocus()
    qtbot.keyClicks(outcome.notes_edit, NOTE)
    # On disk as typed (in the drafts journal), before anything is saved to the database.
    assert NOTE in saved_drafts("amy", drafts).values()
    drain(qtbot, ctx)
    window.close()  # the desk goes away with the note unsaved

    ctx2 = make_desk(world, "amy", drafts=drafts)  # a new DraftStore reading the same folder
    assert ctx2.drafts is not ctx.drafts
    again = open_window(qtbot, ctx2)
    assert "Unsaved notes kept for 1 referral" in again.announcer.text()
    with qtbot.waitSignal(again.patient.loaded, timeout=WAIT):
        again.open_referral(rid)
    qtbot.keyClick(again, Qt.Key.Key_F6)
    restored = again.flow["outcome"].ready
    assert restored is not None
    assert restored.notes_edit.toPlainText() == NOTE
