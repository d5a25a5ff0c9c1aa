"""The call-outcome panel: outcome, number used, notes and callback time, saved with Ctrl+Enter.

Built for an advisor with a patient on the line: one key picks the outcome (1-7 on the list, or
Alt+1-7 from anywhere in the panel), the preferred number is already chosen, notes are kept as
they are typed, and the contact policy's sentence ("3rd failed attempt: an unable-to-contact letter
will be queued ...") is shown before saving, so nobody is surprised by a letter.

Its parts: the number used (number_used.py) and the callback time with its quick picks
(callback_field.py); this module holds the outcomes, the preview, saving and discharge.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
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

from cras_desk.db.connection_errors import is_connection_error
from cras_desk.domain.calling_hours import CallingHours
from cras_desk.domain.clock import utcnow
from cras_desk.domain.contact_policy import NextStep
from cras_desk.domain.enums import ContactOutcome
from cras_desk.gui.call_outcome.callback_field import PICK_KEYS, CallbackField
from cras_desk.gui.call_outcome.kept_offline import NOTES_FIELD, OfflineCall, keep_offline, offline_words
from cras_desk.gui.call_outcome.number_used import NumberUsedCombo
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.confirm_bar import ConfirmBar
from cras_desk.gui.widgets.panel_keys import PanelKeys
from cras_desk.gui.widgets.referral_panel import ReferralPanel
from cras_desk.gui.widgets.tab_order import set_entry, set_tab_order
from cras_desk.gui.widgets.vertical_scroll import reveal
from cras_desk.services.contact import AttemptResult
from cras_desk.services.idempotency import new_key
from cras_desk.services.patient_record import PatientRecord

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


class CallOutcomePanel(ReferralPanel):
    kept_offline = Signal(int)  # referral id: a call kept in the outbox while the database is away

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._record: PatientRecord | None = None
        # The call being saved and the key made when Save was first pressed for it (and when).
        self._pending: tuple[tuple[object, ...], str, datetime] | None = None
        self._saving = False
        self._restoring = False
        self._hours = ctx.unit.calling_hours()
        self._build()
        self._keys = PanelKeys(self)
        for i, (outcome, _label) in enumerate(OUTCOMES, start=1):
            self._keys.add(f"Alt+{i}", partial(self.choose_outcome, outcome, focus=False))
            for button in self._buttons.values():
                self._keys.add(str(i), partial(self.choose_outcome, outcome), only_in=button)
        self._keys.add("Ctrl+Return", self.save)
        self._keys.add("Ctrl+Enter", self.save)
        self._keys.add("Ctrl+Shift+G", self.request_discharge)
        for index, keys in enumerate(PICK_KEYS):
            self._keys.add(keys, partial(self.apply_quick_pick, index))
        self._keys.attach()
        self.referral_changed(True)

    # -- layout -----------------------------------------------------------------------------------

    def set_calling_hours(self, hours: CallingHours) -> None:
        """The unit's calling hours changed (central settings): the next callback is checked by them."""
        self._hours = hours
        self.callback_box.set_hours(hours)

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

        self.number_combo = NumberUsedCombo(self)

        self.notes_edit = QPlainTextEdit(self)
        self.notes_edit.setAccessibleName("Call notes")
        self.notes_edit.setPlaceholderText("Notes about the call (kept as you type)")
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setMinimumHeight(70)
        self.notes_edit.setMaximumHeight(120)  # the rest of a tall panel is not for notes
        self.notes_edit.textChanged.connect(self._notes_changed)

        self.callback_box = CallbackField(self._hours, self)
        # The field's widgets by name, as the panel's callers and tests know them.
        self.callback_edit, self.callback_problem = self.callback_box.edit, self.callback_box.problem_label
        self._pick_buttons = self.callback_box.pick_buttons
        for index, pick_button in enumerate(self._pick_buttons):
            pick_button.clicked.connect(lambda _c=False, i=index: self.apply_quick_pick(i))

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
        return self.number_combo.number_used()

    def callback_at(self) -> datetime | None:
        """The callback chosen (an aware datetime); None until the advisor has chosen one."""
        return self.callback_box.at()

    def callback_problem_text(self) -> str:
        return self.callback_box.problem_text()

    def set_callback_at(self, moment: datetime) -> None:
        self.callback_box.set_at(moment)

    def apply_quick_pick(self, index: int) -> None:
        if self._referral_id is None:
            return
        moment = self.callback_box.pick(index)
        if moment is None:
            return
        if self.outcome() is not ContactOutcome.CALLBACK_REQUESTED:
            self.choose_outcome(ContactOutcome.CALLBACK_REQUESTED, focus=False)
        self.set_callback_at(moment)

    def _set_enabled(self) -> None:
        has = self._referral_id is not None
        for widget in (self.outcome_box, self.number_combo, self.notes_edit):
            widget.setEnabled(has)
        self.callback_box.set_enabled(has, self.outcome() is ContactOutcome.CALLBACK_REQUESTED)
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
        self.callback_box.refresh_picks()
        self.callback_box.unset()
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
        self.number_combo.fill(record.phones)
        if self.outcome() is None:
            self.preview_label.setText(f"Now: {step.message}")
        else:
            self._request_preview()
        self._set_enabled()

    # -- preview ----------------------------------------------------------------------------------

    def _outcome_toggled(self, button_id: int, checked: bool) -> None:
        if not checked:
            return
        self.callback_box.clear_problem()
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
                self.callback_box.show_problem(problem)
                return
        number = self.number_used() or None
        notes = self.notes_edit.toPlainText()
        services, actor = self.ctx.services, self.ctx.actor
        # The same call saved again (Save after "try again") keeps the first press's key, so a
        # save whose commit was in doubt is not recorded twice; anything changed is a new call.
        call = (rid, outcome, number, notes, callback)
        if self._pending is None or self._pending[0] != call:
            self._pending = (call, new_key(), utcnow())
        _call, key, at = self._pending
        self._saving = True
        self._set_enabled()
        self.banner.info("Saving…")

        def record() -> AttemptResult:
            return services.contact.record_attempt(
                actor, rid, outcome, number_used=number, notes=notes, callback_at=callback, at=at, key=key
            )

        def failed(exc: BaseException) -> None:
            offline = OfflineCall(outcome, at, number, notes, callback, key)
            if not (is_connection_error(exc) and self._keep_offline(rid, offline)):
                self._save_failed(rid, exc)

        self.run_change(record, lambda result: self._saved(rid, notes, result), failed)

    def _keep_offline(self, rid: int, call: OfflineCall) -> bool:
        """The database is away: keep the call in the outbox, to be sent when it is back."""
        waiting = keep_offline(self.ctx, rid, call)
        if waiting is None:
            return False
        self._pending = None
        self.kept_offline.emit(rid)
        if self.is_current(rid):
            self._saving = False
            self._clear_form(call.notes)
            self.banner.warning(offline_words(waiting))
            self._set_enabled()
        return True

    def _saved(self, rid: int, notes: str, result: AttemptResult) -> None:
        # Clear the draft only if it still holds what was saved: text typed while saving stays.
        if self.ctx.drafts.get(rid, NOTES_FIELD) == notes:
            self.ctx.drafts.clear(rid, NOTES_FIELD)
        self._pending = None
        if self.is_current(rid):
            self._saving = False
            self._clear_form(notes)
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

    def _clear_form(self, notes: str) -> None:
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
