"""The print-queue widget (offscreen Qt): queue shown, preview loads, printing, batch with cancel."""

from __future__ import annotations

import hashlib
from pathlib import Path

from letter_pdf import all_text, reader
from letter_world import make_booking, queue, queue_one_of_each
from PySide6.QtCore import Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from sqlalchemy import select, update

from cras_desk.db.models import AuditEvent, Letter, Patient, Referral
from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import LetterKind, LetterStatus
from cras_desk.domain.letter_supersession import Supersession
from cras_desk.gui.letters.pdf_printing import prepare_printer
from cras_desk.gui.letters.print_queue_widget import PrintQueueWidget
from cras_desk.gui.letters.queue_model import LETTER_ID_ROLE, LetterColumn, LetterQueueModel
from cras_desk.services.letter_lifecycle import withdraw_superseded
from cras_desk.services.letters import LetterService


def _widget(qtbot, world) -> PrintQueueWidget:
    widget = PrintQueueWidget(LetterService(world.db), world.actor("amy"))
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    return widget


def test_model_passes_qtmodeltester(qtmodeltester, world) -> None:
    queue_one_of_each(world)
    model = LetterQueueModel()
    qtmodeltester.check(model)
    model.set_letters(LetterService(world.db).queue(world.actor("amy")))
    qtmodeltester.check(model)
    assert model.rowCount() == 7
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Patient"
    first = model.index(0, 0)
    assert model.data(first, LETTER_ID_ROLE) == model.letter_at(0).id
    assert model.data(model.index(0, 3)) == "999 000 0018"
    large = next(r for r in range(7) if model.letter_at(r).large_print)
    assert model.data(model.index(large, 5)) == "Large print"


def test_queue_shown_and_preview_loads(qtbot, world) -> None:
    ids = queue_one_of_each(world)
    widget = _widget(qtbot, world)
    with qtbot.waitSignal(widget.preview_loaded, timeout=20_000) as loaded:
        pass
    assert widget.model.rowCount() == 7
    assert widget.count_label.text() == "7 letters waiting"
    assert loaded.args == [min(ids.values())]  # the first row is previewed
    assert widget.document.status() == QPdfDocument.Status.Ready
    assert widget.document.pageCount() == 1
    assert widget.print_button.isEnabled()
    # Selecting another row previews that letter.
    row = widget.model.row_of(ids[LetterKind.UNABLE_TO_CONTACT])
    assert row is not None
    with qtbot.waitSignal(widget.preview_loaded, timeout=20_000) as loaded:
        widget.table.selectRow(row)
    assert loaded.args == [ids[LetterKind.UNABLE_TO_CONTACT]]
    assert widget.document.pageCount() >= 1  # large print for Nowak
    assert "Nowak" in widget.document.getAllText(0).text()
    assert widget.grab().width() > 0


def test_print_to_a_printer_marks_the_letter_printed(qtbot, world, tmp_path: Path) -> None:
    letter_id = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    widget = _widget(qtbot, world)
    qtbot.waitSignal(widget.preview_loaded, timeout=20_000).wait()
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    prepare_printer(printer)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    with qtbot.waitSignal(widget.queue_loaded, timeout=20_000) as reloaded:
        widget.print_to(printer)
    assert reloaded.args == [0]
    assert out.exists() and len(reader(out.read_bytes()).pages) == 1
    page = reader(out.read_bytes()).pages[0]
    assert (
        round(float(page.mediabox.width)) == 595 and round(float(page.mediabox.height)) == 842
    )  # A4, unscaled
    with world.db.read() as s:
        row = s.get(Letter, letter_id)
        assert row is not None and row.status is LetterStatus.PRINTED
    assert widget.count_label.text() == "No letters waiting"


