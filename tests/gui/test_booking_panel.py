"""The booking panel against a real database: three keys to book, a lost race, cancel/rebook/DNA."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from sqlalchemy import select, update

from cras_desk.db.models import Booking, Letter, Referral, Slot
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import BookingStatus, LetterKind, ReferralStatus, TimeOfDay
from cras_desk.gui.booking.panel import REASON_FIELD, SHORTCUTS, BookingPanel
from cras_desk.gui.booking.slots_model import SlotTableModel
from cras_desk.gui.desk_context import DeskContext
from cras_desk.services.booking import SlotQuery
from cras_desk.services.choice import Decision

WAIT = 10_000
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def open_panel(qtbot, ctx: DeskContext, referral_id: int) -> BookingPanel:
    panel = BookingPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(900, 900)
    panel.show()
    panel.set_referral(referral_id)
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0 or "No free" in panel.count_label.text(), timeout=WAIT)
    return panel


def live_bookings(world, referral_id: int) -> list[Booking]:
    with world.db.read() as s:
        return list(s.scalars(select(Booking).where(Booking.referral_id == referral_id).order_by(Booking.id)))


def status_of(world, referral_id: int) -> ReferralStatus:
    with world.db.read() as s:
        return s.scalar(select(Referral.status).where(Referral.id == referral_id))


class KeyCounter:
    """Counts the keys a test presses, so 'at most three keystrokes' is measured, not assumed."""

    def __init__(self, qtbot) -> None:
        self.qtbot, self.count = qtbot, 0

    def press(self, widget, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
        self.count += 1
        self.qtbot.keyClick(widget, key, modifier)


def test_find_and_book_in_three_keystrokes(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    # No choice recorded yet: every site meeting her needs is searched (both hubs), soonest first.
    assert sorted(panel.ticked_sites()) == sorted(world.sites.values())
    assert panel.model.rowCount() == 60  # 2 hubs x 10 days x 3 slots
    starts = [panel.model.slot(i).starts_at for i in range(panel.model.rowCount())]
    assert starts == sorted(starts)
    second = panel.model.slot(1)

    keys = KeyCounter(qtbot)
    panel.table.setFocus()
    keys.press(panel.table, Qt.Key.Key_Down)  # 1: the second-soonest slot
    keys.press(panel.table, Qt.Key.Key_Return)  # 2: book it...
    assert panel.confirm.isVisible() and "Book " in panel.confirm.question()
    with qtbot.waitSignal(panel.changed, timeout=WAIT) as changed:
        keys.press(panel.confirm.yes_button, Qt.Key.Key_Return)  # 3: ...confirmed
    assert keys.count == 3
    assert changed.args == [rid]

    [booking] = live_bookings(world, rid)
    assert (booking.slot_id, booking.status) == (second.slot_id, BookingStatus.BOOKED)
    assert status_of(world, rid) is ReferralStatus.BOOKED
    with world.db.read() as s:
        assert list(s.scalars(select(Letter.kind).where(Letter.referral_id == rid))) == [
            LetterKind.APPOINTMENT
        ]
    qtbot.waitUntil(lambda: panel.live is not None, timeout=WAIT)
    assert panel.live_label.text().startswith("Booked: ")
    assert "appointment letter is queued" in panel.banner.text()
    # The finder is fetched again: the place taken is no longer offered.
    qtbot.waitUntil(lambda: second.slot_id not in panel.model.slot_ids(), timeout=WAIT)
    assert panel.model.rowCount() == 59


def test_return_twice_books_the_soonest_and_escape_books_nothing(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    soonest = panel.model.slot(0)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Escape)
    assert not panel.confirm.isVisible()
    assert live_bookings(world, rid) == []
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Enter)
    assert [b.slot_id for b in live_bookings(world, rid)] == [soonest.slot_id]


def test_chosen_site_is_preselected_and_filters_apply(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_ctx("amy")
    amy = world.actor("amy")
    options = ctx.services.choice.options(amy, rid)
    ctx.services.choice.record_offer(amy, rid, options, Decision.CHOSEN, chosen_site_id=world.sites["Lewes"])
    panel = open_panel(qtbot, ctx, rid)
    assert panel.ticked_sites() == [world.sites["Lewes"]]
    assert panel.model.rowCount() == 30
    assert {panel.model.slot(i).site_id for i in range(30)} == {world.sites["Lewes"]}

    panel.day_part_combo.setCurrentIndex(panel.day_part_combo.findData(TimeOfDay.AFTERNOON))
    qtbot.keyClick(panel.table, Qt.Key.Key_F, CTRL_SHIFT)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 10, timeout=WAIT)
    assert {panel.model.slot(i).day_part for i in range(10)} == {TimeOfDay.AFTERNOON}

    panel.preselect_sites([world.sites["Brighton"]])  # e.g. the patient changed their mind
    qtbot.waitUntil(
        lambda: panel.model.rowCount() == 10 and panel.model.slot(0).site_id == world.sites["Brighton"],
        timeout=WAIT,
    )


def test_lost_race_says_slot_taken_and_refreshes_the_list(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_ctx("amy")
    panel = open_panel(qtbot, ctx, rid)
    panel.reason_edit.setText("typed while waiting")
    wanted = panel.model.slot(0)
    # Ben, at another desk, books the same slot for another patient while Amy's list is on screen.
    ben_ctx = make_ctx("ben")
    ben_ctx.services.booking.book(world.actor("ben"), world.referrals["Nowak"], wanted.slot_id)
    assert wanted.slot_id in panel.model.slot_ids()  # Amy's list does not know yet

    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.banner.level == "error", timeout=WAIT)
    assert panel.banner.text().startswith("Slot just taken by another advisor")
    qtbot.waitUntil(lambda: wanted.slot_id not in panel.model.slot_ids(), timeout=WAIT)
    assert panel.model.rowCount() == 59
    assert panel.selected_slot() is not None  # the next slot is ready for Return, Return
    assert panel.reason_edit.text() == "typed while waiting"  # nothing else lost
    assert sorted(panel.ticked_sites()) == sorted(world.sites.values())
    assert live_bookings(world, rid) == []
    assert status_of(world, rid) is not ReferralStatus.BOOKED
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.table, Qt.Key.Key_Return)
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    assert [b.slot_id for b in live_bookings(world, rid)] == [panel_slot_after(wanted, world)]


def panel_slot_after(taken, world) -> int:
    """The slot that followed the taken one in start order (what the refreshed list preselects)."""
    with world.db.read() as s:
        return s.scalar(
            select(Slot.id)
            .where(Slot.service_id == world.services["physio"], Slot.starts_at >= taken.starts_at)
            .where(Slot.id != taken.slot_id)
            .order_by(Slot.starts_at, Slot.id)
            .limit(1)
        )


def booked_panel(qtbot, world, ctx: DeskContext, rid: int) -> BookingPanel:
    slots = ctx.services.booking.find_slots(ctx.actor, rid, SlotQuery())
    ctx.services.booking.book(ctx.actor, rid, slots[0].slot_id)
    panel = open_panel(qtbot, ctx, rid)
    qtbot.waitUntil(lambda: panel.live is not None, timeout=WAIT)
    return panel


def test_rebook_to_the_selected_slot_with_a_reason(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_ctx("amy")
    panel = booked_panel(qtbot, world, ctx, rid)
    old = panel.live
    assert panel.rebook_button.isEnabled()
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    target = panel.selected_slot()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)  # with a live booking, Return means rebook
    assert panel.banner.level == "warning" and "reason" in panel.banner.text()
    qtbot.keyClicks(panel.reason_edit, "Patient at work that morning")
    assert ctx.drafts.get(rid, REASON_FIELD) == "Patient at work that morning"
    qtbot.keyClick(panel.reason_edit, Qt.Key.Key_B, CTRL_SHIFT)
    assert "Move the appointment" in panel.confirm.question()
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    first, second = live_bookings(world, rid)
    assert (first.id, first.status, first.reason) == (
        old.booking_id,
        BookingStatus.REBOOKED,
        "Patient at work that morning",
    )
    assert (second.slot_id, second.status, second.rebooked_from_id) == (
        target.slot_id,
        BookingStatus.BOOKED,
        old.booking_id,
    )
    assert ctx.drafts.get(rid, REASON_FIELD) == ""
    assert panel.reason_edit.text() == ""


def test_cancel_by_patient_needs_a_reason_and_reopens_the_referral(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    panel = booked_panel(qtbot, world, make_ctx("amy"), rid)
    qtbot.keyClick(panel.table, Qt.Key.Key_P, CTRL_SHIFT)
    assert panel.banner.level == "warning"
    assert not panel.confirm.isVisible()
    qtbot.keyClicks(panel.reason_edit, "Feeling better")
    qtbot.keyClick(panel.reason_edit, Qt.Key.Key_P, CTRL_SHIFT)
    assert "at the patient's request" in panel.confirm.question()
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    [booking] = live_bookings(world, rid)
    assert (booking.status, booking.reason) == (BookingStatus.CANCELLED_PATIENT, "Feeling better")
    assert status_of(world, rid) is ReferralStatus.AWAITING_CONTACT
    qtbot.waitUntil(lambda: panel.live is None and panel.model.rowCount() == 60, timeout=WAIT)
    assert not panel.cancel_patient_button.isEnabled()


def test_cancel_by_provider(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    panel = booked_panel(qtbot, world, make_ctx("amy"), rid)
    panel.reason_edit.setText("Clinician off sick")
    qtbot.keyClick(panel.reason_edit, Qt.Key.Key_V, CTRL_SHIFT)
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    [booking] = live_bookings(world, rid)
    assert booking.status is BookingStatus.CANCELLED_PROVIDER


def test_dna_is_refused_before_the_appointment_and_recorded_after(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_ctx("amy")
    panel = booked_panel(qtbot, world, ctx, rid)
    qtbot.keyClicks(panel.reason_edit, "No show, no call")
    qtbot.keyClick(panel.reason_edit, Qt.Key.Key_D, CTRL_SHIFT)
    qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.banner.level == "error", timeout=WAIT)
    assert "has not happened yet" in panel.banner.text()
    assert panel.reason_edit.text() == "No show, no call"

    # The clinic day comes and goes (test data moved into the past).
    live = panel.live
    with world.db.write() as s:
        s.execute(update(Slot).where(Slot.id == live.slot_id).values(starts_at=utcnow() - timedelta(hours=2)))
    qtbot.keyClick(panel.reason_edit, Qt.Key.Key_D, CTRL_SHIFT)
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    [booking] = live_bookings(world, rid)
    assert (booking.status, booking.reason) == (BookingStatus.DNA, "No show, no call")
    assert status_of(world, rid) is ReferralStatus.AWAITING_CONTACT


def test_attended_completes_the_referral(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    panel = booked_panel(qtbot, world, make_ctx("amy"), rid)
    with world.db.write() as s:
        s.execute(
            update(Slot).where(Slot.id == panel.live.slot_id).values(starts_at=utcnow() - timedelta(hours=1))
        )
    qtbot.keyClick(panel.table, Qt.Key.Key_A, CTRL_SHIFT)
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    assert live_bookings(world, rid)[0].status is BookingStatus.ATTENDED
    assert status_of(world, rid) is ReferralStatus.COMPLETED


def test_slot_model_passes_qtmodeltester(qtmodeltester, world, make_ctx) -> None:
    ctx = make_ctx("ben")
    rows = ctx.services.booking.find_slots(world.actor("ben"), world.referrals["Smith"], SlotQuery())
    assert [r.kind.value for r in rows] == ["group"]  # the pain information session
    physio = ctx.services.booking.find_slots(
        world.actor("amy"), world.referrals["Ó Súilleabháin"], SlotQuery(limit=5)
    )
    model = SlotTableModel()
    model.set_slots(rows + physio)
    assert model.data(model.index(0, 4)) == "Group session (3 of 3 places left)"
    qtmodeltester.check(model, force_py=True)
    model.set_slots([])
    assert model.rowCount() == 0


def test_accessible_names_and_shortcuts(qtbot, world, make_ctx) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QDateEdit, QLineEdit, QListWidget, QTableView

    panel = BookingPanel(make_ctx("amy"))
    qtbot.addWidget(panel)
    controls: list = []
    for kind in (QAbstractButton, QComboBox, QDateEdit, QLineEdit, QListWidget, QTableView):
        controls += [c for c in panel.findChildren(kind) if c.parent() is not None]
    # Line edits inside spin boxes and combos belong to them; only top-level inputs need names.
    unnamed = [
        type(c).__name__
        for c in controls
        if not c.accessibleName() and not isinstance(c.parent(), QComboBox | QDateEdit)
    ]
    assert unnamed == []
    assert SHORTCUTS[0][0] == "Down, Return, Return"


# --- the patient's needs -------------------------------------------------------------------------


def _set_patient(world, rid: int, **values) -> None:
    from cras_desk.db.models import Patient

    with world.db.write() as s:
        patient_id = s.scalar(select(Referral.patient_id).where(Referral.id == rid))
        s.execute(update(Patient).where(Patient.id == patient_id).values(**values))


def test_interpreter_is_named_above_the_list_in_the_confirmation_and_on_the_booking(
    qtbot, world, make_ctx
) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    _set_patient(world, rid, language="Turkish", interpreter_needed=True)
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    assert panel.needs_label.isVisible()
    assert "Interpreter: Turkish" in panel.needs_label.text()

    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert "Interpreter: Turkish." in panel.confirm.question()
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    [booking] = live_bookings(world, rid)
    assert booking.interpreter_language == "Turkish"
    qtbot.waitUntil(lambda: panel.live is not None, timeout=WAIT)
    assert "Interpreter: Turkish" in panel.live_label.text()


def test_no_needs_no_header_and_the_toggle_is_off(qtbot, world, make_ctx) -> None:
    panel = open_panel(qtbot, make_ctx("amy"), world.referrals["Ó Súilleabháin"])
    assert not panel.needs_label.isVisible()
    assert not panel.show_all.isEnabled()  # nothing stated: nothing to look past
    assert panel.availability_label.text().startswith("Any day, any time")
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert "Interpreter" not in panel.confirm.question()


def test_longer_appointment_is_shown_and_only_long_slots_listed(qtbot, world, make_ctx) -> None:
    from cras_desk.db.models import Service
    from cras_desk.domain.enums import AdjustmentFlag

    rid = world.referrals["Ó Súilleabháin"]
    _set_patient(world, rid, adjustments=[AdjustmentFlag.LONGER_APPOINTMENT.value])
    with world.db.write() as s:
        s.execute(update(Service).where(Service.code == "physio").values(longer_appointment_minutes=30))
        s.execute(update(Slot).where(Slot.site_id == world.sites["Lewes"]).values(duration_minutes=20))
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    assert "Longer appointment: 30 min" in panel.needs_label.text()
    assert panel.model.rowCount() == 30
    assert {panel.model.slot(i).site_id for i in range(30)} == {world.sites["Brighton"]}
    assert "of 30 minutes or more" in panel.count_label.text()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert "Longer appointment: 30 min." in panel.confirm.question()
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.live is not None, timeout=WAIT)
    assert panel.live.site_id == world.sites["Brighton"]
    assert "Longer appointment: 30 min" in panel.live_label.text()


def test_availability_filters_by_default_and_the_toggle_shows_everything(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    _set_patient(world, rid, available_day_parts=["afternoon"], availability_note="works mornings")
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    # Both hubs x 10 days: the 14:00 slots only, and the 40 morning ones counted as hidden.
    assert panel.model.rowCount() == 20
    assert {panel.model.slot(i).day_part for i in range(20)} == {TimeOfDay.AFTERNOON}
    assert "40 more hidden by the patient's availability" in panel.count_label.text()
    assert panel.availability_label.text() == "Afternoons only (works mornings)"
    assert "Can come: Afternoons only" in panel.needs_label.text()
    assert panel.show_all.isVisible() and panel.show_all.isEnabled() and not panel.show_all.isChecked()

    qtbot.keyClick(panel.table, Qt.Key.Key_I, CTRL_SHIFT)  # the toggle's shortcut
    assert panel.show_all.isChecked()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 60, timeout=WAIT)
    assert "ignoring the patient's availability" in panel.count_label.text()
    qtbot.keyClick(panel.table, Qt.Key.Key_I, CTRL_SHIFT)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 20, timeout=WAIT)

    # The toggle is per patient: the next one starts filtered again.
    panel.show_all.setChecked(True)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 60, timeout=WAIT)
    panel.set_referral(world.referrals["Nowak"])
    assert not panel.show_all.isChecked()
    assert any("Ctrl+Shift+I" in keys and "availability" in what for keys, what in SHORTCUTS)


def test_advisor_edits_availability_and_the_list_follows(qtbot, world, make_ctx) -> None:
    from cras_desk.db.models import AuditEvent, Patient

    rid = world.referrals["Ó Súilleabháin"]
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    assert panel.model.rowCount() == 60
    qtbot.keyClick(panel.table, Qt.Key.Key_W, CTRL_SHIFT)
    editor = panel.availability_editor
    assert editor.isVisible() and editor.weekday_boxes[0].hasFocus()
    editor.part_boxes[TimeOfDay.MORNING].setChecked(True)
    qtbot.keyClicks(editor.note_edit, "school run in the afternoon")
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 40, timeout=WAIT)
    assert not editor.isVisible()
    assert "Availability saved: Mornings only (school run in the afternoon)" in panel.banner.text()
    assert "20 more hidden" in panel.count_label.text()
    with world.db.read() as s:
        patient = s.scalar(
            select(Patient).join(Referral, Referral.patient_id == Patient.id).where(Referral.id == rid)
        )
        assert patient.available_day_parts == ["morning"]
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.action == "set_availability")) is not None

    # Every weekday ticked is refused with the reason; what was ticked stays in the editor.
    qtbot.keyClick(panel.table, Qt.Key.Key_W, CTRL_SHIFT)
    for box in editor.weekday_boxes:
        box.setChecked(True)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.banner.level == "error", timeout=WAIT)
    assert "every day of the week" in panel.banner.text()
    assert editor.isVisible() and all(b.isChecked() for b in editor.weekday_boxes)
