"""Referral-to-treatment (RTT) clock: how long a patient has waited and when they breach.

The clock starts on the day the referral is received. Waits are counted in calendar days,
not working days, because the national standard is "within 18 weeks" of the calendar.
Only the routine target is that national standard; the urgent and soon targets are this
service's own, local ones (docs/rtt-targets.md), and must never be described as national.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from cras_desk.domain.enums import Priority

# Read-only so no caller can quietly move a target for everybody else.
TARGET_DAYS: Final[Mapping[Priority, int]] = MappingProxyType(
    {
        Priority.ROUTINE: 126,  # 18 weeks: the national RTT standard (NHS Constitution)
        Priority.SOON: 42,  # 6 weeks: a local target of this service, not a national standard
        Priority.URGENT: 14,  # 2 weeks: a local target of this service, not a national standard
    }
)

# How close to the breach date a referral turns amber, then red, on the worklist.
CRITICAL_DAYS: Final = 14
WARNING_DAYS: Final = 28


class RttBand(StrEnum):
    """Worklist colour band; a str, so it compares equal to "breached", "critical", ..."""

    BREACHED = "breached"
    CRITICAL = "critical"
    WARNING = "warning"
    OK = "ok"


def _require_date(value: date, what: str) -> date:
    # datetime is a subclass of date: accepting one would make breach dates datetimes and
    # day counts depend on the time of day the referral happened to be keyed in.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{what} must be a date, not {type(value).__name__}")
    return value


def target_days(priority: Priority | str) -> int:
    return TARGET_DAYS[Priority(priority)]


def breach_date(received: date, priority: Priority | str) -> date:
    """The last day on which treatment still meets the target; a day later is a breach."""
    return _require_date(received, "received") + timedelta(days=target_days(priority))


@dataclass(frozen=True, slots=True)
class RttClock:
    received: date
    priority: Priority

    def __post_init__(self) -> None:
        _require_date(self.received, "received")
        # Rows from the database may carry the plain string; keep the enum for comparisons.
        object.__setattr__(self, "priority", Priority(self.priority))

    @property
    def target_days(self) -> int:
        return TARGET_DAYS[self.priority]

    @property
    def breach_date(self) -> date:
        return breach_date(self.received, self.priority)

    def days_waited(self, today: date) -> int:
        """Calendar days since receipt (0 on the day it arrives)."""
        return (_require_date(today, "today") - self.received).days

    def weeks_waited(self, today: date) -> int:
        """Completed weeks, the unit RTT waits are reported in."""
        return self.days_waited(today) // 7

    def days_to_breach(self, today: date) -> int:
        """Days left until the breach date; 0 on it, negative once breached."""
        return (self.breach_date - _require_date(today, "today")).days

    def is_breached(self, today: date) -> bool:
        return self.days_to_breach(today) < 0

    def band(self, today: date) -> RttBand:
        left = self.days_to_breach(today)
        if left < 0:
            return RttBand.BREACHED
        if left <= CRITICAL_DAYS:
            return RttBand.CRITICAL
        if left <= WARNING_DAYS:
            return RttBand.WARNING
        return RttBand.OK
