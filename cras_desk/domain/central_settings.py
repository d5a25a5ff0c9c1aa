"""The unit's own rules, one set for every desk: the contact policy, calling hours, how long a claim
lasts, the bounds of a desk's idle lock, and the sign-in lockout.

They live in one row of the central database (table central_settings, migration 0012), edited by
admins (services/central_settings.py) and read by every desk at each use, so that two desks can no
longer discharge by different rules. Each option is declared once here with its default and its
range; the migration's CHECK constraints hold the same ranges, so a value out of range is refused
by the database as well as with a clear message here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import time
from typing import Any

from cras_desk.domain.calling_hours import CallingHours
from cras_desk.domain.contact_policy import ContactPolicy
from cras_desk.domain.errors import ValidationError


def _bounded(default: int, minimum: int, maximum: int, label: str, unit: str) -> Any:
    return field(default=default, metadata={"range": (minimum, maximum), "label": label, "unit": unit})


def _switch(default: bool, label: str) -> Any:
    return field(default=default, metadata={"label": label})


def clock_text(minutes: int) -> str:
    """Minutes after midnight as "09:00"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class CentralSettings:
    # The contact policy (domain/contact_policy.py).
    max_failed_attempts: int = _bounded(3, 1, 10, "Failed calls before an unable-to-contact letter", "calls")
    min_distinct_days: int = _bounded(2, 1, 10, "Different working days those calls must span", "days")
    require_distinct_times_of_day: bool = _switch(True, "Those calls must be at different times of day")
    respond_within_days: int = _bounded(14, 7, 60, "Days the patient has to reply to the letter", "days")
    # Calling hours, in minutes after midnight, UK time (domain/calling_hours.py).
    calling_opens: int = _bounded(9 * 60, 7 * 60, 21 * 60, "Calling hours open at", "time")
    calling_closes: int = _bounded(20 * 60, 8 * 60, 22 * 60, "Calling hours close at", "time")
    # How long an advisor's claim on a referral lasts without being renewed (services/claims.py).
    claim_minutes: int = _bounded(20, 10, 240, "A claim on a referral lasts", "minutes")
    # The range a desk's own idle lock (settings.json idle_lock_minutes) is held to.
    idle_lock_min_minutes: int = _bounded(1, 1, 60, "Shortest idle lock a desk may set", "minutes")
    idle_lock_max_minutes: int = _bounded(15, 1, 120, "Longest idle lock a desk may set", "minutes")
    # The embedded sign-in's lockout (services/auth.py); on PostgreSQL the server authenticates.
    lockout_failures: int = _bounded(5, 3, 20, "Wrong passwords that lock an account", "attempts")
    lockout_minutes: int = _bounded(15, 5, 1440, "A locked account stays locked for", "minutes")
    lockout_until_admin_unlocks: bool = _switch(
        False, "Locked accounts stay locked until an admin unlocks them"
    )

    def __post_init__(self) -> None:
        for option in fields(self):
            value = getattr(self, option.name)
            label = option.metadata["label"]
            if "range" not in option.metadata:
                if not isinstance(value, bool):
                    raise ValidationError(f"{label}: choose yes or no.")
                continue
            low, high = option.metadata["range"]
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(f"{label}: enter a whole number.")
            if not low <= value <= high:
                if option.metadata["unit"] == "time":
                    raise ValidationError(
                        f"{label}: choose a time from {clock_text(low)} to {clock_text(high)}."
                    )
                raise ValidationError(f"{label}: enter {low} to {high} {option.metadata['unit']}.")
        if self.calling_opens >= self.calling_closes:
            raise ValidationError("Calling hours must open before they close.")
        if self.idle_lock_min_minutes > self.idle_lock_max_minutes:
            raise ValidationError("The shortest idle lock cannot be longer than the longest.")

    # -- what the rules are for ---------------------------------------------------------------

    def contact_policy(self) -> ContactPolicy:
        return ContactPolicy(
            max_failed_attempts=self.max_failed_attempts,
            min_distinct_days=self.min_distinct_days,
            require_distinct_times_of_day=self.require_distinct_times_of_day,
            respond_within_days=self.respond_within_days,
        )

    def calling_hours(self) -> CallingHours:
        return CallingHours(opens=_time(self.calling_opens), closes=_time(self.calling_closes))

    def idle_lock_minutes(self, desk_choice: int) -> int:
        """The desk's own idle lock, held to the unit's range."""
        return min(max(desk_choice, self.idle_lock_min_minutes), self.idle_lock_max_minutes)

    # -- editing ------------------------------------------------------------------------------

    def as_mapping(self) -> dict[str, int | bool]:
        return {option.name: getattr(self, option.name) for option in fields(self)}

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> CentralSettings:
        """Defaults for what is missing; an unknown name is an error, not silently ignored."""
        known = {option.name for option in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValidationError(f"Unknown central setting(s): {', '.join(unknown)}.")
        return replace(cls(), **values)

    def changes_from(self, before: CentralSettings) -> dict[str, list[int | bool]]:
        """Each option that differs, as [before, after]: what an audit row of the edit says."""
        return {
            option.name: [getattr(before, option.name), getattr(self, option.name)]
            for option in fields(self)
            if getattr(before, option.name) != getattr(self, option.name)
        }


def options() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Each option's name and metadata (label, unit, range), in the order an edit form shows them."""
    return tuple((option.name, dict(option.metadata)) for option in fields(CentralSettings))


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)
