"""Dates of birth as an advisor types them while the patient reads theirs out.

UK order (17/05/1950, 17-05-1950, 17.05.1950, 1/5/1950) and ISO (1950-05-17). A date that cannot
be anyone's birthday (31/02/2020, year 0001, 9999) gets a sentence saying why, never an exception
from deep inside the date library (date(1, 1, 1) - timedelta(days=1) raises OverflowError).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from cras_desk.domain.clock import today_london

EARLIEST_YEAR = 1880  # older than anyone alive; a year before it is a typing slip
EXAMPLE = "17/05/1950"

_SEP = r"[/.\-]"
_DAY_FIRST = re.compile(rf"(?P<d>\d{{1,2}}){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<y>\d{{4}})")
_YEAR_FIRST = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
# On the way to one of the above: "17/", "17/05", "17/05/19", "1950-05".
_PARTIAL = re.compile(rf"\d{{1,2}}{_SEP}(?:\d{{1,2}}(?:{_SEP}\d{{0,3}})?)?|\d{{4}}-(?:\d{{1,2}}(?:-\d?)?)?")


@dataclass(frozen=True, slots=True)
class TypedDate:
    """iso: the date as YYYY-MM-DD; "" while it is still being typed. fault: why it is no birthday."""

    iso: str
    fault: str | None = None


def read(text: str) -> TypedDate | None:
    """The date of birth typed, or None if the text is not shaped like a date at all."""
    typed = text.strip()
    match = _DAY_FIRST.fullmatch(typed) or _YEAR_FIRST.fullmatch(typed)
    if match is None:
        return TypedDate("") if _PARTIAL.fullmatch(typed) else None
    day, month, year = int(match["d"]), int(match["m"]), int(match["y"])
    fault = _fault(typed, day, month, year)
    if fault is not None:
        return TypedDate(typed, fault)
    return TypedDate(date(year, month, day).isoformat())


def _fault(typed: str, day: int, month: int, year: int) -> str | None:
    this_year = today_london().year
    if not EARLIEST_YEAR <= year <= this_year:
        return (
            f"{typed} is not a date of birth: the year {year} is outside {EARLIEST_YEAR}-{this_year}. "
            f"Type it as day/month/year, e.g. {EXAMPLE}."
        )
    if not 1 <= month <= 12:
        return f"{typed} is not a date: there is no month {month}. Type day/month/year, e.g. {EXAMPLE}."
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{typed} is not a date: {calendar.month_name[month]} {year} has {days} days."
    if date(year, month, day) > today_london():
        return f"{typed} is in the future, so it cannot be a date of birth."
    return None
