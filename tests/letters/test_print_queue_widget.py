"""The print-queue widget (offscreen Qt): queue shown, preview loads, printing, batch with cancel."""

from __future__ import annotations

from pathlib import Path

from letter_pdf import all_text, reader
from letter_world import queue, queue_one_of_each
from PySide6.QtCore import Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter

from cras_desk.db.models import Letter
from cras_desk.domain.enums import LetterKind, LetterStatus
from cras_desk.gui.letters.pdf_printing import prepare_printer
from cras_desk.gui.letters.print_queue_widget import PrintQueueWidget
from cras_desk.gui.letters.queue_model import LETTER_ID_ROLE, LetterQueueModel
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
