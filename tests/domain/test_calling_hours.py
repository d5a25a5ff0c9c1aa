"""Calling hours: a callback is only ever booked when an advisor will be at a desk to ring."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from cras_desk.domain.calling_hours import CallingHours
from cras_desk.domain.clock import LONDON
from cras_desk.domain.errors import ValidationError

HOURS = CallingHours()


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (london(2026, 12, 3, 9, 0), True),  # Thursday, opening
        (london(2026, 12, 3, 19, 45), True),
        (london(2026, 12, 3, 20, 0), False),  # closing time itself
        (london(2026, 12, 3, 8, 59), False),
        (london(2026, 12, 5, 11, 0), False),  # Saturday
        (london(2026, 12, 25, 11, 0), False),  # Christmas Day
        (london(2026, 12, 28, 11, 0), False),  # Boxing Day (substitute), a Monday
    ],
)
def test_is_open(moment: datetime, open_: bool) -> None:
    assert HOURS.is_open(moment) is open_


def test_next_open_moves_to_the_next_calling_window() -> None:
    assert HOURS.next_open(london(2026, 12, 3, 19, 45)) == london(2026, 12, 3, 19, 45)
    assert HOURS.next_open(london(2026, 12, 3, 20, 45)) == london(2026, 12, 4, 9, 0)
    assert HOURS.next_open(london(2026, 12, 4, 7, 30)) == london(2026, 12, 4, 9, 0)  # before opening
    assert HOURS.next_open(london(2026, 12, 4, 21, 0)) == london(2026, 12, 7, 9, 0)  # Friday night
    assert HOURS.next_open(london(2026, 12, 24, 20, 30)) == london(2026, 12, 29, 9, 0)  # Christmas


def test_refusal_says_why_and_when_the_centre_can_call() -> None:
    saturday = HOURS.refusal(london(2026, 12, 5, 11, 0))
    assert saturday is not None
    assert "Saturday is not a working day" in saturday and "Monday 7 Dec at 09:00" in saturday
    late = HOURS.refusal(london(2026, 12, 3, 20, 30))
    assert late is not None and "20:30 is outside calling hours" in late and "Friday 4 Dec" in late
    holiday = HOURS.refusal(london(2026, 12, 25, 10, 0))
    assert holiday is not None and "bank holiday (Christmas Day)" in holiday
    assert HOURS.refusal(london(2026, 12, 3, 10, 0)) is None
    with pytest.raises(ValidationError, match="outside calling hours"):
        HOURS.ensure_open(london(2026, 12, 3, 6, 0))


def test_hours_must_make_sense_and_times_carry_a_zone() -> None:
    with pytest.raises(ValidationError, match="open before they close"):
        CallingHours(opens=time(18), closes=time(9))
    with pytest.raises(ValidationError, match="time zone"):
        HOURS.is_open(datetime(2026, 12, 3, 10, 0))
