"""What a patient's needs ask of an appointment: an interpreter, a longer slot, the days and times
they can come. Pure Python: the booking service reads the columns, the slot finder turns these
into SQL conditions, the panel and the letters put them into words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cras_desk.domain import input_rules
from cras_desk.domain.enums import AdjustmentFlag, TimeOfDay
from cras_desk.domain.errors import ValidationError

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NOTE_MAX = 200
_DAY_PART_WORDS = {
    TimeOfDay.MORNING: "mornings",
    TimeOfDay.AFTERNOON: "afternoons",
    TimeOfDay.EVENING: "evenings",
}


@dataclass(frozen=True)
class Availability:
    """When the patient has said they can come. Empty sets mean no restriction."""

    unavailable_weekdays: frozenset[int] = frozenset()  # 0 = Monday, as date.weekday()
    day_parts: frozenset[TimeOfDay] = frozenset()  # the parts of the day they CAN come; empty: any
    note: str = ""  # in the patient's words: "dialysis on Wednesdays"

    @classmethod
    def of(
        cls, weekdays: Iterable[int] = (), day_parts: Iterable[TimeOfDay | str] = (), note: str = ""
    ) -> Availability:
        """A checked, normalised availability; ValidationError says what is wrong."""
        days = frozenset(int(d) for d in weekdays)
        if any(d < 0 or d > 6 for d in days):
            raise ValidationError("A weekday must be Monday to Sunday.")
        if len(days) == 7:
            raise ValidationError(
                "The patient cannot be unavailable on every day of the week; leave at least one day free."
            )
        try:
            parts = frozenset(TimeOfDay(p) for p in day_parts)
        except ValueError as exc:
            raise ValidationError("A time of day must be morning, afternoon or evening.") from exc
        if parts == frozenset(TimeOfDay):
            parts = frozenset()  # every part of the day is the same as no restriction
        note = " ".join(input_rules.check_text(note, "The availability note", multiline=True).split())
        if len(note) > NOTE_MAX:
            raise ValidationError(
                f"Keep the availability note to {NOTE_MAX} characters (it has {len(note)})."
            )
        return cls(days, parts, note)

    @classmethod
    def from_columns(
        cls, weekdays: list[int] | None, day_parts: list[str] | None, note: str | None
    ) -> Availability:
        """As stored on the patient (NULL columns: nothing stated). Unknown values are dropped,
        never guessed into a restriction."""
        days = frozenset(d for d in (weekdays or []) if isinstance(d, int) and 0 <= d <= 6)
        known = {p.value for p in TimeOfDay}
        parts = frozenset(TimeOfDay(p) for p in (day_parts or []) if p in known)
        return cls(days, parts, (note or "").strip())

    @property
    def restricts(self) -> bool:
        """Whether it filters any slot (a note alone is for the advisor to read)."""
        return bool(self.unavailable_weekdays or self.day_parts)

    @property
    def weekdays_column(self) -> list[int] | None:
        return sorted(self.unavailable_weekdays) or None

    @property
    def day_parts_column(self) -> list[str] | None:
        return [p.value for p in TimeOfDay if p in self.day_parts] or None

    def allows(self, weekday: int, day_part: TimeOfDay) -> bool:
        """The rule the slot finder's SQL applies, for one slot (tests and the demo seed use it)."""
        if weekday in self.unavailable_weekdays:
            return False
        return not self.day_parts or day_part in self.day_parts

    def describe(self) -> str:
        """ "Not Wednesdays; mornings only (dialysis)", or "" when nothing was stated."""
        bits = []
        if self.unavailable_weekdays:
            days = [WEEKDAY_NAMES[d] + "s" for d in sorted(self.unavailable_weekdays)]
            bits.append("not " + _and(days))
        if self.day_parts:
            parts = [_DAY_PART_WORDS[p] for p in TimeOfDay if p in self.day_parts]
            bits.append(_and(parts) + " only")
        text = "; ".join(bits)
        if self.note:
            text = f"{text} ({self.note})" if text else self.note
        return text[:1].upper() + text[1:]

    def audit_detail(self) -> dict[str, object]:
        return {
            "unavailable_weekdays": self.weekdays_column or [],
            "day_parts": self.day_parts_column or [],
            "note": self.note,
        }


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class AppointmentNeeds:
    """What the booking must honour for this referral's patient, as recorded now."""

    patient_id: int
    interpreter_language: str | None  # None: no interpreter needed
    longer_minutes: int | None  # the service's longer appointment, when the patient needs one
    longer_not_offered: bool  # the patient needs a longer appointment but the service has none
    availability: Availability

    @classmethod
    def of(
        cls,
        patient_id: int,
        language: str | None,
        interpreter_needed: bool,
        adjustments: Iterable[str] | None,
        service_longer_minutes: int | None,
        availability: Availability,
    ) -> AppointmentNeeds:
        flags = set(adjustments or ())
        interpreter = None
        # Either record of the need counts: the flag ticked in the adjustments or the language's
        # "interpreter needed"; the language is the one recorded, whatever it is.
        if interpreter_needed or AdjustmentFlag.INTERPRETER.value in flags:
            interpreter = (language or "").strip() or "a language not yet recorded"
        wants_longer = AdjustmentFlag.LONGER_APPOINTMENT.value in flags
        offered = service_longer_minutes if service_longer_minutes and service_longer_minutes > 0 else None
        return cls(
            patient_id=patient_id,
            interpreter_language=interpreter,
            longer_minutes=offered if wants_longer else None,
            longer_not_offered=wants_longer and offered is None,
            availability=availability,
        )

    @property
    def min_minutes(self) -> int:
        """The shortest slot that will do (0: any)."""
        return self.longer_minutes or 0
