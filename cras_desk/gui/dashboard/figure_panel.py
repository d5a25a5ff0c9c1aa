"""One figure on the dashboard: a chart with a readable table beside it, and its two exports.

The table is the figure for a screen reader and for copying (Ctrl+C copies the selected rows as
tab-separated text, ready for a spreadsheet or an email); the chart is the same numbers drawn.
"Export CSV" writes the table and "Export PNG" the chart, each to a file only its owner can read.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCharts import QChart, QChartView
from PySide6.QtCore import QKeyCombination, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence, QPainter, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from cras_desk.gui.dashboard import export
from cras_desk.gui.dashboard.figure_table import EMPTY, FigureTable, FigureTableModel
from cras_desk.gui.style import set_role
from cras_desk.gui.widgets.announcer import announce
from cras_desk.gui.widgets.banner import MessageBanner
from cras_desk.gui.widgets.column_fit import LEAST_CHARS, WHOLE_CHARS, ColumnFitter, ColumnSpec
from cras_desk.gui.widgets.tables import setup_table

CHART_MIN_HEIGHT = 290
CHART_MIN_WIDTH = 380
TABLE_MIN_WIDTH = 300
CHART_STYLE = "QChartView { border: 1px solid #AEB7BD; background: #FFFFFF; }"
SIZED_ROWS = 60  # rows measured to fit a table's columns
CELL_PADDING = 14  # a cell's margins and grid line around its text, as the view draws them


class SummaryLabel(QLabel):
    """A word-wrapped sentence that asks for the height its lines need at its width.

    A wrapped label's height-for-width is lost on the way up through the dashboard's grids to its
    scroll area, which then squeezed a three-line summary into one line; a minimum height kept
    up to date on each resize and each new text is what every layout respects.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self.width() > 0:
            self.setMinimumHeight(self.heightForWidth(self.width()))


class _SpecsOfTheRows:
    """A table's column widths from the text of its first rows, measured once per load.

    As column_fit.measured_specs judges them (short contents kept whole, long ones squeezable),
    but from the FigureTable's own text with the font's metrics: asking the view instead calls
    the model two dozen times a cell (every role the delegate looks at), 300 ms for the lists.
    """

    def __init__(self, table: QTableView) -> None:
        self._table = table
        self._specs: list[ColumnSpec] | None = None
        table.model().modelReset.connect(self.forget)

    def forget(self) -> None:
        self._specs = None

    def __call__(self) -> list[ColumnSpec]:
        if self._specs is None:
            self._specs = self._measure()
        return self._specs

    def _measure(self) -> list[ColumnSpec]:
        table = self._table
        model = table.model()
        figure = model.table if isinstance(model, FigureTableModel) else EMPTY
        metrics = table.fontMetrics()
        header = table.horizontalHeader()
        char = metrics.averageCharWidth()
        floor, whole = char * LEAST_CHARS + CELL_PADDING, char * WHOLE_CHARS + CELL_PADDING
        rows = figure.rows[:SIZED_ROWS]
        specs = []
        for c, column in enumerate(figure.columns):
            widest = max((metrics.horizontalAdvance(column.text(row[c])) for row in rows), default=0)
            content = widest + CELL_PADDING
            want = max(header.sectionSizeHint(c), content)
            least = max(floor, content) if content <= whole else floor
            specs.append(ColumnSpec(want=want, least=min(want, least)))
        return specs


def fit_columns_once(table: QTableView) -> None:
    """Fit the columns as setup_table does, but measure them once per load, not on every resize.

    Laying the dashboard out resizes each table dozens of times; measuring the rows each time
    (setup_table's fitter) took 120 ms of the early warnings' 150 ms on the UI thread, and
    measuring them through the view most of what was left.
    """
    for fitter in table.findChildren(ColumnFitter):
        # Now, not later: until it is gone it still filters the table's resizes and measures.
        shiboken6.delete(fitter)
    ColumnFitter(table, _SpecsOfTheRows(table))


