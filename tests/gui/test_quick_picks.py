"""Quick-pick callback times stay in the centre's calling hours and are never in the past."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from cras_desk.domain.calling_hours import CallingHours
from cras_desk.domain.clock import LONDON
from cras_desk.gui.call_outcome.quick_picks import quick_picks


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_in_two_hours_late_in_the_day_moves_to_the_next_opening() -> None:
    soon, morning, afternoon = quick_picks(london(2026, 12, 3, 19, 45))  # Thursday evening
    assert soon.at == london(2026, 12, 4, 9, 0)  # not 21:45, when nobody would ring
    assert soon.label == "Next opening: Tomorrow 09:00"
    assert (morning.at, afternoon.at) == (london(2026, 12, 4, 10, 0), london(2026, 12, 4, 14, 0))
    assert morning.label == "Tomorrow 10:00"


def test_in_two_hours_within_hours_is_two_hours_on_the_quarter() -> None:
    soon, _, _ = quick_picks(london(2026, 12, 3, 10, 7))
    assert (soon.at, soon.label) == (london(2026, 12, 3, 12, 15), "In 2 hours (12:15)")


def test_friday_night_and_bank_holidays_skip_to_the_next_working_day() -> None:
    soon, morning, _ = quick_picks(london(2026, 12, 4, 18, 30))  # Friday
    assert soon.at == london(2026, 12, 7, 9, 0) and soon.label == "Next opening: Mon 09:00"
    assert morning.at == london(2026, 12, 7, 10, 0) and morning.label == "Mon 10:00"
    _, morning, _ = quick_picks(london(2026, 12, 24, 11, 0))  # Christmas Eve: then 25, 26-28 shut
    assert morning.at == london(2026, 12, 29, 10, 0)


def test_every_pick_in_a_fortnight_is_in_hours_and_in_the_future() -> None:
    hours = CallingHours()
    now = london(2026, 12, 21, 0, 0)  # Christmas fortnight: bank holidays and weekends
    while now < london(2027, 1, 4, 0, 0):
        for pick in quick_picks(now, hours):
            assert pick.at > now, (now, pick)
            assert hours.is_open(pick.at), (now, pick)
        now += timedelta(minutes=20)


def test_other_calling_hours_are_followed() -> None:
    short = CallingHours(opens=time(11, 0), closes=time(13, 0))
    soon, morning, afternoon = quick_picks(london(2026, 12, 3, 10, 0), short)
    assert soon.at == london(2026, 12, 3, 12, 0)
    assert morning.at == london(2026, 12, 4, 11, 0)  # 10:00 is before they open
    assert afternoon.at == london(2026, 12, 7, 11, 0)  # 14:00 is after they close: Monday
