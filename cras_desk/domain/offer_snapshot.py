"""The stored record of a choice offer: one entry per site shown, versioned, validated when read.

The NHS Choice Framework makes the offer a record of what the patient was told, so
ChoiceOffer.options keeps each site as it was read out (waits, next free appointment, access),
not a reference to rows that change tomorrow. The choice service and the demo seed both write
entries with `entry()`; everything that reads them goes through `read_entry()`/`read_offer()`,
which check the shape and say clearly what is wrong instead of failing on a missing key.

Shapes that exist in databases today, all still read:

- version 2 (`"schema": 2`): every field of ChoiceOption; dates and times as ISO 8601 text.
- version 1 (no "schema" key, has "provider_name"): what the choice service wrote before
  versioning; the same fields as version 2.
- the early demo seed's shape (no "schema" key, has "distance_miles"): site_id, site_name,
  town, wait_weeks, distance_miles, step_free, hearing_loop, parking. The town becomes the
  address (the only part of it stored), miles become kilometres, and what it never recorded
  (provider, postcode, as-of date, next free appointment, opening hours, whether the site met the
  patient's needs) is None.

An entry of a newer schema than this build knows is refused rather than half read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cras_desk.domain.errors import UnreadableRecord
from cras_desk.domain.geo import KM_PER_MILE

SCHEMA_VERSION = 2
SCHEMA_KEY = "schema"

# Fields every version 1 and version 2 entry carries (version 2 adds SCHEMA_KEY).
_FIELDS = (
    "site_id",
    "site_name",
    "provider_name",
    "address",
    "postcode",
    "wait_weeks",
    "wait_as_of",
    "next_free_slot",
    "distance_km",
    "step_free",
    "hearing_loop",
    "parking",
    "opening_hours",
    "meets_adjustments",
)
_EARLY_SEED_FIELDS = (
    "site_id",
    "site_name",
    "wait_weeks",
    "distance_miles",
    "step_free",
    "hearing_loop",
    "parking",
)


@dataclass(frozen=True)
class ChoiceOption:
    """One eligible site as the advisor reads it out; None where the record does not say."""

    site_id: int
    site_name: str
    provider_name: str | None
    address: str | None
    postcode: str | None
    wait_weeks: int | None
    wait_as_of: date | None
    next_free_slot: datetime | None
    distance_km: float | None
    step_free: bool
    hearing_loop: bool
    parking: bool
    opening_hours: str | None
    meets_adjustments: bool | None

    def as_snapshot(self) -> dict[str, Any]:
        """The stored (JSON-safe) entry; from_snapshot() gives this object back unchanged."""
        return entry(
            site_id=self.site_id,
            site_name=self.site_name,
            provider_name=self.provider_name,
            address=self.address,
            postcode=self.postcode,
            wait_weeks=self.wait_weeks,
            wait_as_of=self.wait_as_of,
            next_free_slot=self.next_free_slot,
            distance_km=self.distance_km,
            step_free=self.step_free,
            hearing_loop=self.hearing_loop,
            parking=self.parking,
            opening_hours=self.opening_hours,
            meets_adjustments=self.meets_adjustments,
        )

    @classmethod
    def from_snapshot(cls, data: object) -> ChoiceOption:
        return read_entry(data)


def entry(
    *,
    site_id: int,
    site_name: str,
    provider_name: str | None,
    address: str | None,
    postcode: str | None,
    wait_weeks: int | None,
    wait_as_of: date | None,
    next_free_slot: datetime | None,
    distance_km: float | None,
    step_free: bool,
    hearing_loop: bool,
    parking: bool,
    opening_hours: str | None,
    meets_adjustments: bool | None,
) -> dict[str, Any]:
    """One site of an offer in the current schema. Cheap on purpose: the seed writes millions."""
    return {
        SCHEMA_KEY: SCHEMA_VERSION,
        "site_id": site_id,
        "site_name": site_name,
        "provider_name": provider_name,
        "address": address,
        "postcode": postcode,
        "wait_weeks": wait_weeks,
        "wait_as_of": None if wait_as_of is None else wait_as_of.isoformat(),
        "next_free_slot": None if next_free_slot is None else next_free_slot.isoformat(),
        "distance_km": distance_km,
        "step_free": step_free,
        "hearing_loop": hearing_loop,
        "parking": parking,
        "opening_hours": opening_hours,
        "meets_adjustments": meets_adjustments,
    }


def for_patient(
    site_entry: Mapping[str, Any], *, distance_km: float | None, meets_adjustments: bool | None
) -> dict[str, Any]:
    """An entry of the same site on the same day for another patient, whose distance and needs differ.

    Everything else in an entry is the site's and the day's, so the demo seed writes it once per
    site and day with entry() and only this per offer.
    """
    return {**site_entry, "distance_km": distance_km, "meets_adjustments": meets_adjustments}


def site_address(line1: str, line2: str | None, town: str) -> str:
    """A site's address as one line, as an offer records it (the postcode is kept apart)."""
    return ", ".join(part for part in (line1, line2, town) if part)


