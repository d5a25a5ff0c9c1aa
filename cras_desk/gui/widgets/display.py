"""How times, waits and distances read on the desk: UK time, unambiguous dates, miles."""

from __future__ import annotations

from datetime import date, datetime

from cras_desk.domain.clock import to_london
from cras_desk.domain.contact_policy import format_date
from cras_desk.domain.geo import miles

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day_text(d: date) -> str:
    """ "Thu 27 Nov 2025" """
    return f"{_DAYS[d.weekday()]} {format_date(d)}"


def when_text(moment: datetime) -> str:
    """ "Thu 27 Nov 2025 09:00" in London time: what the patient's clock will say."""
    local = to_london(moment)
    return f"{day_text(local.date())} {local:%H:%M}"


def miles_text(km: float | None) -> str:
    if km is None:
        return "unknown"
    m = miles(km)
    return f"{m:.1f} miles" if m < 10 else f"{m:.0f} miles"


def weeks_text(weeks: int | None) -> str:
    if weeks is None:
        return "not published"
    return "1 week" if weeks == 1 else f"{weeks} weeks"
