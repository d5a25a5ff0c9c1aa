"""When a patient counts as unreachable, and what the advisor should do next.

A patient may only be discharged back to their GP as unreachable after a fair effort: enough
failed calls, on different working days and at different times of day (people who work, or
care for someone, are only free at certain hours), then an unable-to-contact letter and a
period to reply. This module decides that; it never touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from cras_desk.domain.clock import to_london
from cras_desk.domain.enums import ContactOutcome, TimeOfDay
from cras_desk.domain.errors import PolicyViolation, ValidationError
from cras_desk.domain.working_days import is_working_day, next_working_day

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(d: date) -> str:
    """Dates as "14 Dec 2026": unambiguous to patients and independent of the machine's locale."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class NextStepKind(StrEnum):
    KEEP_TRYING = "keep_trying"
    SEND_UTC_LETTER = "send_utc_letter"
    AWAIT_RESPONSE = "await_response"
    AWAIT_PRINT = "await_print"  # the letter is queued, not printed: its reply window has not begun
    DISCHARGE = "discharge"
    CONTACTED = "contacted"  # the patient answered, asked for a callback or declined
    BOOKED = "booked"  # an appointment is booked: calls are recorded and change nothing else


# Unreachable-patient rules stop applying once an appointment is booked: an unanswered reminder
# call must never queue an unable-to-contact letter for a patient who has an appointment.
BOOKED_STEP_MESSAGE = (
    "Appointment booked: the call is recorded; the booking and the referral's status stay as they are."
)


@dataclass(frozen=True, slots=True)
class AttemptFact:
    """One call attempt as the policy sees it.

    `at` is the time of the call. Aware datetimes are converted to UK time; naive ones are
    taken to be UK local time already, because "morning" means the patient's morning.
    """

    at: datetime
    outcome: ContactOutcome

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcome", ContactOutcome(self.outcome))

    @property
    def local(self) -> datetime:
        # Naive, so that aware and naive attempts can be sorted together.
        return self.at if self.at.tzinfo is None else to_london(self.at).replace(tzinfo=None)

    @property
    def day(self) -> date:
        return self.local.date()

    @property
    def time_of_day(self) -> TimeOfDay:
        return TimeOfDay.of_hour(self.local.hour)


@dataclass(frozen=True, slots=True)
class NextStep:
    kind: NextStepKind
    message: str  # the sentence the advisor sees
    failed_attempts: int  # failed attempts since the patient was last reached
    respond_by: date | None = None
    earliest_next_attempt: date | None = None  # None: no reason to wait


@dataclass(frozen=True, slots=True)
class _Spread:
    failures: tuple[AttemptFact, ...]
    working_days: frozenset[date]
    times: frozenset[TimeOfDay]


