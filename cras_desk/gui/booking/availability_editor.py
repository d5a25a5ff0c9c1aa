"""A small editor for when the patient can come: weekdays they cannot, parts of the day they can, a note.

It only edits; the booking panel saves through the booking service and refreshes the slot list,
which the availability filters by default.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from cras_desk.domain.appointment_needs import NOTE_MAX, WEEKDAY_NAMES, Availability
from cras_desk.domain.enums import TimeOfDay

_PART_LABELS = {
    TimeOfDay.MORNING: "Mornings",
    TimeOfDay.AFTERNOON: "Afternoons",
    TimeOfDay.EVENING: "Evenings",
}


class AvailabilityEditor(QGroupBox):
    save_requested = Signal(object)  # Availability
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("When the patient can come", parent)
        self.setAccessibleName("When the patient can come")
        self.weekday_boxes: list[QCheckBox] = []
        days_row = QHBoxLayout()
        for i, name in enumerate(WEEKDAY_NAMES):
            box = QCheckBox(name[:3], self)
            box.setAccessibleName(f"Not available on {name}")
            box.setProperty("weekday", i)
            self.weekday_boxes.append(box)
            days_row.addWidget(box)
        days_row.addStretch(1)
        self.part_boxes: dict[TimeOfDay, QCheckBox] = {}
        parts_row = QHBoxLayout()
        for part, label in _PART_LABELS.items():
            box = QCheckBox(label, self)
            box.setAccessibleName(f"Can come in the {label.lower()}")
            self.part_boxes[part] = box
            parts_row.addWidget(box)
        parts_row.addStretch(1)
        self.note_edit = QLineEdit(self)
        self.note_edit.setMaxLength(NOTE_MAX)
        self.note_edit.setPlaceholderText("In the patient's words, e.g. dialysis on Wednesdays")
        self.save_button = QPushButton("Save availability", self)
        self.save_button.setAccessibleName("Save the patient's availability")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName("Close the availability editor without saving")
        self.save_button.clicked.connect(self._save)
        self.cancel_button.clicked.connect(self.cancelled)
        self.note_edit.returnPressed.connect(self._save)

        grid = QGridLayout(self)
        days_label = QLabel("Not on:", self)
        days_label.setBuddy(self.weekday_boxes[0])
        parts_label = QLabel("Only:", self)
        parts_label.setBuddy(self.part_boxes[TimeOfDay.MORNING])
        note_label = QLabel("&Note:", self)
        note_label.setBuddy(self.note_edit)
        self.note_edit.setAccessibleName("Availability note")
        grid.addWidget(days_label, 0, 0)
        grid.addLayout(days_row, 0, 1)
        grid.addWidget(parts_label, 1, 0)
        grid.addLayout(parts_row, 1, 1)
        grid.addWidget(note_label, 2, 0)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.save_button)
        note_row.addWidget(self.cancel_button)
        grid.addLayout(note_row, 2, 1)
        grid.setColumnStretch(1, 1)

    def focus_order(self) -> list[QWidget]:
        return [
            *self.weekday_boxes,
            *self.part_boxes.values(),
            self.note_edit,
            self.save_button,
            self.cancel_button,
        ]

    def set_availability(self, availability: Availability) -> None:
        for box in self.weekday_boxes:
            box.setChecked(int(box.property("weekday")) in availability.unavailable_weekdays)
        for part, box in self.part_boxes.items():
            box.setChecked(part in availability.day_parts)
        self.note_edit.setText(availability.note)

    def availability(self) -> Availability:
        """As ticked; not yet checked (the service checks and says what is wrong)."""
        return Availability(
            unavailable_weekdays=frozenset(
                int(b.property("weekday")) for b in self.weekday_boxes if b.isChecked()
            ),
            day_parts=frozenset(p for p, b in self.part_boxes.items() if b.isChecked()),
            note=self.note_edit.text().strip(),
        )

    def _save(self) -> None:
        self.save_requested.emit(self.availability())
