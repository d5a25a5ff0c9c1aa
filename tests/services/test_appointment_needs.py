"""Needs drive the appointment: the interpreter goes onto the booking and its letters, a longer
appointment takes a slot that long, and the patient's availability filters the slot finder (in SQL,
by default, with a way past it). Every test runs on SQLite and PostgreSQL (the `world` fixture)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from booking_helpers import local, make_advisors, make_referrals, make_slot, physio_slots, slot_state
from sqlalchemy import select, update

from cras_desk.db.engine import Database
from cras_desk.db.models import AuditEvent, Booking, Change, Clinic, Letter, Patient, Referral, Service, Slot
from cras_desk.domain.appointment_needs import Availability
from cras_desk.domain.clock import LONDON, today_london
from cras_desk.domain.enums import AdjustmentFlag, LetterKind, ServiceCode, SlotStatus, TimeOfDay
from cras_desk.domain.errors import ClaimConflict, SlotTaken, ValidationError
from cras_desk.services.booking import BookingService, SlotQuery
from cras_desk.services.claims import ClaimService


def _patient_of(db: Database, rid: int) -> int:
    with db.read() as s:
        return s.scalar(select(Referral.patient_id).where(Referral.id == rid))


def _set_patient(db: Database, rid: int, **values: object) -> None:
    with db.write() as s:
        s.execute(update(Patient).where(Patient.id == _patient_of(db, rid)).values(**values))


def _offer_longer(db: Database, code: ServiceCode, minutes: int | None) -> None:
    with db.write() as s:
        s.execute(update(Service).where(Service.code == code).values(longer_appointment_minutes=minutes))


def _letter_inputs(db: Database, rid: int, kind: LetterKind) -> dict:
    with db.read() as s:
        return s.scalars(
            select(Letter.inputs)
            .where(Letter.referral_id == rid, Letter.kind == kind)
            .order_by(Letter.id.desc())
        ).first()


def _booking(db: Database, booking_id: int) -> Booking:
    with db.read() as s:
        return s.get(Booking, booking_id)


# --- the interpreter -----------------------------------------------------------------------------


def test_interpreter_need_goes_onto_the_booking_its_letter_and_its_audit(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    _set_patient(world.db, rid, language="Turkish", interpreter_needed=True)
    assert svc.needs(amy, rid).interpreter_language == "Turkish"

    slot = physio_slots(world.db, world.sites["Brighton"])[0]
    booking_id = svc.book(amy, rid, slot)

    assert _booking(world.db, booking_id).interpreter_language == "Turkish"
    assert svc.live_booking(amy, rid).interpreter_language == "Turkish"
    assert (
        _letter_inputs(world.db, rid, LetterKind.APPOINTMENT)["appointment"]["interpreter_language"]
        == "Turkish"
    )
    with world.db.read() as s:
        detail = s.scalar(select(AuditEvent.detail).where(AuditEvent.action == "book"))
    assert detail["interpreter_language"] == "Turkish"
    # What the booking recorded stays, whatever the record says later: the clinic booked for Turkish.
    _set_patient(world.db, rid, language="English", interpreter_needed=False)
    assert _booking(world.db, booking_id).interpreter_language == "Turkish"


def test_no_interpreter_need_books_none(world) -> None:
    svc = BookingService(world.db)
    rid = world.referrals["Ó Súilleabháin"]
    booking_id = svc.book(world.actor("amy"), rid, physio_slots(world.db, world.sites["Lewes"])[0])
    assert _booking(world.db, booking_id).interpreter_language is None
    assert (
        _letter_inputs(world.db, rid, LetterKind.APPOINTMENT)["appointment"]["interpreter_language"] is None
    )


def test_the_interpreter_adjustment_alone_counts_as_the_need(world) -> None:
    rid = world.referrals["Nowak"]
    _set_patient(
        world.db,
        rid,
        language="Polish",
        interpreter_needed=False,
        adjustments=[AdjustmentFlag.STEP_FREE.value, AdjustmentFlag.INTERPRETER.value],
    )
    svc = BookingService(world.db)
    booking_id = svc.book(world.actor("amy"), rid, physio_slots(world.db, world.sites["Brighton"])[0])
    assert _booking(world.db, booking_id).interpreter_language == "Polish"


def test_rebook_carries_the_interpreter_need_as_it_stands_at_the_rebooking(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    first, second = physio_slots(world.db, world.sites["Brighton"])[:2]
    old_id = svc.book(amy, rid, first)
    assert _booking(world.db, old_id).interpreter_language is None
    _set_patient(world.db, rid, language="Turkish", interpreter_needed=True)  # learnt on the next call

    new_id = svc.rebook(amy, old_id, second, reason="Needs an interpreter; moved to a clinic with one")

    assert _booking(world.db, new_id).interpreter_language == "Turkish"
    inputs = _letter_inputs(world.db, rid, LetterKind.REBOOKED)
    assert inputs["appointment"]["interpreter_language"] == "Turkish"
    assert inputs["previous_appointment"]["interpreter_language"] is None


# --- a longer appointment --------------------------------------------------------------------------


def _long_slot(world, days: int = 4, hour: int = 11) -> int:
    # make_slot's slots are 60 minutes; the world's physio slots are 30.
    return make_slot(
        world.db,
        world.sites["Brighton"],
        ServiceCode.PHYSIOTHERAPY,
        local(today_london() + timedelta(days=days), hour),
    )


def test_a_longer_appointment_is_a_slot_that_long_where_the_service_offers_one(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    _set_patient(world.db, rid, adjustments=[AdjustmentFlag.LONGER_APPOINTMENT.value])
    long_slot = _long_slot(world)

    # Not offered by the service: every slot, and the panel is told the need cannot be met here.
    needs = svc.needs(amy, rid)
    assert (needs.longer_minutes, needs.longer_not_offered) == (None, True)
    assert len(svc.find_slots(amy, rid, SlotQuery())) == 61

    _offer_longer(world.db, ServiceCode.PHYSIOTHERAPY, 60)
    needs = svc.needs(amy, rid)
    assert (needs.longer_minutes, needs.longer_not_offered, needs.min_minutes) == (60, False, 60)
    rows = svc.find_slots(amy, rid, SlotQuery())
    assert [(r.slot_id, r.duration_minutes) for r in rows] == [(long_slot, 60)]

    # A short slot picked some other way is refused by the booking itself, and nothing is taken.
    short = physio_slots(world.db, world.sites["Brighton"])[0]
    with pytest.raises(ValidationError, match="longer appointment \\(60 minutes\\)"):
        svc.book(amy, rid, short)
    assert slot_state(world.db, short) == (0, SlotStatus.OPEN, 0)

    booking_id = svc.book(amy, rid, long_slot)
    assert _booking(world.db, booking_id).slot_id == long_slot
    assert _letter_inputs(world.db, rid, LetterKind.APPOINTMENT)["appointment"]["duration_minutes"] == 60
    with world.db.read() as s:
        detail = s.scalar(select(AuditEvent.detail).where(AuditEvent.action == "book"))
    assert detail["longer_appointment_minutes"] == 60


def test_a_patient_without_the_need_sees_short_and_long_slots(world) -> None:
    _offer_longer(world.db, ServiceCode.PHYSIOTHERAPY, 60)
    long_slot = _long_slot(world)
    rows = BookingService(world.db).find_slots(world.actor("amy"), world.referrals["Nowak"], SlotQuery())
    assert len(rows) == 61 and long_slot in {r.slot_id for r in rows}


def test_rebook_of_a_longer_appointment_refuses_a_short_slot_and_keeps_the_booking(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    _set_patient(world.db, rid, adjustments=[AdjustmentFlag.LONGER_APPOINTMENT.value])
    _offer_longer(world.db, ServiceCode.PHYSIOTHERAPY, 60)
    long_slot, later_long = _long_slot(world, 4), _long_slot(world, 6)
    booking_id = svc.book(amy, rid, long_slot)
    short = physio_slots(world.db, world.sites["Lewes"])[0]
    with pytest.raises(ValidationError, match="longer appointment"):
        svc.rebook(amy, booking_id, short, reason="Patient asked")
    assert svc.live_booking(amy, rid).booking_id == booking_id
    new_id = svc.rebook(amy, booking_id, later_long, reason="Patient asked")
    assert _booking(world.db, new_id).slot_id == later_long


def _race(n: int, attempt) -> list:
    barrier = threading.Barrier(n, timeout=60)

    def run(i: int):
        barrier.wait()
        try:
            return attempt(i)
        except Exception as err:  # the outcome under test
            return err

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n), timeout=120))


def test_desks_racing_for_the_one_long_slot_book_it_once(world) -> None:
    n = 8
    db = Database(world.db.url, pool_size=n, max_overflow=2, pool_timeout=60)
    try:
        _offer_longer(db, ServiceCode.PHYSIOTHERAPY, 60)
        advisors = make_advisors(db, n)
        referrals = make_referrals(db, n, adjustments=[AdjustmentFlag.LONGER_APPOINTMENT.value])
        slot = _long_slot(world)
        svc = BookingService(db)
        results = _race(n, lambda i: svc.book(advisors[i], referrals[i], slot))
        wins = [r for r in results if isinstance(r, int)]
        assert len(wins) == 1 and all(isinstance(r, SlotTaken) for r in results if not isinstance(r, int)), (
            results
        )
        assert slot_state(db, slot) == (1, SlotStatus.FULL, 1)
    finally:
        db.dispose()


# --- availability ----------------------------------------------------------------------------------


def _all_slots(svc: BookingService, world, rid: int) -> list:
    return svc.find_slots(world.actor("amy"), rid, SlotQuery(ignore_availability=True))


def _weekday(db: Database, slot_id: int) -> int:
    with db.read() as s:
        return s.scalar(
            select(Clinic.clinic_date).join(Slot, Slot.clinic_id == Clinic.id).where(Slot.id == slot_id)
        ).weekday()


def test_availability_filters_the_finder_by_default_and_counts_what_it_hid(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    everything = _all_slots(svc, world, rid)
    assert len(everything) == 60
    # The world's slots run on ten consecutive days, so every weekday has some.
    not_on = everything[0].starts_at.astimezone(LONDON).weekday()
    said = Availability.of(weekdays=[not_on], day_parts=[TimeOfDay.MORNING], note="dialysis")

    needs = svc.set_availability(amy, rid, said)
    assert needs.availability == said

    search = svc.search_slots(amy, rid, SlotQuery())
    expected = [r for r in everything if said.allows(_weekday(world.db, r.slot_id), r.day_part)]
    assert 0 < len(expected) < len(everything)
    assert search.slots == expected
    assert search.availability_applied
    assert search.hidden_by_availability == len(everything) - len(expected)
    assert all(r.day_part is TimeOfDay.MORNING for r in search.slots)
    assert not_on not in {r.starts_at.astimezone(LONDON).weekday() for r in search.slots}

    # The toggle: everything, nothing counted as hidden.
    shown = svc.search_slots(amy, rid, SlotQuery(ignore_availability=True))
    assert (shown.slots, shown.hidden_by_availability, shown.availability_applied) == (everything, 0, False)


def test_availability_is_applied_in_the_query_before_its_limit(world) -> None:
    # Filtering in Python after the LIMIT would return fewer rows than asked for; SQL gives the first 5.
    svc = BookingService(world.db)
    rid = world.referrals["Nowak"]
    svc.set_availability(world.actor("amy"), rid, Availability.of(day_parts=[TimeOfDay.AFTERNOON]))
    rows = svc.find_slots(world.actor("amy"), rid, SlotQuery(limit=5))
    assert len(rows) == 5 and {r.day_part for r in rows} == {TimeOfDay.AFTERNOON}
    afternoons = [r for r in _all_slots(svc, world, rid) if r.day_part is TimeOfDay.AFTERNOON]
    assert rows == afternoons[:5]


def test_set_availability_is_audited_in_the_change_feed_and_clears(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    patient_id = _patient_of(world.db, rid)
    svc.set_availability(amy, rid, Availability.of(weekdays=[2], note="  dialysis  on Wednesdays "))
    with world.db.read() as s:
        p = s.get(Patient, patient_id)
        assert (p.unavailable_weekdays, p.available_day_parts, p.availability_note) == (
            [2],
            None,
            "dialysis on Wednesdays",
        )
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "set_availability")).one()
        assert (event.entity, event.entity_id, event.patient_id, event.user_id) == (
            "patient",
            patient_id,
            patient_id,
            amy.user_id,
        )
        assert event.detail["before"] == {"unavailable_weekdays": [], "day_parts": [], "note": ""}
        assert event.detail["after"]["unavailable_weekdays"] == [2]
        assert (
            s.scalar(select(Change.seq).where(Change.entity == "patient", Change.entity_id == patient_id))
            is not None
        )
    assert svc.needs(amy, rid).availability.describe() == "Not Wednesdays (dialysis on Wednesdays)"

    svc.set_availability(amy, rid, Availability())
    with world.db.read() as s:
        p = s.get(Patient, patient_id)
        assert (p.unavailable_weekdays, p.available_day_parts, p.availability_note) == (None, None, None)
    assert len(svc.find_slots(amy, rid, SlotQuery())) == 60


@pytest.mark.parametrize(
    ("weekdays", "parts", "note", "message"),
    [
        (range(7), (), "", "every day of the week"),
        ((7,), (), "", "Monday to Sunday"),
        ((), ("night",), "", "morning, afternoon or evening"),
        ((), (), "x" * 201, "200 characters"),
    ],
)
def test_bad_availability_is_refused_with_a_clear_message_and_changes_nothing(
    world, weekdays, parts, note, message
) -> None:
    svc = BookingService(world.db)
    rid = world.referrals["Nowak"]
    with pytest.raises(ValidationError, match=message):
        svc.set_availability(
            world.actor("amy"), rid, Availability(frozenset(weekdays), frozenset(parts), note)
        )
    with world.db.read() as s:
        assert (
            s.scalar(select(Patient.unavailable_weekdays).where(Patient.id == _patient_of(world.db, rid)))
            is None
        )
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "set_availability")) is None


def test_set_availability_needs_the_referral_not_held_by_another_advisor(world) -> None:
    rid = world.referrals["Nowak"]
    ClaimService(world.db).claim(world.actor("ben"), rid)
    with pytest.raises(ClaimConflict):
        BookingService(world.db).set_availability(world.actor("amy"), rid, Availability.of(weekdays=[0]))


def test_every_day_part_is_no_restriction() -> None:
    everything = Availability.of(day_parts=list(TimeOfDay))
    assert not everything.restricts and everything.describe() == ""
    assert Availability.of(weekdays=[0, 4], day_parts=["morning", "evening"]).describe() == (
        "Not Mondays and Fridays; mornings and evenings only"
    )
