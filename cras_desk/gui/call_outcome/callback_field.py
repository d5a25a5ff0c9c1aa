"""The call-outcome panel's "Call back at" field: the date and time, three quick picks, and the
problem with the time chosen, shown at the field itself.

No time until the advisor gives one: a pre-filled time nobody chose would be saved as the
patient's wish. "Not chosen" is the edit's minimum (now), so its arrows start from now. The picks'
labels ("In 2 hours (15:30)") follow the clock while the panel is open.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimer
from PySide6.QtWidgets import QAbstractSpinBox, QDateTimeEdit, QLabel, QPushButton, QVBoxLayout, QWidget

from cras_desk.domain.calling_hours import CallingHours
from cras_desk.domain.clock import LONDON
from cras_desk.gui.call_outcome.quick_picks import QuickPick, quick_picks
from cras_desk.gui.widgets.flow_layout import FlowLayout
from cras_desk.gui.widgets.vertical_scroll import reveal

_CALLBACK_FORMAT = "ddd d MMM yyyy HH:mm"
_CALLBACK_UNSET = "Not chosen yet"
PICKS_REFRESH_MS = 60_000
PICK_KEYS = ("Ctrl+Shift+H", "Ctrl+Shift+M", "Ctrl+Shift+A")  # the panel's keys for the three picks


class _CallbackEdit(QDateTimeEdit):
    """Steps the day by whole days.

    With the weekday shown beside the day ("Sun 6 Dec"), Qt's own step of the day section can
    stand still (from Sunday 6 December 2026 the Up key did nothing) and stops at the 1st of a month, so
    a day step is made here as a step of the date, with the weekday and month following.
    """

    def stepBy(self, steps: int) -> None:
        if self.currentSection() is QDateTimeEdit.Section.DaySection:
            target = self.dateTime().addDays(steps)
            if self.minimumDateTime() <= target <= self.maximumDateTime():
                self.setDateTime(target)
            return
        super().stepBy(steps)

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        if self.currentSection() is not QDateTimeEdit.Section.DaySection:
            return super().stepEnabled()
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self.dateTime().addDays(1) <= self.maximumDateTime():
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if self.dateTime().addDays(-1) >= self.minimumDateTime():
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags


class CallbackField(QWidget):
    def __init__(self, hours: CallingHours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hours = hours
        self._picks: list[QuickPick] = []
        self.edit = _CallbackEdit(self)
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat(_CALLBACK_FORMAT)
        self.edit.setSpecialValueText(_CALLBACK_UNSET)
        self.edit.setAccessibleName("Callback date and time (UK time)")
        self.set_hours(hours)
        self.edit.dateTimeChanged.connect(lambda _v: self.clear_problem())
        self.pick_buttons: list[QPushButton] = []
        picks_row = FlowLayout()  # wraps under the edit on a narrow screen
        for _ in PICK_KEYS:
            button = QPushButton(self)
            self.pick_buttons.append(button)
            picks_row.addWidget(button)
        picks_keys = QLabel("Ctrl+Shift+H, M, A", self)
        picks_keys.setObjectName("callbackPickKeys")
        picks_row.addWidget(picks_keys)
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("callbackProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setAccessibleName("Callback time problem")
        self.problem_label.setStyleSheet("QLabel { color: #8a1c1c; font-weight: bold; }")
        self.problem_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addLayout(picks_row)
        layout.addWidget(self.problem_label)
        self._picks_timer = QTimer(self)
        self._picks_timer.setInterval(PICKS_REFRESH_MS)
        self._picks_timer.timeout.connect(self.refresh_picks)
        self._picks_timer.start()

    def set_hours(self, hours: CallingHours) -> None:
        """The unit's calling hours, when an admin changes them (central settings)."""
        self._hours = hours
        self.edit.setToolTip(
            f"When the patient asked to be called back, UK time; the centre calls {hours.describe()}"
        )

    def at(self) -> datetime | None:
        """The callback as an aware datetime (the edit shows London wall-clock time); None until
        the advisor has chosen one."""
        value = self.edit.dateTime()
        if value == self.edit.minimumDateTime():
            return None
        d, t = value.date(), value.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=LONDON)

    def set_at(self, moment: datetime) -> None:
        local = moment.astimezone(LONDON)
        self.edit.setDateTime(
            QDateTime(QDate(local.year, local.month, local.day), QTime(local.hour, local.minute))
        )

    def unset(self) -> None:
        now = datetime.now(LONDON)
        floor = QDateTime(QDate(now.year, now.month, now.day), QTime(now.hour, now.minute))
        self.edit.setMinimumDateTime(floor)
        self.edit.setDateTime(floor)
        self.clear_problem()

    def pick(self, index: int) -> datetime | None:
        """The quick pick's time, worked out now: a pick made an hour after opening the patient is
        not stale."""
        self.refresh_picks()
        return self._picks[index].at if 0 <= index < len(self._picks) else None

    def refresh_picks(self) -> None:
        self._picks = quick_picks(hours=self._hours)
        for pick, button in zip(self._picks, self.pick_buttons, strict=True):
            button.setText(pick.label)  # the keys are written once beside the three buttons
            button.setAccessibleName(f"Call back {pick.label}")
            button.setAccessibleDescription(pick.key)
            button.setToolTip(f"{pick.label} ({pick.key})")

    def show_problem(self, text: str) -> None:
        """Shown at the field itself, which gets the focus: the advisor sees what to fix, and where."""
        self.problem_label.setText(text)
        self.problem_label.show()
        self.edit.setAccessibleDescription(text)  # spoken as the field takes the focus
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        reveal(self)

    def clear_problem(self) -> None:
        if self.problem_label.isVisible() or self.problem_label.text():
            self.problem_label.clear()
            self.problem_label.hide()
            self.edit.setAccessibleDescription("")

    def problem_text(self) -> str:
        return self.problem_label.text() if self.problem_label.isVisible() else ""

    def set_enabled(self, has_referral: bool, callback_chosen: bool) -> None:
        self.edit.setEnabled(has_referral and callback_chosen)
        for button in self.pick_buttons:
            button.setEnabled(has_referral)  # a quick pick also chooses "callback requested"
