"""Callback times an advisor picks with one key: "in 2 hours", next working day morning or afternoon.

Times are London wall-clock: "10:00 tomorrow" is what the patient asked for, whatever the desk's
own time zone is. The call centre works Monday to Friday except bank holidays, so "tomorrow" on
a Friday is Monday. Every pick is in the centre's calling hours (domain/calling_hours.py): "in 2
hours" at 19:00 is not 21:00, when nobody would ring, but the next morning's opening, and it says so.
Picks are worked out when the key is pressed, so none is ever in the past.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from cras_desk.domain.calling_hours import CallingHours
from cras_desk.domain.clock import LONDON, utcnow
from cras_desk.domain.working_days import next_working_day

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SOON = timedelta(hours=2)


@dataclass(frozen=True)
class QuickPick:
    key: str  # the panel's shortcut for it
    label: str
    at: datetime  # aware, Europe/London


def _round_up_quarter(moment: datetime) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    extra = (-moment.minute) % 15
    return moment + timedelta(minutes=extra)


def _day_name(day: date, today: date) -> str:
    if day == today:
        return "Today"
    if day == today + timedelta(days=1):
        return "Tomorrow"
    return _DAYS[day.weekday()]


def quick_picks(now: datetime | None = None, hours: CallingHours | None = None) -> list[QuickPick]:
    hours = hours or CallingHours()
    local = (now or utcnow()).astimezone(LONDON)
    today = local.date()
    wanted = _round_up_quarter(local + SOON)
    soon = hours.next_open(wanted)
    if soon == wanted:
        soon_label = f"In 2 hours ({soon:%H:%M})"
    else:  # after closing, or not a working day: the first call the centre can make
        soon_label = f"Next opening: {_day_name(soon.date(), today)} {soon:%H:%M}"
    day = next_working_day(today)
    name = _day_name(day, today)
    morning = hours.next_open(datetime.combine(day, time(10, 0), LONDON))
    afternoon = hours.next_open(datetime.combine(day, time(14, 0), LONDON))
    return [
        QuickPick("Ctrl+Shift+H", soon_label, soon),
        QuickPick("Ctrl+Shift+M", f"{name} {morning:%H:%M}", morning),
        QuickPick("Ctrl+Shift+A", f"{name} {afternoon:%H:%M}", afternoon),
    ]
