"""The stored choice offer: one versioned shape, written by the service and the seed, read back safely."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from cras_desk.domain.errors import CrasError, UnreadableRecord
from cras_desk.domain.geo import KM_PER_MILE
from cras_desk.domain.offer_snapshot import (
    SCHEMA_KEY,
    SCHEMA_VERSION,
    ChoiceOption,
    entry,
    for_patient,
    read_entry,
    read_offer,
    site_address,
)

BRIGHTON = ChoiceOption(
    site_id=1,
    site_name="Brighton General MSK Hub",
    provider_name="Sussex MSK Partnership East",
    address="Elm Grove, Brighton",
    postcode="BN2 3EW",
    wait_weeks=9,
    wait_as_of=date(2026, 11, 30),
    next_free_slot=datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
    distance_km=3.21,
    step_free=True,
    hearing_loop=True,
    parking=False,
    opening_hours="Mon-Fri 08:00-20:00",
    meets_adjustments=True,
)
UNKNOWNS = ChoiceOption(
    site_id=2,
    site_name="Lewes Victoria Hub",
    provider_name=None,
    address=None,
    postcode=None,
    wait_weeks=None,
    wait_as_of=None,
    next_free_slot=None,
    distance_km=None,
    step_free=False,
    hearing_loop=False,
    parking=True,
    opening_hours=None,
    meets_adjustments=None,
)


def _through_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("option", [BRIGHTON, UNKNOWNS], ids=["full", "unknowns"])
def test_round_trip_through_json_is_exact(option: ChoiceOption) -> None:
    stored = _through_json(option.as_snapshot())
    assert stored[SCHEMA_KEY] == SCHEMA_VERSION == 2
    assert ChoiceOption.from_snapshot(stored) == option
    assert read_offer(_through_json([o.as_snapshot() for o in (BRIGHTON, UNKNOWNS)])) == (BRIGHTON, UNKNOWNS)


def test_a_london_time_keeps_its_offset() -> None:
    # Stored with its offset, read back as the same instant (and the same wall-clock text).
    bst = datetime.fromisoformat("2026-06-01T10:00:00+01:00")
    option = read_entry(_through_json(entry(**{**_fields(BRIGHTON), "next_free_slot": bst})))
    assert option.next_free_slot == bst and option.next_free_slot.utcoffset() == bst.utcoffset()


def _fields(option: ChoiceOption) -> dict[str, Any]:
    return {name: getattr(option, name) for name in option.__dataclass_fields__}


def test_for_patient_changes_only_distance_and_needs() -> None:
    site_day = entry(**{**_fields(BRIGHTON), "distance_km": None, "meets_adjustments": None})
    mine = for_patient(site_day, distance_km=12.5, meets_adjustments=False)
    assert mine == entry(**{**_fields(BRIGHTON), "distance_km": 12.5, "meets_adjustments": False})
    assert site_day["distance_km"] is None  # the shared entry is not changed under other offers


def test_site_address_skips_the_missing_second_line() -> None:
    assert site_address("Kings Drive", "Royal Parade Wing", "Eastbourne") == (
        "Kings Drive, Royal Parade Wing, Eastbourne"
    )
    assert site_address("Elm Grove", None, "Brighton") == "Elm Grove, Brighton"


# --- shapes already in databases ------------------------------------------------------------------


def test_version_less_snapshot_of_the_old_service_still_reads() -> None:
    # Exactly what ChoiceOption.as_snapshot wrote before the schema was versioned.
    old = {
        "site_id": 1,
        "site_name": "Brighton General MSK Hub",
        "provider_name": "Sussex MSK Partnership East",
        "address": "Elm Grove, Brighton",
        "postcode": "BN2 3EW",
        "wait_weeks": 9,
        "wait_as_of": "2026-11-30",
        "next_free_slot": "2026-12-07T09:30:00+00:00",
        "distance_km": 3.21,
        "step_free": True,
        "hearing_loop": True,
        "parking": False,
        "opening_hours": "Mon-Fri 08:00-20:00",
        "meets_adjustments": True,
    }
    assert read_entry(old) == BRIGHTON


def test_the_early_seed_shape_still_reads_with_what_it_never_recorded_left_empty() -> None:
    old_seed = {
        "site_id": 4,
        "site_name": "Eastbourne Park MSK Centre",
        "town": "Eastbourne",
        "wait_weeks": 7,
        "distance_miles": 2.5,
        "step_free": True,
        "hearing_loop": False,
        "parking": True,
    }
    option = read_entry(old_seed)
    assert (option.site_id, option.site_name, option.wait_weeks) == (4, "Eastbourne Park MSK Centre", 7)
    assert (option.step_free, option.hearing_loop, option.parking) == (True, False, True)
    assert option.address == "Eastbourne"  # the only part of the address it kept
    assert option.distance_km == pytest.approx(2.5 * KM_PER_MILE, abs=0.005)
    unknown = (
        option.provider_name,
        option.postcode,
        option.wait_as_of,
        option.next_free_slot,
        option.opening_hours,
        option.meets_adjustments,
    )
    assert unknown == (None,) * 6
    # Read once, written again it is a current entry that reads back the same.
    assert read_entry(_through_json(option.as_snapshot())) == option


# --- malformed records: a clear domain error, never a KeyError --------------------------------------


def _broken(**changes: Any) -> dict[str, Any]:
    stored = BRIGHTON.as_snapshot()
    for key, value in changes.items():
        if value is _DROP:
            del stored[key]
        else:
            stored[key] = value
    return stored


_DROP = object()


@pytest.mark.parametrize(
    ("stored", "says"),
    [
        (_broken(provider_name=_DROP), "missing provider_name"),
        (_broken(site_id="1"), "site_id"),
        (_broken(site_id=True), "site_id"),
        (_broken(site_id=0), "site_id"),
        (_broken(site_name=""), "site_name"),
        (_broken(wait_weeks=2.5), "wait_weeks"),
        (_broken(wait_weeks=-1), "wait_weeks"),
        (_broken(wait_as_of="30/11/2026"), "wait_as_of"),
        (_broken(wait_as_of="2026-11-30T00:00:00"), "wait_as_of"),
        (_broken(next_free_slot="2026-12-07T09:30:00"), "time zone"),
        (_broken(next_free_slot="soon"), "next_free_slot"),
        (_broken(distance_km="3 km"), "distance_km"),
        (_broken(step_free="yes"), "step_free"),
        (_broken(meets_adjustments=1), "meets_adjustments"),
        (_broken(opening_hours=9), "opening_hours"),
        (_broken(**{SCHEMA_KEY: SCHEMA_VERSION + 1}), "newer CRAS Desk"),
        (_broken(**{SCHEMA_KEY: "2"}), "unknown schema"),
        (_broken(**{SCHEMA_KEY: 1}), "unknown schema"),
        ({"site_id": 1, "site_name": "Somewhere"}, "no known shape"),
        ({"site_id": 1, "distance_miles": 2.0}, "missing site_name"),
        (["site_id", 1], "found list"),
        (None, "found NoneType"),
    ],
)
def test_a_malformed_entry_is_refused_with_a_clear_message(stored: object, says: str) -> None:
    with pytest.raises(UnreadableRecord, match=says) as caught:
        read_entry(stored)
    assert isinstance(caught.value, CrasError)  # shown to the advisor as a message, not a crash


def test_a_malformed_offer_names_the_site_that_is_wrong() -> None:
    with pytest.raises(UnreadableRecord, match=r"Site 2 of the stored offer: missing postcode"):
        read_offer([BRIGHTON.as_snapshot(), _broken(postcode=_DROP)])
    with pytest.raises(UnreadableRecord, match="not a list"):
        read_offer({"options": []})
    assert read_offer([]) == ()
