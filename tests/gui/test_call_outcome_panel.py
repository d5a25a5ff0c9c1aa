"""The call-outcome panel against a real database: keys in, attempts and letters out."""

from __future__ import annotations

from datetime import UTC, datetime, time

from PySide6.QtCore import Qt
from sqlalchemy import select

from cras_desk.db.engine import Database, sqlite_url
from cras_desk.db.models import ContactAttempt, Letter, Referral
from cras_desk.domain.clock import LONDON, today_london
from cras_desk.domain.enums import ContactChannel, ContactOutcome, LetterKind, ReferralStatus
from cras_desk.domain.working_days import add_working_days
from cras_desk.drafts import DraftStore
from cras_desk.gui.call_outcome.panel import NOTES_FIELD, SHORTCUTS, CallOutcomePanel
from cras_desk.gui.call_outcome.quick_picks import quick_picks
from cras_desk.gui.desk_context import DeskContext
from cras_desk.services.bundle import ServiceBundle

WAIT = 10_000


def open_panel(qtbot, ctx: DeskContext, referral_id: int) -> CallOutcomePanel:
    panel = CallOutcomePanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_referral(referral_id)
    qtbot.waitUntil(lambda: panel.number_combo.count() > 0, timeout=WAIT)
    return panel


def attempts(world, referral_id: int) -> list[ContactAttempt]:
    with world.db.read() as s:
        return list(
            s.scalars(
                select(ContactAttempt)
                .where(ContactAttempt.referral_id == referral_id)
                .order_by(ContactAttempt.at, ContactAttempt.id)
            )
        )


def referral(world, referral_id: int) -> Referral:
    with world.db.read() as s:
        found = s.get(Referral, referral_id)
        assert found is not None
        return found


def test_outcome_by_keyboard_is_saved_and_next_step_shown(qtbot, world, make_ctx) -> None:
    ctx = make_ctx("amy")
    rid = world.referrals["Ó Súilleabháin"]
    panel = open_panel(qtbot, ctx, rid)
    assert panel.number_used() == "07700 900120"  # the preferred number is preselected

    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)  # Alt+2: no answer
    assert panel.outcome() is ContactOutcome.NO_ANSWER
    qtbot.waitUntil(lambda: "1st failed attempt" in panel.preview_text(), timeout=WAIT)
    qtbot.keyClicks(panel.notes_edit, "Rang twice, no voicemail set up")
    assert ctx.drafts.get(rid, NOTES_FIELD) == "Rang twice, no voicemail set up"  # saved as typed

    with qtbot.waitSignal(panel.changed, timeout=WAIT) as changed:
        qtbot.keyClick(panel.notes_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert changed.args == [rid]
    assert panel.next_step_text().startswith("Next step: 1st failed attempt.")
    assert panel.notes_edit.toPlainText() == ""
    assert ctx.drafts.get(rid, NOTES_FIELD) == ""
    assert panel.outcome() is None

    [row] = attempts(world, rid)
    assert row.outcome is ContactOutcome.NO_ANSWER
    assert row.channel is ContactChannel.PHONE
    assert row.number_used == "07700 900120"
    assert row.notes == "Rang twice, no voicemail set up"
    assert row.user_id == world.actor("amy").user_id
    assert referral(world, rid).status is ReferralStatus.CONTACTING


def test_digit_keys_pick_the_outcome_on_the_outcome_list(qtbot, world, make_ctx) -> None:
    panel = open_panel(qtbot, make_ctx("amy"), world.referrals["Ó Súilleabháin"])
    radio = panel._buttons[ContactOutcome.SPOKE]
    qtbot.keyClick(radio, Qt.Key.Key_5)
    assert panel.outcome() is ContactOutcome.WRONG_NUMBER
    qtbot.keyClick(panel._buttons[ContactOutcome.WRONG_NUMBER], Qt.Key.Key_1)
    assert panel.outcome() is ContactOutcome.SPOKE
    # In the notes a digit is just a digit.
    qtbot.keyClicks(panel.notes_edit, "3")
    assert panel.outcome() is ContactOutcome.SPOKE
    assert panel.notes_edit.toPlainText() == "3"


def test_third_failed_attempt_on_spread_days_previews_the_letter(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    today = today_london()
    earlier = [
        (add_working_days(today, -2), time(10, 0), ContactOutcome.NO_ANSWER),  # morning
        (add_working_days(today, -1), time(15, 30), ContactOutcome.VOICEMAIL),  # afternoon
    ]
    amy = world.actor("amy")
    with world.db.write() as s:
        for day, at, outcome in earlier:
            s.add(
                ContactAttempt(
                    referral_id=rid,
                    at=datetime.combine(day, at, LONDON).astimezone(UTC),
                    user_id=amy.user_id,
                    channel=ContactChannel.PHONE,
                    outcome=outcome,
                )
            )
    ctx = make_ctx("amy")
    panel = open_panel(qtbot, ctx, rid)
    qtbot.waitUntil(lambda: panel.preview_text().startswith("Now: 2nd failed attempt"), timeout=WAIT)

    panel.outcome_box.setFocus()
    qtbot.keyClick(panel._buttons[ContactOutcome.SPOKE], Qt.Key.Key_4)  # 4: line busy
    qtbot.waitUntil(
        lambda: "3rd failed attempt: an unable-to-contact letter will be queued" in panel.preview_text(),
        timeout=WAIT,
    )
    # Changing the outcome changes the sentence: a conversation ends the unable-to-contact episode.
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: "Spoke to the patient" in panel.preview_text(), timeout=WAIT)
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: "3rd failed attempt" in panel.preview_text(), timeout=WAIT)

    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.save_button, Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier)
    assert "3rd failed attempt: an unable-to-contact letter will be queued" in panel.next_step_text()
    assert "print queue" in panel.banner.text()
    with world.db.read() as s:
        kinds = list(s.scalars(select(Letter.kind).where(Letter.referral_id == rid)))
    assert kinds == [LetterKind.UNABLE_TO_CONTACT]
    assert referral(world, rid).status is ReferralStatus.UTC_LETTER_SENT