class CopyableTable(QTableView):
    """A table whose selected rows Ctrl+C copies as tab-separated text, headings first."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.keyCombination() == QKeyCombination(Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_C) or (
            event.matches(QKeySequence.StandardKey.Copy)
        ):
            self.copy_selection()
            event.accept()
            return
        super().keyPressEvent(event)

    def copy_selection(self) -> str:
        model = self.model()
        rows = sorted({i.row() for i in self.selectionModel().selectedIndexes()}) or list(
            range(model.rowCount())
        )
        columns = range(model.columnCount())
        lines = ["\t".join(str(model.headerData(c, Qt.Orientation.Horizontal)) for c in columns)]
        lines += ["\t".join(str(model.index(r, c).data()) for c in columns) for r in rows]
        text = "\n".join(lines)
        QApplication.clipboard().setText(text)
        announce(self, f"Copied {len(rows)} row{'s' if len(rows) != 1 else ''} with the headings.")
        return text


class FigurePanel(QFrame):
    """A titled chart and its table; set_figure() shows a loaded figure, set_problem() a failure."""

    exported = Signal(str)  # the path written

    def __init__(
        self, key: str, title: str, parent: QWidget | None = None, *, shares: tuple[int, int] = (3, 2)
    ) -> None:
        """shares: how the width is split between the chart and the table (a wide table gets more)."""
        super().__init__(parent)
        self.key = key
        self.title = title
        self.setObjectName(f"figure_{key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(title)
        self._summary_text = ""
        self.loaded_once = False

        self.title_label = QLabel(title, self)
        font = QFont(self.title_label.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title_label.setFont(font)
        self.title_label.setAccessibleName(title)
        self.summary = SummaryLabel(self)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAccessibleName(f"{title}: in short")
        self.summary.setText("Loading…")
        set_role(self.summary, "hint")

        self.csv_button = QPushButton("Export CSV…", self)
        self.csv_button.setAccessibleName(f"Export the {title.lower()} table as CSV")
        self.csv_button.setToolTip("Save the table beside the chart as a CSV file")
        self.png_button = QPushButton("Export PNG…", self)
        self.png_button.setAccessibleName(f"Export the {title.lower()} chart as PNG")
        self.png_button.setToolTip("Save the chart as a PNG image")
        self.csv_button.clicked.connect(self.choose_csv)
        self.png_button.clicked.connect(self.choose_png)

        self.chart_view = QChartView(self)
        self.chart_view.setObjectName(f"chart_{key}")
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chart_view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chart_view.setMinimumSize(CHART_MIN_WIDTH, CHART_MIN_HEIGHT)
        self.chart_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.chart_view.setAccessibleName(f"{title}: chart")
        # The chart is a picture of the table beside it: Tab goes to the table, which says it all.
        self.chart_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        viewport = self.chart_view.viewport()
        viewport.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        viewport.setAccessibleName(f"{title}: chart")
        self.chart_view.setStyleSheet(CHART_STYLE)

        self.model = FigureTableModel(self)
        self.table = CopyableTable(self)
        self.table.setObjectName(f"table_{key}")
        self.table.setModel(self.model)
        setup_table(self.table, f"{title}: table", multi=True)
        fit_columns_once(self.table)
        self.table.setMinimumWidth(TABLE_MIN_WIDTH)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)

        self.banner = MessageBanner(self)

        header = QHBoxLayout()
        header.addWidget(self.title_label)
        header.addStretch(1)
        header.addWidget(self.csv_button)
        header.addWidget(self.png_button)
        body = QHBoxLayout()
        body.addWidget(self.chart_view, shares[0])
        body.addWidget(self.table, shares[1])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.addLayout(header)
        layout.addWidget(self.summary)
        layout.addWidget(self.banner)
        layout.addLayout(body, 1)
        self._set_enabled(False)

    # -- contents ---------------------------------------------------------------------------------

    def set_figure(self, chart: QChart, table: FigureTable, summary: str) -> None:
        old = self.chart_view.chart()
        self.chart_view.setChart(chart)
        if old is not None and isValid(old) and old is not chart:
            old.deleteLater()  # the view lets go of its last chart without deleting it
        self.model.set_table(table)
        self._summary_text = summary
        self.summary.setText(summary)
        self.summary.setAccessibleDescription(summary)
        self.chart_view.setAccessibleDescription(summary)
        self.banner.clear()
        self.loaded_once = True
        self._set_enabled(True)

    def set_loading(self) -> None:
        if not self.loaded_once:
            self.summary.setText("Loading…")

    def set_problem(self, text: str) -> None:
        self.banner.error(text)
        if not self.loaded_once:
            self.summary.setText("Not available.")
            self.model.set_table(EMPTY)
        self._set_enabled(self.loaded_once)

    def scroll_to_row(self, row: int) -> None:
        """Show this row of the table near its top (the demand table opens on this week, not the oldest)."""
        if 0 <= row < self.model.rowCount():
            self.table.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)

    @property
    def chart(self) -> QChart:
        return self.chart_view.chart()

    @property
    def figure_table(self) -> FigureTable:
        return self.model.table

    def summary_text(self) -> str:
        return self._summary_text

    def _set_enabled(self, ready: bool) -> None:
        self.csv_button.setEnabled(ready)
        self.png_button.setEnabled(ready)

    # -- exports ----------------------------------------------------------------------------------

    def choose_csv(self) -> None:
        path = export.ask_path(self, f"Export the {self.title.lower()} table as CSV", self.key, ".csv")
        if path is not None:
            self.export_csv(path)

    def choose_png(self) -> None:
        path = export.ask_path(self, f"Export the {self.title.lower()} chart as PNG", self.key, ".png")
        if path is not None:
            self.export_png(path)

    def export_csv(self, path: Path) -> bool:
        return self._saved(
            path,
            export.save(
                self.banner, path, lambda: export.csv_bytes(self.model.table), f"{self.title.lower()} table"
            ),
        )

    def export_png(self, path: Path) -> bool:
        return self._saved(
            path,
            export.save(
                self.banner, path, lambda: export.png_bytes(self.chart_view), f"{self.title.lower()} chart"
            ),
        )

    def _saved(self, path: Path, ok: bool) -> bool:
        if ok:
            self.exported.emit(str(path))
        return ok
