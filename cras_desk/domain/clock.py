"""The one place that reads the wall clock, so tests and seeding can pin time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_london() -> date:
    return datetime.now(LONDON).date()


def to_london(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)