def read_offer(options: object) -> tuple[ChoiceOption, ...]:
    """Every entry of a stored offer (ChoiceOffer.options), in the order they were shown."""
    if not isinstance(options, list):
        raise UnreadableRecord(f"The stored offer is not a list of sites (found {type(options).__name__}).")
    sites = []
    for n, data in enumerate(options, start=1):
        try:
            sites.append(read_entry(data))
        except UnreadableRecord as exc:
            raise UnreadableRecord(f"Site {n} of the stored offer: {exc}") from exc
    return tuple(sites)


def read_entry(data: object) -> ChoiceOption:
    """One stored site, of any shape listed in the module docstring."""
    if not isinstance(data, Mapping):
        raise UnreadableRecord(f"expected a record of the site, found {type(data).__name__}.")
    version = data.get(SCHEMA_KEY)
    if version is None:
        if "provider_name" in data:
            return _read_current(data)
        if "distance_miles" in data:
            return _read_early_seed(data)
        raise UnreadableRecord("the record matches no known shape of a choice offer.")
    if version == SCHEMA_VERSION and type(version) is int:
        return _read_current(data)
    if type(version) is int and version > SCHEMA_VERSION:
        raise UnreadableRecord(
            f"it was written by a newer CRAS Desk (schema {version}); update this desk to read it."
        )
    raise UnreadableRecord(f"unknown schema {version!r}.")


def _read_current(data: Mapping[str, Any]) -> ChoiceOption:
    missing = [f for f in _FIELDS if f not in data]
    if missing:
        raise UnreadableRecord(f"missing {', '.join(missing)}.")
    return ChoiceOption(
        site_id=_site_id(data),
        site_name=_text(data, "site_name"),
        provider_name=_text_or_none(data, "provider_name"),
        address=_text_or_none(data, "address"),
        postcode=_text_or_none(data, "postcode"),
        wait_weeks=_weeks(data),
        wait_as_of=_date_or_none(data, "wait_as_of"),
        next_free_slot=_instant_or_none(data, "next_free_slot"),
        distance_km=_distance_or_none(data, "distance_km"),
        step_free=_flag(data, "step_free"),
        hearing_loop=_flag(data, "hearing_loop"),
        parking=_flag(data, "parking"),
        opening_hours=_text_or_none(data, "opening_hours"),
        meets_adjustments=_flag_or_none(data, "meets_adjustments"),
    )


def _read_early_seed(data: Mapping[str, Any]) -> ChoiceOption:
    missing = [f for f in _EARLY_SEED_FIELDS if f not in data]
    if missing:
        raise UnreadableRecord(f"missing {', '.join(missing)}.")
    miles = _distance_or_none(data, "distance_miles")
    return ChoiceOption(
        site_id=_site_id(data),
        site_name=_text(data, "site_name"),
        provider_name=None,
        address=_text_or_none(data, "town") if "town" in data else None,
        postcode=None,
        wait_weeks=_weeks(data),
        wait_as_of=None,
        next_free_slot=None,
        distance_km=None if miles is None else round(miles * KM_PER_MILE, 2),
        step_free=_flag(data, "step_free"),
        hearing_loop=_flag(data, "hearing_loop"),
        parking=_flag(data, "parking"),
        opening_hours=None,
        meets_adjustments=None,
    )


# -- field checks: JSON gives str, int, float, bool, None; bool is an int in Python, so say so -------


def _site_id(data: Mapping[str, Any]) -> int:
    value = data["site_id"]
    if type(value) is not int or value <= 0:
        raise UnreadableRecord(f"site_id must be a positive whole number, not {value!r}.")
    return value


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise UnreadableRecord(f"{key} must be text, not {value!r}.")
    return value


def _text_or_none(data: Mapping[str, Any], key: str) -> str | None:
    value = data[key]
    if value is not None and not isinstance(value, str):
        raise UnreadableRecord(f"{key} must be text or empty, not {value!r}.")
    return value


def _weeks(data: Mapping[str, Any]) -> int | None:
    value = data["wait_weeks"]
    if value is None:
        return None
    if type(value) is not int or value < 0:
        raise UnreadableRecord(f"wait_weeks must be a whole number of weeks or empty, not {value!r}.")
    return value


def _distance_or_none(data: Mapping[str, Any], key: str) -> float | None:
    value = data[key]
    if value is None:
        return None
    if type(value) not in (int, float) or value < 0:
        raise UnreadableRecord(f"{key} must be a distance or empty, not {value!r}.")
    return float(value)


def _flag(data: Mapping[str, Any], key: str) -> bool:
    value = data[key]
    if type(value) is not bool:
        raise UnreadableRecord(f"{key} must be true or false, not {value!r}.")
    return value


def _flag_or_none(data: Mapping[str, Any], key: str) -> bool | None:
    return None if data[key] is None else _flag(data, key)


def _date_or_none(data: Mapping[str, Any], key: str) -> date | None:
    value = data[key]
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise UnreadableRecord(f"{key} must be a date (YYYY-MM-DD) or empty, not {value!r}.") from None


def _instant_or_none(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data[key]
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UnreadableRecord(f"{key} must be a date and time or empty, not {value!r}.") from None
    # A time without its offset could be London or UTC: guessing would move the appointment.
    if moment.tzinfo is None:
        raise UnreadableRecord(f"{key} has no time zone: {value!r}.")
    return moment