def test_callback_quick_pick_sets_outcome_and_time(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    assert not panel.callback_edit.isEnabled()
    qtbot.keyClick(
        panel.notes_edit,
        Qt.Key.Key_M,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert panel.outcome() is ContactOutcome.CALLBACK_REQUESTED
    assert panel.callback_edit.isEnabled()
    picked = panel.callback_at()
    assert (picked.hour, picked.minute) == (10, 0)
    assert picked.date() > today_london()
    qtbot.waitUntil(lambda: "asked to be called back" in panel.preview_text(), timeout=WAIT)
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        panel.save_button.click()
    saved = referral(world, rid)
    assert saved.status is ReferralStatus.CALLBACK
    assert saved.next_action_at == picked.astimezone(UTC)
    assert attempts(world, rid)[0].callback_at == picked.astimezone(UTC)


def test_claim_conflict_is_shown_and_nothing_typed_is_lost(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_ctx("amy")
    panel = open_panel(qtbot, ctx, rid)
    ctx.services.claims.claim(world.actor("ben"), rid)  # ben is on the phone to her right now

    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClicks(panel.notes_edit, "Left message with callback number")
    panel.number_combo.setEditText("01273 999999")
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: panel.banner.level == "error", timeout=WAIT)
    assert "Ben Advisor" in panel.banner.text()
    assert panel.outcome() is ContactOutcome.VOICEMAIL
    assert panel.notes_edit.toPlainText() == "Left message with callback number"
    assert panel.number_used() == "01273 999999"
    assert ctx.drafts.get(rid, NOTES_FIELD) == "Left message with callback number"
    assert panel.save_button.isEnabled()
    assert attempts(world, rid) == []

    ctx.services.claims.release(world.actor("ben"), rid)
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.notes_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    [row] = attempts(world, rid)
    assert (row.outcome, row.number_used, row.notes) == (
        ContactOutcome.VOICEMAIL,
        "01273 999999",
        "Left message with callback number",
    )


def test_validation_error_from_the_service_keeps_the_form(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_6, Qt.KeyboardModifier.AltModifier)
    panel.set_callback_at(quick_picks()[1].at)  # a valid time: the number is what the service refuses
    picked = panel.callback_at()
    panel.number_combo.setEditText("01273 999999 extension 12345")
    qtbot.keyClicks(panel.notes_edit, "Wants a call after work")
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: panel.banner.level == "error", timeout=WAIT)
    assert "too long" in panel.banner.text()
    assert panel.notes_edit.toPlainText() == "Wants a call after work"
    assert panel.outcome() is ContactOutcome.CALLBACK_REQUESTED
    assert panel.callback_at() == picked


def test_no_outcome_chosen_is_a_warning_not_a_save(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert panel.banner.level == "warning"
    assert "keys 1 to 7" in panel.banner.text()
    assert attempts(world, rid) == []


def test_database_down_is_explained_and_nothing_typed_is_lost(qtbot, world, make_ctx, tmp_path) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_ctx("amy")
    panel = open_panel(qtbot, ctx, rid)
    if world.db.dialect == "sqlite":
        gone = Database(sqlite_url(tmp_path / "no-such-folder" / "desk.sqlite3"))
    else:
        gone = Database(world.db.url.set(port=1), connect_args={"connect_timeout": 2})
    ctx.services = ServiceBundle.build(gone)  # the server went away mid-call
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClicks(panel.notes_edit, "Line dead")
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: panel.banner.level == "error", timeout=WAIT)
    assert "database cannot be reached" in panel.banner.text()
    assert "Nothing you typed has been lost" in panel.banner.text()
    assert panel.notes_edit.toPlainText() == "Line dead"
    assert ctx.drafts.get(rid, NOTES_FIELD) == "Line dead"
    gone.dispose()

    ctx.services = ServiceBundle.build(world.db)  # back again: the same keystroke saves it
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.notes_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert [a.notes for a in attempts(world, rid)] == ["Line dead"]


def test_draft_is_restored_when_the_referral_is_shown_again(qtbot, world, make_ctx, tmp_path) -> None:
    first, second = world.referrals["Ó Súilleabháin"], world.referrals["Nowak"]
    ctx = make_ctx("amy")
    panel = open_panel(qtbot, ctx, first)
    qtbot.keyClicks(panel.notes_edit, "Patient on holiday until Monday")
    panel.set_referral(second)
    assert panel.notes_edit.toPlainText() == ""
    panel.set_referral(first)
    assert panel.notes_edit.toPlainText() == "Patient on holiday until Monday"
    # A desk restarted after a crash reads the same draft from disk.
    reopened = DraftStore("amy", tmp_path / "drafts")
    assert reopened.get(first, NOTES_FIELD) == "Patient on holiday until Monday"


def test_no_referral_disables_the_form(qtbot, world, make_ctx) -> None:
    panel = CallOutcomePanel(make_ctx("amy"))
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.save_button.isEnabled()
    assert not panel.notes_edit.isEnabled()
    panel.save()  # nothing to save, nothing happens
    assert not panel.banner.isVisible()


def test_every_control_has_an_accessible_name_and_shortcuts_are_declared(qtbot, world, make_ctx) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QDateTimeEdit, QPlainTextEdit

    panel = CallOutcomePanel(make_ctx("amy"))
    qtbot.addWidget(panel)
    controls = panel.findChildren(QAbstractButton) + panel.findChildren(QComboBox)
    controls += panel.findChildren(QPlainTextEdit) + panel.findChildren(QDateTimeEdit)
    unnamed = [type(c).__name__ for c in controls if not c.accessibleName()]
    assert unnamed == []
    keys = [k for k, _ in SHORTCUTS]
    assert "Ctrl+Return" in keys and "Alt+7" in keys


def test_panel_keys_win_over_window_shortcuts_while_focus_is_inside(qtbot, world, make_ctx) -> None:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QLineEdit, QMainWindow, QVBoxLayout, QWidget

    rid = world.referrals["Ó Súilleabháin"]
    window = QMainWindow()
    qtbot.addWidget(window)
    central = QWidget(window)
    outside = QLineEdit(central)
    outside.setAccessibleName("Elsewhere")
    panel = CallOutcomePanel(make_ctx("amy"), central)
    layout = QVBoxLayout(central)
    layout.addWidget(outside)
    layout.addWidget(panel)
    window.setCentralWidget(central)
    worked: list[bool] = []
    work = QAction("Work the selected referral", window)
    work.setShortcut("Ctrl+Return")  # the main window's own use of the key
    work.triggered.connect(lambda _checked=False: worked.append(True))
    window.addAction(work)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    panel.set_referral(rid)
    qtbot.waitUntil(lambda: panel.number_combo.count() > 0, timeout=WAIT)

    panel.notes_edit.setFocus()
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.notes_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert worked == []
    assert panel.notes_edit.toPlainText() == ""  # no stray newline from the key
    outside.setFocus()
    qtbot.keyClick(outside, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert worked == [True]  # outside the panel the window's shortcut still works


def test_discharge_after_the_patient_declined(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_ctx("amy")
    panel = open_panel(qtbot, ctx, rid)
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_7, Qt.KeyboardModifier.AltModifier)  # declined
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.notes_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_G, ctrl_shift)
    assert panel.banner.level == "warning"  # a reason first
    assert not panel.confirm.isVisible()
    qtbot.keyClicks(panel.discharge_reason, "Patient does not want physiotherapy now")
    assert ctx.drafts.get(rid, "discharge_reason") == "Patient does not want physiotherapy now"
    qtbot.keyClick(panel.discharge_reason, Qt.Key.Key_G, ctrl_shift)
    assert "Discharge Zoë Ó Súilleabháin back to the GP?" in panel.confirm.question()
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    assert "Discharged to the GP" in panel.banner.text()
    assert referral(world, rid).status is ReferralStatus.DISCHARGED
    with world.db.read() as s:
        kinds = sorted(s.scalars(select(Letter.kind).where(Letter.referral_id == rid)))
    assert kinds == sorted([LetterKind.DISCHARGE, LetterKind.DISCHARGE_GP_COPY])
    assert ctx.drafts.get(rid, "discharge_reason") == ""


def test_discharge_refused_by_the_policy_is_explained(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    qtbot.waitUntil(panel.discharge_button.isEnabled, timeout=WAIT)
    panel.discharge_reason.setText("Could not reach her")
    panel.discharge_button.click()
    qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.banner.level == "error", timeout=WAIT)
    assert "no unable-to-contact letter has been sent" in panel.banner.text()
    assert panel.discharge_reason.text() == "Could not reach her"
    assert referral(world, rid).status is ReferralStatus.AWAITING_CONTACT


def test_a_typed_number_survives_the_panel_being_reloaded(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    panel.number_combo.setEditText("01273 555555")
    panel.set_referral(rid)  # e.g. another panel saved a change: the main window reloads this one
    qtbot.waitUntil(lambda: panel.ctx.tasks.pending == 0, timeout=WAIT)
    assert panel.number_used() == "01273 555555"
    assert panel.number_combo.count() == 1
