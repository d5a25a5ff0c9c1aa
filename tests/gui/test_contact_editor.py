"""The contact editor, the note dialog and the pane's phone status, as real widgets on a real database.

Driven by keyboard where an advisor would use it: mnemonics, Tab, Return, Escape.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from sqlalchemy import select

from cras_desk.db.models import AuditEvent, Patient, PatientPhone, ReferralNote
from cras_desk.domain.enums import ContactOutcome, PhoneStatus
from cras_desk.gui import shortcuts
from cras_desk.gui.call_outcome.panel import CallOutcomePanel
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.patient.contact_editor import ContactEditor
from cras_desk.gui.patient.note_dialog import NOTE_FIELD, NoteDialog
from cras_desk.gui.patient.pane import PatientPane
from cras_desk.services.contact_details import ContactDetailsService

WAIT = 10_000
ZOE = "Ó Súilleabháin"


def open_editor(qtbot, ctx: DeskContext, rid: int) -> ContactEditor:
    editor = ContactEditor(ctx, rid)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitUntil(lambda: editor.phones.count() > 0 and editor.add_button.isEnabled(), timeout=WAIT)
    return editor


def wait_done(qtbot, editor: ContactEditor) -> None:
    qtbot.waitUntil(lambda: editor.save_button.isEnabled(), timeout=WAIT)


def phones(world, rid: int) -> list[tuple[str, PhoneStatus, bool]]:
    with world.db.read() as s:
        return [
            (p.number, p.status, p.is_preferred)
            for p in s.scalars(
                select(PatientPhone)
                .join(Patient, Patient.id == PatientPhone.patient_id)
                .where(Patient.nhs_number == "9990000018")
                .order_by(PatientPhone.id)
            )
        ]


def alt(qtbot, widget: QWidget, key: Qt.Key) -> None:
    qtbot.keyClick(widget, key, Qt.KeyboardModifier.AltModifier)


def test_add_a_number_by_keyboard_then_mark_the_old_one_wrong(qtbot, world, make_ctx) -> None:
    ctx = make_ctx("amy")
    rid = world.referrals[ZOE]
    editor = open_editor(qtbot, ctx, rid)
    assert [editor.phones.item(i).text() for i in range(editor.phones.count())] == [
        "07700 900120 - mobile, preferred"
    ]

    alt(qtbot, editor.phones, Qt.Key.Key_M)  # Alt+M: the new number
    assert editor.number.hasFocus()
    qtbot.keyClicks(editor.number, "01632 960 555")
    qtbot.keyClick(editor.number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: editor.phones.count() == 2, timeout=WAIT)
    wait_done(qtbot, editor)
    assert editor.banner.text() == "Mobile number 01632 960555 added."
    assert editor.number.text() == ""

    editor.phones.setCurrentRow(0)
    editor.phones.setFocus()
    alt(qtbot, editor.phones, Qt.Key.Key_W)  # Alt+W: mark wrong number
    qtbot.waitUntil(lambda: "wrong number" in editor.phones.item(1).text(), timeout=WAIT)
    wait_done(qtbot, editor)
    assert editor.banner.text() == "07700 900120 marked as a wrong number."
    assert [editor.phones.item(i).text() for i in range(editor.phones.count())] == [
        "01632 960555 - mobile",
        "07700 900120 - mobile, wrong number: do not call",
    ]
    assert phones(world, rid) == [
        ("07700 900120", PhoneStatus.WRONG_NUMBER, False),
        ("01632 960555", PhoneStatus.ACTIVE, False),
    ]
    # A wrong number cannot be made preferred: the button says so by being off.
    editor.phones.setCurrentRow(1)
    assert not editor.preferred_button.isEnabled() and editor.active_button.isEnabled()
    editor.phones.setCurrentRow(0)
    assert editor.preferred_button.isEnabled()
    editor.preferred_button.click()
    qtbot.waitUntil(lambda: editor.phones.item(0).text().endswith("preferred"), timeout=WAIT)


def test_a_refused_number_keeps_what_was_typed_and_says_why(qtbot, world, make_ctx) -> None:
    editor = open_editor(qtbot, make_ctx("amy"), world.referrals[ZOE])
    editor.number.setFocus()
    qtbot.keyClicks(editor.number, "+33 1 23 45 67 89")
    editor.add_button.click()
    qtbot.waitUntil(
        lambda: editor.banner.level is not None and editor.banner.level.value == "error", timeout=WAIT
    )
    assert "Only UK numbers" in editor.banner.text()
    assert editor.number.text() == "+33 1 23 45 67 89"
    assert editor.phones.count() == 1


def test_address_and_times_saved_with_return_and_refused_with_a_message(qtbot, world, make_ctx) -> None:
    ctx = make_ctx("amy")
    rid = world.referrals[ZOE]
    editor = open_editor(qtbot, ctx, rid)
    assert editor.address_edits["postcode"].text() == "BN2 1AB"
    postcode = editor.address_edits["postcode"]
    alt(qtbot, editor.phones, Qt.Key.Key_C)  # Alt+C: postcode
    assert postcode.hasFocus()
    postcode.selectAll()
    qtbot.keyClicks(postcode, "BN2 1OB")  # a letter O for a zero
    qtbot.keyClick(postcode, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "not a valid UK postcode" in editor.banner.text(), timeout=WAIT)
    assert postcode.text() == "BN2 1OB"  # kept, to correct

    postcode.selectAll()
    qtbot.keyClicks(postcode, "bn2 1te")
    alt(qtbot, postcode, Qt.Key.Key_B)
    assert editor.times.hasFocus()
    qtbot.keyClicks(editor.times, "Afternoons only")
    qtbot.keyClick(editor.times, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: editor.banner.text() == "Address and best times saved.", timeout=WAIT)
    assert postcode.text() == "BN2 1TE"  # as stored
    with world.db.read() as s:
        patient = s.scalars(select(Patient).where(Patient.nhs_number == "9990000018")).one()
        assert (patient.postcode, patient.preferred_contact_times) == ("BN2 1TE", "Afternoons only")
        actions = list(s.scalars(select(AuditEvent.action)))
    assert "update_contact_details" in actions


def test_escape_with_unsaved_address_warns_once_then_closes(qtbot, world, make_ctx) -> None:
    editor = open_editor(qtbot, make_ctx("amy"), world.referrals[ZOE])
    editor.address_edits["town"].setFocus()
    qtbot.keyClicks(editor.address_edits["town"], "x")
    qtbot.keyClick(editor.address_edits["town"], Qt.Key.Key_Escape)
    assert editor.isVisible()
    assert "not saved" in editor.banner.text()
    qtbot.keyClick(editor.address_edits["town"], Qt.Key.Key_Escape)
    assert not editor.isVisible()


def test_every_field_is_named_by_its_label_and_tab_reaches_every_control(qtbot, world, make_ctx) -> None:
    editor = open_editor(qtbot, make_ctx("lena"), world.referrals[ZOE])
    buddies = {label.buddy() for label in editor.findChildren(QLabel) if label.buddy() is not None}
    fields = [editor.phones, editor.kind, editor.number, editor.times, *editor.address_edits.values()]
    assert set(fields) <= buddies
    for field in fields:
        assert field.accessibleName()
    editor.phones.setCurrentRow(0)  # the one number is in use and preferred: only "mark" is on
    reached: list[QWidget] = []
    editor.phones.setFocus()
    for _ in range(20):
        widget = QApplication.focusWidget()
        if widget in reached:
            break
        reached.append(widget)
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    enabled = [
        w
        for w in (
            editor.phones,
            editor.wrong_button,
            editor.unused_button,
            editor.kind,
            editor.number,
            editor.add_button,
            *editor.address_edits.values(),
            editor.times,
            editor.save_button,
            editor.close_button,
        )
    ]
    assert [w for w in enabled if w not in reached] == []
    assert editor.width() <= 1366


def test_the_pane_shows_phone_status_and_opens_the_editor(qtbot, world, make_ctx) -> None:
    ctx = make_ctx("amy")
    rid = world.referrals[ZOE]
    svc = ContactDetailsService(world.db)
    phone_id = svc.details(ctx.actor, rid).phones[0].phone_id
    svc.add_phone(ctx.actor, rid, "home", "01632 960777")
    svc.set_phone_status(ctx.actor, rid, phone_id, PhoneStatus.NOT_IN_USE)

    pane = PatientPane(ctx)
    qtbot.addWidget(pane)
    pane.resize(900, 700)
    pane.show()
    pane.show_referral(rid)
    qtbot.waitUntil(lambda: pane.record is not None, timeout=WAIT)
    first, second = pane.findChild(QLabel, "patientPhone0"), pane.findChild(QLabel, "patientPhone1")
    # In use first; none preferred now (the patient's preference is not guessed for them).
    assert first.text() == "<b>01632 960777</b> home"
    assert "NOT IN USE: do not call" in second.text() and "<s>07700 900120</s>" in second.text()
    assert second.accessibleName() == "mobile 07700 900120, not in use, do not call"
    assert shortcuts.text("patient.edit_contact") in pane.contact_button.text()

    assert pane.edit_contact_details()
    editor = pane.changes.editor
    assert isinstance(editor, ContactEditor)
    qtbot.waitUntil(lambda: editor.phones.count() == 2 and editor.add_button.isEnabled(), timeout=WAIT)
    editor.phones.setCurrentRow(1)
    editor.active_button.click()
    with qtbot.waitSignal(pane.loaded, timeout=WAIT):  # the pane reloads after the change
        qtbot.waitUntil(lambda: editor.banner.text().endswith("marked as in use."), timeout=WAIT)
    qtbot.waitUntil(lambda: "do not call" not in pane.findChild(QLabel, "patientPhone1").text(), timeout=WAIT)


def test_a_note_is_typed_kept_as_a_draft_saved_and_shown_in_the_history(qtbot, world, make_ctx) -> None:
    ctx = make_ctx("amy")
    rid = world.referrals[ZOE]
    pane = PatientPane(ctx)
    qtbot.addWidget(pane)
    pane.show()
    pane.show_referral(rid)
    qtbot.waitUntil(lambda: pane.record is not None, timeout=WAIT)

    assert pane.add_note()
    dialog = pane.changes.note_dialog
    assert isinstance(dialog, NoteDialog)
    qtbot.keyClicks(dialog.text, "Rang to ask about parking")
    assert ctx.drafts.get(rid, NOTE_FIELD) == "Rang to ask about parking"
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: pane.banner.text() == "Note added to the referral's history.", timeout=WAIT)
    qtbot.waitUntil(
        lambda: (
            pane.history.topLevelItemCount() > 0
            and pane.history.topLevelItem(0).text(1) == "Note: Rang to ask about parking"
        ),
        timeout=WAIT,
    )
    assert pane.history.topLevelItem(0).text(2) == "Amy Advisor"
    assert ctx.drafts.get(rid, NOTE_FIELD) == ""
    with world.db.read() as s:
        assert list(s.scalars(select(ReferralNote.text))) == ["Rang to ask about parking"]


def test_a_refused_note_stays_in_the_dialog_with_the_reason(qtbot, world, make_ctx) -> None:
    ctx = make_ctx("amy")
    dialog = NoteDialog(ctx, world.referrals[ZOE])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.text.setPlainText("bad\x00text")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "cannot be stored (U+0000)" in dialog.banner.text(), timeout=WAIT)
    assert dialog.isVisible() and dialog.text.toPlainText() == "bad\x00text"


def test_number_used_offers_a_wrong_number_last_marked_and_never_preselected(qtbot, world, make_ctx) -> None:
    ctx = make_ctx("amy")
    rid = world.referrals[ZOE]
    svc = ContactDetailsService(world.db)
    svc.add_phone(ctx.actor, rid, "home", "01632 960888")
    panel = CallOutcomePanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_referral(rid)
    qtbot.waitUntil(lambda: panel.number_combo.count() == 2, timeout=WAIT)
    assert panel.number_used() == "07700 900120"

    # A wrong-number call through the panel marks the number it was made to.
    panel.choose_outcome(ContactOutcome.WRONG_NUMBER)
    panel.save()
    qtbot.waitUntil(lambda: "marked as a wrong number" in panel.banner.text(), timeout=WAIT)
    panel.set_referral(rid)  # opened again
    qtbot.waitUntil(
        lambda: panel.number_combo.count() == 2 and "do not use" in panel.number_combo.itemText(1),
        timeout=WAIT,
    )
    assert panel.number_combo.itemText(0) == "01632 960888 (home)"
    assert panel.number_combo.itemText(1) == "07700 900120 (mobile, wrong number: do not use)"
    assert panel.number_used() == "01632 960888"

    # With no number in use left, nothing is chosen for the advisor.
    other = next(p for p in svc.details(ctx.actor, rid).phones if p.number == "01632 960888")
    svc.set_phone_status(ctx.actor, rid, other.phone_id, PhoneStatus.NOT_IN_USE)
    panel.set_referral(rid)
    qtbot.waitUntil(lambda: "not in use" in panel.number_combo.itemText(1), timeout=WAIT)
    assert panel.number_combo.currentIndex() == -1 and panel.number_used() == ""


def test_f1_help_lists_the_new_keys_without_clashes() -> None:
    labels = {label for _group, _keys, label in shortcuts.rows(panels=False)}
    assert "Edit contact details (phones, address, best times)" in labels
    assert "Add a note to the referral" in labels
    assert shortcuts.duplicates() == []


def test_locking_the_desk_hides_the_editor_and_unlocking_brings_it_back_as_typed(
    qtbot, world, make_ctx
) -> None:
    ctx = make_ctx("amy")
    pane = PatientPane(ctx)
    qtbot.addWidget(pane)
    pane.show()
    pane.show_referral(world.referrals[ZOE])
    qtbot.waitUntil(lambda: pane.record is not None, timeout=WAIT)
    assert pane.edit_contact_details()
    editor = pane.changes.editor
    assert isinstance(editor, ContactEditor)
    qtbot.waitUntil(lambda: editor.add_button.isEnabled(), timeout=WAIT)
    editor.number.setText("01632 960")
    pane.hide_dialogs()
    assert not editor.isVisible()
    pane.show_dialogs()
    assert editor.isVisible() and editor.number.text() == "01632 960"
    assert pane.edit_contact_details() and pane.changes.editor is editor  # F3 again: the same window
