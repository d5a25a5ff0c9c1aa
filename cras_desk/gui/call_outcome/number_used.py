"""The call-outcome panel's "Number used": the patient's numbers, the preferred one chosen, or one
the advisor types.

The record lists numbers in use first (the preferred one first of all); a number marked wrong or
not in use stays in the list, last and saying so, and is never chosen for you. A number the
advisor typed (not one of the list) survives the list being fetched again.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QWidget

from cras_desk.domain.enums import PhoneStatus
from cras_desk.gui.patient.phone_text import PHONE_STATUS_TEXT
from cras_desk.services.patient_record import PhoneNumber


class NumberUsedCombo(QComboBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # Sized to a number, not to its longest entry ("... (mobile, wrong number: do not use)").
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(16)
        self.setAccessibleName("Number used")
        self.setToolTip("The number you called; type another if you used a different one")

    def number_used(self) -> str:
        index = self.currentIndex()
        text = self.currentText().strip()
        if index >= 0 and text == self.itemText(index):
            return str(self.itemData(index))
        return text

    def fill(self, phones: Sequence[PhoneNumber]) -> None:
        index = self.currentIndex()
        text = self.currentText().strip()
        typed = text if text and (index < 0 or text != self.itemText(index)) else ""
        self.clear()
        for phone in phones:
            tag = f"{phone.kind}, preferred" if phone.preferred else phone.kind
            if phone.status is not PhoneStatus.ACTIVE:
                tag = f"{phone.kind}, {PHONE_STATUS_TEXT[phone.status]}: do not use"
            self.addItem(f"{phone.number} ({tag})", phone.number)
        first_active = next((i for i, p in enumerate(phones) if p.status is PhoneStatus.ACTIVE), -1)
        if typed:
            self.setEditText(typed)
        else:
            self.setCurrentIndex(first_active)
        edit = self.lineEdit()
        if edit is not None:
            edit.setCursorPosition(0)  # a narrow field shows the number, not the end of its label
