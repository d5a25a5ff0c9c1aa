"""Working days of the call centre: Monday to Friday except England & Wales bank holidays.

Contact attempts must be spread over working days, and letters promise replies on them,
so a bank holiday Monday must not count as a day on which the patient could be reached.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

# Substitute days ("Boxing Day (observed)") and one-off holidays (jubilees, state funerals,
# coronations) are included: the centre is shut on them too.
_COUNTRY = "GB"
_SUBDIVISION = "ENG"  # Wales shares England's bank holidays

_MAX_SPAN_DAYS = 366 * 50  # far beyond any referral; guards against a runaway loop


@lru_cache(maxsize=64)
def _holidays_for_year(year: int) -> dict[date, str]:
    # Imported here: the holidays package takes about 80 ms to import, which a screen that
    # never asks about working days should not pay at start-up.
    import holidays

    # Cached per year because the worklist asks for every row; a plain dict stops callers
    # mutating the cached holidays object.
    calendar = holidays.country_holidays(_COUNTRY, subdiv=_SUBDIVISION, years=year)
    return dict(calendar.items())


def bank_holidays(year: int) -> dict[date, str]:
    """The year's bank holidays and their names, e.g. {date(2026, 4, 6): "Easter Monday"}."""
    return dict(_holidays_for_year(year))


def bank_holiday_name(d: date) -> str | None:
    return _holidays_for_year(d.year).get(d)


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _holidays_for_year(d.year)


def add_working_days(d: date, n: int) -> date:
    """The n-th working day after d (before d when n is negative); d itself when n is 0.

    d need not be a working day: one working day after a Saturday is the Monday.
    """
    if abs(n) > _MAX_SPAN_DAYS:
        raise ValueError(f"refusing to step {n} working days")
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    while remaining:
        d += step
        if is_working_day(d):
            remaining -= 1
    return d


def next_working_day(d: date) -> date:
    """The first working day strictly after d."""
    return add_working_days(d, 1)


def working_days_between(a: date, b: date) -> int:
    """Working days in the half-open span (a, b]; negative when b is before a.

    Chosen so that working_days_between(a, add_working_days(a, n)) == n.
    """
    if abs((b - a).days) > _MAX_SPAN_DAYS:
        raise ValueError(f"refusing to count working days from {a} to {b}")
    if b < a:
        return -working_days_between(b, a)
    return sum(1 for offset in range(1, (b - a).days + 1) if is_working_day(a + timedelta(days=offset)))
