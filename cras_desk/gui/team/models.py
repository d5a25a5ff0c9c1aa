"""The team-lead view's two tables: workload per advisor, and one advisor's open referrals.

Both are small in-memory lists (a team, an advisor's caseload), replaced whole on refresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import Priority
from cras_desk.domain.nhs_number import InvalidNhsNumber, format_334
from cras_desk.gui.widgets.display import day_text, when_text
from cras_desk.services.assignment import AdvisorLoad
from cras_desk.services.worklist import WorklistRow

Index = QModelIndex | QPersistentModelIndex

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the AdvisorLoad / WorklistRow of the row

_WARN = QBrush(QColor("#8a1c1c"))  # dark red on white: 8.6:1
_BOLD = QFont()
_BOLD.setBold(True)


class LoadColumn(IntEnum):
    NAME = 0
    OPEN = 1
    DUE_TODAY = 2
    BREACHING = 3
    CLAIMED = 4


_LOAD_HEADERS = {
    LoadColumn.NAME: "Advisor",
    LoadColumn.OPEN: "Open",
    LoadColumn.DUE_TODAY: "Due today",
    LoadColumn.BREACHING: "Breach ≤ 2 weeks",
    LoadColumn.CLAIMED: "On a call now",
}


class WorkloadModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[AdvisorLoad] = []

    def set_loads(self, rows: Sequence[AdvisorLoad]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def load(self, row: int) -> AdvisorLoad | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, user_id: int) -> int:
        return next((i for i, r in enumerate(self._rows) if r.user_id == user_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(LoadColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return _LOAD_HEADERS[LoadColumn(section)] if 0 <= section < len(LoadColumn) else None
        return str(section + 1) if 0 <= section < len(self._rows) else None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        col = LoadColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if col is LoadColumn.NAME:
                return r.name
            value = {
                LoadColumn.OPEN: r.open,
                LoadColumn.DUE_TODAY: r.due_today,
                LoadColumn.BREACHING: r.breaching_2w,
                LoadColumn.CLAIMED: r.claimed_now,
            }[col]
            return str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and col is not LoadColumn.NAME:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if col is LoadColumn.BREACHING and r.breaching_2w > 0:
            if role == Qt.ItemDataRole.ForegroundRole:
                return _WARN
            if role == Qt.ItemDataRole.FontRole:
                return _BOLD
        if role == ROW_ROLE:
            return r
        return None


class ReferralColumn(IntEnum):
    PATIENT = 0
    NHS = 1
    SERVICE = 2
    PRIORITY = 3
    BREACH = 4
    STATUS = 5
    NEXT_ACTION = 6


_REFERRAL_HEADERS = {
    ReferralColumn.PATIENT: "Patient",
    ReferralColumn.NHS: "NHS number",
    ReferralColumn.SERVICE: "Service",
    ReferralColumn.PRIORITY: "Priority",
    ReferralColumn.BREACH: "Breach date",
    ReferralColumn.STATUS: "Status",
    ReferralColumn.NEXT_ACTION: "Next action",
}


def _nhs(number: str) -> str:
    try:
        return format_334(number)
    except InvalidNhsNumber:
        return number


class AdvisorReferralsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None, today: date | None = None) -> None:
        super().__init__(parent)
        self._rows: list[WorklistRow] = []
        self._today = today

    def set_rows(self, rows: Sequence[WorklistRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._today = today_london()
        self.endResetModel()

    def referral(self, row: int) -> WorklistRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def referral_ids(self) -> list[int]:
        return [r.referral_id for r in self._rows]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(ReferralColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return _REFERRAL_HEADERS[ReferralColumn(section)] if 0 <= section < len(ReferralColumn) else None
        return str(section + 1) if 0 <= section < len(self._rows) else None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        col = ReferralColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(r, col)
        if role == Qt.ItemDataRole.ForegroundRole and col is ReferralColumn.PRIORITY:
            return _WARN if r.priority is Priority.URGENT else None
        if role == ROW_ROLE:
            return r
        return None

    def _text(self, r: WorklistRow, col: ReferralColumn) -> str:
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
