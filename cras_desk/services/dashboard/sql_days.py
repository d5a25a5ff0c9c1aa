"""Days and weeks for the dashboard's SQL: London's midnights as UTC bounds, and buckets by them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from cras_desk.domain.clock import LONDON

EPOCH_MONDAY = date(1969, 12, 29)  # week indexes count Monday-to-Sunday weeks from this one


def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def london_midnight(d: date) -> datetime:
    """The UTC moment London's day d begins."""
    return datetime.combine(d, time(0), LONDON).astimezone(UTC)


def bucket_by_bounds(column: Any, bounds: list[datetime]) -> ColumnElement[int]:
    """The index i of the span [bounds[i], bounds[i + 1]) a timestamp falls in, else -1.

    Timestamps are bucketed against bounds computed here (London's midnights in UTC), not by a
    database date function: SQLite and PostgreSQL disagree on time zones, Python does not. The
    CASE halves the bounds at each step, so a row costs log2(len(bounds)) comparisons, not one
    per bound: it runs once for each of hundreds of thousands of rows.
    """
    if len(bounds) < 2:
        raise ValueError("at least two bounds make a span")

    def split(low: int, high: int) -> Any:  # spans low .. high - 1
        if high - low == 1:
            return literal(low)
        middle = (low + high) // 2
        return case((column < bounds[middle], split(low, middle)), else_=split(middle, high))

    outside = or_(column < bounds[0], column >= bounds[-1])
    result: ColumnElement[int] = case((outside, literal(-1)), else_=split(0, len(bounds) - 1))
    return result
