"""The callback field's Up and Down keys step whole days on every date (Qt's own day step stood
still from Sunday 6 December 2026 with the weekday shown beside the day)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QDate, QDateTime, Qt, QTime

from cras_desk.domain.calling_hours import CallingHours
from cras_desk.gui.call_outcome.callback_field import CallbackField


@pytest.mark.parametrize("day", range(1, 15))
def test_up_and_down_step_whole_days(qtbot, day: int) -> None:
    field = CallbackField(CallingHours())
    qtbot.addWidget(field)
    field.show()
    start = QDateTime(QDate(2026, 12, day), QTime(10, 30))
    field.edit.setMinimumDateTime(start.addDays(-30))
    field.edit.setDateTime(start)
    field.edit.setFocus()
    field.edit.setCurrentSection(field.edit.sectionAt(1))  # the day of the month
    qtbot.keyClick(field.edit, Qt.Key.Key_Up)
    assert field.edit.dateTime() == start.addDays(1)
    qtbot.keyClick(field.edit, Qt.Key.Key_Down)
    qtbot.keyClick(field.edit, Qt.Key.Key_Down)
    assert field.edit.dateTime() == start.addDays(-1)
