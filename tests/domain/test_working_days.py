from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cras_desk.domain.working_days import (
    add_working_days,
    bank_holiday_name,
    bank_holidays,
    is_working_day,
    next_working_day,
    working_days_between,
)

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


@pytest.mark.parametrize(
    "holiday",
    [
        date(2026, 12, 25),  # Christmas Day (Friday)
        date(2026, 12, 28),  # Boxing Day falls on Saturday: substitute Monday
        date(2025, 12, 26),  # Boxing Day (Friday)
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 4),  # Early May bank holiday
        date(2026, 5, 25),  # Spring bank holiday
        date(2026, 8, 31),  # Summer bank holiday (England, not Scotland)
        date(2022, 9, 19),  # one-off: the Queen's state funeral
    ],
)
def test_bank_holidays_are_not_working_days(holiday: date) -> None:
    assert holiday.weekday() < 5  # a weekday, so only the holiday calendar can exclude it
    assert not is_working_day(holiday)


def test_ordinary_weekdays_are_working_days_and_weekends_are_not() -> None:
    assert is_working_day(date(2026, 4, 7))  # Tuesday after Easter
    assert is_working_day(date(2026, 8, 3))  # first Monday of August: a holiday in Scotland only
    assert not is_working_day(date(2026, 4, 4))  # Saturday
    assert not is_working_day(date(2026, 4, 5))  # Sunday


def test_holiday_names_for_the_gui() -> None:
    assert bank_holiday_name(date(2026, 4, 6)) == "Easter Monday"
    assert bank_holiday_name(date(2026, 4, 7)) is None
    assert len(bank_holidays(2026)) == 9  # eight bank holidays plus the Boxing Day substitute


def test_bank_holidays_returns_a_copy() -> None:
    bank_holidays(2026).clear()
    assert not is_working_day(date(2026, 12, 25))


def test_add_working_days_skips_the_easter_weekend() -> None:
    # Thursday 2 Apr 2026 + 1 working day: Good Friday, the weekend and Easter Monday are skipped.
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert add_working_days(date(2026, 4, 7), -1) == date(2026, 4, 2)


def test_add_working_days_over_christmas() -> None:
    # Thu 24 Dec 2026 + 2: Christmas (Fri), weekend, Boxing Day substitute (Mon 28) are skipped.
    assert add_working_days(date(2026, 12, 24), 2) == date(2026, 12, 30)


def test_add_working_days_from_a_weekend_and_zero() -> None:
    assert add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)  # Saturday -> Monday
    assert add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 7)
    assert add_working_days(date(2026, 3, 2), 5) == date(2026, 3, 9)


def test_next_working_day_is_strictly_after() -> None:
    assert next_working_day(date(2026, 3, 2)) == date(2026, 3, 3)
    assert next_working_day(date(2026, 5, 1)) == date(2026, 5, 5)  # Fri -> Tue after Early May


def test_working_days_between() -> None:
    assert working_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1
    assert working_days_between(date(2026, 3, 2), date(2026, 3, 9)) == 5
    assert working_days_between(date(2026, 3, 9), date(2026, 3, 2)) == -5
    assert working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0


def test_runaway_spans_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 1), 10**7)


@given(dates, st.integers(min_value=0, max_value=400))
def test_add_then_count_round_trips(start: date, n: int) -> None:
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    if n > 0:
        assert is_working_day(end)
        assert end > start


@given(dates, st.integers(min_value=1, max_value=400))
def test_backwards_steps_land_on_working_days(start: date, n: int) -> None:
    back = add_working_days(start, -n)
    assert is_working_day(back)
    assert back < start
    if is_working_day(start):
        assert add_working_days(back, n) == start


@given(dates)
def test_next_working_day_has_only_non_working_days_in_between(d: date) -> None:
    nxt = next_working_day(d)
    assert is_working_day(nxt)
    gap = (nxt - d).days
    assert 1 <= gap <= 5  # the longest closure is Christmas to the Boxing Day substitute
    assert not any(is_working_day(d + timedelta(days=i)) for i in range(1, gap))
