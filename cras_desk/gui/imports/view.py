"""The import screen (admins): choose a file, check it (dry run) or import it, see every refusal.

The file is read, checked and written on the desk's database worker (TaskRunner), so the window
stays responsive; the service reports progress from there, and a signal carries it to the bar on
the UI thread. The summary is spoken through the screen's own announcer, and each refused value
is a row of the problems table (line or resource, field, problem), which Tab reaches and leaves.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cras_desk.db.engine import Database
from cras_desk.domain.enums import Role
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.imports.problems_model import ProblemsModel
from cras_desk.gui.widgets.announcer import Announcer
from cras_desk.gui.widgets.error_text import describe_error
from cras_desk.gui.widgets.tab_order import set_entry, set_tab_order
from cras_desk.gui.widgets.tables import setup_table
from cras_desk.imports.outcome import ImportSummary
from cras_desk.imports.service import ImportService

REFERRALS = "referrals"
WAITS = "waits"
_KINDS = (
    (
        REFERRALS,
        "Triaged referrals (CSV, or a FHIR bundle .json)",
        "Referral files (*.csv *.json);;All files (*)",
    ),
    (WAITS, "Published waiting times (CSV)", "CSV files (*.csv);;All files (*)"),
)
_STAGES = {"checking": "Checking rows", "writing": "Writing"}


class _Relay(QObject):
    """Made on the UI thread; emitted from the worker, so the connection is queued to the UI."""

    progress = Signal(str, int, int)

    def report(self, stage: str, done: int, total: int) -> None:
        self.progress.emit(stage, done, total)


class ImportView(QWidget):
    finished = Signal(object)  # the ImportSummary shown
    progressed = Signal(str, int, int)  # stage, done, total: as the bar is moved

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._busy = False
        self._relay = _Relay(self)
        self._relay.progress.connect(self._progress)
        self._build()
        self._allowed = ctx.actor.role is Role.ADMIN
        if not self._allowed:
            self.announcer.announce("Imports are for administrators; you are not signed in as one.")
        self._set_enabled()

    def _build(self) -> None:
        self.setAccessibleName("Imports")
        title = QLabel("Imports", self)
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)
        intro = QLabel(
            "Check a file first: nothing is written, and every refused value is listed. Importing "
            "adds the good rows in one go; a file imported again adds nothing. Columns: docs/imports.md.",
            self,
        )
        intro.setWordWrap(True)

        self.kind_combo = QComboBox(self)
        for key, label, _ in _KINDS:
            self.kind_combo.addItem(label, key)
        self.kind_combo.setAccessibleName("What to import")
        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText("Choose a file")
        self.path_edit.setAccessibleName("File to import")
        self.path_edit.textChanged.connect(lambda _t: self._set_enabled())
        self.browse_button = QPushButton("Choose &file...", self)
        self.browse_button.setAccessibleName("Choose file")
        self.browse_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)
        form = QFormLayout()
        kind_label = QLabel("&What", self)
        kind_label.setBuddy(self.kind_combo)
        file_label = QLabel("F&ile", self)
        file_label.setBuddy(self.path_edit)
        form.addRow(kind_label, self.kind_combo)
        form.addRow(file_label, file_row)

        self.check_button = QPushButton("&Check only (dry run)", self)
        self.check_button.setAccessibleName("Check only (dry run)")
        self.check_button.clicked.connect(lambda: self.start(dry_run=True))
        self.import_button = QPushButton("&Import", self)
        self.import_button.setAccessibleName("Import")
        self.import_button.clicked.connect(lambda: self.start(dry_run=False))
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setAccessibleName("Import progress")
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%v of %m")
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.stage_label = QLabel("", self)
        self.stage_label.setAccessibleName("Import stage")
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.progress_bar, 1)
        buttons.addWidget(self.stage_label)

        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.summary_label.setAccessibleName("Import result")
        self.announcer = Announcer(self.summary_label, self)

        self.problems_model = ProblemsModel(self)
        self.problems_table = QTableView(self)
        self.problems_table.setModel(self.problems_model)
        setup_table(self.problems_table, "Refused values")
        header = self.problems_table.horizontalHeader()
        header.setStretchLastSection(True)
        problems_label = QLabel("&Refused values", self)
        problems_label.setBuddy(self.problems_table)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.summary_label)
        layout.addWidget(problems_label)
        layout.addWidget(self.problems_table, 1)
        set_tab_order(
            [
                self.kind_combo,
                self.path_edit,
                self.browse_button,
                self.check_button,
                self.import_button,
                self.problems_table,
            ]
        )
        set_entry(self, self.path_edit)

    # -- actions ------------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def choose_file(self) -> None:
        pattern = next(p for key, _, p in _KINDS if key == self.kind)
        path, _ = QFileDialog.getOpenFileName(self, "Choose the file to import", "", pattern)
        if path:
            self.path_edit.setText(path)

    def start(self, *, dry_run: bool) -> None:
        if self._busy or not self._allowed:
            return
        path = Path(self.path_edit.text().strip())
        if not path.is_file():
            self.announcer.announce(f"No such file: {path}. Choose the file again.", assertive=True)
            return
        self._busy = True
        self._set_enabled()
        self.problems_model.set_rows([])
        self.progress_bar.setRange(0, 0)  # busy until the first report gives a length
        self.stage_label.setText("Reading the file")
        verb = "Checking" if dry_run else "Importing"
        self.announcer.announce(f"{verb} {path.name}...")
        url, kind, actor, report = self.ctx.services.db.url, self.kind, self.ctx.actor, self._relay.report

        def work() -> ImportSummary:
            # A connection of its own without the desk's per-statement deadlines (seconds): writing
            # 100,000 rows in one statement rightly takes longer, as for the command line.
            db = Database(url, interactive=False)
            try:
                service = ImportService(db)
                run = service.import_referrals if kind == REFERRALS else service.import_waits
                return run(actor, path, dry_run=dry_run, progress=report)
            finally:
                db.dispose()

        self.ctx.tasks.run(work, self._done, self._failed)

    @Slot(str, int, int)
    def _progress(self, stage: str, done: int, total: int) -> None:
        if not self._busy:
            return
        self.stage_label.setText(_STAGES.get(stage, stage))
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
        self.progressed.emit(stage, done, total)

    def _done(self, summary: ImportSummary) -> None:
        self._busy = False
        self._set_enabled()
        self.progress_bar.setRange(0, max(1, summary.rows))
        self.progress_bar.setValue(summary.rows)
        self.stage_label.setText("Checked" if summary.dry_run else "Done")
        self.problems_model.set_rows(summary.errors)
        self.announcer.announce(summary.sentence(), assertive=not summary.ok)
        self.finished.emit(summary)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self._set_enabled()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.stage_label.setText("Stopped")
        self.announcer.announce(f"Nothing was imported: {describe_error(exc)}", assertive=True)

    def _set_enabled(self) -> None:
        allowed = getattr(self, "_allowed", False)
        ready = allowed and not self._busy
        has_file = bool(self.path_edit.text().strip())
        for widget in (self.kind_combo, self.path_edit, self.browse_button):
            widget.setEnabled(ready)
        self.check_button.setEnabled(ready and has_file)
        self.import_button.setEnabled(ready and has_file)
