"""How times, waits and distances read on the desk: UK time, unambiguous dates, miles."""

from __future__ import annotations

from datetime import date, datetime

from cras_desk.domain.clock import to_london
from cras_desk.domain.contact_policy import format_date
from cras_desk.domain.geo import miles
from cras_desk.domain.rtt import RttBand

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


# Said in words as well as in the cell's colour: colour alone is lost on colour-blind advisors,
# in greyscale screenshots and to screen readers.
_BAND_MARK = {RttBand.CRITICAL: "<2wk", RttBand.WARNING: "<4wk"}
_BAND_WORDS = {
    RttBand.BREACHED: "BREACHED",
    RttBand.CRITICAL: "< 2 weeks",
    RttBand.WARNING: "< 4 weeks",
    RttBand.OK: "on target",
}


def band_words(band: RttBand) -> str:
    """The RTT band in a few words, for beside a breach date: "BREACHED", "< 2 weeks"."""
    return _BAND_WORDS[band]


def breach_in_text(days_left: int, band: RttBand) -> str:
    """The worklist's "Breach in" cell: "3 over", "10 <2wk", "25 <4wk", "60"."""
    if days_left < 0:
        return f"{-days_left} over"
    mark = _BAND_MARK.get(band)
    return f"{days_left} {mark}" if mark else str(days_left)
