"""Edit contact details: the patient's numbers (add, mark wrong or not in use, choose the preferred
one), address and best times to call, while they are on the line.

A small window over the desk, keyboard-complete: every control has a key (Alt+letter from its
label) and Tab goes through them in reading order. Each phone action saves at once (one service
call, one transaction); the address and times are saved together with one button. The result of
each action is written in the banner at the top of this window, where the advisor is looking, and
what they typed stays on screen when something is refused. Database work runs on the desk's worker
thread; the window refreshes from what the service returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from cras_desk.domain.enums import PhoneStatus
from cras_desk.domain.errors import StaleState
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.patient.phone_text import PHONE_STATUS_TEXT
from cras_desk.gui.widgets.banner import MessageBanner
from cras_desk.gui.widgets.error_text import describe_error
from cras_desk.gui.widgets.tab_order import set_tab_order
from cras_desk.services.contact_details import (
    CONTACT_TIMES_MAX,
    PHONE_KINDS,
    Address,
    ContactDetails,
    PhoneEntry,
)

# Listed in F1 help (shortcuts.PANEL_SHORTCUTS); the Alt keys are the labels' underlined letters.
SHORTCUTS: list[tuple[str, str]] = [
    ("Alt+P / Alt+M", "Phone numbers / the new number"),
    ("Alt+R", "Make the chosen number preferred"),
    ("Alt+W / Alt+U / Alt+S", "Mark the chosen number wrong / not in use / in use again"),
    ("Return (in the new number)", "Add the number"),
    ("Alt+1, Alt+2, Alt+O, Alt+N, Alt+C, Alt+B", "Address lines, town, county, postcode, best times"),
    ("Return (in the address) / Alt+V", "Save the address and best times"),
    ("Escape", "Close (asks once if the address was changed and not saved)"),
    ("Ctrl+Return (note window)", "Save the note"),
]

_ADDRESS_FIELDS: tuple[tuple[str, str, int], ...] = (
    # (attribute of Address, label with its Alt key, longest text the record holds)
    ("line1", "Address line &1:", 120),
    ("line2", "Address line &2:", 120),
    ("town", "T&own:", 60),
    ("county", "Cou&nty:", 60),
    ("postcode", "Post&code:", 8),
)


def phone_text(phone: PhoneEntry) -> str:
    """One line of the list, status in words: "07700 900123 - mobile, preferred"."""
    if phone.status is not PhoneStatus.ACTIVE:
        return f"{phone.number} - {phone.kind}, {PHONE_STATUS_TEXT[phone.status]}: do not call"
    return f"{phone.number} - {phone.kind}" + (", preferred" if phone.preferred else "")


class ContactEditor(QDialog):
    changed = Signal(int)  # referral id, after each saved change

    def __init__(self, ctx: DeskContext, referral_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.referral_id = referral_id
        self._details: ContactDetails | None = None
        self._busy = False
        self._discard_armed = False
        self.setObjectName("contactEditor")
        self.setWindowTitle("Edit contact details")
        self._build()
        self._set_enabled()
        self.load()

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.banner = MessageBanner(self)

        self.phones = QListWidget(self)
        self.phones.setObjectName("contactPhones")
        self.phones.setAccessibleName("Phone numbers")
        self.phones.currentRowChanged.connect(lambda _row: self._set_enabled())
        phones_label = QLabel("&Phone numbers (in use first):", self)
        phones_label.setBuddy(self.phones)

        self.preferred_button = QPushButton("Make p&referred", self)
        self.wrong_button = QPushButton("Mark &wrong number", self)
        self.unused_button = QPushButton("Mark not in &use", self)
        self.active_button = QPushButton("Mark in u&se again", self)
        self.preferred_button.clicked.connect(self.make_preferred)
        self.wrong_button.clicked.connect(lambda: self.mark(PhoneStatus.WRONG_NUMBER))
        self.unused_button.clicked.connect(lambda: self.mark(PhoneStatus.NOT_IN_USE))
        self.active_button.clicked.connect(lambda: self.mark(PhoneStatus.ACTIVE))
        phone_buttons = QHBoxLayout()
        for button in (self.preferred_button, self.wrong_button, self.unused_button, self.active_button):
            phone_buttons.addWidget(button)
        phone_buttons.addStretch(1)

        self.kind = QComboBox(self)
        self.kind.setObjectName("contactNewKind")
        for kind in PHONE_KINDS:
            self.kind.addItem(kind.capitalize(), kind)
        self.kind.setAccessibleName("Kind of the new number")
        kind_label = QLabel("&Kind:", self)
        kind_label.setBuddy(self.kind)
        self.number = QLineEdit(self)
        self.number.setObjectName("contactNewNumber")
        self.number.setMaxLength(24)
        self.number.setAccessibleName("New number")
        self.number.setPlaceholderText("e.g. 07700 900123")
        self.number.returnPressed.connect(self.add_phone)
        number_label = QLabel("New nu&mber:", self)
        number_label.setBuddy(self.number)
        self.add_button = QPushButton("&Add number", self)
        self.add_button.clicked.connect(self.add_phone)
        add_row = QHBoxLayout()
        add_row.addWidget(kind_label)
        add_row.addWidget(self.kind)
        add_row.addWidget(number_label)
        add_row.addWidget(self.number, 1)
        add_row.addWidget(self.add_button)

        address_box = QGroupBox("Address and best times to call", self)
        form = QFormLayout(address_box)
        self.address_edits: dict[str, QLineEdit] = {}
        for attr, label_text, longest in _ADDRESS_FIELDS:
            edit = QLineEdit(address_box)
            edit.setObjectName(f"contact_{attr}")
            edit.setMaxLength(longest + 2)  # room for stray spaces, which the service trims
            edit.returnPressed.connect(self.save_address)
            edit.textEdited.connect(self._typed)
            label = QLabel(label_text, address_box)
            label.setBuddy(edit)
            edit.setAccessibleName(label_text.replace("&", "").rstrip(":"))
            form.addRow(label, edit)
            self.address_edits[attr] = edit
        self.times = QLineEdit(address_box)
        self.times.setObjectName("contactTimes")
        self.times.setMaxLength(CONTACT_TIMES_MAX + 2)
        self.times.setPlaceholderText("e.g. mornings, not Wednesdays (blank: any time)")
        self.times.returnPressed.connect(self.save_address)
        self.times.textEdited.connect(self._typed)
        self.times.setAccessibleName("Best times to call")
        times_label = QLabel("&Best times to call:", address_box)
        times_label.setBuddy(self.times)
        form.addRow(times_label, self.times)

        self.save_button = QPushButton("Sa&ve address and times", self)
        self.save_button.clicked.connect(self.save_address)
        self.close_button = QPushButton("Close", self)
        self.close_button.setToolTip("Close (Escape)")
        self.close_button.clicked.connect(self.reject)
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)  # Return belongs to the field it is pressed in
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(phones_label)
        layout.addWidget(self.phones)
        layout.addLayout(phone_buttons)
        layout.addLayout(add_row)
        layout.addWidget(address_box)
        layout.addLayout(bottom)
        set_tab_order(
            [
                self.phones,
                self.preferred_button,
                self.wrong_button,
                self.unused_button,
                self.active_button,
                self.kind,
                self.number,
                self.add_button,
                *self.address_edits.values(),
                self.times,
                self.save_button,
                self.close_button,
            ]
        )
        self.phones.setMinimumHeight(4 * self.phones.fontMetrics().height() + 12)
        self.resize(640, self.sizeHint().height())

    # -- state ------------------------------------------------------------------------------------

    def current_phone(self) -> PhoneEntry | None:
        item = self.phones.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _set_enabled(self) -> None:
        ready = self._details is not None and not self._busy
        phone = self.current_phone() if ready else None
        active = phone is not None and phone.status is PhoneStatus.ACTIVE
        self.preferred_button.setEnabled(active and phone is not None and not phone.preferred)
        self.wrong_button.setEnabled(phone is not None and phone.status is not PhoneStatus.WRONG_NUMBER)
        self.unused_button.setEnabled(phone is not None and phone.status is not PhoneStatus.NOT_IN_USE)
        self.active_button.setEnabled(phone is not None and not active)
        for widget in (self.add_button, self.save_button):
            widget.setEnabled(ready)

    def _show(self, details: ContactDetails, *, keep_typing: bool = False) -> None:
        """Show what the service says is stored now. The address fields keep what was typed when
        the change was to the phones (keep_typing), so a phone action never wipes an edit."""
        self._details = details
        keep = self.current_phone()
        self.phones.clear()
        for phone in details.phones:
            item = QListWidgetItem(phone_text(phone), self.phones)
            item.setData(Qt.ItemDataRole.UserRole, phone)
            if keep is not None and phone.phone_id == keep.phone_id:
                self.phones.setCurrentItem(item)
        if self.phones.currentRow() < 0 and self.phones.count():
            self.phones.setCurrentRow(0)
        if not keep_typing or not self.has_unsaved_address():
            values: dict[str, str | None] = {**details.address.__dict__}
            for attr, edit in self.address_edits.items():
                edit.setText(values[attr] or "")
            self.times.setText(details.contact_times or "")
        self._set_enabled()

    def typed_address(self) -> tuple[Address, str]:
        text = {attr: edit.text() for attr, edit in self.address_edits.items()}
        address = Address(
            line1=text["line1"],
            line2=text["line2"] or None,
            town=text["town"],
            county=text["county"] or None,
            postcode=text["postcode"],
        )
        return address, self.times.text()

    def has_unsaved_address(self) -> bool:
        if self._details is None:
            return False
        stored = self._details.address
        values = {**stored.__dict__}
        typed = {attr: edit.text().strip() for attr, edit in self.address_edits.items()}
        if any(typed[attr] != (values[attr] or "") for attr in typed):
            return True
        return self.times.text().strip() != (self._details.contact_times or "")

    def _typed(self, _text: str) -> None:
        self._discard_armed = False

    # -- work on the worker -----------------------------------------------------------------------

    def _run(
        self,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        *,
        busy_text: str = "Saving…",
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        if self._busy:
            return
        self._busy = True
        self._set_enabled()
        self.banner.info(busy_text)

        def finished(result: Any) -> None:
            if isValid(self):
                self._busy = False
                done(result)

        def failed(exc: BaseException) -> None:
            if isValid(self):
                self._busy = False
                self._set_enabled()
                self.banner.error(describe_error(exc))  # what was typed is still on screen
                if on_error is not None:
                    on_error(exc)

        self.ctx.tasks.run(work, finished, failed)

    def load(self) -> None:
        svc, actor, rid = self.ctx.services.contact_details, self.ctx.actor, self.referral_id

        def loaded(details: ContactDetails) -> None:
            self.banner.clear()
            self._show(details)
            self.phones.setFocus(Qt.FocusReason.OtherFocusReason)

        self._run(lambda: svc.details(actor, rid), loaded, busy_text="Loading…")

    def _saved(self, message: str, *, keep_typing: bool = True) -> Callable[[ContactDetails], None]:
        def done(details: ContactDetails) -> None:
            self._show(details, keep_typing=keep_typing)
            self.banner.success(message)
            self.changed.emit(self.referral_id)

        return done

    def add_phone(self) -> None:
        number = self.number.text()
        if not number.strip():
            self.banner.warning("Type the new number first (e.g. 07700 900123).")
            self.number.setFocus()
            return
        kind = str(self.kind.currentData())
        svc, actor, rid = self.ctx.services.contact_details, self.ctx.actor, self.referral_id
        known = {p.phone_id for p in (self._details.phones if self._details else ())}

        def done(details: ContactDetails) -> None:
            if self.number.text() == number:  # typed since: left alone
                self.number.clear()
            added = next((p.number for p in details.phones if p.phone_id not in known), number.strip())
            self._saved(f"{kind.capitalize()} number {added} added.")(details)

        self._run(lambda: svc.add_phone(actor, rid, kind, number), done)

    def mark(self, status: PhoneStatus) -> None:
        phone = self.current_phone()
        if phone is None:
            return
        svc, actor, rid = self.ctx.services.contact_details, self.ctx.actor, self.referral_id
        words = PHONE_STATUS_TEXT[status]
        message = f"{phone.number} marked as {'a ' if status is PhoneStatus.WRONG_NUMBER else ''}{words}."
        self._run(lambda: svc.set_phone_status(actor, rid, phone.phone_id, status), self._saved(message))

    def make_preferred(self) -> None:
        phone = self.current_phone()
        if phone is None:
            return
        svc, actor, rid = self.ctx.services.contact_details, self.ctx.actor, self.referral_id
        message = f"{phone.number} is now the preferred number."
        self._run(lambda: svc.set_preferred(actor, rid, phone.phone_id), self._saved(message))

    def save_address(self) -> None:
        if self._details is None:
            return
        if not self.has_unsaved_address():
            self.banner.info("Nothing to save: the address and times are as stored.")
            return
        address, times = self.typed_address()
        expected = self._details
        svc, actor, rid = self.ctx.services.contact_details, self.ctx.actor, self.referral_id

        def refresh_if_stale(exc: BaseException) -> None:
            if isinstance(exc, StaleState):
                # What is stored now becomes what a second Save replaces; the typed text stays.
                self.ctx.tasks.run(lambda: svc.details(actor, rid), self._refreshed, lambda _e: None)

        self._run(
            lambda: svc.update_address(actor, rid, address, times, expected=expected),
            self._saved("Address and best times saved.", keep_typing=False),
            on_error=refresh_if_stale,
        )

    def _refreshed(self, details: ContactDetails) -> None:
        if isValid(self):
            self._show(details, keep_typing=True)

    # -- closing ----------------------------------------------------------------------------------

    def reject(self) -> None:
        # Typed but not saved: say so once; Escape (or Close) again discards it.
        if self.has_unsaved_address() and not self._discard_armed:
            self._discard_armed = True
            self.banner.warning(
                "The address or best times are changed but not saved: press Save (Alt+V), "
                "or Close again to discard them."
            )
            return
        super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.reject()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.has_unsaved_address() and not self._discard_armed:
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)