@dataclass(frozen=True, slots=True)
class ContactPolicy:
    max_failed_attempts: int = 3
    min_distinct_days: int = 2
    require_distinct_times_of_day: bool = True
    respond_within_days: int = 14  # calendar days the unable-to-contact letter gives to reply

    def __post_init__(self) -> None:
        for name in ("max_failed_attempts", "min_distinct_days", "respond_within_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(f"Contact policy setting {name} must be a whole number of at least 1.")
        if not isinstance(self.require_distinct_times_of_day, bool):
            raise ValidationError(
                "Contact policy setting require_distinct_times_of_day must be true or false."
            )

    # -- configuration ------------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, d: Mapping[str, object]) -> ContactPolicy:
        """Build from settings or JSON; missing keys keep their defaults, unknown keys are errors.

        Unknown keys are refused because a misspelt setting would otherwise silently leave
        the default policy in force. Strings are accepted because QSettings returns them.
        """
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ValidationError(
                f"Unknown contact policy setting(s): {', '.join(unknown)}. Known: {', '.join(known)}."
            )
        kwargs: dict[str, Any] = {}
        for name, value in d.items():
            if name == "require_distinct_times_of_day":
                kwargs[name] = _parse_bool(name, value)
            else:
                kwargs[name] = _parse_int(name, value)
        return cls(**kwargs)

    def to_mapping(self) -> dict[str, object]:
        return asdict(self)

    # -- the rules ----------------------------------------------------------------------------

    def respond_by(self, utc_letter_sent_on: date) -> date:
        """Last day the patient can reply to the letter.

        Rolled forward to a working day: a deadline on a bank holiday would give the patient
        a day less to phone the centre than the letter promises.
        """
        due = utc_letter_sent_on + timedelta(days=self.respond_within_days)
        return due if is_working_day(due) else next_working_day(due)

    def can_discharge(
        self,
        utc_letter_sent_on: date | None,
        today: date,
        attempts: Sequence[AttemptFact] = (),
        utc_letter_queued_on: date | None = None,
    ) -> bool:
        return self._discharge_refusal(utc_letter_sent_on, today, attempts, utc_letter_queued_on) is None

    def ensure_can_discharge(
        self,
        utc_letter_sent_on: date | None,
        today: date,
        attempts: Sequence[AttemptFact] = (),
        utc_letter_queued_on: date | None = None,
    ) -> None:
        """Raise PolicyViolation unless discharging as unable-to-contact is allowed today.

        Pass `attempts` to also refuse when the patient has been reached since the letter, and
        utc_letter_queued_on (the day an unable-to-contact letter still waiting in the print queue
        was queued) to refuse while that letter has not been posted.
        """
        refusal = self._discharge_refusal(utc_letter_sent_on, today, attempts, utc_letter_queued_on)
        if refusal is not None:
            raise PolicyViolation(refusal)

    def _discharge_refusal(
        self,
        utc_letter_sent_on: date | None,
        today: date,
        attempts: Sequence[AttemptFact],
        utc_letter_queued_on: date | None = None,
    ) -> str | None:
        if utc_letter_queued_on is not None:
            # The reply window runs from the day the letter is printed: unprinted, it has not begun.
            return (
                "Cannot discharge: the unable-to-contact letter queued on "
                f"{format_date(utc_letter_queued_on)} has not been printed yet. The patient's "
                f"{self.respond_within_days} days to reply start on the day it is printed: print it "
                "from the letter queue first."
            )
        if utc_letter_sent_on is None:
            return (
                "Cannot discharge: no unable-to-contact letter has been sent. The patient must be sent "
                f"the letter and given {self.respond_within_days} days to reply first."
            )
        contact = _last_contact(attempts)
        if contact is not None and contact.day >= utc_letter_sent_on:
            return (
                "Cannot discharge as unable to contact: the patient was reached on "
                f"{format_date(contact.day)}, after the letter of {format_date(utc_letter_sent_on)}."
            )
        due = self.respond_by(utc_letter_sent_on)
        if today <= due:
            return (
                f"Cannot discharge yet: the patient has until {format_date(due)} to reply to the "
                f"unable-to-contact letter sent on {format_date(utc_letter_sent_on)}."
            )
        return None

    def next_step(
        self,
        attempts: Sequence[AttemptFact],
        utc_letter_sent_on: date | None,
        today: date,
        utc_letter_queued_on: date | None = None,
    ) -> NextStep:
        """utc_letter_sent_on is the day the unable-to-contact letter was printed (its reply window
        starts then); utc_letter_queued_on the day one still waiting in the print queue was queued."""
        ordered = sorted(attempts, key=lambda a: a.local)  # stable: list order breaks ties
        reached_at = [i for i, a in enumerate(ordered) if not a.outcome.is_failed]
        contact = ordered[reached_at[-1]] if reached_at else None
        if contact is not None and contact is ordered[-1]:
            return NextStep(NextStepKind.CONTACTED, _contacted_message(contact), failed_attempts=0)

        # Only failures since the patient was last reached count: a patient who asked for a
        # callback and then cannot be reached starts a fresh episode of attempts.
        since = ordered[reached_at[-1] + 1 :] if reached_at else ordered
        spread = _Spread(
            failures=tuple(since),
            working_days=frozenset(a.day for a in since if is_working_day(a.day)),
            times=frozenset(a.time_of_day for a in since),
        )
        n = len(since)

        # A letter from before the patient was last reached belongs to an earlier episode and
        # must not justify discharge now (same day counts as before: the order is unknown).
        letter = utc_letter_sent_on
        if letter is not None and contact is not None and letter <= contact.day:
            letter = None
        queued = utc_letter_queued_on
        if queued is not None and contact is not None and queued < contact.day:
            queued = None

        if queued is not None:
            return NextStep(
                NextStepKind.AWAIT_PRINT,
                f"Unable-to-contact letter queued on {format_date(queued)} is waiting to be printed; "
                f"the patient's {self.respond_within_days} days to reply start when it is printed.",
                failed_attempts=n,
            )

        if letter is not None:
            due = self.respond_by(letter)
            if today <= due:
                days_left = (due - today).days
                return NextStep(
                    NextStepKind.AWAIT_RESPONSE,
                    f"Unable-to-contact letter sent on {format_date(letter)}; the patient has until "
                    f"{format_date(due)} to reply ({_plural(days_left, 'day')} left).",
                    failed_attempts=n,
                    respond_by=due,
                )
            return NextStep(
                NextStepKind.DISCHARGE,
                f"No reply to the unable-to-contact letter sent on {format_date(letter)} (reply was due by "
                f"{format_date(due)}): discharge to the GP.",
                failed_attempts=n,
                respond_by=due,
            )

        missing = self._missing(spread)
        if n >= self.max_failed_attempts and not missing:
            due = self.respond_by(today)
            return NextStep(
                NextStepKind.SEND_UTC_LETTER,
                f"{ordinal(n).capitalize()} failed attempt: an unable-to-contact letter will be queued "
                f"(reply by {format_date(due)}).",
                failed_attempts=n,
                respond_by=due,
            )
        return self._keep_trying(spread, missing, today)

    # -- helpers ------------------------------------------------------------------------------

    def _missing(self, spread: _Spread) -> list[str]:
        """What the failed attempts still lack in spread, as phrases for the advisor."""
        missing: list[str] = []
        if len(spread.working_days) < self.min_distinct_days:
            missing.append(
                f"attempts on {self.min_distinct_days} different working days (so far "
                f"{len(spread.working_days)})"
            )
        if self.require_distinct_times_of_day and len(spread.times) < 2:
            so_far = f"only {next(iter(spread.times))}" if spread.times else "none"
            missing.append(f"attempts at 2 different times of day (so far {so_far})")
        return missing

    def _keep_trying(self, spread: _Spread, missing: list[str], today: date) -> NextStep:
        n = len(spread.failures)
        need_day = len(spread.working_days) < self.min_distinct_days
        need_time = self.require_distinct_times_of_day and len(spread.times) < 2
        suggestion = _suggest_time(spread.times)
        if need_day and need_time:
            advice = f"Try again on a different working day at a different time of day (try {suggestion})."
        elif need_day:
            advice = "Try again on a different working day."
        elif need_time:
            advice = f"Try again at a different time of day (try {suggestion})."
        else:
            advice = (
                f"Try again ({_plural(self.max_failed_attempts - n, 'more failed attempt')} before an "
                "unable-to-contact letter)."
            )

        if n == 0:
            message = "No contact attempts yet: call the patient."
        elif n >= self.max_failed_attempts:
            needs = " and ".join(missing)
            message = f"{_plural(n, 'failed attempt')}, but the policy needs {needs}. {advice}"
        else:
            message = f"{ordinal(n).capitalize()} failed attempt. {advice}"

        earliest = None
        if need_day and spread.failures:
            # Another call on a day already used cannot add a working day.
            earliest = next_working_day(max(a.day for a in spread.failures))
            if earliest < today:
                earliest = today if is_working_day(today) else next_working_day(today)
        return NextStep(NextStepKind.KEEP_TRYING, message, failed_attempts=n, earliest_next_attempt=earliest)


def _last_contact(attempts: Sequence[AttemptFact]) -> AttemptFact | None:
    """The latest attempt on which the patient was reached (ties: the later in the list)."""
    ordered = sorted(attempts, key=lambda a: a.local)  # stable, so list order breaks ties
    return next((a for a in reversed(ordered) if not a.outcome.is_failed), None)


def _suggest_time(tried: frozenset[TimeOfDay]) -> str:
    # Suggest daytime first: the earliest time of day not yet tried.
    for tod in TimeOfDay:
        if tod not in tried:
            return tod.value
    return TimeOfDay.AFTERNOON.value


_CONTACTED_WORDS = {
    ContactOutcome.SPOKE: "Spoke to the patient",
    ContactOutcome.CALLBACK_REQUESTED: "Patient asked to be called back",
    ContactOutcome.DECLINED: "Patient declined",
}


def _contacted_message(contact: AttemptFact) -> str:
    words = _CONTACTED_WORDS.get(contact.outcome, "Patient reached")
    return f"{words} on {format_date(contact.day)}: no longer unable to contact."


def _parse_int(name: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    raise ValidationError(f"Contact policy setting {name} must be a whole number, not {value!r}.")


_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _parse_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValidationError(f"Contact policy setting {name} must be true or false, not {value!r}.")
