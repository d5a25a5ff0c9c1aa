"""Callback times an advisor picks with one key: "in 2 hours", next working day morning or afternoon.

Times are London wall-clock: "10:00 tomorrow" is what the patient asked for, whatever the desk's
own time zone is. The call centre works Monday to Friday except bank holidays, so "tomorrow" on
a Friday is Monday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from cras_desk.domain.clock import LONDON, utcnow
from cras_desk.domain.working_days import next_working_day

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class QuickPick:
    key: str  # the panel's shortcut for it
    label: str
    at: datetime  # aware, Europe/London


def _round_up_quarter(moment: datetime) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    extra = (-moment.minute) % 15
    return moment + timedelta(minutes=extra)


def quick_picks(now: datetime | None = None) -> list[QuickPick]:
    local = (now or utcnow()).astimezone(LONDON)
    day = next_working_day(local.date())
    name = "Tomorrow" if day == local.date() + timedelta(days=1) else _DAYS[day.weekday()]
    later = _round_up_quarter(local + timedelta(hours=2))
    return [
        QuickPick("Ctrl+Shift+H", f"In 2 hours ({later:%H:%M})", later),
        QuickPick("Ctrl+Shift+M", f"{name} 10:00", datetime.combine(day, time(10, 0), LONDON)),
        QuickPick("Ctrl+Shift+A", f"{name} 14:00", datetime.combine(day, time(14, 0), LONDON)),
    ]
