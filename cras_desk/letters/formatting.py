"""Dates, times and names the way NHS letters write them, independent of the machine's locale."""

from __future__ import annotations

from datetime import date, datetime, time

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def long_date(d: date) -> str:
    """ "3 March 2026": no ordinals, no numeric dates (03/04 reads differently to different people)."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def day_and_date(d: date) -> str:
    """ "Tuesday 3 March 2026", for appointments: the weekday catches a misread date."""
    return f"{_DAYS[d.weekday()]} {long_date(d)}"


def clock_time(t: time) -> str:
    """ "9am", "2:30pm", "midday" (NHS style: no leading zero, no space before am/pm)."""
    if t.hour == 12 and t.minute == 0:
        return "midday"
    if t.hour == 0 and t.minute == 0:
        return "midnight"
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    return f"{hour}{suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d}{suffix}"


def duration(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} minutes"
    hours, rest = divmod(minutes, 60)
    head = "1 hour" if hours == 1 else f"{hours} hours"
    return head if rest == 0 else f"{head} {rest} minutes"


def times_phrase(n: int) -> str:
    """ "once", "twice", "3 times"; "several times" when the count is unknown."""
    if n <= 0:
        return "several times"
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def parse_date(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def parse_local(value: str) -> datetime:
    """A naive London wall-clock time recorded in a letter's inputs ("2026-03-10T09:00")."""
    return datetime.fromisoformat(value)
