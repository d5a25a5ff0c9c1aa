"""The audit trail window (admins): filter by user, NHS number, dates and action; export CSV.

A thin client of cras_desk.services.audit_log: the searches, pages and the export run on the
desk's database worker, each new search superseding the one before. The table holds the pages
read so far (keyset, newest first); scrolling to its end, or "Show older", reads the next page.
How many events match is said to the screen reader as well as shown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cras_desk.domain.clock import to_london
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import ValidationError
from cras_desk.domain.nhs_number import format_334
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.accessible_names import name_combo
from cras_desk.gui.widgets.announcer import Announcer
from cras_desk.gui.widgets.error_text import describe_error
from cras_desk.gui.widgets.tab_order import set_tab_order
from cras_desk.gui.widgets.tables import RowTableModel, TableColumn, setup_table
from cras_desk.services.audit_log import (
    DATE_EXAMPLE,
    AuditEntry,
    AuditFilters,
    AuditLog,
    AuditPage,
    parse_day,
)

SEARCH_KEY = "admin.audit.search"  # a new search supersedes the page still being read
WINDOW_SIZE = (1240, 680)  # inside 1366x768 with the taskbar and the window frame


class Column(TableColumn):
    WHEN = "When"
    USER = "User"
    ACTION = "Action"
    RECORD = "Record"
    NHS = "NHS number"
    DETAIL = "Detail"


def detail_words(detail: dict[str, object] | None) -> str:
    if not detail:
        return ""
    return "; ".join(f"{key}: {value}" for key, value in sorted(detail.items()))


class AuditModel(RowTableModel[AuditEntry, Column]):
    """The events read so far; asks for the next page when the view reaches the end."""

    columns = Column

    def __init__(self, fetch_more: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fetch_more = fetch_more
        self.more = False  # an older page exists
        self.fetching = False  # its read is under way (the re-entry guard fetchMore needs)

    def append(self, entries: list[AuditEntry]) -> None:
        if not entries:
            return
        first = self.rowCount()
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        self._rows.extend(entries)
        self.endInsertRows()

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self.more and not self.fetching

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self.fetch_more()

    def text(self, row: AuditEntry, column: Column) -> str:
        if column is Column.WHEN:
            return to_london(row.at).strftime("%d %b %Y %H:%M:%S")
        if column is Column.USER:
            if row.username:
                return row.username
            return "(nobody signed in)" if row.user_id is None else f"user {row.user_id}"
        if column is Column.ACTION:
            return row.action
        if column is Column.RECORD:
            return row.entity if row.entity_id is None else f"{row.entity} {row.entity_id}"
        if column is Column.NHS:
            return format_334(row.nhs_number) if row.nhs_number else ""
        return detail_words(row.detail)

    def tooltip(self, row: AuditEntry, column: Column) -> str | None:
        return self.text(row, column) if column is Column.DETAIL else None


class AuditViewer(QDialog):
    """Not modal: an admin may keep the trail open beside the desk."""

    searched = Signal(object)  # the first AuditPage of a search, once shown
    exported = Signal(int)  # events written

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.log = AuditLog(ctx.services.db)
        self.filters = AuditFilters()
        self.next_before_id: int | None = None
        # Where Export CSV... writes; a test puts its own chooser here.
        self.choose_export_path: Callable[[], Path | None] = self._ask_export_path
        self.setObjectName("auditViewer")
        self.setWindowTitle("Audit trail")
        self.setAccessibleName("Audit trail")
        self.setModal(False)
        self._build()
        self.resize(*WINDOW_SIZE)
        self.allowed = ctx.actor.role is Role.ADMIN
        if self.allowed:
            self._load_actions()
        else:
            self.announcer.announce("The audit trail is for admins; you are not signed in as one.")
        self._set_enabled(busy=False)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.user_edit = QLineEdit(self)
        self.user_edit.setPlaceholderText("user name or id")
        self.nhs_edit = QLineEdit(self)
        self.nhs_edit.setPlaceholderText("999 000 0018")
        self.from_edit = QLineEdit(self)
        self.from_edit.setPlaceholderText(DATE_EXAMPLE)
        self.to_edit = QLineEdit(self)
        self.to_edit.setPlaceholderText(DATE_EXAMPLE)
        self.action_combo = QComboBox(self)
        self.action_combo.setEditable(True)
        self.action_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.action_combo.addItem("")
        # Wide enough for the longest action ("view_letter_queue"), whatever the list holds yet.
        self.action_combo.setMinimumContentsLength(18)
        self.action_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        fields: list[tuple[str, QWidget]] = [
            ("&User", self.user_edit),
            ("&NHS number", self.nhs_edit),
            ("Date &from", self.from_edit),
            ("Date &to", self.to_edit),
            ("&Action", self.action_combo),
        ]
        grid = QGridLayout()
        for column, (text, field) in enumerate(fields):
            label = QLabel(text, self)
            label.setBuddy(field)
            field.setAccessibleName(text.replace("&", ""))
            grid.addWidget(label, 0, column)
            grid.addWidget(field, 1, column)
            grid.setColumnStretch(column, 1)
        name_combo(self.action_combo)

        self.search_button = QPushButton("&Search", self)
        # The default button: Return in any filter searches (the dialog presses it), once.
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        self.clear_button = QPushButton("C&lear filters", self)
        self.clear_button.clicked.connect(self.clear_filters)
        self.older_button = QPushButton("Show &older", self)
        self.older_button.clicked.connect(self.load_older)
        self.export_button = QPushButton("&Export CSV...", self)
        self.export_button.clicked.connect(self.export)
        self.close_button = QPushButton("Close", self)
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close)
        for button in (self.search_button, self.clear_button, self.older_button, self.export_button):
            button.setAccessibleName(button.text().replace("&", ""))
        buttons = QHBoxLayout()
        for button in (self.search_button, self.clear_button, self.older_button, self.export_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        self.status_label = QLabel(self)
        self.status_label.setObjectName("auditStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Audit search result")
        self.announcer = Announcer(self.status_label, self)

        self.model = AuditModel(self.load_older, self)
        self.table = QTableView(self)
        self.table.setObjectName("auditTable")
        self.table.setModel(self.model)
        setup_table(self.table, "Audit events")
        self.table.horizontalHeader().setStretchLastSection(True)
        table_label = QLabel("E&vents, newest first", self)
        table_label.setBuddy(self.table)

        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        layout.addWidget(table_label)
        layout.addWidget(self.table, 1)
        set_tab_order(
            [
                self.user_edit,
                self.nhs_edit,
                self.from_edit,
                self.to_edit,
                self.action_combo,
                self.search_button,
                self.clear_button,
                self.older_button,
                self.export_button,
                self.table,
                self.close_button,
            ]
        )
        self.user_edit.setFocus()

    # -- searching -----------------------------------------------------------------------------

    def read_filters(self) -> AuditFilters | None:
        """The filters as typed, or None after saying (and focusing) what is wrong with a date."""
        try:
            date_from = parse_day(self.from_edit.text(), "Date from")
        except ValidationError as err:
            self._refuse(str(err), self.from_edit)
            return None
        try:
            date_to = parse_day(self.to_edit.text(), "Date to")
        except ValidationError as err:
            self._refuse(str(err), self.to_edit)
            return None
        return AuditFilters(
            user=self.user_edit.text().strip(),
            nhs_number=self.nhs_edit.text().strip(),
            date_from=date_from,
            date_to=date_to,
            action=self.action_combo.currentText().strip(),
        )

    def search(self) -> None:
        if not self.allowed:
            return
        filters = self.read_filters()
        if filters is None:
            return
        self.filters = filters
        self.model.fetching = True
        self.model.more = False
        self.model.set_rows([])
        self._set_enabled(busy=True)
        self.announcer.announce("Searching the audit trail...")
        log, actor = self.log, self.ctx.actor
        self.ctx.tasks.run(
            lambda: log.search(actor, filters), self._first_page, self._search_failed, key=SEARCH_KEY
        )

    def load_older(self) -> None:
        """The next (older) page of the search on show, added below the rows read so far."""
        if not self.allowed or self.next_before_id is None or self.model.fetching:
            return
        self.model.fetching = True
        self._set_enabled(busy=True)
        log, actor, filters, before = self.log, self.ctx.actor, self.filters, self.next_before_id
        self.ctx.tasks.run(
            lambda: log.search(actor, filters, before_id=before),
            self._older_page,
            self._search_failed,
            key=SEARCH_KEY,
        )

    def _first_page(self, page: AuditPage) -> None:
        self.model.set_rows(page.entries)
        self._page_read(page)
        if page.total == 0:
            self.announcer.announce("No events match these filters.")
        elif page.next_before_id is None:
            self.announcer.announce(f"{page.total_words.capitalize()} found.")
        else:
            self.announcer.announce(
                f"{page.total_words.capitalize()} found; the newest {len(page.entries)} shown. "
                "Older ones follow at the end of the table (Show older)."
            )
        self.searched.emit(page)

    def _older_page(self, page: AuditPage) -> None:
        self.model.append(page.entries)
        self._page_read(page)
        shown = self.model.rowCount()
        rest = "" if page.next_before_id is None else "; more follow"
        self.announcer.announce(f"{shown:,} of {page.total_words} shown{rest}.")

    def _page_read(self, page: AuditPage) -> None:
        self.next_before_id = page.next_before_id
        self.model.more = page.next_before_id is not None
        self.model.fetching = False
        self._set_enabled(busy=False)

    def _search_failed(self, exc: BaseException) -> None:
        self.model.fetching = False
        self._set_enabled(busy=False)
        message = describe_error(exc)
        self._refuse(message, self._field_named_in(message))

    def _field_named_in(self, message: str) -> QWidget | None:
        """The filter a refusal names ("NHS number: ..."), so focus goes where the fix is typed."""
        for prefix, field in (
            ("User:", self.user_edit),
            ("NHS number:", self.nhs_edit),
            ("Date from", self.from_edit),
            ("Date to", self.to_edit),
        ):
            if message.startswith(prefix):
                return field
        return None

    def _refuse(self, message: str, field: QWidget | None) -> None:
        if field is not None:
            field.setFocus(Qt.FocusReason.OtherFocusReason)
        self.announcer.announce(message, assertive=True)

    def clear_filters(self) -> None:
        for edit in (self.user_edit, self.nhs_edit, self.from_edit, self.to_edit):
            edit.clear()
        self.action_combo.setCurrentIndex(0)
        self.action_combo.setEditText("")
        self.user_edit.setFocus()

    def _load_actions(self) -> None:
        log, actor = self.log, self.ctx.actor

        def filled(actions: list[str]) -> None:
            typed = self.action_combo.currentText()
            self.action_combo.clear()
            self.action_combo.addItems(["", *actions])
            self.action_combo.setEditText(typed)

        self.ctx.tasks.run(lambda: log.actions(actor), filled, self._search_failed)

    # -- export --------------------------------------------------------------------------------

    def _ask_export_path(self) -> Path | None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Export the audit events", "audit.csv", "CSV files (*.csv)"
        )
        return Path(chosen) if chosen else None

    def export(self) -> None:
        """Every event matching the filters as typed now (not only the pages shown) to a CSV file."""
        if not self.allowed:
            return
        filters = self.read_filters()
        if filters is None:
            return
        path = self.choose_export_path()
        if path is None:
            return
        self._set_enabled(busy=True)
        self.announcer.announce(f"Exporting to {path.name}...")
        log, actor = self.log, self.ctx.actor

        def done(written: int) -> None:
            self._set_enabled(busy=False)
            events = "1 event" if written == 1 else f"{written:,} events"
            self.announcer.announce(f"Exported {events} to {path.name} (readable by you only).")
            self.exported.emit(written)

        def failed(exc: BaseException) -> None:
            self._set_enabled(busy=False)
            self.announcer.announce(f"Nothing was exported: {describe_error(exc)}", assertive=True)

        self.ctx.tasks.run(lambda: log.export_csv(actor, filters, path), done, failed)

    def _set_enabled(self, *, busy: bool) -> None:
        # Search stays available while a read is under way: a new search supersedes it.
        for widget in (self.search_button, self.clear_button):
            widget.setEnabled(self.allowed)
        ready = self.allowed and not busy
        self.export_button.setEnabled(ready)
        self.older_button.setEnabled(ready and self.next_before_id is not None)
