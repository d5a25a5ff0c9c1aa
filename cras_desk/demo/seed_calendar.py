"""Fast date and time arithmetic for the seed: working days by index, London times as UTC.

The domain functions step a day at a time, which is right for the app and too slow for a
million calls; this precomputes the same calendar (bank holidays included) once.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, timedelta

from cras_desk.domain.clock import LONDON
from cras_desk.domain.working_days import is_working_day


class SeedCalendar:
    """Working days from `first` to `last` and London wall-clock times on them."""

    def __init__(self, first: date, last: date) -> None:
        self.first = first
        self.last = last
        span = (last - first).days + 1
        self.days = [
            first + timedelta(days=i) for i in range(span) if is_working_day(first + timedelta(days=i))
        ]
        self._ordinals = [d.toordinal() for d in self.days]
        self._instants: dict[int, datetime] = {}
        self._midnights: dict[date, datetime] = {}

    def shift(self, d: date, n: int) -> date:
        """The n-th working day after d (n >= 0; d itself when n is 0 and d is a working day).

        Mirrors domain.working_days.add_working_days for n >= 1; for n == 0 a non-working d
        rolls forward to the next working day, which is what a "do it today" plan means.
        """
        o = d.toordinal()
        # Past the end of the calendar we clamp: the seed only asks about days it will not use.
        i = bisect_right(self._ordinals, o) + n - 1 if n > 0 else bisect_left(self._ordinals, o)
        return self.days[min(i, len(self.days) - 1)]

    def working_days_in(self, start: date, end: date) -> list[date]:
        """Working days in [start, end)."""
        lo = bisect_left(self._ordinals, start.toordinal())
        hi = bisect_left(self._ordinals, end.toordinal())
        return self.days[lo:hi]

    def at(self, d: date, minutes: int) -> datetime:
        """UTC instant of d at `minutes` past midnight, London time.

        Clocks change at 01:00/02:00 on Sundays, so one offset per day serves every time we use.
        Cached: clinics and calls keep landing on the same few thousand moments.
        """
        key = d.toordinal() * 1440 + minutes
        instant = self._instants.get(key)
        if instant is None:
            midnight = self._midnights.get(d)
            if midnight is None:
                offset = LONDON.utcoffset(datetime(d.year, d.month, d.day, 12)) or timedelta(0)
                midnight = self._midnights[d] = datetime(d.year, d.month, d.day, tzinfo=UTC) - offset
            instant = self._instants[key] = midnight + timedelta(minutes=minutes)
        return instant
