"""The booking panel's "Live appointment" box: what is booked, the reason field, and the actions on it.

Layout only: the panel wires the buttons to its confirmations and the services.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from cras_desk.gui.widgets.flow_layout import FlowLayout


class LiveAppointmentBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Live appointment", parent)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setAccessibleName("Live appointment")
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setAccessibleName("Reason for cancelling, moving or not attending")
        self.reason_edit.setPlaceholderText("Reason (needed to cancel or rebook; kept as you type)")
        self.cancel_patient_button = QPushButton("Cancel: patient asked (Ctrl+Shift+P)", self)
        self.cancel_patient_button.setAccessibleName("Cancel the appointment at the patient's request")
        self.cancel_provider_button = QPushButton("Cancel: provider (Ctrl+Shift+V)", self)
        self.cancel_provider_button.setAccessibleName("Cancel the appointment: the provider cancelled")
        self.rebook_button = QPushButton("Rebook to selected slot (Ctrl+Shift+B)", self)
        self.rebook_button.setAccessibleName("Move the appointment to the selected slot")
        self.dna_button = QPushButton("Did not attend (Ctrl+Shift+D)", self)
        self.dna_button.setAccessibleName("Record that the patient did not attend")
        self.attended_button = QPushButton("Attended (Ctrl+Shift+A)", self)
        self.attended_button.setAccessibleName("Record that the patient attended")
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.reason_edit)
        # Wrapping: all five in one row would not fit beside the worklist on a 1366-pixel screen.
        actions = FlowLayout()
        for button in self.buttons:
            actions.addWidget(button)
        layout.addLayout(actions)

    @property
    def buttons(self) -> tuple[QPushButton, ...]:
        return (
            self.rebook_button,
            self.cancel_patient_button,
            self.cancel_provider_button,
            self.dna_button,
            self.attended_button,
        )
