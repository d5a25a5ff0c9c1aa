"""One early-warning list: a table of what needs action, each row opened where the lead acts on it.

A row about one referral opens that referral on the desk (the patient pane, the call flow, the
worklist's cursor on it); a row about a service or site shows the worklist filtered to the
referrals concerned. Return or a double-click on a row does what its button says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from cras_desk.gui.dashboard import export
from cras_desk.gui.dashboard.figure_panel import CopyableTable, SummaryLabel, fit_columns_once
from cras_desk.gui.dashboard.figure_table import EMPTY, FigureTable, FigureTableModel
from cras_desk.gui.style import set_role
from cras_desk.gui.widgets.banner import MessageBanner
from cras_desk.gui.widgets.tables import setup_table
from cras_desk.services.worklist import WorklistFilter

TABLE_MIN_ROWS = 4
TABLE_MAX_ROWS_SHOWN = 8  # the table grows to this many rows, then scrolls within itself


@dataclass(frozen=True)
class OpenReferral:
    referral_id: int


@dataclass(frozen=True)
class ShowWorklist:
    filter: WorklistFilter
    what: str  # "physiotherapy referrals breaching before 12 Jan", for the announcement


Target = OpenReferral | ShowWorklist


class WarningsPanel(QFrame):
    referral_requested = Signal(int)
    worklist_requested = Signal(object, str)  # a WorklistFilter, and what it shows in words
    exported = Signal(str)

    def __init__(self, key: str, title: str, parent: QWidget | None = None, *, actions: bool = True) -> None:
        super().__init__(parent)
        self.has_actions = actions  # False: a table alone, nothing to open (the forecast's backtest)
        self.key = key
        self.title = title
        self.setObjectName(f"warning_{key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(title)
        self._targets: list[Target | None] = []
        self._list_target: ShowWorklist | None = None
        self._summary_text = ""
        self.loaded_once = False

        self.title_label = QLabel(title, self)
        font = QFont(self.title_label.font())
        font.setBold(True)
        self.title_label.setFont(font)
        self.summary = SummaryLabel(self)
        self.summary.setText("Loading…")
        self.summary.setAccessibleName(f"{title}: in short")
        set_role(self.summary, "hint")

        self.model = FigureTableModel(self)
        self.table = CopyableTable(self)
        self.table.setObjectName(f"warnings_{key}")
        self.table.setModel(self.model)
        setup_table(self.table, f"{title}: list")
        fit_columns_once(self.table)
        self.table.verticalHeader().setVisible(False)
        self._row_height = self.fontMetrics().height() + 8
        self.table.verticalHeader().setDefaultSectionSize(self._row_height)
        self._fit_height(0)
        self.table.activated.connect(self._activated)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._set_enabled())

        self.open_button = QPushButton("Open referral", self)
        self.open_button.setAccessibleName(f"{title}: open the chosen row")
        self.all_button = QPushButton("Show all in worklist", self)
        self.all_button.setAccessibleName(f"{title}: show the whole list in the worklist")
        self.csv_button = QPushButton("Export CSV…", self)
        self.csv_button.setAccessibleName(f"Export the {title.lower()} list as CSV")
        self.open_button.clicked.connect(self.open_current)
        self.all_button.clicked.connect(self.show_all)
        self.csv_button.clicked.connect(self.choose_csv)
        self.banner = MessageBanner(self)

        header = QHBoxLayout()
        header.addWidget(self.title_label)
        header.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.all_button)
        buttons.addStretch(1)
        # A list to act on has its buttons under it; a table alone its export at the top, as a chart's.
        (buttons if actions else header).addWidget(self.csv_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.addLayout(header)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        if actions:
            layout.addLayout(buttons)
        layout.addWidget(self.banner)
        self._set_enabled()

    # -- contents ---------------------------------------------------------------------------------

    def set_rows(
        self,
        table: FigureTable,
        targets: Sequence[Target | None],
        summary: str,
        list_target: ShowWorklist | None = None,
    ) -> None:
        if len(targets) != len(table.rows):
            raise ValueError("one target per row")
        self.model.set_table(table)
        self._fit_height(len(table.rows))
        self._targets = list(targets)
        self._list_target = list_target
        self._summary_text = summary
        self.summary.setText(summary)
        self.table.setAccessibleDescription(summary)
        self.banner.clear()
        self.loaded_once = True
        if self.has_actions and self._targets:
            # The cursor on the first row, so Return opens it; not selected, so no row looks chosen.
            self.table.selectionModel().setCurrentIndex(
                self.model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )
        self._set_enabled()

    def set_problem(self, text: str) -> None:
        self.banner.error(text)
        if not self.loaded_once:
            self.summary.setText("Not available.")
            self.model.set_table(EMPTY)
            self._targets = []
        self._set_enabled()

    def _fit_height(self, rows: int) -> None:
        """As tall as its rows (at least a few, at most TABLE_MAX_ROWS_SHOWN, then it scrolls)."""
        shown = min(max(rows, TABLE_MIN_ROWS if self.has_actions else 2), TABLE_MAX_ROWS_SHOWN)
        height = self._row_height * (shown + 1) + 2 * self.table.frameWidth() + 6
        self.table.setFixedHeight(height)

    @property
    def figure_table(self) -> FigureTable:
        return self.model.table

    def targets(self) -> list[Target | None]:
        return list(self._targets)

    def summary_text(self) -> str:
        return self._summary_text

    def current_target(self) -> Target | None:
        index = self.table.currentIndex()
        return self._targets[index.row()] if index.isValid() and index.row() < len(self._targets) else None

    def _set_enabled(self) -> None:
        target = self.current_target()
        self.open_button.setVisible(self.has_actions)
        self.open_button.setEnabled(target is not None)
        self.open_button.setText("Show in worklist" if isinstance(target, ShowWorklist) else "Open referral")
        self.all_button.setVisible(self.has_actions and self._list_target is not None)
        self.all_button.setEnabled(self._list_target is not None)
        self.csv_button.setEnabled(self.loaded_once)

    # -- acting on a row --------------------------------------------------------------------------

    def _activated(self, index: QModelIndex) -> None:
        target = self._targets[index.row()] if index.isValid() and index.row() < len(self._targets) else None
        if target is not None:
            self.open(target)

    def open_current(self) -> None:
        target = self.current_target()
        if target is not None:
            self.open(target)

    def show_all(self) -> None:
        if self._list_target is not None:
            self.open(self._list_target)

    def open(self, target: Target) -> None:
        if isinstance(target, OpenReferral):
            self.referral_requested.emit(target.referral_id)
        else:
            self.worklist_requested.emit(target.filter, target.what)

    # -- export -----------------------------------------------------------------------------------

    def choose_csv(self) -> None:
        path = export.ask_path(self, f"Export the {self.title.lower()} list as CSV", self.key, ".csv")
        if path is not None:
            self.export_csv(path)

    def export_csv(self, path: Path) -> bool:
        ok = export.save(
            self.banner, path, lambda: export.csv_bytes(self.model.table), f"{self.title.lower()} list"
        )
        if ok:
            self.exported.emit(str(path))
        return ok
