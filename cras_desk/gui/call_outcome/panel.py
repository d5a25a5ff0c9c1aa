"""The call-outcome panel: outcome, number used, notes and callback time, saved with Ctrl+Enter.

Built for an advisor with a patient on the line: one key picks the outcome (1-7 on the list, or
Alt+1-7 from anywhere in the panel), the preferred number is already chosen, notes are kept as
they are typed, and the contact policy's sentence ("3rd failed attempt: an unable-to-contact letter
will be queued ...") is shown before saving, so nobody is surprised by a letter.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from cras_desk.domain.clock import LONDON
from cras_desk.domain.contact_policy import NextStep
from cras_desk.domain.enums import ContactOutcome, PhoneStatus
from cras_desk.gui.call_outcome.quick_picks import QuickPick, quick_picks
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.patient.phone_text import PHONE_STATUS_TEXT
from cras_desk.gui.widgets.confirm_bar import ConfirmBar
from cras_desk.gui.widgets.flow_layout import FlowLayout
from cras_desk.gui.widgets.panel_keys import PanelKeys
from cras_desk.gui.widgets.referral_panel import ReferralPanel
from cras_desk.gui.widgets.tab_order import set_entry, set_tab_order
from cras_desk.gui.widgets.vertical_scroll import reveal
from cras_desk.services.contact import AttemptResult
from cras_desk.services.patient_record import PatientRecord

NOTES_FIELD = "call_notes"
DISCHARGE_FIELD = "discharge_reason"

# The order advisors learn by heart: the digit is the key.
OUTCOMES: tuple[tuple[ContactOutcome, str], ...] = (
    (ContactOutcome.SPOKE, "Spoke to the patient"),
    (ContactOutcome.NO_ANSWER, "No answer"),
    (ContactOutcome.VOICEMAIL, "Left a voicemail"),
    (ContactOutcome.BUSY, "Line busy"),
    (ContactOutcome.WRONG_NUMBER, "Wrong number"),
    (ContactOutcome.CALLBACK_REQUESTED, "Patient asked to be called back"),
    (ContactOutcome.DECLINED, "Patient declined"),
)

SHORTCUTS: list[tuple[str, str]] = [
    *[(f"Alt+{i}", f"Call outcome: {label}") for i, (_, label) in enumerate(OUTCOMES, start=1)],
    ("1 … 7", "Call outcome, while the outcome list has focus"),
    ("Ctrl+Return", "Save the call outcome"),
    ("Ctrl+Shift+H", "Callback in 2 hours (after hours: when the centre next opens)"),
    ("Ctrl+Shift+M", "Callback next working day 10:00"),
    ("Ctrl+Shift+A", "Callback next working day 14:00"),
    ("Ctrl+Shift+G", "Discharge to the GP (with the reason typed; asks to confirm)"),
    ("Return / Escape", "Confirm / go back, when asked to confirm"),
]

_CALLBACK_FORMAT = "ddd d MMM yyyy HH:mm"
_CALLBACK_UNSET = "Not chosen yet"
PICKS_REFRESH_MS = 60_000


class CallOutcomePanel(ReferralPanel):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._record: PatientRecord | None = None
        self._saving = False
        self._restoring = False
        self._picks: list[QuickPick] = []
        self._hours = ctx.services.contact.hours
        self._build()
        self._keys = PanelKeys(self)
        for i, (outcome, _label) in enumerate(OUTCOMES, start=1):
            self._keys.add(f"Alt+{i}", lambda o=outcome: self.choose_outcome(o, focus=False))
            for button in self._buttons.values():
                self._keys.add(str(i), lambda o=outcome: self.choose_outcome(o), only_in=button)
        self._keys.add("Ctrl+Return", self.save)
        self._keys.add("Ctrl+Enter", self.save)
        self._keys.add("Ctrl+Shift+G", self.request_discharge)
        for index, keys in enumerate(("Ctrl+Shift+H", "Ctrl+Shift+M", "Ctrl+Shift+A")):
            self._keys.add(keys, lambda i=index: self.apply_quick_pick(i))
        self._keys.attach()
        # The picks' labels ("In 2 hours (15:30)") follow the clock while the panel is open.
        self._picks_timer = QTimer(self)
        self._picks_timer.setInterval(PICKS_REFRESH_MS)
        self._picks_timer.timeout.connect(self._refresh_picks)
        self._picks_timer.start()
        self.referral_changed(True)

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.setAccessibleName("Call outcome")
        title = QLabel("Call outcome", self)
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)

        self.outcome_box = QGroupBox("Outcome (keys 1-7)", self)
        self.outcome_box.setAccessibleName("Outcome of the call")
        box_layout = QVBoxLayout(self.outcome_box)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._buttons: dict[ContactOutcome, QRadioButton] = {}
        for i, (outcome, label) in enumerate(OUTCOMES, start=1):
            button = QRadioButton(f"{i}  {label}", self.outcome_box)
            button.setAccessibleName(f"{label} (key {i})")
            button.setToolTip(f"Press {i}, or Alt+{i} from anywhere in the panel")
            self._group.addButton(button, i)
            self._buttons[outcome] = button
            box_layout.addWidget(button)
        self._group.idToggled.connect(self._outcome_toggled)

        self.number_combo = QComboBox(self)
        self.number_combo.setEditable(True)
        self.number_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # Sized to a number, not to its longest entry ("... (mobile, wrong number: do not use)").
        self.number_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.number_combo.setMinimumContentsLength(16)
        self.number_combo.setAccessibleName("Number used")
        self.number_combo.setToolTip("The number you called; type another if you used a different one")

        self.notes_edit = QPlainTextEdit(self)
        self.notes_edit.setAccessibleName("Call notes")
        self.notes_edit.setPlaceholderText("Notes about the call (kept as you type)")
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setMinimumHeight(70)
        self.notes_edit.setMaximumHeight(120)  # the rest of a tall panel is not for notes
        self.notes_edit.textChanged.connect(self._notes_changed)

        # No time until the advisor gives one: a pre-filled time nobody chose would be saved as the
        # patient's wish. "Not chosen" is the edit's minimum (now), so its arrows start from now.
        self.callback_edit = QDateTimeEdit(self)
        self.callback_edit.setCalendarPopup(True)
        self.callback_edit.setDisplayFormat(_CALLBACK_FORMAT)
        self.callback_edit.setSpecialValueText(_CALLBACK_UNSET)
        self.callback_edit.setAccessibleName("Callback date and time (UK time)")
        self.callback_edit.setToolTip(
            f"When the patient asked to be called back, UK time; the centre calls {self._hours.describe()}"
        )
        self.callback_edit.dateTimeChanged.connect(lambda _v: self._clear_callback_problem())
        self._pick_buttons: list[QPushButton] = []
        picks_row = FlowLayout()  # wraps under the edit on a narrow screen
        for _ in range(3):
            button = QPushButton(self)
            self._pick_buttons.append(button)
            picks_row.addWidget(button)
        for index, button in enumerate(self._pick_buttons):
            button.clicked.connect(lambda _c=False, i=index: self.apply_quick_pick(i))
        picks_keys = QLabel("Ctrl+Shift+H, M, A", self)
        picks_keys.setObjectName("callbackPickKeys")
        picks_row.addWidget(picks_keys)
        self.callback_problem = QLabel(self)
        self.callback_problem.setObjectName("callbackProblem")
        self.callback_problem.setWordWrap(True)
        self.callback_problem.setAccessibleName("Callback time problem")
        self.callback_problem.setStyleSheet("QLabel { color: #8a1c1c; font-weight: bold; }")
        self.callback_problem.hide()
        self.callback_box = QWidget(self)
        callback_layout = QVBoxLayout(self.callback_box)
        callback_layout.setContentsMargins(0, 0, 0, 0)
        callback_layout.addWidget(self.callback_edit)
        callback_layout.addLayout(picks_row)
        callback_layout.addWidget(self.callback_problem)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # labels go above when narrow
        form.addRow("Number used:", self.number_combo)
        form.addRow("Notes:", self.notes_edit)
        form.addRow("Call back at:", self.callback_box)

        self.preview_label = QLabel(self)
        self.preview_label.setWordWrap(True)
        self.preview_label.setAccessibleName("What happens if you save")
        self.preview_label.setStyleSheet("QLabel { color: #0b3d91; }")

        self.save_button = QPushButton("Save call (Ctrl+Enter)", self)
        self.save_button.setAccessibleName("Save the call outcome")
        self.save_button.clicked.connect(self.save)

        self.next_step_label = QLabel(self)
        self.next_step_label.setWordWrap(True)
        self.next_step_label.setAccessibleName("Next step")
        self.next_step_label.setStyleSheet("QLabel { font-weight: bold; color: #1e4d2b; }")

        self.confirm = ConfirmBar(self)
        # Discharge is rare and final, so it sits apart from Save and always asks to confirm;
        # the contact policy (in the service) says when it is allowed and why not.
        self.discharge_reason = QLineEdit(self)
        self.discharge_reason.setAccessibleName("Reason for discharge")
        self.discharge_reason.setPlaceholderText(
            "Reason for discharge: goes in the letters to the patient and the GP (kept as you type)"
        )
        self.discharge_reason.textChanged.connect(self._discharge_reason_changed)
        self.discharge_button = QPushButton("Discharge to GP (Ctrl+Shift+G)", self)
        self.discharge_button.setAccessibleName("Discharge the patient back to the GP")
        self.discharge_button.clicked.connect(self.request_discharge)
        discharge_row = QHBoxLayout()
        discharge_row.addWidget(self.discharge_reason, 1)
        discharge_row.addWidget(self.discharge_button)

        # The outcomes beside the form rather than above it: on a 768-pixel screen the panel then
        # fits under the patient pane with Save (and what saving said) in view.
        details = QVBoxLayout()
        details.setContentsMargins(0, 0, 0, 0)
        details.addLayout(form)
        details.addWidget(self.preview_label)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save_button)
        details.addLayout(row)
        details.addWidget(self.banner)  # under Save, where the advisor is looking
        details.addStretch(1)
        columns = QHBoxLayout()
        columns.addWidget(self.outcome_box, 0, Qt.AlignmentFlag.AlignTop)
        columns.addLayout(details, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(columns)
        layout.addWidget(self.next_step_label)
        layout.addWidget(self.confirm)
        layout.addStretch(1)
        layout.addLayout(discharge_row)

        # Outcome list, then what was dialled, notes, the callback, and Save.
        order: list[QWidget] = [
            *self._buttons.values(),
            self.number_combo,
            self.notes_edit,
            self.callback_edit,
            *self._pick_buttons,
            self.save_button,
            self.discharge_reason,
            self.discharge_button,
        ]
        set_tab_order(order)
        set_entry(self, self._buttons[ContactOutcome.SPOKE])

    # -- state ------------------------------------------------------------------------------------

    def outcome(self) -> ContactOutcome | None:
        checked = self._group.checkedId()
        return OUTCOMES[checked - 1][0] if checked > 0 else None

    def choose_outcome(self, outcome: ContactOutcome, *, focus: bool = True) -> None:
        button = self._buttons[ContactOutcome(outcome)]
        button.setChecked(True)
        if focus:
            button.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def number_used(self) -> str:
        index = self.number_combo.currentIndex()
        text = self.number_combo.currentText().strip()
        if index >= 0 and text == self.number_combo.itemText(index):
            return str(self.number_combo.itemData(index))
        return text

    def callback_at(self) -> datetime | None:
        """The callback as an aware datetime (the edit shows London wall-clock time); None until
        the advisor has chosen one."""
        value = self.callback_edit.dateTime()
        if value == self.callback_edit.minimumDateTime():
            return None
        d, t = value.date(), value.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=LONDON)

    def _unset_callback(self) -> None:
        now = datetime.now(LONDON)
        floor = QDateTime(QDate(now.year, now.month, now.day), QTime(now.hour, now.minute))
        self.callback_edit.setMinimumDateTime(floor)
        self.callback_edit.setDateTime(floor)
        self._clear_callback_problem()

    def _callback_problem(self, text: str) -> None:
        """Shown at the field itself, which gets the focus: the advisor sees what to fix, and where."""
        self.callback_problem.setText(text)
        self.callback_problem.show()
        self.callback_edit.setAccessibleDescription(text)  # spoken as the field takes the focus
        self.callback_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        reveal(self.callback_box)

    def _clear_callback_problem(self) -> None:
        if self.callback_problem.isVisible() or self.callback_problem.text():
            self.callback_problem.clear()
            self.callback_problem.hide()
            self.callback_edit.setAccessibleDescription("")

    def callback_problem_text(self) -> str:
        return self.callback_problem.text() if self.callback_problem.isVisible() else ""

    def set_callback_at(self, moment: datetime) -> None:
        local = moment.astimezone(LONDON)
        self.callback_edit.setDateTime(
            QDateTime(QDate(local.year, local.month, local.day), QTime(local.hour, local.minute))
        )

    def apply_quick_pick(self, index: int) -> None:
        if not 0 <= index < len(self._picks) or self._referral_id is None:
            return
        self._refresh_picks()  # worked out now: a pick made an hour after opening the patient is not stale
        if self.outcome() is not ContactOutcome.CALLBACK_REQUESTED:
            self.choose_outcome(ContactOutcome.CALLBACK_REQUESTED, focus=False)
        self.set_callback_at(self._picks[index].at)

    def _refresh_picks(self) -> None:
        self._picks = quick_picks(hours=self._hours)
        for pick, button in zip(self._picks, self._pick_buttons, strict=True):
            button.setText(pick.label)  # the keys are written once beside the three buttons
            button.setAccessibleName(f"Call back {pick.label}")
            button.setAccessibleDescription(pick.key)
            button.setToolTip(f"{pick.label} ({pick.key})")

    def _set_enabled(self) -> None:
        has = self._referral_id is not None
        for widget in (self.outcome_box, self.number_combo, self.notes_edit):
            widget.setEnabled(has)
        callback = has and self.outcome() is ContactOutcome.CALLBACK_REQUESTED
        self.callback_edit.setEnabled(callback)
        for button in self._pick_buttons:
            button.setEnabled(has)  # a quick pick also chooses "callback requested"
        self.save_button.setEnabled(has and not self._saving)
        self.discharge_reason.setEnabled(has)
        self.discharge_button.setEnabled(has and not self._saving and self._record is not None)

    # -- referral ---------------------------------------------------------------------------------

    def referral_changed(self, switched: bool) -> None:
        if not switched:
            return
        self._record = None
        self._saving = False
        self._restoring = True
        try:
            self._group.setExclusive(False)
            for button in self._buttons.values():
                button.setChecked(False)
            self._group.setExclusive(True)
            rid = self._referral_id
            self.notes_edit.setPlainText(self.ctx.drafts.get(rid, NOTES_FIELD) if rid is not None else "")
            self.discharge_reason.setText(
                self.ctx.drafts.get(rid, DISCHARGE_FIELD) if rid is not None else ""
            )
            self.number_combo.clear()
        finally:
            self._restoring = False
        self._refresh_picks()
        self._unset_callback()
        self.preview_label.clear()
        self.next_step_label.clear()
        self.confirm.reject()
        self._set_enabled()

    def load(self, referral_id: int) -> None:
        services, actor = self.ctx.services, self.ctx.actor

        def fetch() -> tuple[PatientRecord, NextStep]:
            return services.records.open(actor, referral_id), services.contact.next_step(actor, referral_id)

        self.run("load", fetch, self._loaded)

    def _loaded(self, result: tuple[PatientRecord, NextStep]) -> None:
        record, step = result
        self._record = record
        # A number the advisor typed (not one of the list) survives the list being fetched again.
        index = self.number_combo.currentIndex()
        text = self.number_combo.currentText().strip()
        typed = text if text and (index < 0 or text != self.number_combo.itemText(index)) else ""
        self.number_combo.clear()
        # The record lists numbers in use first (the preferred one first of all); a number marked
        # wrong or not in use stays in the list, last and saying so, and is never chosen for you.
        for phone in record.phones:
            tag = f"{phone.kind}, preferred" if phone.preferred else phone.kind
            if phone.status is not PhoneStatus.ACTIVE:
                tag = f"{phone.kind}, {PHONE_STATUS_TEXT[phone.status]}: do not use"
            self.number_combo.addItem(f"{phone.number} ({tag})", phone.number)
        first_active = next((i for i, p in enumerate(record.phones) if p.status is PhoneStatus.ACTIVE), -1)
        if typed:
            self.number_combo.setEditText(typed)
        else:
            self.number_combo.setCurrentIndex(first_active)
        edit = self.number_combo.lineEdit()
        if edit is not None:
            edit.setCursorPosition(0)  # a narrow field shows the number, not the end of its label
        if self.outcome() is None:
            self.preview_label.setText(f"Now: {step.message}")
        else:
            self._request_preview()
        self._set_enabled()

    # -- preview ----------------------------------------------------------------------------------

    def _outcome_toggled(self, button_id: int, checked: bool) -> None:
        if not checked:
            return
        self._clear_callback_problem()
        self._set_enabled()
        if self.outcome() is ContactOutcome.CALLBACK_REQUESTED:
            reveal(self.callback_box)  # the time it needs is in view
        self._request_preview()

    def _request_preview(self) -> None:
        outcome, rid = self.outcome(), self._referral_id
        if outcome is None or rid is None:
            return
        services, actor = self.ctx.services, self.ctx.actor
        self.preview_label.setText("Checking what happens next…")
        self.run(
            "preview",
            lambda: services.contact.preview(actor, rid, outcome),
            lambda step: self._show_preview(outcome, step),
            lambda exc: self.preview_label.setText(""),  # the preview is advice; saving still works
        )

    def _show_preview(self, outcome: ContactOutcome, step: NextStep) -> None:
        if outcome is self.outcome():
            self.preview_label.setText(f"If you save: {step.message}")

    def preview_text(self) -> str:
        return self.preview_label.text()

    # -- notes drafts -----------------------------------------------------------------------------

    def _notes_changed(self) -> None:
        if self._restoring or self._referral_id is None:
            return
        self.ctx.drafts.put(self._referral_id, NOTES_FIELD, self.notes_edit.toPlainText())

    # -- save -------------------------------------------------------------------------------------

    def save(self) -> None:
        rid = self._referral_id
        if rid is None or self._saving:
            return
        outcome = self.outcome()
        if outcome is None:
            self.banner.warning("Choose the outcome of the call first (keys 1 to 7).")
            self._buttons[ContactOutcome.SPOKE].setFocus(Qt.FocusReason.OtherFocusReason)
            return
        callback = self.callback_at() if outcome is ContactOutcome.CALLBACK_REQUESTED else None
        if outcome is ContactOutcome.CALLBACK_REQUESTED:
            problem = (
                "Choose when to call the patient back: type a date and time, or use a quick pick "
                "(Ctrl+Shift+H, M or A)."
                if callback is None
                else self._hours.refusal(callback)
            )
            if problem:
                self._callback_problem(problem)
                return
        number = self.number_used() or None
        notes = self.notes_edit.toPlainText()
        services, actor = self.ctx.services, self.ctx.actor
        self._saving = True
        self._set_enabled()
        self.banner.info("Saving…")

        def record() -> AttemptResult:
            return services.contact.record_attempt(
                actor, rid, outcome, number_used=number, notes=notes, callback_at=callback
            )

        self.run_change(
            record, lambda result: self._saved(rid, notes, result), lambda exc: self._save_failed(rid, exc)
        )

    def _saved(self, rid: int, notes: str, result: AttemptResult) -> None:
        # Clear the draft only if it still holds what was saved: text typed while saving stays.
        if self.ctx.drafts.get(rid, NOTES_FIELD) == notes:
            self.ctx.drafts.clear(rid, NOTES_FIELD)
        if self.is_current(rid):
            self._saving = False
            self._restoring = True
            try:
                if self.notes_edit.toPlainText() == notes:
                    self.notes_edit.clear()
                self._group.setExclusive(False)
                for button in self._buttons.values():
                    button.setChecked(False)
                self._group.setExclusive(True)
            finally:
                self._restoring = False
            letters = ""
            if result.letter_ids:
                letters = " The letter is in the print queue."
            if result.phone_marked_wrong:
                letters += f" {result.phone_marked_wrong} is now marked as a wrong number."
            self.banner.success(f"Call saved.{letters}")
            self.preview_label.clear()
            self.next_step_label.setText(f"Next step: {result.next_step.message}")
            self._set_enabled()
        self.changed.emit(rid)

    def _save_failed(self, rid: int, exc: BaseException) -> None:
        if not self.is_current(rid):
            return
        self._saving = False
        self._set_enabled()
        self.show_error(exc)  # outcome, number, notes and callback are all still on screen

    def next_step_text(self) -> str:
        return self.next_step_label.text()

    # -- discharge --------------------------------------------------------------------------------

    def _discharge_reason_changed(self, text: str) -> None:
        if self._restoring or self._referral_id is None:
            return
        self.ctx.drafts.put(self._referral_id, DISCHARGE_FIELD, text)

    def request_discharge(self) -> None:
        rid, record = self._referral_id, self._record
        if rid is None or record is None or self._saving:
            return
        reason = self.discharge_reason.text().strip()
        if not reason:
            self.banner.warning(
                "Type the reason for the discharge first: the patient and the GP will read it."
            )
            self.discharge_reason.setFocus()
            return
        name = f"{record.given_name} {record.family_name}"
        self.confirm.ask(
            f"Discharge {name} back to the GP? Letters to the patient and the GP will be queued. "
            f"Reason: {reason}",
            "Discharge",
            lambda: self._discharge(rid, reason),
            return_focus=self.discharge_reason,
        )

    def _discharge(self, rid: int, reason: str) -> None:
        if self._saving:
            return
        services, actor = self.ctx.services, self.ctx.actor
        self._saving = True
        self._set_enabled()
        self.banner.info("Discharging…")
        self.run_change(
            lambda: services.contact.discharge(actor, rid, reason),
            lambda letter_ids: self._discharged(rid, reason, letter_ids),
            lambda exc: self._save_failed(rid, exc),
        )

    def _discharged(self, rid: int, reason: str, letter_ids: tuple[int, ...]) -> None:
        if self.ctx.drafts.get(rid, DISCHARGE_FIELD).strip() == reason:
            self.ctx.drafts.clear(rid, DISCHARGE_FIELD)
        if self.is_current(rid):
            self._saving = False
            self._restoring = True
            try:
                self.discharge_reason.clear()
            finally:
                self._restoring = False
            self.banner.success(
                f"Discharged to the GP. {len(letter_ids)} letters (patient and GP) are in the print queue."
            )
            self.preview_label.clear()
            self.next_step_label.setText("Next step: none. The referral is closed.")
            self._set_enabled()
        self.changed.emit(rid)
