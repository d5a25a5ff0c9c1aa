"""The booking panel's "Find a slot" box: sites, dates, time of day, clinician, and the patient's
availability (what they said, a Change button with its small editor, and the "show all" toggle).

Widgets and the SlotQuery they make; the panel runs the searches and saves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QWidget,
)

from cras_desk.domain.appointment_needs import AppointmentNeeds
from cras_desk.domain.enums import ClinicianType, TimeOfDay
from cras_desk.gui.booking.availability_editor import AvailabilityEditor
from cras_desk.gui.widgets.display import weeks_text
from cras_desk.gui.widgets.flow_layout import FlowLayout
from cras_desk.services.booking import SlotQuery
from cras_desk.services.choice import ChoiceOption

DEFAULT_DAYS = 28  # the finder looks four weeks ahead unless told otherwise

_DAY_PARTS: tuple[tuple[str, TimeOfDay | None], ...] = (
    ("Any time", None),
    ("Morning (before 12:00)", TimeOfDay.MORNING),
    ("Afternoon (12:00 to 17:00)", TimeOfDay.AFTERNOON),
    ("Evening (from 17:00)", TimeOfDay.EVENING),
)


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class SlotFilters(QGroupBox):
    find_requested = Signal()
    edit_availability_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Find a slot", parent)
        self.sites_list = QListWidget(self)
        self.sites_list.setAccessibleName("Sites to search (Space ticks a site)")
        self.sites_list.setMaximumHeight(90)
        self.sites_list.itemChanged.connect(lambda _item: self.find_requested.emit())
        self.date_from = QDateEdit(self)
        self.date_from.setCalendarPopup(True)
        self.date_from.setDisplayFormat("ddd d MMM yyyy")
        self.date_from.setAccessibleName("Earliest date")
        self.date_to = QDateEdit(self)
        self.date_to.setCalendarPopup(True)
        self.date_to.setDisplayFormat("ddd d MMM yyyy")
        self.date_to.setAccessibleName("Latest date")
        self.day_part_combo = QComboBox(self)
        self.day_part_combo.setAccessibleName("Time of day")
        for label, part in _DAY_PARTS:
            self.day_part_combo.addItem(label, part)
        self.clinician_combo = QComboBox(self)
        self.clinician_combo.setAccessibleName("Clinician type")
        self.clinician_combo.addItem("Any clinician", None)
        for ct in ClinicianType:
            self.clinician_combo.addItem(ct.value.replace("_", " ").capitalize(), ct)
        self.find_button = QPushButton("Find slots (Ctrl+Shift+F)", self)
        self.find_button.setAccessibleName("Find slots")
        self.find_button.clicked.connect(self.find_requested)
        self.availability_label = QLabel(self)
        self.availability_label.setWordWrap(True)
        self.availability_button = QPushButton("Change (Ctrl+Shift+W)", self)
        self.availability_button.setAccessibleName("Change when the patient can come")
        self.availability_button.clicked.connect(self.edit_availability_requested)
        self.show_all = QCheckBox("Show all slots, ignoring the patient's availability (Ctrl+Shift+I)", self)
        self.show_all.setAccessibleName("Show all slots, ignoring the patient's availability")
        self.show_all.toggled.connect(lambda _on: self.find_requested.emit())
        self.availability_editor = AvailabilityEditor(self)
        self.availability_editor.hide()

        form = QFormLayout(self)
        form.addRow("Sites:", self.sites_list)
        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to", self))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        form.addRow("Dates:", dates)
        form.addRow("Time of day:", self.day_part_combo)
        form.addRow("Clinician:", self.clinician_combo)
        can_come = QHBoxLayout()
        can_come.addWidget(self.availability_label, 1)
        can_come.addWidget(self.availability_button)
        form.addRow("Can come:", can_come)
        form.addRow(self.availability_editor)
        find_row = FlowLayout()  # wraps on a 1366-pixel screen rather than scrolling sideways
        find_row.addWidget(self.show_all)
        find_row.addWidget(self.find_button)
        form.addRow("", find_row)

    @property
    def fields(self) -> tuple[QWidget, ...]:
        """Where Return means "find again"."""
        return (self.sites_list, self.date_from, self.date_to, self.day_part_combo, self.clinician_combo)

    def focus_order(self) -> list[QWidget]:
        return [
            *self.fields,
            self.availability_button,
            *self.availability_editor.focus_order(),
            self.show_all,
            self.find_button,
        ]

    def reset(self, today: date) -> None:
        """A new patient: default filters, their availability applied, the editor closed."""
        self.sites_list.blockSignals(True)
        self.sites_list.clear()
        self.sites_list.blockSignals(False)
        self.date_from.setDate(_qdate(today))
        self.date_to.setDate(_qdate(today + timedelta(days=DEFAULT_DAYS)))
        self.day_part_combo.setCurrentIndex(0)
        self.clinician_combo.setCurrentIndex(0)
        self.show_all.blockSignals(True)
        self.show_all.setChecked(False)
        self.show_all.blockSignals(False)
        self.availability_editor.hide()

    def set_enabled(self, loaded: bool, needs: AppointmentNeeds | None) -> None:
        for widget in (*self.fields, self.find_button, self.availability_button, self.availability_editor):
            widget.setEnabled(loaded)
        self.show_all.setEnabled(loaded and needs is not None and needs.availability.restricts)

    def fill_sites(self, options: Sequence[ChoiceOption]) -> None:
        self.sites_list.blockSignals(True)
        self.sites_list.clear()
        for o in options:
            flag = "" if o.meets_adjustments else "  ⚠ does not meet the patient's adjustments"
            item = QListWidgetItem(f"{o.site_name} (wait {weeks_text(o.wait_weeks)}){flag}")
            item.setData(Qt.ItemDataRole.UserRole, o.site_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.sites_list.addItem(item)
        self.sites_list.blockSignals(False)

    def tick_sites(self, site_ids: Sequence[int]) -> None:
        self.sites_list.blockSignals(True)
        for i in range(self.sites_list.count()):
            item = self.sites_list.item(i)
            ticked = item.data(Qt.ItemDataRole.UserRole) in site_ids
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        self.sites_list.blockSignals(False)

    def ticked_sites(self) -> list[int]:
        return [
            int(self.sites_list.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.sites_list.count())
            if self.sites_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def query(self, limit: int) -> SlotQuery:
        return SlotQuery(
            site_ids=tuple(self.ticked_sites()),
            date_from=_pydate(self.date_from.date()),
            date_to=_pydate(self.date_to.date()),
            day_part=self.day_part_combo.currentData(),
            clinician_type=self.clinician_combo.currentData(),
            limit=limit,
            ignore_availability=self.show_all.isChecked(),
        )

    def show_availability(self, needs: AppointmentNeeds | None) -> None:
        described = needs.availability.describe() if needs is not None else ""
        self.availability_label.setText(described or "Any day, any time (nothing stated)")
        self.availability_label.setAccessibleName(f"The patient can come: {described or 'any day, any time'}")
