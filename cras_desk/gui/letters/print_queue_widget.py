"""The print queue: letters waiting, a preview of the selected one, printing, and batch runs.

Nothing here touches the database or reportlab on the UI thread: the queue and previews go
through run_in_background (the desk's one database worker, TaskRunner.run), and a batch run has
its own thread so a thousand letters do not hold up the desk's other queries. Cancel stops the
batch after the letter in hand; what was printed stays printed, the rest stays queued.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt, QThread, Signal, Slot
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cras_desk.gui.letters.pdf_printing import PrintFailed, prepare_printer, print_pdf
from cras_desk.gui.letters.queue_model import LetterQueueModel
from cras_desk.services.actor import Actor
from cras_desk.services.letters import LetterService, PrintRun

RunInBackground = Callable[..., None]  # (fn, on_done, on_error) -> None, as TaskRunner.run


class BatchWorker(QObject):
    """Runs LetterService.print_queue on its own thread and reports progress by signal."""

    progress = Signal(int, int)
    finished = Signal(object)  # PrintRun
    failed = Signal(object)  # the exception

    def __init__(self, service: LetterService, actor: Actor, out_dir: Path) -> None:
        super().__init__()
        self._service, self._actor, self._out_dir = service, actor, out_dir
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Thread-safe: called from the UI thread while run() is busy on the worker thread."""
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        try:
            result = self._service.print_queue(self._actor, self._out_dir, self._progress)
        except Exception as exc:  # reported to the UI, which shows the advisor-facing message
            self.failed.emit(exc)
            return
        self.finished.emit(result)

    def _progress(self, done: int, total: int) -> bool:
        self.progress.emit(done, total)
        return not self._cancel.is_set()


