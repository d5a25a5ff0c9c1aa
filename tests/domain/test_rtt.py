from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cras_desk.domain.enums import Priority
from cras_desk.domain.rtt import TARGET_DAYS, RttBand, RttClock, breach_date

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
priorities = st.sampled_from(list(Priority))


def test_targets_are_the_national_routine_one_and_the_local_urgent_and_soon_ones() -> None:
    assert TARGET_DAYS == {Priority.ROUTINE: 126, Priority.SOON: 42, Priority.URGENT: 14}


def test_targets_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        TARGET_DAYS[Priority.ROUTINE] = 200  # type: ignore[index]


def test_routine_breach_date_is_18_weeks_after_receipt() -> None:
    assert breach_date(date(2026, 1, 5), Priority.ROUTINE) == date(2026, 5, 11)
    assert breach_date(date(2026, 1, 5), "urgent") == date(2026, 1, 19)


def test_clock_on_known_dates() -> None:
    clock = RttClock(date(2026, 1, 5), Priority.ROUTINE)
    assert clock.days_waited(date(2026, 1, 5)) == 0
    assert clock.days_waited(date(2026, 2, 4)) == 30
    assert clock.weeks_waited(date(2026, 2, 4)) == 4
    assert clock.days_to_breach(date(2026, 2, 4)) == 96
    assert clock.breach_date == date(2026, 5, 11)


def test_breach_starts_the_day_after_the_breach_date() -> None:
    clock = RttClock(date(2026, 1, 5), Priority.ROUTINE)
    assert not clock.is_breached(date(2026, 5, 11))  # exactly 18 weeks: still within target
    assert clock.is_breached(date(2026, 5, 12))
    assert clock.days_to_breach(date(2026, 5, 12)) == -1


@pytest.mark.parametrize(
    ("days_left", "band"),
    [
        (60, RttBand.OK),
        (29, RttBand.OK),
        (28, RttBand.WARNING),
        (15, RttBand.WARNING),
        (14, RttBand.CRITICAL),
        (0, RttBand.CRITICAL),
        (-1, RttBand.BREACHED),
    ],
)
def test_band_thresholds(days_left: int, band: RttBand) -> None:
    clock = RttClock(date(2026, 1, 5), Priority.ROUTINE)
    today = clock.breach_date - timedelta(days=days_left)
    assert clock.band(today) == band
    assert clock.band(today) == band.value  # the GUI may compare with the plain string


def test_urgent_referral_is_critical_from_day_one() -> None:
    clock = RttClock(date(2026, 3, 2), Priority.URGENT)
    assert clock.band(date(2026, 3, 2)) == "critical"


def test_priority_string_from_database_is_coerced() -> None:
    clock = RttClock(date(2026, 1, 5), "soon")  # type: ignore[arg-type]
    assert clock.priority is Priority.SOON
    assert clock.breach_date == date(2026, 2, 16)


def test_unknown_priority_is_refused() -> None:
    with pytest.raises(ValueError):
        RttClock(date(2026, 1, 5), "whenever")  # type: ignore[arg-type]


def test_datetime_is_refused_as_received() -> None:
    with pytest.raises(TypeError):
        RttClock(datetime(2026, 1, 5, 9, 30), Priority.ROUTINE)
    with pytest.raises(TypeError):
        breach_date(datetime(2026, 1, 5, 9, 30), Priority.ROUTINE)


@given(dates, priorities)
def test_breach_date_is_target_days_after_receipt(received: date, priority: Priority) -> None:
    assert (breach_date(received, priority) - received).days == TARGET_DAYS[priority]
    assert RttClock(received, priority).breach_date == breach_date(received, priority)


@given(dates, priorities, st.integers(min_value=0, max_value=1000))
def test_clock_arithmetic_is_consistent(received: date, priority: Priority, waited: int) -> None:
    clock = RttClock(received, priority)
    today = received + timedelta(days=waited)
    assert clock.days_waited(today) == waited
    assert clock.days_to_breach(today) + clock.days_waited(today) == TARGET_DAYS[priority]
    assert clock.weeks_waited(today) == waited // 7
    assert clock.is_breached(today) == (waited > TARGET_DAYS[priority])
    assert (clock.band(today) == RttBand.BREACHED) == clock.is_breached(today)
