"""When the call centre phones patients: its calling hours, on working days, in UK time.

A callback the patient asked for is a promise that somebody will ring then, so it can only be
booked when an advisor will be at a desk to make the call: on a working day (Monday to Friday,
not a bank holiday; see working_days.py) between opening and closing, London wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from cras_desk.domain.clock import LONDON
from cras_desk.domain.errors import ValidationError
from cras_desk.domain.working_days import bank_holiday_name, is_working_day, next_working_day

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class CallingHours:
    opens: time = time(9, 0)
    closes: time = time(20, 0)  # a call may be booked up to, not at, closing time

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValidationError("Calling hours must open before they close.")

    def describe(self) -> str:
        return f"Monday to Friday (not bank holidays), {self.opens:%H:%M} to {self.closes:%H:%M} UK time"

    def is_open(self, moment: datetime) -> bool:
        """True if moment (aware) falls in calling hours on a working day."""
        local = _london(moment)
        return is_working_day(local.date()) and self.opens <= local.time() < self.closes

    def next_open(self, moment: datetime) -> datetime:
        """moment itself if the centre is calling then, else when it next opens (London time)."""
        local = _london(moment)
        if self.is_open(local):
            return local
        day = local.date()
        if not (is_working_day(day) and local.time() < self.opens):
            day = next_working_day(day)
        return self.opening(day)

    def opening(self, day: date) -> datetime:
        return datetime.combine(day, self.opens, LONDON)

    def refusal(self, moment: datetime) -> str | None:
        """Why a callback cannot be booked at moment, in the advisor's words; None if it can."""
        if self.is_open(moment):
            return None
        local = _london(moment)
        day = local.date()
        when = f"{_DAY_NAMES[day.weekday()]} {day.day} {day:%b} at {local:%H:%M}"
        holiday = bank_holiday_name(day)
        if holiday:
            why = f"{day.day} {day:%b} is a bank holiday ({holiday})"
        elif day.weekday() >= 5:
            why = f"{_DAY_NAMES[day.weekday()]} is not a working day"
        else:
            why = f"{local:%H:%M} is outside calling hours"
        first = self.next_open(local)
        return (
            f"The callback time {when} cannot be used: {why}. The centre calls {self.describe()}; "
            f"the next time it can call is {_DAY_NAMES[first.weekday()]} {first.day} {first:%b} "
            f"at {first:%H:%M}."
        )

    def ensure_open(self, moment: datetime) -> None:
        refusal = self.refusal(moment)
        if refusal is not None:
            raise ValidationError(refusal)


def _london(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValidationError("A time must include its time zone.")
    return moment.astimezone(LONDON)