def test_batch_to_pdf_with_cancel(qtbot, world, tmp_path: Path) -> None:
    for _ in range(40):
        queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    widget = _widget(qtbot, world)
    qtbot.waitSignal(widget.queue_loaded, timeout=20_000).wait()
    # Cancel as soon as the first letter is done: the run stops after the letter in hand.
    widget.batch_progress.connect(lambda done, total: done >= 1 and widget.cancel_batch())
    with qtbot.waitSignal(widget.batch_finished, timeout=60_000) as finished:
        widget.start_batch(tmp_path)
        assert widget.batch_running
    run = finished.args[0]
    assert run.cancelled
    assert 1 <= run.count < 40
    assert run.combined_pdf is not None and len(reader(run.combined_pdf.read_bytes()).pages) == run.count
    assert "999 000 0034" in all_text(run.files[0].read_bytes())
    qtbot.waitUntil(lambda: not widget.batch_running, timeout=20_000)
    qtbot.waitUntil(lambda: widget.model.rowCount() == 40 - run.count, timeout=20_000)
    assert "stopped early" in widget.status_label.text()
    with world.db.read() as s:
        printed = s.query(Letter).filter(Letter.status == LetterStatus.PRINTED).count()
    assert printed == run.count
    # The rest print on the next run, with no cancel.
    widget.batch_progress.disconnect()
    with qtbot.waitSignal(widget.batch_finished, timeout=60_000) as finished:
        widget.start_batch(tmp_path / "rest")
    assert finished.args[0].count == 40 - run.count and not finished.args[0].cancelled
    qtbot.waitUntil(lambda: widget.model.rowCount() == 0, timeout=20_000)
    assert widget.print_combined_button.isEnabled()


def _printer_to(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    prepare_printer(printer)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def _widget_for(qtbot, world, username: str) -> PrintQueueWidget:
    widget = PrintQueueWidget(LetterService(world.db), world.actor(username))
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    return widget


def test_the_queue_shows_the_users_team_and_admins_see_all(qtbot, world) -> None:
    west = world.actor("cara").team_id
    with world.db.write() as s:
        s.execute(update(Referral).where(Referral.id == world.referrals["Smith"]).values(team_id=west))
    smith = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    nowak = queue(world, "Nowak", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})

    amy = _widget_for(qtbot, world, "amy")  # East advisor: her team only, no way round it
    qtbot.waitUntil(lambda: amy.model.rowCount() == 1, timeout=20_000)
    assert amy.model.letter_at(0).id == nowak
    assert amy.team_combo.currentText() == "My team" and not amy.team_combo.isEnabled()
    assert amy.team_label.buddy() is amy.team_combo and amy.view_label.buddy() is amy.view_combo

    cara = _widget_for(qtbot, world, "cara")
    qtbot.waitUntil(lambda: cara.model.rowCount() == 1, timeout=20_000)
    assert cara.model.letter_at(0).id == smith

    lena = _widget_for(qtbot, world, "lena")  # East lead: her team's, as the database scopes her
    qtbot.waitUntil(lambda: lena.model.rowCount() == 1, timeout=20_000)
    assert lena.team_combo.findText("All teams") == -1 and lena.all_teams is False

    root = _widget_for(qtbot, world, "root")  # an admin is in no team: every team's letters
    qtbot.waitUntil(lambda: root.model.rowCount() == 2, timeout=20_000)
    assert root.team_combo.currentText() == "All teams"


