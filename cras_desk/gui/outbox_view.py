"""The desk's outbox on screen: how many saved calls wait to be sent, sending them when the
database is back, and the list where the advisor decides about the ones the world overtook.

The outbox itself (cras_desk.outbox) and its replay (cras_desk.services.outbox_replay) know no Qt;
this runs the replay on the desk's worker and says what it did.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cras_desk.domain.clock import to_london
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.announcer import announce
from cras_desk.outbox import ItemKind, ItemState, OutboxItem
from cras_desk.services.outbox_replay import ReplayReport, replay

COUNT_EVERY_MS = 2000  # the count is a read of a local file: cheap, and no statement to the server
KIND_WORDS = {ItemKind.CALL_OUTCOME: "Call outcome", ItemKind.TIME_TO_THINK: "Time to think"}
STATE_WORDS = {
    ItemState.PENDING: "Waiting to send",
    ItemState.SENT: "Sent",
    ItemState.NEEDS_DECISION: "Needs your decision",
    ItemState.DISCARDED: "Discarded",
}


def report_words(report: ReplayReport) -> str:
    parts = []
    if report.sent:
        parts.append(f"{report.sent} saved while the database was away now sent.")
    if report.needs_decision:
        parts.append(f"{report.needs_decision} need your decision (Desk menu: Waiting to send).")
    if report.stopped_by:
        parts.append(f"{report.still_pending} still waiting: {report.stopped_by}")
    return " ".join(parts)


class OutboxController(QObject):
    waiting_changed = Signal(int)  # items pending or needing a decision
    said = Signal(str)

    def __init__(self, ctx: DeskContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._replaying = False
        self._waiting = -1
        self._timer = QTimer(self)
        self._timer.setInterval(COUNT_EVERY_MS)
        self._timer.timeout.connect(self.count)

    def start(self) -> None:
        self.count()
        self._timer.start()
        self.send()

    def stop(self) -> None:
        self._timer.stop()

    def count(self) -> None:
        outbox = self.ctx.outbox
        waiting = outbox.waiting() if outbox is not None else 0
        if waiting != self._waiting:
            self._waiting = waiting
            self.waiting_changed.emit(waiting)

    def connection_changed(self, ok: bool, _message: str) -> None:
        if ok:
            self.send()

    def send(self) -> None:
        """Send what is pending, in order, on the worker (nothing to do: nothing sent)."""
        outbox, ctx = self.ctx.outbox, self.ctx
        if outbox is None or self._replaying or not outbox.items(ItemState.PENDING):
            return
        self._replaying = True

        def work() -> ReplayReport:
            return replay(outbox, ctx.actor, ctx.services.contact, ctx.services.choice)

        def done(report: ReplayReport) -> None:
            self._replaying = False
            self.count()
            words = report_words(report)
            if words:
                self.said.emit(words)

        def failed(exc: BaseException) -> None:
            self._replaying = False
            self.said.emit(f"The calls kept on this PC could not be sent yet: {exc}")

        ctx.tasks.run(work, done, failed)

    def open_list(self, parent: QWidget) -> OutboxDialog | None:
        if self.ctx.outbox is None:
            return None
        dialog = OutboxDialog(self, parent)
        dialog.show()
        return dialog


class OutboxDialog(QDialog):
    """What this PC holds for the database, newest last; the advisor decides about the overtaken."""

    def __init__(self, controller: OutboxController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Waiting to send")
        self.setAccessibleName("Waiting to send: calls saved while the database was away")
        layout = QVBoxLayout(self)
        self.intro = QLabel(
            "Saved on this PC while the database could not be reached. They are sent in order as "
            "soon as it is back. One the database refused (the patient was discharged, or is being "
            "worked at another desk) waits here: send it again once that is sorted, or discard it.",
            self,
        )
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels(["Saved", "Referral", "What", "State", "What happened"])
        self.table.setAccessibleName("Items waiting to send")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(self)
        self.retry_button = QPushButton("Send again", self)
        self.retry_button.setAccessibleName("Send the selected item again")
        self.discard_button = QPushButton("Discard", self)
        self.discard_button.setAccessibleName("Discard the selected item")
        buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.discard_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        self.retry_button.clicked.connect(self.retry_selected)
        self.discard_button.clicked.connect(self.discard_selected)
        layout.addWidget(buttons)
        self._items: list[OutboxItem] = []
        self.load()

    def load(self) -> None:
        outbox = self.controller.ctx.outbox
        assert outbox is not None
        self._items = outbox.items(ItemState.PENDING, ItemState.NEEDS_DECISION)
        self.table.setRowCount(len(self._items))
        for row, item in enumerate(self._items):
            cells = [
                f"{to_london(item.saved_at):%a %d %b %H:%M}",
                str(item.referral_id),
                KIND_WORDS[item.kind],
                STATE_WORDS[item.state],
                item.message,
            ]
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, col, cell)
        self.table.resizeColumnsToContents()
        if self._items:
            self.table.selectRow(0)
        self._set_enabled()

    def selected(self) -> OutboxItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self._items[rows[0].row()] if rows else None

    def _set_enabled(self) -> None:
        has = self.selected() is not None
        self.retry_button.setEnabled(has)
        self.discard_button.setEnabled(has)

    def retry_selected(self) -> None:
        outbox, item = self.controller.ctx.outbox, self.selected()
        if outbox is None or item is None:
            return
        outbox.retry(item.id)
        announce(self, "Sending it again.")
        self.controller.send()
        self.load()

    def discard_selected(self) -> None:
        outbox, item = self.controller.ctx.outbox, self.selected()
        if outbox is None or item is None:
            return
        outbox.discard(item.id)
        announce(self, "Discarded: it will not be sent.")
        self.controller.count()
        self.load()
