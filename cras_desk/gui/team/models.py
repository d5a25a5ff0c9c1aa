"""The team-lead view's two tables: workload per advisor, and one advisor's open referrals.

Both are small in-memory lists (a team, an advisor's caseload), replaced whole on refresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import Priority
from cras_desk.domain.nhs_number import InvalidNhsNumber, format_334
from cras_desk.gui.widgets.display import day_text, when_text
from cras_desk.gui.widgets.tables import RowTableModel, TableColumn
from cras_desk.services.assignment import AdvisorLoad
from cras_desk.services.worklist import WorklistRow

_WARN = QBrush(QColor("#8a1c1c"))  # dark red on white: 8.6:1
_BOLD = QFont()
_BOLD.setBold(True)


class LoadColumn(TableColumn):
    NAME = "Advisor"
    OPEN = "Open"
    DUE_TODAY = "Due today"
    BREACHING = "Breach ≤ 2 weeks"
    CLAIMED = "On a call now"


class WorkloadModel(RowTableModel[AdvisorLoad, LoadColumn]):
    columns = LoadColumn
    right_aligned = frozenset(LoadColumn) - {LoadColumn.NAME}

    def set_loads(self, rows: Sequence[AdvisorLoad]) -> None:
        self.set_rows(rows)

    def load(self, row: int) -> AdvisorLoad | None:
        return self.row_at(row)

    def row_of(self, user_id: int) -> int:
        return self.row_where(lambda r: r.user_id == user_id)

    def text(self, row: AdvisorLoad, column: LoadColumn) -> str:
        if column is LoadColumn.NAME:
            return row.name
        value = {
            LoadColumn.OPEN: row.open,
            LoadColumn.DUE_TODAY: row.due_today,
            LoadColumn.BREACHING: row.breaching_2w,
            LoadColumn.CLAIMED: row.claimed_now,
        }[column]
        return str(value)

    def other_data(self, row: AdvisorLoad, column: LoadColumn, role: int) -> QBrush | QFont | None:
        if column is LoadColumn.BREACHING and row.breaching_2w > 0:
            if role == Qt.ItemDataRole.ForegroundRole:
                return _WARN
            if role == Qt.ItemDataRole.FontRole:
                return _BOLD
        return None


class ReferralColumn(TableColumn):
    PATIENT = "Patient"
    NHS = "NHS number"
    SERVICE = "Service"
    PRIORITY = "Priority"
    BREACH = "Breach date"
    STATUS = "Status"
    NEXT_ACTION = "Next action"


def _nhs(number: str) -> str:
    try:
        return format_334(number)
    except InvalidNhsNumber:
        return number


class AdvisorReferralsModel(RowTableModel[WorklistRow, ReferralColumn]):
    columns = ReferralColumn

    def __init__(self, parent: QObject | None = None, today: date | None = None) -> None:
        super().__init__(parent)
        self._today = today

    def set_rows(self, rows: Iterable[WorklistRow]) -> None:
        with self.resetting():
            self._rows = list(rows)
            self._today = today_london()

    def referral(self, row: int) -> WorklistRow | None:
        return self.row_at(row)

    def referral_ids(self) -> list[int]:
        return [r.referral_id for r in self._rows]

    def text(self, r: WorklistRow, col: ReferralColumn) -> str:
        if col is ReferralColumn.PATIENT:
            return r.patient_name
        if col is ReferralColumn.NHS:
            return _nhs(r.nhs_number)
        if col is ReferralColumn.SERVICE:
            return r.service_name
        if col is ReferralColumn.PRIORITY:
            return r.priority.value.capitalize()
        if col is ReferralColumn.BREACH:
            today = self._today or today_london()
            days = r.days_to_breach(today)
            left = f"{days} days left" if days >= 0 else f"breached {-days} days ago"
            return f"{day_text(r.breach_on)} ({left})"
        if col is ReferralColumn.STATUS:
            return r.status.value.replace("_", " ").capitalize()
        return when_text(r.next_action_at) if r.next_action_at else ""

    def other_data(self, row: WorklistRow, column: ReferralColumn, role: int) -> QBrush | None:
        if role == Qt.ItemDataRole.ForegroundRole and column is ReferralColumn.PRIORITY:
            return _WARN if row.priority is Priority.URGENT else None
        return None