class PrintQueueWidget(QWidget):
    queue_loaded = Signal(int)  # number of letters shown
    preview_loaded = Signal(int)  # letter id
    batch_progress = Signal(int, int)
    batch_finished = Signal(object)  # PrintRun
    error = Signal(str)

    def __init__(
        self,
        letter_service: LetterService,
        actor: Actor,
        run_in_background: RunInBackground | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = letter_service
        self._actor = actor
        if run_in_background is None:
            from cras_desk.gui.tasks import TaskRunner

            self._tasks = TaskRunner(self)
            run_in_background = self._tasks.run
        self._run = run_in_background
        self._preview_id: int | None = None
        self._pdf_bytes = QByteArray()
        self._buffer: QBuffer | None = None
        self._thread: QThread | None = None
        self._worker: BatchWorker | None = None
        self._progress_dialog: QProgressDialog | None = None
        self._batch_over = True
        self.last_run: PrintRun | None = None

        self.model = LetterQueueModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._on_row_changed)

        self.document = QPdfDocument(self)
        self.document.statusChanged.connect(self._on_document_status)
        self.preview = QPdfView(self)
        self.preview.setDocument(self.document)
        self.preview.setPageMode(QPdfView.PageMode.MultiPage)
        self.preview.setZoomMode(QPdfView.ZoomMode.FitToWidth)

        self.count_label = QLabel("Loading the letter queue…", self)
        self.status_label = QLabel("", self)
        self.status_label.setWordWrap(True)
        self.refresh_button = QPushButton("&Refresh", self)
        self.print_button = QPushButton("&Print…", self)
        self.print_button.setToolTip("Print the letter shown in the preview on a printer")
        self.batch_button = QPushButton("Print &all to PDF…", self)
        self.batch_button.setToolTip(
            "Write every queued letter to one PDF for the printer and one PDF per letter, "
            "and mark them printed"
        )
        self.print_combined_button = QPushButton("Send last run to &printer…", self)
        self.print_combined_button.setEnabled(False)
        self.print_button.setEnabled(False)
        self.refresh_button.clicked.connect(self.refresh)
        self.print_button.clicked.connect(self.print_selected)
        self.batch_button.clicked.connect(self._choose_batch_folder)
        self.print_combined_button.clicked.connect(self.print_last_run)

        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label)
        buttons.addStretch(1)
        for button in (self.refresh_button, self.print_button, self.batch_button, self.print_combined_button):
            buttons.addWidget(button)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)
        self.refresh()

    # --- queue ----------------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        service, actor = self._service, self._actor
        self._run(lambda: service.queue(actor), self._on_queue, self._on_error)

    def _on_queue(self, letters: list[Any]) -> None:
        keep = self._preview_id
        self.model.set_letters(letters)
        n = len(letters)
        self.count_label.setText(
            "No letters waiting" if n == 0 else f"{n} letter{'s' if n != 1 else ''} waiting"
        )
        self.batch_button.setEnabled(n > 0 and self._thread is None)
        row = self.model.row_of(keep) if keep is not None else None
        if row is None and n:
            row = 0
        if row is not None:
            self.table.selectRow(row)
        else:
            self._clear_preview()
        self.queue_loaded.emit(n)

    # --- preview --------------------------------------------------------------------------------

    def _on_row_changed(self, current: Any, _previous: Any) -> None:
        if not current.isValid():
            return
        letter_id = self.model.letter_at(current.row()).id
        if letter_id == self._preview_id and self.document.status() == QPdfDocument.Status.Ready:
            return
        self.show_letter(letter_id)

    def show_letter(self, letter_id: int) -> None:
        self._preview_id = letter_id
        self.print_button.setEnabled(False)
        service, actor = self._service, self._actor
        self._run(
            lambda: service.render(actor, letter_id),
            lambda pdf: self._load_pdf(letter_id, pdf),
            self._on_error,
        )

    def _load_pdf(self, letter_id: int, pdf: bytes) -> None:
        if letter_id != self._preview_id:
            return  # the advisor moved on while it rendered
        self.document.close()
        # QPdfDocument reads from the device lazily: the bytes and the buffer must outlive it.
        self._pdf_bytes = QByteArray(pdf)
        self._buffer = QBuffer(self._pdf_bytes, self)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(self._buffer)

    def _on_document_status(self, status: QPdfDocument.Status) -> None:
        if status == QPdfDocument.Status.Ready and self._preview_id is not None:
            self.print_button.setEnabled(True)
            self.preview_loaded.emit(self._preview_id)
        elif status == QPdfDocument.Status.Error:
            self._on_error(RuntimeError("The letter preview could not be shown."))

    def _clear_preview(self) -> None:
        self._preview_id = None
        self.document.close()
        self.print_button.setEnabled(False)

    # --- printing one letter --------------------------------------------------------------------

    @Slot()
    def print_selected(self) -> None:
        if self._preview_id is None or self.document.status() != QPdfDocument.Status.Ready:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        prepare_printer(printer)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print letter")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.print_to(printer)

    def print_to(self, printer: QPrinter) -> None:
        """Print the previewed letter on a configured printer and record it as printed."""
        letter_id = self._preview_id
        if letter_id is None:
            return
        try:
            print_pdf(self.document, printer)
        except PrintFailed as exc:
            self._on_error(exc)
            return
        service, actor = self._service, self._actor
        self._run(lambda: service.mark_printed(actor, [letter_id]), lambda _n: self.refresh(), self._on_error)
        self.status_label.setText("Letter sent to the printer.")

    # --- batch ----------------------------------------------------------------------------------

    def _choose_batch_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the printed letters")
        if folder:
            self.start_batch(Path(folder))

    def start_batch(self, out_dir: Path) -> None:
        """Print the whole queue to PDF files on a worker thread, with a cancellable progress dialog."""
        if self._thread is not None:
            return
        self.batch_button.setEnabled(False)
        self._batch_over = False
        self.status_label.setText("Printing the letter queue…")
        worker = BatchWorker(self._service, self._actor, out_dir)
        thread = QThread(self)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._on_batch_progress)
        worker.finished.connect(self._on_batch_finished)
        worker.failed.connect(self._on_batch_failed)
        worker.finished.connect(thread.quit)
        worker.failed.connect(thread.quit)
        thread.finished.connect(self._on_thread_done)
        dialog = QProgressDialog("Printing letters…", "Cancel", 0, 0, self)
        dialog.setWindowTitle("Print letter queue")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.cancel_batch)
        self._worker, self._thread, self._progress_dialog = worker, thread, dialog
        thread.start()

    @Slot()
    def cancel_batch(self) -> None:
        if self._worker is not None and not self._batch_over:
            self._worker.cancel()
            self.status_label.setText("Stopping after the letter being printed…")

    @property
    def batch_running(self) -> bool:
        return self._thread is not None

    def _on_batch_progress(self, done: int, total: int) -> None:
        # A modal QProgressDialog runs the event loop inside setValue(), so the run's result can
        # arrive while an earlier progress report is still being handled: ignore late reports.
        if self._batch_over:
            return
        if self._progress_dialog is not None:
            self._progress_dialog.setMaximum(total)
            self._progress_dialog.setValue(done)
            self._progress_dialog.setLabelText(f"Printing letters… {done} of {total}")
        self.batch_progress.emit(done, total)

    def _on_batch_finished(self, run: PrintRun) -> None:
        self._batch_over = True
        self.last_run = run
        if run.count == 0:
            self.status_label.setText("No letters were printed.")
        else:
            note = " (stopped early; the rest are still queued)" if run.cancelled else ""
            letters = "1 letter" if run.count == 1 else f"{run.count} letters"
            pages = "1 page" if run.pages == 1 else f"{run.pages} pages"
            self.status_label.setText(
                f"{letters} ({pages}) written to {run.combined_pdf}{note}. "
                "One PDF per letter is in the same folder."
            )
        self.print_combined_button.setEnabled(run.combined_pdf is not None)
        self.batch_finished.emit(run)

    def _on_batch_failed(self, exc: BaseException) -> None:
        self._batch_over = True
        self._on_error(exc)

    def _on_thread_done(self) -> None:
        worker, thread, dialog = self._worker, self._thread, self._progress_dialog
        self._worker = self._thread = self._progress_dialog = None
        if dialog is not None:
            dialog.canceled.disconnect(self.cancel_batch)  # closing a QProgressDialog emits canceled
            dialog.close()
            dialog.deleteLater()
        if worker is not None:
            worker.deleteLater()
        if thread is not None:
            thread.deleteLater()
        self.refresh()

    def shutdown(self, msecs: int = 30_000) -> None:
        """Stop a running batch and wait for it (call before the window closes)."""
        thread = self._thread
        if thread is not None:
            self.cancel_batch()
            thread.quit()
            thread.wait(msecs)

    # --- the last batch to a printer --------------------------------------------------------------

    @Slot()
    def print_last_run(self) -> None:
        if self.last_run is None or self.last_run.combined_pdf is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        prepare_printer(printer)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print the letter run")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        document = QPdfDocument(self)
        document.load(str(self.last_run.combined_pdf))
        try:
            print_pdf(document, printer)
        except PrintFailed as exc:
            self._on_error(exc)
        finally:
            document.close()
            document.deleteLater()

    # --- errors ---------------------------------------------------------------------------------

    def _on_error(self, exc: BaseException) -> None:
        message = str(exc) or exc.__class__.__name__
        self.status_label.setText(message)
        self.error.emit(message)
