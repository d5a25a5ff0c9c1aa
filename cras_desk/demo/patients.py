"""Demo patients: test-range NHS numbers, en_GB names and addresses near the hubs, phones, needs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any

from cras_desk.demo.dice import Dice
from cras_desk.demo.geography import COUNTY, DISTRICT_WEIGHTS, DISTRICTS, near, random_postcode
from cras_desk.demo.organisation import Practice
from cras_desk.demo.pools import Pools
from cras_desk.domain import postcode
from cras_desk.domain.appointment_needs import Availability
from cras_desk.domain.enums import AdjustmentFlag, PhoneStatus, TimeOfDay
from cras_desk.domain.nhs_number import iter_test_numbers
from cras_desk.domain.search_terms import name_key, phone_key

_CUM_WEIGHTS = list(accumulate(DISTRICT_WEIGHTS))
_DISTRICT_INDEXES = range(len(DISTRICTS))

_CONTACT_TIMES = (
    "Mornings",
    "Afternoons only",
    "After 5pm (works days)",
    "Not before 10am",
    "Lunchtime, 12 to 2",
    "Any time",
    "Tuesdays and Thursdays",
    "Not on Wednesdays (dialysis)",
    "Evenings after 6pm",
    "Ring the landline first",
)
_DRAMA_LANDLINES = ("01632 960", "0113 496 0", "0117 496 0", "0118 496 0", "020 7946 0", "0121 496 0")
_LANGUAGES = (
    "Polish",
    "Portuguese",
    "Arabic",
    "Bengali",
    "Turkish",
    "Romanian",
    "Farsi",
    "Kurdish",
    "Mandarin",
    "Ukrainian",
    "British Sign Language",
)
# Reasonable adjustments and a note an advisor might have been given.
_NEEDS: tuple[tuple[tuple[AdjustmentFlag, ...], str | None], ...] = (
    ((AdjustmentFlag.STEP_FREE,), "Uses a wheelchair."),
    ((AdjustmentFlag.STEP_FREE, AdjustmentFlag.PARKING), "Walks with a frame; needs to park close by."),
    ((AdjustmentFlag.LARGE_PRINT,), "Registered partially sighted: letters in large print."),
    ((AdjustmentFlag.HEARING_LOOP,), "Hearing aid user."),
    ((AdjustmentFlag.CARER_PRESENT,), "Lives with dementia; daughter attends appointments."),
    ((AdjustmentFlag.LONGER_APPOINTMENT,), "Learning disability: allow extra time."),
    ((AdjustmentFlag.LARGE_PRINT, AdjustmentFlag.STEP_FREE), None),
    ((AdjustmentFlag.PARKING,), "Blue badge holder."),
)
_DIALYSIS = "Not on Wednesdays (dialysis)"  # a contact time that is also when they cannot come
# When patients say they can come: (weekdays they cannot, 0 = Monday; parts of the day they can; note).
_AVAILABILITY: tuple[tuple[tuple[int, ...], tuple[TimeOfDay, ...], str], ...] = (
    ((), (TimeOfDay.MORNING,), "Works afternoons"),
    ((), (TimeOfDay.AFTERNOON, TimeOfDay.EVENING), "School run in the mornings"),
    ((0, 4), (), "Cares for her mother on Mondays and Fridays"),
    ((), (TimeOfDay.MORNING, TimeOfDay.AFTERNOON), "No evening buses home"),
    ((1, 3), (), "Works Tuesdays and Thursdays"),
    ((4,), (TimeOfDay.AFTERNOON,), "Afternoons, not Fridays"),
)


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """What the referral simulation needs to know about a patient, kept small for 300,000 of them."""

    team: int
    latitude: float
    longitude: float
    needs: frozenset[str]  # site features required: step_free / hearing_loop / parking
    large_print: bool
    phones: tuple[str, ...]  # preferred first
    practice_id: int
    interpreter: str | None  # the language an interpreter is needed for (goes onto bookings)


def _title(dice: Dice, female: bool, age: int) -> str | None:
    roll = dice.random()
    if roll < 0.03:
        return "Dr"
    if roll < 0.08:
        return None
    if not female:
        return "Mr"
    if age < 30:
        return "Miss" if roll < 0.5 else "Ms"
    return "Mrs" if roll < 0.6 else "Ms"


def patient_batches(
    dice: Dice,
    pools: Pools,
    practices: list[Practice],
    first_seen: list[datetime],
    today: date,
    facts: list[PatientFacts],
    batch: int = 10_000,
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(patients, phones) rows in batches; fills `facts` as it goes (patient id = index + 1)."""
    numbers = iter_test_numbers(dice.rng)
    # A stream of its own: the availability drawn leaves every other draw of the seed as it was.
    availability_dice = Dice.seeded("demo patients' availability")
    by_district: dict[int, list[int]] = {}
    by_team: dict[int, list[int]] = {}
    for p in practices:
        by_district.setdefault(p.district, []).append(p.id)
        by_team.setdefault(DISTRICTS[p.district].team, []).append(p.id)
    keys: dict[str, str] = {}  # the pools repeat names, and name_key is costly

    def key_of(name: str) -> str:
        key = keys.get(name)
        if key is None:
            key = keys[name] = name_key(name)
        return key

    patients: list[dict[str, Any]] = []
    phones: list[dict[str, Any]] = []
    phone_id = 0
    for index, created_at in enumerate(first_seen):
        patient_id = index + 1
        female = dice.chance(0.54)
        given = pools.given_name(dice, female)
        family = pools.family_name(dice)
        age = min(97, max(18, int(dice.gauss(56, 17))))
        born = today - timedelta(days=int(age * 365.25) + dice.between(1, 364))
        di = dice.weighted(_DISTRICT_INDEXES, _CUM_WEIGHTS)
        district = DISTRICTS[di]
        code = random_postcode(dice, district)
        lat, lon = near(dice, district)
        locality = dice.pick(district.localities) if district.localities and dice.chance(0.4) else None
        line1, line2 = pools.address(dice, locality)
        given_k, family_k = key_of(given), key_of(family)

        language, interpreter = "English", False
        if dice.chance(0.04):
            language = dice.pick(_LANGUAGES)
            interpreter = dice.chance(0.8)
        flags: list[str] = []
        note = None
        if dice.chance(0.06):
            chosen, note = dice.pick(_NEEDS)
            flags = [f.value for f in chosen]
        if interpreter:
            flags.append(AdjustmentFlag.INTERPRETER.value)

        # Ofcom's ranges reserved for drama (mobiles 07700 900xxx, landlines below): synthetic numbers
        # that can never ring a real person.
        numbers_here: list[tuple[str, str]] = []
        roll = dice.random()
        if roll < 0.80:
            numbers_here.append(("mobile", f"07700 900{dice.between(0, 999):03d}"))
        if roll >= 0.55:
            numbers_here.append(("home", f"{dice.pick(_DRAMA_LANDLINES)}{dice.between(0, 999):03d}"))
        if len(numbers_here) == 2 and dice.chance(0.3):
            numbers_here.reverse()  # landline preferred
        # Now and then the second number is one the patient told us was wrong: kept, marked, and never
        # dialled by the calls simulated later. Picked by id, not drawn, so no other draw moves.
        wrong = len(numbers_here) == 2 and patient_id % 11 == 0
        for n, (kind, number) in enumerate(numbers_here):
            phone_id += 1
            phones.append(
                {
                    "id": phone_id,
                    "patient_id": patient_id,
                    "kind": kind,
                    "number": number,
                    "number_key": phone_key(number),
                    "is_preferred": n == 0,
                    "status": PhoneStatus.WRONG_NUMBER if wrong and n == 1 else PhoneStatus.ACTIVE,
                    "status_changed_at": created_at if wrong and n == 1 else None,
                }
            )

        practice_ids = by_district.get(di) if dice.chance(0.9) else None
        practice_id = dice.pick(practice_ids or by_team[district.team])
        email = None
        if dice.chance(0.55):
            suffix = dice.between(1, 99) if dice.chance(0.5) else ""
            local = f"{given_k.replace(' ', '')}.{family_k.replace(' ', '')}{suffix}"
            email = f"{local}@example.{dice.pick(('com', 'org', 'net'))}"
        # Drawn in the order the seed has always drawn them, so the demo's people stay the same.
        nhs = next(numbers)
        title = _title(dice, female, age)
        contact_times = dice.pick(_CONTACT_TIMES) if dice.chance(0.35) else None
        availability = Availability()
        if contact_times == _DIALYSIS:
            availability = Availability.of(weekdays=(2,), note="Dialysis on Wednesdays")
        elif availability_dice.chance(0.07):
            availability = Availability.of(*availability_dice.pick(_AVAILABILITY))
        patients.append(
            {
                "id": patient_id,
                "nhs_number": nhs,
                "title": title,
                "given_name": given,
                "family_name": family,
                "family_key": family_k,
                "given_key": given_k,
                "date_of_birth": born,
                "sex": "female" if female else "male",
                "address_line1": line1,
                "address_line2": line2,
                "town": district.town,
                "county": COUNTY,
                "postcode": code,
                "postcode_key": postcode.search_key(code),
                "latitude": lat,
                "longitude": lon,
                "email": email,
                "preferred_contact_times": contact_times,
                "language": language,
                "interpreter_needed": interpreter,
                "adjustments": flags,
                "adjustments_note": note,
                "unavailable_weekdays": availability.weekdays_column,
                "available_day_parts": availability.day_parts_column,
                "availability_note": availability.note or None,
                "gp_practice_id": practice_id,
                "created_at": created_at,
            }
        )
        facts.append(
            PatientFacts(
                team=district.team,
                latitude=lat,
                longitude=lon,
                needs=frozenset(f for f in flags if f in ("step_free", "hearing_loop", "parking")),
                large_print=AdjustmentFlag.LARGE_PRINT.value in flags,
                phones=tuple(number for n, (_, number) in enumerate(numbers_here) if not (wrong and n == 1)),
                practice_id=practice_id,
                interpreter=language if interpreter else None,
            )
        )
        if len(patients) >= batch:
            yield patients, phones
            patients, phones = [], []
    if patients:
        yield patients, phones
