"""The seed's phone calls: when an advisor rings, what the call comes to, and the note left.

Calls keep to the centre's hours, spread over the morning, afternoon and evening as a call
centre's are; after a failed call the next is usually on another working day at another time of
day, as the contact policy asks. The outcome mix is that of a CRAS worklist: about half the calls
reach the patient.
"""

from __future__ import annotations

from datetime import date
from itertools import accumulate

from cras_desk.demo.dice import Dice
from cras_desk.demo.seed_calendar import SeedCalendar
from cras_desk.domain.enums import ContactOutcome, TimeOfDay

_OUTCOMES = (
    ContactOutcome.SPOKE,
    ContactOutcome.NO_ANSWER,
    ContactOutcome.VOICEMAIL,
    ContactOutcome.BUSY,
    ContactOutcome.WRONG_NUMBER,
    ContactOutcome.CALLBACK_REQUESTED,
    ContactOutcome.DECLINED,
)
_OUTCOME_CUM = list(accumulate((46, 28, 14, 3, 2, 6, 1)))
_SEVEN = range(7)
_NOTES: dict[ContactOutcome, tuple[str | None, ...]] = {
    ContactOutcome.SPOKE: (
        None,
        None,
        "Choice discussed with the patient.",
        "Spoke to the patient's daughter.",
    ),
    ContactOutcome.NO_ANSWER: (None, None, "Rang out, no voicemail."),
    ContactOutcome.VOICEMAIL: ("Left a voicemail asking the patient to call the centre.", None),
    ContactOutcome.BUSY: ("Engaged.", None),
    ContactOutcome.WRONG_NUMBER: ("Number not recognised by the person who answered.",),
    ContactOutcome.CALLBACK_REQUESTED: (
        "Patient at work; asked to be called back.",
        "Driving; call back later.",
    ),
    ContactOutcome.DECLINED: ("Feels better and does not want an appointment.",),
}
# Local minutes of the day a call may be made in, by time of day.
_CALL_HOURS = {
    TimeOfDay.MORNING: (9 * 60, 11 * 60 + 55),
    TimeOfDay.AFTERNOON: (12 * 60, 16 * 60 + 55),
    TimeOfDay.EVENING: (17 * 60, 19 * 60 + 25),
}
_PARTS = (TimeOfDay.MORNING, TimeOfDay.AFTERNOON, TimeOfDay.EVENING)
_PART_CUM = (45, 85, 100)

LAST_CALL_MINUTE = _CALL_HOURS[TimeOfDay.EVENING][1]


class Calls:
    """Draws the calls of the referral histories from the seed's history stream."""

    def __init__(self, dice: Dice, cal: SeedCalendar) -> None:
        self.dice = dice
        self.cal = cal

    def outcome(self) -> ContactOutcome:
        return _OUTCOMES[self.dice.weighted(_SEVEN, _OUTCOME_CUM)]

    def note(self, outcome: ContactOutcome) -> str | None:
        return self.dice.pick(_NOTES[outcome])

    def minute(self, avoid: TimeOfDay | None) -> int:
        """A local minute of the day to call at, preferring another part of the day than `avoid`."""
        dice = self.dice
        part = dice.weighted(_PARTS, _PART_CUM)
        if part is avoid and dice.chance(0.7):
            part = dice.pick([p for p in _PARTS if p is not avoid])
        lo, hi = _CALL_HOURS[part]
        return dice.between(lo, hi)

    def retry(self, day: date, minute: int) -> tuple[date, int]:
        """Next call after a failed one: usually another working day, at another time of day."""
        dice = self.dice
        part = TimeOfDay.of_hour(minute // 60)
        if minute < 16 * 60 and dice.chance(0.2):
            later = [p for p in _PARTS if _CALL_HOURS[p][0] > minute + 90]
            if later:
                lo, hi = _CALL_HOURS[dice.pick(later)]
                return day, dice.between(lo, hi)
        return self.cal.shift(day, dice.pick((1, 1, 1, 2, 2, 3))), self.minute(part)

    def callback(self, day: date, minute: int) -> tuple[date, int]:
        """The time a patient asks to be called back at, on the quarter hour."""
        dice = self.dice
        if minute < 15 * 60 and dice.chance(0.4):
            return day, dice.between(minute + 60, 19 * 60) // 15 * 15
        return self.cal.shift(day, dice.pick((1, 1, 2, 3))), dice.between(9 * 4, 19 * 4) * 15