def test_reprint_from_the_printed_list_sends_the_recorded_bytes(qtbot, world, tmp_path: Path) -> None:
    letter_id = queue(world, "Nowak", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    run = LetterService(world.db).print_queue(world.actor("lena"), tmp_path / "run")
    recorded = hashlib.sha256(run.files[0].read_bytes()).hexdigest()

    widget = _widget(qtbot, world)
    qtbot.waitSignal(widget.queue_loaded, timeout=20_000).wait()
    assert widget.count_label.text() == "No letters waiting"
    with qtbot.waitSignal(widget.preview_loaded, timeout=20_000):
        widget.show_view(LetterStatus.PRINTED)
    assert widget.table.accessibleName() == "Letters printed, for a reprint"
    assert widget.model.letter_at(0).state_text.startswith("Printed ")
    assert widget.model.letter_at(0).state_text.endswith("by Lena Lead")
    assert widget.reprint_button.isEnabled() and not widget.print_button.isEnabled()
    assert not widget.batch_button.isEnabled()
    assert "Nowak" in widget.document.getAllText(0).text()

    out = tmp_path / "reprint.pdf"
    with qtbot.waitSignal(widget.printed, timeout=20_000) as sent:
        widget.reprint_to(_printer_to(out))
    assert sent.args == [letter_id, recorded]  # exactly the bytes recorded at the first print
    assert len(reader(out.read_bytes()).pages) == len(reader(run.files[0].read_bytes()).pages)
    with world.db.read() as s:
        reprints = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "reprint_letter")).all()
    assert reprints == [{"sha256": recorded}]

    # A letter whose bytes would now differ from the record is refused, and nothing is printed.
    with world.db.write() as s:
        s.execute(update(Letter).where(Letter.id == letter_id).values(sha256="0" * 64))
    refused = tmp_path / "refused.pdf"
    with qtbot.waitSignal(widget.error, timeout=20_000) as error:
        widget.reprint_to(_printer_to(refused))
    assert "no longer renders exactly as it was recorded" in error.args[0]
    assert not refused.exists()
    assert "Nothing was printed" in widget.status_label.text()


def test_withdrawn_letters_are_shown_with_the_reason_and_cannot_be_printed(qtbot, world) -> None:
    booking_id = make_booking(world, "Nowak")
    letter_id = queue(world, "Nowak", LetterKind.APPOINTMENT, {"booking_id": booking_id})
    with world.db.write() as s:
        withdraw_superseded(s, world.actor("amy"), world.referrals["Nowak"], Supersession.REBOOKED, None)
    widget = _widget(qtbot, world)
    qtbot.waitSignal(widget.queue_loaded, timeout=20_000).wait()
    assert widget.model.rowCount() == 0  # not in the queue
    with qtbot.waitSignal(widget.preview_loaded, timeout=20_000):
        widget.show_view(LetterStatus.WITHDRAWN)
    reason = f"Appointment rebooked on {today_london():%d/%m/%Y} by Amy Advisor"
    assert widget.model.letter_at(0).id == letter_id
    status = widget.model.index(0, LetterColumn.STATUS)
    assert widget.model.data(status) == f"Withdrawn: {reason}"
    assert widget.model.data(status, Qt.ItemDataRole.ToolTipRole) == f"Withdrawn: {reason}"
    assert reason in widget.status_label.text()
    assert not widget.print_button.isEnabled() and not widget.reprint_button.isEnabled()
    assert widget.count_label.text() == "1 letter withdrawn"


def test_print_refuses_a_preview_the_address_has_overtaken(qtbot, world, tmp_path: Path) -> None:
    letter_id = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    widget = _widget(qtbot, world)
    qtbot.waitSignal(widget.preview_loaded, timeout=20_000).wait()
    assert "12 Test Street" in widget.document.getAllText(0).text()
    with world.db.write() as s:  # the patient rings to say they have moved, on another desk
        s.execute(
            update(Patient)
            .where(Patient.family_name == "Smith")
            .values(address_line1="Flat 2, 5 Sea Lane", county=None, town="Hove", postcode="BN3 1AA")
        )
    out = tmp_path / "stale.pdf"
    with qtbot.waitSignal(widget.error, timeout=20_000) as error:
        widget.print_to(_printer_to(out))
    assert "changed since its preview" in error.args[0]
    assert not out.exists()
    with world.db.read() as s:
        assert s.get_one(Letter, letter_id).status is LetterStatus.QUEUED
    # The preview is shown again as the letter is now; printing that one goes through.
    qtbot.waitUntil(lambda: "Sea Lane" in widget.document.getAllText(0).text(), timeout=20_000)
    with qtbot.waitSignal(widget.printed, timeout=20_000) as sent:
        widget.print_to(_printer_to(out))
    with world.db.read() as s:
        row = s.get_one(Letter, letter_id)
    assert sent.args == [letter_id, row.sha256]
    assert row.status is LetterStatus.PRINTED and row.sent_to["address"][1] == "Flat 2, 5 Sea Lane"
    assert out.exists()
