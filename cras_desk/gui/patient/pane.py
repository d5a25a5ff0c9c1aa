"""The patient and referral pane: who the advisor is talking to, on one screen.

Reasonable adjustments and interpreter needs sit directly under the name in strong colours, so
they are read before anything is offered. The record is loaded on the worker (opening it is an
audited read) and replaces the pane in one go when it arrives.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cras_desk.domain.clock import to_london, today_london
from cras_desk.domain.enums import AdjustmentFlag, PhoneStatus
from cras_desk.domain.rtt import RttBand
from cras_desk.gui import shortcuts
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.patient.phone_text import PHONE_STATUS_TEXT
from cras_desk.gui.patient.record_changes import RecordChanges
from cras_desk.gui.style import set_role
from cras_desk.gui.widgets.display import band_words
from cras_desk.gui.worklist.model import STATUS_TEXT, nhs_334

if TYPE_CHECKING:
    from cras_desk.services.patient_record import PatientRecord

ADJUSTMENT_TEXT: dict[AdjustmentFlag, str] = {
    AdjustmentFlag.STEP_FREE: "Needs step-free access",
    AdjustmentFlag.HEARING_LOOP: "Needs a hearing loop",
    AdjustmentFlag.PARKING: "Needs parking",
    AdjustmentFlag.LARGE_PRINT: "Large print letters",
    AdjustmentFlag.INTERPRETER: "Interpreter",
    AdjustmentFlag.CARER_PRESENT: "Carer to be present",
    AdjustmentFlag.LONGER_APPOINTMENT: "Longer appointment",
}
WIDE_PANE = 980  # pixels from which the three boxes fit side by side
TWO_COLUMN_PANE = 720  # below this (beside the worklist on a 1366-pixel screen) they stack
BAND_TEXT = {
    RttBand.BREACHED: "BREACHED",
    RttBand.CRITICAL: "breaches within 2 weeks",
    RttBand.WARNING: "breaches within 4 weeks",
    RttBand.OK: "within target",
}


def _long_date(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b %Y}"


def _label(parent: QWidget, name: str, text: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


def _rows(form: QFormLayout, *fields: tuple[str, str]) -> list[QLabel]:
    """One read-only label per (heading, object name), added to the form in that order."""
    box = form.parentWidget()
    labels = [_label(box, name) for _heading, name in fields]
    for (heading, _name), label in zip(fields, labels, strict=True):
        form.addRow(heading, label)
    return labels


class PatientPane(QWidget):
    loaded = Signal(object)  # PatientRecord
    load_failed = Signal(object)  # the exception
    message = Signal(str)  # for the status bar ("Copied ...")
    changed = Signal(int)  # referral id: contact details or a note saved from this pane

    TASK_KEY = "patient.open"

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("patientPane")
        self.setAccessibleName("Patient and referral")
        self._record: PatientRecord | None = None
        self._referral_id: int | None = None
        self.changes = RecordChanges(ctx, self, lambda: self._referral_id)
        self.changes.changed.connect(self._changed_here)
        self.changes.message.connect(self.message)
        self._built = False
        self._build_empty()

    @property
    def record(self) -> PatientRecord | None:
        return self._record

    @property
    def referral_id(self) -> int | None:
        return self._referral_id

    # --- layout ----------------------------------------------------------------------------------

    def _build_empty(self) -> None:
        self.empty = QLabel(
            "No patient open.\n\n"
            f"Press {shortcuts.text('desk.next_patient')} for the next patient, "
            "or choose one in the worklist and press Return.",
            self,
        )
        self.empty.setObjectName("patientEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_role(self.empty, "hint")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.empty)

    def build(self) -> None:
        """Build the record's widgets (hidden until a record arrives). The desk starts with the
        "no patient" hint alone and builds these once its first page is on screen; anything
        that needs them builds them first."""
        if self._built:
            return
        self._built = True
        self.content = QWidget(self)
        c = self.content
        self.name = _label(c, "patientName")
        set_role(self.name, "patientName")
        self.identity = _label(c, "patientIdentity")
        self.alerts = QFrame(c)
        self.alerts.setObjectName("patientAlerts")
        self.alerts_layout = QHBoxLayout(self.alerts)
        self.alerts_layout.setContentsMargins(0, 2, 0, 2)
        self.adjustments_note = _label(c, "patientAdjustmentsNote")

        contact = QGroupBox("Contact", c)
        self.phones_box = QWidget(contact)
        self.phones_layout = QVBoxLayout(self.phones_box)
        self.phones_layout.setContentsMargins(0, 0, 0, 0)
        self.phones_layout.setSpacing(2)
        form = QFormLayout(contact)
        form.addRow("Phone", self.phones_box)
        self.contact_times, self.email, self.address, self.language, self.gp = _rows(
            form,
            ("Best times", "patientContactTimes"),
            ("E-mail", "patientEmail"),
            ("Address", "patientAddress"),
            ("Language", "patientLanguage"),
            ("GP", "patientGp"),
        )

        referral = QGroupBox("Referral", c)
        (
            self.service,
            self.priority,
            self.received,
            self.referrer,
            self.triage,
            self.status,
            self.owner,
            self.booking,
        ) = _rows(
            QFormLayout(referral),
            ("Service", "referralService"),
            ("Priority", "referralPriority"),
            ("Received", "referralReceived"),
            ("Referrer", "referralReferrer"),
            ("Triage", "referralTriage"),
            ("Status", "referralStatus"),
            ("Worked by", "referralOwner"),
            ("Appointment", "referralBooking"),
        )

        clock = QGroupBox("RTT clock", c)
        self.weeks, self.breach, self.target, self.attempts, self.next_action = _rows(
            QFormLayout(clock),
            ("Waited", "rttWeeks"),
            ("Breach", "rttBreach"),
            ("Target", "rttTarget"),
            ("Attempts", "rttAttempts"),
            ("Next action", "rttNextAction"),
        )

        self.history = QTreeWidget(c)
        self.history.setObjectName("patientHistory")
        self.history.setAccessibleName("History, newest first")
        self.history.setRootIsDecorated(False)
        self.history.setUniformRowHeights(True)
        self.history.setAlternatingRowColors(True)
        self.history.setHeaderLabels(["When", "What", "By"])
        self.history.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.history.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.history.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.history.header().setStretchLastSection(False)
        self.history.setMinimumHeight(120)

        self._boxes = (contact, clock, referral)
        self._wide: int | None = None  # columns of boxes
        self.grid = grid = QGridLayout()
        self._arrange(0)

        history_label = QLabel("Histor&y (newest first)", c)
        history_label.setBuddy(self.history)
        history_label.setStyleSheet("font-weight: bold; color: #003087;")

        inner = QVBoxLayout(c)
        inner.setContentsMargins(6, 6, 6, 6)
        inner.addWidget(self.name)
        inner.addWidget(self.identity)
        inner.addWidget(self.alerts)
        inner.addWidget(self.adjustments_note)
        inner.addLayout(grid)
        inner.addLayout(self._actions_row(c, history_label))
        inner.addWidget(self.banner)
        inner.addWidget(self.history, 1)

        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        # The record re-lays itself out in 1-3 columns to fit the width (_arrange), so it never
        # needs to scroll sideways; left "as needed", Qt can leave an empty horizontal bar showing
        # after the vertical one comes and goes while the columns change.
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.content)
        self.scroll.setAccessibleName("Patient record")  # a Tab stop: arrow keys scroll the record
        self.scroll.setVisible(self._record is not None)
        self._layout.addWidget(self.scroll)
        self._arrange(self._columns_for(self.width()))

    @staticmethod
    def _columns_for(width: int) -> int:
        return 3 if width >= WIDE_PANE else 2 if width >= TWO_COLUMN_PANE else 1

    def _actions_row(self, parent: QWidget, history_label: QLabel) -> QHBoxLayout:
        """The history's heading with the pane's own changes beside it: a note, the contact details."""
        self.note_button, self.contact_button, self.banner = self.changes.build(parent)
        row = QHBoxLayout()
        row.addWidget(history_label)
        row.addStretch(1)
        row.addWidget(self.note_button)
        row.addWidget(self.contact_button)
        return row

    def _arrange(self, columns: int) -> None:
        """Three: contact, clock and referral side by side. Two: the clock above the referral it
        measures, beside the contact. One: stacked. Rearranged on resize, so a narrow pane is never
        cut off sideways."""
        if columns == self._wide:
            return
        self._wide = columns
        contact, clock, referral = self._boxes
        for box in self._boxes:
            self.grid.removeWidget(box)
        if columns == 3:
            self.grid.addWidget(contact, 0, 0)
            self.grid.addWidget(clock, 0, 1)
            self.grid.addWidget(referral, 0, 2)
        elif columns == 2:
            self.grid.addWidget(contact, 0, 0, 2, 1)
            self.grid.addWidget(clock, 0, 1)
            self.grid.addWidget(referral, 1, 1)
        else:
            self.grid.addWidget(contact, 0, 0)
            self.grid.addWidget(clock, 1, 0)
            self.grid.addWidget(referral, 2, 0)
        for col in range(3):
            self.grid.setColumnStretch(col, 1 if col < columns else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._built:
            self._arrange(self._columns_for(event.size().width()))

    # --- loading ---------------------------------------------------------------------------------

    def show_referral(self, referral_id: int | None) -> None:
        """Open the referral's record in the background (an audited read) and show it."""
        if self._built and referral_id != self._referral_id:
            self.banner.clear()  # a message about the last patient's record is not about this one
        self._referral_id = referral_id
        if referral_id is None:
            self._record = None
            self._show_empty()
            return
        records, actor = self.ctx.services.records, self.ctx.actor

        def done(record: PatientRecord) -> None:
            if record.referral_id == self._referral_id:
                self._show(record)

        def failed(exc: BaseException) -> None:
            if referral_id == self._referral_id:
                self.load_failed.emit(exc)

        self.ctx.tasks.run(lambda: records.open(actor, referral_id), done, failed, key=self.TASK_KEY)

    def reload(self) -> None:
        if self._referral_id is not None:
            self.show_referral(self._referral_id)

    def _show_empty(self) -> None:
        if self._built:
            self.scroll.hide()
        self.empty.show()

    def _show(self, r: PatientRecord) -> None:
        self.build()
        self._record = r
        today = today_london()
        title = f"{r.title} " if r.title else ""
        self.name.setText(f"{title}{r.given_name} {r.family_name.upper()}")
        self.identity.setText(
            f"NHS number <b>{nhs_334(r.nhs_number)}</b> &nbsp;·&nbsp; born {_long_date(r.date_of_birth)} "
            f"(age {r.age}) &nbsp;·&nbsp; {r.sex}"
        )
        self._show_alerts(r)
        self._show_phones(r)
        self.contact_times.setText(r.preferred_contact_times or "Any time")
        self.email.setText(r.email or "None")
        self.address.setText(", ".join([*r.address_lines, r.postcode]))
        self.language.setText(r.language + (" (interpreter needed)" if r.interpreter_needed else ""))
        self.gp.setText(r.gp_practice or "Not known")

        self.service.setText(r.service_name)
        self.priority.setText(r.priority.value.capitalize())
        self.received.setText(_long_date(r.received_on))
        self.referrer.setText(r.referrer or "Not recorded")
        self.triage.setText(
            (f"{r.triaged_by}: " if r.triaged_by else "") + (r.triage_notes or "No triage notes")
        )
        self.status.setText(STATUS_TEXT.get(r.status, r.status.value))
        owner = r.assigned_to_name or "Unassigned (team pool)"
        if r.claimed_by_name:
            owner += f"; claimed now by {r.claimed_by_name}"
        self.owner.setText(owner)
        if r.live_booking is not None:
            b = r.live_booking
            self.booking.setText(f"{to_london(b.starts_at):%a %d %b %Y %H:%M}, {b.site_name}")
        else:
            self.booking.setText("None booked")

        rtt = r.rtt
        band = rtt.band(today)
        left = rtt.days_to_breach(today)
        self.weeks.setText(f"{rtt.weeks_waited(today)} weeks ({rtt.days_waited(today)} days)")
        when = f"{-left} days ago" if left < 0 else ("today" if left == 0 else f"in {left} days")
        # The band in words, not only in the label's colour.
        self.breach.setText(f"{_long_date(rtt.breach_date)} ({when}, {band_words(band)})")
        self.breach.setToolTip(BAND_TEXT[band])
        self.breach.setAccessibleName(f"Breach {_long_date(rtt.breach_date)}, {when}, {BAND_TEXT[band]}")
        set_role(self.breach, band.value, name="band")
        self.target.setText(f"{rtt.target_days} days ({r.priority.value})")
        self.attempts.setText(f"{r.attempt_count} ({r.failed_attempt_count} unanswered)")
        self.next_action.setText(
            f"{to_london(r.next_action_at):%a %d %b %Y %H:%M}" if r.next_action_at else "None set"
        )

        self.history.clear()
        items = []
        for h in r.history:  # the service gives them newest first
            one_line = " / ".join(h.summary.splitlines())  # a note's lines, on the row's one line
            item = QTreeWidgetItem([f"{to_london(h.at):%d %b %Y %H:%M}", one_line, h.by or ""])
            item.setToolTip(1, h.summary)
            items.append(item)
        self.history.addTopLevelItems(items)

        self.empty.hide()
        self.scroll.show()
        self.loaded.emit(r)

    def _show_alerts(self, r: PatientRecord) -> None:
        while self.alerts_layout.count():
            item = self.alerts_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        chips: list[QLabel] = []
        if r.interpreter_needed:
            chip = QLabel(f"Interpreter needed: {r.language}", self.alerts)
            set_role(chip, "interpreter")
            chips.append(chip)
        for flag in r.adjustments:
            if flag is AdjustmentFlag.INTERPRETER and r.interpreter_needed:
                continue
            chip = QLabel(ADJUSTMENT_TEXT.get(flag, flag.value), self.alerts)
            set_role(chip, "adjustment")
            chips.append(chip)
        for chip in chips:
            chip.setAccessibleName(f"Reasonable adjustment: {chip.text()}")
            self.alerts_layout.addWidget(chip)
        self.alerts_layout.addStretch(1)
        self.alerts.setVisible(bool(chips))
        self.adjustments_note.setText(r.adjustments_note or "")
        self.adjustments_note.setVisible(bool(r.adjustments_note))

    def _show_phones(self, r: PatientRecord) -> None:
        while self.phones_layout.count():
            item = self.phones_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        if not r.phones:
            self.phones_layout.addWidget(QLabel("No phone number", self.phones_box))
            return
        keys = {0: "patient.copy_phone", 1: "patient.copy_phone_2"}
        for i, phone in enumerate(r.phones):
            row = QWidget(self.phones_box)
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 0, 0, 0)
            text = f"<b>{phone.number}</b> {phone.kind}" + (" (preferred)" if phone.preferred else "")
            spoken = f"{phone.kind} {phone.number}" + (", preferred" if phone.preferred else "")
            if phone.status is not PhoneStatus.ACTIVE:
                # Struck through and said in words: never dialled by mistake, whatever the colours.
                words = PHONE_STATUS_TEXT[phone.status]
                text = f"<s>{phone.number}</s> {phone.kind} <b>({words.upper()}: do not call)</b>"
                spoken = f"{phone.kind} {phone.number}, {words}, do not call"
            label = _label(row, f"patientPhone{i}", text)
            label.setAccessibleName(spoken)
            label.setWordWrap(False)
            copy = QToolButton(row)
            copy.setObjectName(f"copyPhone{i}")
            copy.setText("Copy")
            copy.setAccessibleName(f"Copy {phone.kind} number {phone.number}")
            if i in keys:
                copy.setToolTip(f"Copy {phone.number} ({shortcuts.text(keys[i])})")
            copy.clicked.connect(lambda _=False, n=phone.number: self._copy(n, "phone number"))
            h.addWidget(label)
            h.addWidget(copy)
            h.addStretch(1)
            self.phones_layout.addWidget(row)

    # --- changes made from the pane (patient/record_changes.py) ----------------------------------

    def edit_contact_details(self) -> bool:
        self.build()
        return self.changes.edit_contact_details()

    def add_note(self) -> bool:
        self.build()
        return self.changes.add_note()

    def hide_dialogs(self) -> None:
        self.changes.hide_dialogs()

    def show_dialogs(self) -> None:
        self.changes.show_dialogs()

    def _changed_here(self, referral_id: int) -> None:
        if referral_id == self._referral_id:
            self.reload()
        self.changed.emit(referral_id)

    # --- clipboard -------------------------------------------------------------------------------

    def copy_phone(self, which: int = 0) -> bool:
        if self._record is None or len(self._record.phones) <= which:
            self.message.emit("No phone number to copy.")
            return False
        self._copy(self._record.phones[which].number, "phone number")
        return True

    def copy_nhs(self) -> bool:
        if self._record is None:
            return False
        self._copy(self._record.nhs_number, "NHS number")
        return True

    def _copy(self, text: str, what: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.message.emit(f"Copied {what} {text}")

    def focus(self) -> None:
        self.build()
        self.history.setFocus(Qt.FocusReason.ShortcutFocusReason)
