"""The central settings window (admins): the unit's contact policy, calling hours, claim length,
idle-lock bounds and sign-in lockout, the same for every desk.

A thin client of cras_desk.services.central_settings: it reads on the worker, checks the form with
the domain's own ranges (domain.central_settings) for a clear message on the field, and saves
against the version it opened, so a colleague's edit in between is reported rather than
overwritten. Every desk follows a saved change at its next call; this desk's idle lock and
callback hours follow it through the change feed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from cras_desk.domain.central_settings import CentralSettings, options
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import ValidationError
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.announcer import Announcer
from cras_desk.gui.widgets.error_text import describe_error
from cras_desk.gui.widgets.tab_order import set_tab_order
from cras_desk.services.central_settings import CentralSettingsService, SaveResult, SettingsVersion

WINDOW_SIZE = (1180, 640)  # inside 1366x768 with the taskbar and the window frame
# (title, what it is for, options), shown as boxes in two columns.
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Contact policy",
        "When a patient may be discharged to their GP as unable to contact.",
        ("max_failed_attempts", "min_distinct_days", "require_distinct_times_of_day", "respond_within_days"),
    ),
    (
        "Calling hours",
        "Working days, UK time: a callback can only be booked inside them.",
        ("calling_opens", "calling_closes"),
    ),
    ("Claims", "How long a referral stays an advisor's without being worked.", ("claim_minutes",)),
    (
        "Idle lock",
        "The range each desk's own idle lock is held to.",
        ("idle_lock_min_minutes", "idle_lock_max_minutes"),
    ),
    (
        "Sign-in lockout",
        "For the embedded database; on PostgreSQL the server checks passwords.",
        ("lockout_failures", "lockout_minutes", "lockout_until_admin_unlocks"),
    ),
)
_TIME_FORMAT = "HH:mm"


def _minutes(t: QTime) -> int:
    return t.hour() * 60 + t.minute()


class UnitSpinBox(QSpinBox):
    """A whole number with its unit, singular for 1 ("1 minute", "5 minutes")."""

    def __init__(self, unit: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._unit = unit
        self.valueChanged.connect(self._name_unit)
        self._name_unit(self.value())

    def _name_unit(self, value: int) -> None:
        self.setSuffix(f" {self._unit[:-1] if value == 1 and self._unit.endswith('s') else self._unit}")


class CentralSettingsScreen(QDialog):
    loaded = Signal(int)  # the version read
    saved = Signal(str)  # what the save said

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service = CentralSettingsService(ctx.services.db)
        self.version: int | None = None
        self.opened: CentralSettings | None = None
        self.setObjectName("centralSettingsScreen")
        self.setWindowTitle("Central settings")
        self.setAccessibleName("Central settings")
        self.setModal(False)
        self.fields: dict[str, UnitSpinBox | QTimeEdit | QCheckBox] = {}
        self._build()
        self.resize(*WINDOW_SIZE)
        self.allowed = ctx.actor.role is Role.ADMIN
        self.busy = False
        self._set_enabled()
        if self.allowed:
            self.reload()
        else:
            self.announcer.announce(
                "The central settings are changed by admins; you are not signed in as one."
            )

    # -- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        meta = dict(options())
        grid = QGridLayout()
        for i, (title, note, names) in enumerate(GROUPS):
            box = QGroupBox(title, self)
            box.setAccessibleName(title)
            box.setAccessibleDescription(note)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
            about = QLabel(note, box)
            about.setWordWrap(True)
            form.addRow(about)
            for name in names:
                field = self._field(name, meta[name], box)
                self.fields[name] = field
                if isinstance(field, QCheckBox):
                    form.addRow(field)
                else:
                    label = QLabel(meta[name]["label"], box)
                    label.setBuddy(field)
                    form.addRow(label, field)
            # Two columns: everything shows at 1366x768 without scrolling.
            grid.addWidget(box, i // 2, i % 2)
        self.last_changed = QLabel(self)
        self.last_changed.setObjectName("settingsLastChanged")
        self.last_changed.setWordWrap(True)
        self.save_button = QPushButton("&Save", self)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("&Reload", self)
        self.revert_button.setAutoDefault(False)
        self.revert_button.clicked.connect(lambda: self.reload())
        self.close_button = QPushButton("Close", self)
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close)
        for button in (self.save_button, self.revert_button, self.close_button):
            button.setAccessibleName(button.text().replace("&", ""))
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.revert_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("settingsStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Central settings: result")
        self.announcer = Announcer(self.status_label, self)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.last_changed)
        layout.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        set_tab_order([*self.fields.values(), self.save_button, self.revert_button, self.close_button])

    def _field(self, name: str, meta: dict[str, Any], parent: QWidget) -> UnitSpinBox | QTimeEdit | QCheckBox:
        label = meta["label"]
        field: UnitSpinBox | QTimeEdit | QCheckBox
        if "range" not in meta:
            field = QCheckBox(label, parent)
        elif meta["unit"] == "time":
            low, high = meta["range"]
            field = QTimeEdit(parent)
            field.setDisplayFormat(_TIME_FORMAT)
            field.setTimeRange(QTime(low // 60, low % 60), QTime(high // 60, high % 60))
            label = f"{label} (UK time)"
        else:
            low, high = meta["range"]
            field = UnitSpinBox(meta["unit"], parent)
            field.setRange(low, high)
            label = f"{label}, {low} to {high} {meta['unit']}"
        field.setObjectName(f"setting_{name}")
        field.setAccessibleName(label)
        return field

    # -- reading and saving -----------------------------------------------------------------------

    def show_settings(self, settings: CentralSettings) -> None:
        for name, value in settings.as_mapping().items():
            field = self.fields[name]
            if isinstance(field, QCheckBox):
                field.setChecked(bool(value))
            elif isinstance(field, QTimeEdit):
                field.setTime(QTime(int(value) // 60, int(value) % 60))
            else:
                field.setValue(int(value))

    def form_settings(self) -> CentralSettings:
        """What the form says, checked by the domain's rules (ValidationError names the problem)."""
        values: dict[str, int | bool] = {}
        for name, field in self.fields.items():
            if isinstance(field, QCheckBox):
                values[name] = field.isChecked()
            elif isinstance(field, QTimeEdit):
                values[name] = _minutes(field.time())
            else:
                values[name] = field.value()
        return CentralSettings.from_mapping(values)

    def reload(self, then_say: str | None = None) -> None:
        if not self.allowed:
            return
        service, actor = self.service, self.ctx.actor

        def done(current: SettingsVersion) -> None:
            self.version, self.opened = current.version, current.settings
            self.show_settings(current.settings)
            self.last_changed.setText(current.describe())
            self.busy = False
            self._set_enabled()
            self.announcer.announce(then_say or f"Central settings loaded. {current.describe()}")
            self.loaded.emit(current.version)

        self.busy = True
        self._set_enabled()
        self.ctx.tasks.run(lambda: service.current(actor), done, self._failed, key="admin.settings.read")

    def save(self) -> None:
        if not self.allowed or self.busy or self.version is None:
            return
        try:
            wanted = self.form_settings()
        except ValidationError as exc:
            self.announcer.announce(str(exc), assertive=True)
            return
        service, actor, version = self.service, self.ctx.actor, self.version

        def done(result: SaveResult) -> None:
            self.version, self.opened = result.saved.version, result.saved.settings
            self.last_changed.setText(result.saved.describe())
            self.busy = False
            self._set_enabled()
            self.announcer.announce(result.message)
            self.saved.emit(result.message)

        self.busy = True
        self._set_enabled()
        self.ctx.tasks.run(lambda: service.save(actor, wanted, version), done, self._failed)

    def _failed(self, exc: BaseException) -> None:
        # What the admin typed stays in the form: a refused or stale save loses nothing.
        self.busy = False
        self._set_enabled()
        self.announcer.announce(describe_error(exc), assertive=True)

    def _set_enabled(self) -> None:
        ready = self.allowed and not self.busy
        for field in self.fields.values():
            field.setEnabled(self.allowed)
        self.save_button.setEnabled(ready and self.version is not None)
        self.revert_button.setEnabled(ready)
