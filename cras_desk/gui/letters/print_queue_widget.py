"""The print queue: letters waiting, a preview of the selected one, printing, and batch runs.

The screen shows the user's team's letters (leads and admins can show every team's) in one of
three lists: waiting to print, withdrawn (overtaken before printing, with the reason), and
printed, from which a letter is reprinted exactly as recorded (the service checks its SHA-256
and refuses a letter whose bytes would differ). Printing one letter sends the bytes the service
recorded, after checking they are those of the preview the user looked at.

Nothing here touches the database or reportlab on the UI thread: the queue and previews go
through run_in_background (the desk's one database worker, TaskRunner.run), and a batch run has
its own thread so a thousand letters do not hold up the desk's other queries. Cancel stops the
batch after the letter in hand; what was printed stays printed, the rest stays queued.

Live (follow()): a letter queued, printed or withdrawn at any desk reloads the list in one read on
the worker, in place: the letter selected, the scroll place and the focus stay. If the letter
being previewed leaves the list (printed or withdrawn elsewhere), that is said, with where and by
whom, and its neighbour is shown; nothing else is said.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, QThread, Signal, SignalInstance, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cras_desk.domain.enums import LetterStatus, Role
from cras_desk.gui.letters.batch_worker import BatchWorker
from cras_desk.gui.letters.pdf_printing import PrintFailed, prepare_printer, print_pdf, print_pdf_bytes
from cras_desk.gui.letters.queue_model import VIEWS, LetterQueueModel
from cras_desk.gui.live_view import FeedChanges, LiveRefresh
from cras_desk.gui.widgets.announcer import Announcer
from cras_desk.gui.widgets.column_fit import fit_columns
from cras_desk.gui.widgets.tab_order import set_tab_order
from cras_desk.gui.widgets.tables import keeping_place
from cras_desk.services.actor import Actor
from cras_desk.services.letters import LetterService, PrintRun, QueuedLetter

RunInBackground = Callable[..., None]  # (fn, on_done, on_error) -> None, as TaskRunner.run


class PrintQueueWidget(QWidget):
    queue_loaded = Signal(int)  # number of letters shown
    preview_loaded = Signal(int)  # letter id
    batch_progress = Signal(int, int)
    batch_finished = Signal(object)  # PrintRun
    printed = Signal(int, str)  # letter id, SHA-256 of the bytes sent to the printer (print or reprint)
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
        self._preview_sha: str | None = None  # digest of the bytes shown: what Print must send
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
        self.table.setAccessibleName("Letters waiting to be printed")
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (300 cells); arrows move in it
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        fit_columns(self.table)  # fits the screen's width: no sideways scrolling at 1366 pixels
        self.table.selectionModel().currentRowChanged.connect(self._on_row_changed)

        self.document = QPdfDocument(self)
        self.document.statusChanged.connect(self._on_document_status)
        self.preview = QPdfView(self)
        self.preview.setDocument(self.document)
        self.preview.setAccessibleName("Preview of the selected letter")
        self.preview.setPageMode(QPdfView.PageMode.MultiPage)
        self.preview.setZoomMode(QPdfView.ZoomMode.FitToWidth)

        self.view_combo = QComboBox(self)
        for label, *_rest in VIEWS:
            self.view_combo.addItem(label)
        self.view_label = QLabel("&Show:", self)
        self.view_label.setBuddy(self.view_combo)
        self.view_combo.setAccessibleName("Show letters")
        self.team_combo = QComboBox(self)
        if actor.team_id is not None:
            self.team_combo.addItem("My team", False)
        if actor.role is Role.ADMIN:  # only admins look across teams; an admin has no team of its own
            self.team_combo.addItem("All teams", True)
        self.team_combo.setEnabled(self.team_combo.count() > 1)
        self.team_label = QLabel("T&eam:", self)
        self.team_label.setBuddy(self.team_combo)
        self.team_combo.setAccessibleName("Team")
        self.view_combo.currentIndexChanged.connect(self.refresh)
        self.team_combo.currentIndexChanged.connect(self.refresh)

        self.count_label = QLabel("Loading the letter queue…", self)
        self.status_label = QLabel("", self)
        self.status_label.setWordWrap(True)
        self.status_announcer = Announcer(self.status_label, self)  # results are spoken, too
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
        self.reprint_button = QPushButton("Reprin&t…", self)
        self.reprint_button.setToolTip(
            "Print the selected printed letter again, exactly as it was recorded (checked against the record)"
        )
        self.reprint_button.setEnabled(False)
        self.reprint_button.clicked.connect(self.reprint_selected)
        self.print_button.setEnabled(False)
        self.refresh_button.clicked.connect(self.refresh)
        self.print_button.clicked.connect(self.print_selected)
        self.batch_button.clicked.connect(self._choose_batch_folder)
        self.print_combined_button.clicked.connect(self.print_last_run)

        filters = QHBoxLayout()
        for widget in (self.view_label, self.view_combo, self.team_label, self.team_combo):
            filters.addWidget(widget)
        filters.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label)
        buttons.addStretch(1)
        for button in (
            self.refresh_button,
            self.print_button,
            self.batch_button,
            self.print_combined_button,
            self.reprint_button,
        ):
            buttons.addWidget(button)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.preview)
        # Half each: the queue's seven columns need the room on a 1366-pixel screen.
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(buttons)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)
        # Tab follows the screen, top to bottom: the list's filters, the buttons, the list, the preview.
        set_tab_order(
            [
                self.view_combo,
                self.team_combo,
                self.refresh_button,
                self.print_button,
                self.batch_button,
                self.print_combined_button,
                self.reprint_button,
                self.table,
                self.preview,
            ]
        )
        # Letters only; what this user prints from here repaints itself.
        self.live_refresh = LiveRefresh(self, {"letter"}, self._live_refresh, mine=actor.user_id)
        self.refresh()

    def follow(self, seen: SignalInstance) -> None:
        """Follow the desk's change watch (LiveUpdates.changes_seen)."""
        self.live_refresh.follow(seen)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.live_refresh.shown()  # letters queued or printed while another screen was in front

    # --- queue ----------------------------------------------------------------------------------

    @property
    def view(self) -> LetterStatus:
        return VIEWS[max(0, self.view_combo.currentIndex())][1]

    @property
    def all_teams(self) -> bool:
        return bool(self.team_combo.currentData())

    def show_view(self, status: LetterStatus, all_teams: bool | None = None) -> None:
        """Choose the list (and the team scope) as the Show and Team boxes do."""
        if all_teams is not None:
            self.team_combo.setCurrentIndex(max(0, self.team_combo.findData(all_teams)))
        self.view_combo.setCurrentIndex(next(i for i, v in enumerate(VIEWS) if v[1] is status))

    def _live_refresh(self, changes: FeedChanges) -> None:
        service, actor = self._service, self._actor
        status, all_teams = self.view, self.all_teams

        def failed(exc: BaseException) -> None:
            self.live_refresh.done()
            self._on_error(exc)

        self._run(
            lambda: (status, all_teams, service.queue(actor, status=status, all_teams=all_teams)),
            lambda result: self._on_live_queue(result, changes),
            failed,
        )

    def _on_live_queue(
        self, result: tuple[LetterStatus, bool, list[QueuedLetter]], changes: FeedChanges
    ) -> None:
        self.live_refresh.done()
        status, all_teams, letters = result
        if (status, all_teams) != (self.view, self.all_teams):
            return  # the user has changed the list meanwhile; its own refresh is on the way
        shown = self._preview_id
        before = self._letter(shown) if shown is not None else None
        with keeping_place(self.table, self.model, _letter_key):
            self.model.update_rows(letters, _letter_key)
        self._count(status, len(letters))
        if shown is None or before is None:
            if self._preview_id is None and letters:
                self.table.selectRow(0)
            return
        if self.model.row_of(shown) is not None:
            return
        # The letter in the preview has left this list at another desk: say so, show its neighbour.
        change = changes.last("letter", shown)
        where = change.where() if change is not None else ""
        by = f" by {change.by}" if change is not None and change.by else ""
        self.status_announcer.announce(
            f"The letter you selected ({before.reference}) was just {_gone_word(status)}{where}{by}."
        )
        current = self.table.currentIndex()
        if current.isValid():
            self.table.selectRow(current.row())
        elif letters:
            self.table.selectRow(0)
        else:
            self._clear_preview()

    def _count(self, status: LetterStatus, n: int) -> None:
        _label, _status, name, empty = VIEWS[self.view_combo.currentIndex()]
        self.table.setAccessibleName(name)
        words = {
            LetterStatus.QUEUED: "waiting",
            LetterStatus.WITHDRAWN: "withdrawn",
            LetterStatus.PRINTED: "printed",
        }
        self.count_label.setText(empty if n == 0 else f"{n} letter{'s' if n != 1 else ''} {words[status]}")
        self.batch_button.setEnabled(status is LetterStatus.QUEUED and n > 0 and self._thread is None)

    @Slot()
    def refresh(self) -> None:
        self.live_refresh.forget()  # this read covers whatever waited
        service, actor = self._service, self._actor
        status, all_teams = self.view, self.all_teams
        self._run(
            lambda: (status, all_teams, service.queue(actor, status=status, all_teams=all_teams)),
            self._on_queue,
            self._on_error,
        )

    def _on_queue(self, result: tuple[LetterStatus, bool, list[QueuedLetter]]) -> None:
        status, all_teams, letters = result
        if (status, all_teams) != (self.view, self.all_teams):
            return  # the user has changed the list meanwhile; its own refresh is on the way
        keep = self._preview_id
        self.model.set_letters(letters)
        n = len(letters)
        self._count(status, n)
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
        self._preview_sha = None
        self.print_button.setEnabled(False)
        self.reprint_button.setEnabled(False)
        self._show_state(letter_id)
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
        self._preview_sha = hashlib.sha256(pdf).hexdigest()
        # QPdfDocument reads from the device lazily: the bytes and the buffer must outlive it.
        self._pdf_bytes = QByteArray(pdf)
        self._buffer = QBuffer(self._pdf_bytes, self)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(self._buffer)

    def _on_document_status(self, status: QPdfDocument.Status) -> None:
        if status == QPdfDocument.Status.Ready and self._preview_id is not None:
            letter = self._letter(self._preview_id)
            state = letter.status if letter is not None else None
            self.print_button.setEnabled(state is LetterStatus.QUEUED)
            self.reprint_button.setEnabled(state is LetterStatus.PRINTED)
            self.preview_loaded.emit(self._preview_id)
        elif status == QPdfDocument.Status.Error:
            self._on_error(RuntimeError("The letter preview could not be shown."))

    def _clear_preview(self) -> None:
        self._preview_id = None
        self._preview_sha = None
        self.document.close()
        self.print_button.setEnabled(False)
        self.reprint_button.setEnabled(False)

    def _letter(self, letter_id: int) -> QueuedLetter | None:
        row = self.model.row_of(letter_id)
        return self.model.letter_at(row) if row is not None else None

    def _show_state(self, letter_id: int) -> None:
        """A withdrawn letter says why under the list (the column may be too narrow for it)."""
        letter = self._letter(letter_id)
        if letter is not None and letter.status is LetterStatus.WITHDRAWN:
            self.status_label.setText(f"{letter.reference}: {letter.state_text}. It will not be printed.")

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
        """Record the previewed letter as printed and send the recorded bytes to the printer.

        The service first checks the letter still comes out as previewed (an address changed
        meanwhile is refused with a message, and the preview is refreshed); the bytes it returns,
        whose digest it recorded, are what is printed.
        """
        letter_id, previewed = self._preview_id, self._preview_sha
        if letter_id is None or previewed is None:
            return
        service, actor = self._service, self._actor

        def done(pdf: bytes) -> None:
            if self._send(pdf, printer, letter_id):
                self.status_announcer.announce("Letter sent to the printer.")
            self.refresh()

        def failed(exc: BaseException) -> None:
            self._on_error(exc)
            self._preview_id = None  # the letter has changed: show it again as it is now
            self.refresh()

        self._run(lambda: service.print_letter(actor, letter_id, previewed), done, failed)

    @Slot()
    def reprint_selected(self) -> None:
        if self._preview_id is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        prepare_printer(printer)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Reprint letter")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.reprint_to(printer)

    def reprint_to(self, printer: QPrinter) -> None:
        """Print the selected printed letter again: the service's bytes, checked against the
        recorded SHA-256; a letter that would differ is refused and nothing is printed."""
        letter_id = self._preview_id
        if letter_id is None:
            return
        service, actor = self._service, self._actor

        def done(pdf: bytes) -> None:
            if self._send(pdf, printer, letter_id):
                self.status_announcer.announce("Letter reprinted exactly as it was recorded.")

        self._run(lambda: service.reprint(actor, letter_id), done, self._on_error)

    def _send(self, pdf: bytes, printer: QPrinter, letter_id: int) -> bool:
        """Paint exactly these bytes onto the printer (a document of their own, whatever the
        preview shows by now)."""
        try:
            print_pdf_bytes(pdf, printer)
        except PrintFailed as exc:
            self._on_error(
                PrintFailed(f"{exc} The letter is recorded as printed: use Reprint to print it again.")
            )
            return False
        self.printed.emit(letter_id, hashlib.sha256(pdf).hexdigest())
        return True

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
        self.status_announcer.announce("Printing the letter queue…")
        worker = BatchWorker(self._service, self._actor, out_dir, self.all_teams)
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
            self.status_announcer.announce("Stopping after the letter being printed…")

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
            self.status_announcer.announce("No letters were printed.")
        else:
            note = " (stopped early; the rest are still queued)" if run.cancelled else ""
            letters = "1 letter" if run.count == 1 else f"{run.count} letters"
            pages = "1 page" if run.pages == 1 else f"{run.pages} pages"
            self.status_announcer.announce(
                f"{letters} ({pages}) written to {run.combined_pdf}{note}. "
                "One PDF per letter is in the same folder."
            )
        if run.held:  # left in the queue with the reason (no address on record, say)
            self.status_label.setText(
                f"{self.status_label.text()} Not printed ({len(run.held)}): {run.held[0][1]}".strip()
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
        self.status_announcer.announce(message)
        self.error.emit(message)


def _letter_key(letter: QueuedLetter) -> int:
    return letter.id


def _gone_word(listed: LetterStatus) -> str:
    """What became of a letter that left this list at another desk."""
    if listed is LetterStatus.QUEUED:
        return "printed or withdrawn"
    return "changed"
