from __future__ import annotations

from datetime import timedelta

import pytest
from booking_helpers import (
    group_slot,
    local,
    make_referrals,
    make_slot,
    move_slot,
    physio_slots,
    slot_state,
)
from sqlalchemy import select, update

from cras_desk.db.models import AuditEvent, Booking, Change, Letter, Referral, Slot
from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import (
    BookingStatus,
    LetterKind,
    LetterStatus,
    ReferralStatus,
    ServiceCode,
    SlotStatus,
    TimeOfDay,
)
from cras_desk.domain.errors import ClaimConflict, NotFound, SlotTaken, StaleState, ValidationError
from cras_desk.services.booking import BookingService, SlotQuery
from cras_desk.services.claims import ClaimService


def _referral(world, rid: int) -> Referral:
    with world.db.read() as s:
        return s.get(Referral, rid)


def _booking(world, booking_id: int) -> Booking:
    with world.db.read() as s:
        return s.get(Booking, booking_id)


_KEYS = ("referral_id", "booking_id", "previous_booking_id", "by_patient")


def _letters(world, rid: int) -> list[tuple[LetterKind, dict, bool]]:
    """(kind, the ids the workflow passed in, large print) per letter queued for the referral."""
    with world.db.read() as s:
        return [
            (letter.kind, {k: letter.inputs[k] for k in _KEYS if k in letter.inputs}, letter.large_print)
            for letter in s.scalars(select(Letter).where(Letter.referral_id == rid).order_by(Letter.id))
        ]


def _letter_inputs(world, rid: int, kind: LetterKind) -> dict:
    with world.db.read() as s:
        return s.scalars(
            select(Letter.inputs)
            .where(Letter.referral_id == rid, Letter.kind == kind)
            .order_by(Letter.id.desc())
        ).first()


def _audit(world, entity_id: int) -> list[str]:
    with world.db.read() as s:
        return list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.entity == "booking", AuditEvent.entity_id == entity_id)
                .order_by(AuditEvent.id)
            )
        )


# --- booking -----------------------------------------------------------------------------------


def test_book_takes_the_place_closes_the_referral_and_queues_the_letter(world) -> None:
    svc = BookingService(world.db)
    rid = world.referrals["Nowak"]
    slot = physio_slots(world.db, world.sites["Brighton"])[0]
    booking_id = svc.book(world.actor("amy"), rid, slot)

    booking = _booking(world, booking_id)
    assert (booking.referral_id, booking.slot_id, booking.status) == (rid, slot, BookingStatus.BOOKED)
    assert booking.booked_by == world.actor("amy").user_id
    assert slot_state(world.db, slot) == (1, SlotStatus.FULL, 1)
    referral = _referral(world, rid)
    assert referral.status is ReferralStatus.BOOKED
    assert referral.is_open is True  # booked is still open work (ReferralStatus.is_open), off F2's queue
    assert referral.next_action_at is None
    assert referral.claimed_by == world.actor("amy").user_id  # booking keeps the claim; it releases nothing
    # Nowak needs large print: the letter knows it from the patient's adjustments.
    assert _letters(world, rid) == [
        (LetterKind.APPOINTMENT, {"referral_id": rid, "booking_id": booking_id}, True)
    ]
    assert _audit(world, booking_id) == ["book"]
    # What the letter will print was snapshotted from the rows this booking touched.
    inputs = _letter_inputs(world, rid, LetterKind.APPOINTMENT)
    assert inputs["appointment"]["booking_id"] == booking_id
    assert inputs["appointment"]["site_name"] == "Brighton General Hub"
    assert inputs["appointment"]["starts_local"] == f"{today_london() + timedelta(days=3)}T09:00"
    assert inputs["patient"]["family_name"] == "Nowak"
    assert inputs["gp"]["name"] == "Preston Park Surgery"
    assert inputs["referral"]["service"] == "Physiotherapy"
    with world.db.read() as s:
        fed = set(s.execute(select(Change.entity, Change.entity_id)).all())
        letter_status = s.scalar(select(Letter.status).where(Letter.referral_id == rid))
    assert {("slot", slot), ("booking", booking_id), ("referral", rid)} <= fed
    assert letter_status is LetterStatus.QUEUED


def test_live_booking_shows_the_slot_and_the_booking(world) -> None:
    svc = BookingService(world.db)
    rid = world.referrals["Nowak"]
    assert svc.live_booking(world.actor("amy"), rid) is None
    slot = physio_slots(world.db, world.sites["Lewes"])[1]
    booking_id = svc.book(world.actor("amy"), rid, slot)
    live = svc.live_booking(world.actor("ben"), rid)
    assert live is not None
    assert (live.booking_id, live.slot_id, live.site_id) == (booking_id, slot, world.sites["Lewes"])
    assert live.site_name == "Lewes Victoria Hub"
    assert (live.capacity, live.booked_count, live.places_left) == (1, 1, 0)
    assert live.starts_at == local(today_london() + timedelta(days=3), 10)
    assert live.day_part is TimeOfDay.MORNING


def test_full_slot_raises_slot_taken_and_changes_nothing(world) -> None:
    svc = BookingService(world.db)
    slot = physio_slots(world.db, world.sites["Brighton"])[0]
    svc.book(world.actor("amy"), world.referrals["Ó Súilleabháin"], slot)
    nowak = world.referrals["Nowak"]
    with pytest.raises(SlotTaken, match="Slot just taken by another advisor"):
        svc.book(world.actor("lena"), nowak, slot)
    assert slot_state(world.db, slot) == (1, SlotStatus.FULL, 1)
    referral = _referral(world, nowak)
    assert referral.status is ReferralStatus.AWAITING_CONTACT
    assert referral.is_open is True
    assert referral.claimed_by is None  # the whole transaction, claim included, rolled back
    assert _letters(world, nowak) == []


def test_booking_someone_elses_claimed_referral_is_refused(world) -> None:
    rid = world.referrals["Nowak"]
    ClaimService(world.db).claim(world.actor("amy"), rid)
    slot = physio_slots(world.db, world.sites["Brighton"])[0]
    with pytest.raises(ClaimConflict, match="Amy Advisor"):
        BookingService(world.db).book(world.actor("ben"), rid, slot)
    assert slot_state(world.db, slot) == (0, SlotStatus.OPEN, 0)


def test_a_booked_referral_must_be_rebooked_not_booked_again(world) -> None:
    svc = BookingService(world.db)
    rid = world.referrals["Nowak"]
    first, second = physio_slots(world.db, world.sites["Brighton"])[:2]
    svc.book(world.actor("amy"), rid, first)
    with pytest.raises(StaleState, match="rebook instead"):
        svc.book(world.actor("amy"), rid, second)
    assert slot_state(world.db, second) == (0, SlotStatus.OPEN, 0)


def test_unique_index_backs_up_the_one_live_booking_rule(world) -> None:
    # A referral whose status says open but which (through some other path) holds a live booking:
    # the partial unique index refuses the second booking and the advisor gets the domain message.
    svc = BookingService(world.db)
    rid = world.referrals["Nowak"]
    first, second = physio_slots(world.db, world.sites["Brighton"])[:2]
    svc.book(world.actor("amy"), rid, first)
    with world.db.write() as s:
        s.execute(
            update(Referral).where(Referral.id == rid).values(status=ReferralStatus.CONTACTING, is_open=True)
        )
    with pytest.raises(StaleState, match="rebook instead"):
        svc.book(world.actor("amy"), rid, second)
    assert slot_state(world.db, second) == (0, SlotStatus.OPEN, 0)  # its counter rolled back too


def test_slot_of_another_service_past_or_missing_is_refused(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]  # physiotherapy
    with pytest.raises(ValidationError, match="different service"):
        svc.book(amy, rid, group_slot(world.db))  # pain management
    past = physio_slots(world.db, world.sites["Lewes"])[0]
    move_slot(world.db, past, utcnow() - timedelta(hours=1))
    with pytest.raises(ValidationError, match="already started"):
        svc.book(amy, rid, past)
    with pytest.raises(NotFound):
        svc.book(amy, rid, 999_999)
    blocked = make_slot(
        world.db,
        world.sites["Lewes"],
        ServiceCode.PHYSIOTHERAPY,
        utcnow() + timedelta(days=2),
        status=SlotStatus.BLOCKED,
    )
    with pytest.raises(SlotTaken, match="withdrawn"):
        svc.book(amy, rid, blocked)
    assert _referral(world, rid).status is ReferralStatus.AWAITING_CONTACT


def test_closed_referral_cannot_be_booked(world) -> None:
    rid = world.referrals["Nowak"]
    with world.db.write() as s:
        s.execute(
            update(Referral).where(Referral.id == rid).values(status=ReferralStatus.DISCHARGED, is_open=False)
        )
    with pytest.raises(StaleState, match="closed"):
        BookingService(world.db).book(
            world.actor("amy"), rid, physio_slots(world.db, world.sites["Lewes"])[0]
        )


def test_group_slot_fills_to_exactly_capacity(world) -> None:
    svc = BookingService(world.db)
    slot = group_slot(world.db)  # capacity 3
    referrals = [world.referrals["Smith"], *make_referrals(world.db, 3, ServiceCode.PAIN)]
    svc.book(world.actor("ben"), referrals[0], slot)
    assert slot_state(world.db, slot) == (1, SlotStatus.OPEN, 1)
    svc.book(world.actor("amy"), referrals[1], slot)
    third = svc.book(world.actor("amy"), referrals[2], slot)
    assert slot_state(world.db, slot) == (3, SlotStatus.FULL, 3)
    with pytest.raises(SlotTaken):
        svc.book(world.actor("amy"), referrals[3], slot)
    assert slot_state(world.db, slot) == (3, SlotStatus.FULL, 3)
    svc.cancel(world.actor("amy"), third, by_patient=True, reason="Away that week")
    assert slot_state(world.db, slot) == (2, SlotStatus.OPEN, 2)
    svc.book(world.actor("amy"), referrals[3], slot)
    assert slot_state(world.db, slot) == (3, SlotStatus.FULL, 3)


# --- cancel, rebook, outcomes --------------------------------------------------------------------


def test_cancel_by_patient_frees_the_place_and_reopens_the_referral(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Ó Súilleabháin"]
    slot = physio_slots(world.db, world.sites["Brighton"])[0]
    booking_id = svc.book(amy, rid, slot)
    svc.cancel(amy, booking_id, by_patient=True, reason="  Going on holiday  ")

    booking = _booking(world, booking_id)
    assert booking.status is BookingStatus.CANCELLED_PATIENT
    assert booking.reason == "Going on holiday"
    assert booking.ended_by == amy.user_id
    assert booking.ended_at is not None and abs(booking.ended_at - utcnow()) < timedelta(minutes=1)
    assert slot_state(world.db, slot) == (0, SlotStatus.OPEN, 0)
    referral = _referral(world, rid)
    assert (referral.status, referral.is_open, referral.next_action_at) == (
        ReferralStatus.AWAITING_CONTACT,
        True,
        None,
    )
    assert [(k, i) for k, i, _ in _letters(world, rid)] == [
        (LetterKind.APPOINTMENT, {"referral_id": rid, "booking_id": booking_id}),
        (LetterKind.CANCELLED, {"referral_id": rid, "booking_id": booking_id, "by_patient": True}),
    ]
    assert _audit(world, booking_id) == ["book", "cancel"]
    assert _letter_inputs(world, rid, LetterKind.CANCELLED)["cancelled_by"] == "patient"
    assert svc.live_booking(amy, rid) is None
    # The place is bookable again, by someone else.
    svc.book(world.actor("lena"), world.referrals["Nowak"], slot)
    assert slot_state(world.db, slot) == (1, SlotStatus.FULL, 1)


def test_cancel_by_provider_after_failed_attempts_returns_to_contacting(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Ó Súilleabháin"]
    with world.db.write() as s:
        s.execute(update(Referral).where(Referral.id == rid).values(attempt_count=3, failed_attempt_count=2))
    booking_id = svc.book(amy, rid, physio_slots(world.db, world.sites["Lewes"])[0])
    svc.cancel(amy, booking_id, by_patient=False, reason="Clinician off sick")
    assert _booking(world, booking_id).status is BookingStatus.CANCELLED_PROVIDER
    assert _referral(world, rid).status is ReferralStatus.CONTACTING


def test_cancel_needs_a_reason_and_a_live_booking(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    booking_id = svc.book(amy, world.referrals["Nowak"], physio_slots(world.db, world.sites["Lewes"])[0])
    with pytest.raises(ValidationError, match="reason"):
        svc.cancel(amy, booking_id, by_patient=True, reason="   ")
    svc.cancel(amy, booking_id, by_patient=True, reason="Feeling better")
    with pytest.raises(StaleState, match="cancelled patient"):
        svc.cancel(amy, booking_id, by_patient=True, reason="Again")
    with pytest.raises(NotFound):
        svc.cancel(amy, 999_999, by_patient=True, reason="No such booking")


def test_cancel_of_a_booking_on_someone_elses_claim_is_refused(world) -> None:
    svc = BookingService(world.db)
    rid = world.referrals["Nowak"]
    slot = physio_slots(world.db, world.sites["Lewes"])[0]
    booking_id = svc.book(world.actor("amy"), rid, slot)
    with pytest.raises(ClaimConflict):
        svc.cancel(world.actor("ben"), booking_id, by_patient=True, reason="Not mine")
    assert _booking(world, booking_id).status is BookingStatus.BOOKED
    assert slot_state(world.db, slot) == (1, SlotStatus.FULL, 1)


def test_rebook_moves_the_booking_in_one_step(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    old_slot, new_slot = physio_slots(world.db, world.sites["Brighton"])[:2]
    old_id = svc.book(amy, rid, old_slot)
    new_id = svc.rebook(amy, old_id, new_slot, reason="Patient asked for later")

    old, new = _booking(world, old_id), _booking(world, new_id)
    assert old.status is BookingStatus.REBOOKED
    assert old.reason == "Patient asked for later"
    assert (new.status, new.slot_id, new.rebooked_from_id) == (BookingStatus.BOOKED, new_slot, old_id)
    assert slot_state(world.db, old_slot) == (0, SlotStatus.OPEN, 0)
    assert slot_state(world.db, new_slot) == (1, SlotStatus.FULL, 1)
    referral = _referral(world, rid)
    assert (referral.status, referral.is_open) == (ReferralStatus.BOOKED, True)
    assert [(k, i) for k, i, _ in _letters(world, rid)] == [
        (LetterKind.APPOINTMENT, {"referral_id": rid, "booking_id": old_id}),
        (LetterKind.REBOOKED, {"referral_id": rid, "booking_id": new_id, "previous_booking_id": old_id}),
    ]
    assert _audit(world, new_id) == ["rebook"]
    assert svc.live_booking(amy, rid).booking_id == new_id
    inputs = _letter_inputs(world, rid, LetterKind.REBOOKED)
    today = today_london()
    assert inputs["appointment"]["starts_local"] == f"{today + timedelta(days=3)}T10:00"
    assert inputs["previous_appointment"]["starts_local"] == f"{today + timedelta(days=3)}T09:00"


def test_rebook_backwards_in_slot_order_works_too(world) -> None:
    # Slot counters move in id order, so this exercises "free the old place first" inside the
    # same transaction.
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    early, late = physio_slots(world.db, world.sites["Brighton"])[:2]
    old_id = svc.book(amy, rid, late)
    new_id = svc.rebook(amy, old_id, early, reason="Sooner is better")
    assert slot_state(world.db, late) == (0, SlotStatus.OPEN, 0)
    assert slot_state(world.db, early) == (1, SlotStatus.FULL, 1)
    assert _booking(world, new_id).rebooked_from_id == old_id


@pytest.mark.parametrize("direction", ["to_later_slot", "to_earlier_slot"])
def test_rebook_to_a_taken_slot_keeps_the_old_booking(world, direction: str) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    a, b = physio_slots(world.db, world.sites["Brighton"])[:2]
    mine, theirs = (a, b) if direction == "to_later_slot" else (b, a)
    old_id = svc.book(amy, rid, mine)
    svc.book(amy, world.referrals["Ó Súilleabháin"], theirs)
    with pytest.raises(SlotTaken):
        svc.rebook(amy, old_id, theirs, reason="Wants the other time")
    assert _booking(world, old_id).status is BookingStatus.BOOKED
    assert slot_state(world.db, mine) == (1, SlotStatus.FULL, 1)
    assert slot_state(world.db, theirs) == (1, SlotStatus.FULL, 1)
    assert [k for k, _, _ in _letters(world, rid)] == [LetterKind.APPOINTMENT]
    assert _referral(world, rid).status is ReferralStatus.BOOKED


def test_rebook_refuses_the_same_slot_and_dead_bookings(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    a, b = physio_slots(world.db, world.sites["Lewes"])[:2]
    booking_id = svc.book(amy, world.referrals["Nowak"], a)
    with pytest.raises(ValidationError, match="already booked into that slot"):
        svc.rebook(amy, booking_id, a, reason="Same")
    with pytest.raises(ValidationError, match="reason"):
        svc.rebook(amy, booking_id, b, reason="")
    svc.cancel(amy, booking_id, by_patient=True, reason="Better")
    with pytest.raises(StaleState, match="no longer booked"):
        svc.rebook(amy, booking_id, b, reason="Changed mind")
    assert slot_state(world.db, b) == (0, SlotStatus.OPEN, 0)


def test_rebook_within_a_group_and_between_groups(world) -> None:
    svc = BookingService(world.db)
    ben = world.actor("ben")
    first = group_slot(world.db)
    second = make_slot(
        world.db,
        world.sites["Lewes"],
        ServiceCode.PAIN,
        local(today_london() + timedelta(days=9), 13),
        capacity=2,
    )
    rid = world.referrals["Smith"]
    old_id = svc.book(ben, rid, first)
    new_id = svc.rebook(ben, old_id, second, reason="Closer to home")
    assert slot_state(world.db, first) == (0, SlotStatus.OPEN, 0)
    assert slot_state(world.db, second) == (1, SlotStatus.OPEN, 1)
    back = svc.rebook(ben, new_id, first, reason="Changed back")
    assert _booking(world, back).rebooked_from_id == new_id
    assert slot_state(world.db, second) == (0, SlotStatus.OPEN, 0)
    assert slot_state(world.db, first) == (1, SlotStatus.OPEN, 1)


def test_dna_reopens_the_referral_for_a_follow_up(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Ó Súilleabháin"]
    slot = physio_slots(world.db, world.sites["Brighton"])[0]
    booking_id = svc.book(amy, rid, slot)
    with pytest.raises(ValidationError, match="not happened yet"):
        svc.record_dna(amy, booking_id, "too early")
    move_slot(world.db, slot, utcnow() - timedelta(hours=2))
    svc.record_dna(amy, booking_id, "No show, no call")
    booking = _booking(world, booking_id)
    assert (booking.status, booking.reason, booking.ended_by) == (
        BookingStatus.DNA,
        "No show, no call",
        amy.user_id,
    )
    referral = _referral(world, rid)
    assert (referral.status, referral.is_open, referral.next_action_at) == (
        ReferralStatus.AWAITING_CONTACT,
        True,
        None,
    )
    # The session happened: its place is not handed back.
    assert slot_state(world.db, slot) == (1, SlotStatus.FULL, 0)
    assert _audit(world, booking_id) == ["book", "dna"]
    with pytest.raises(StaleState):
        svc.record_attended(amy, booking_id)


def test_attended_completes_the_referral(world) -> None:
    svc = BookingService(world.db)
    ben = world.actor("ben")
    rid = world.referrals["Smith"]
    slot = group_slot(world.db)
    booking_id = svc.book(ben, rid, slot)
    move_slot(world.db, slot, utcnow() - timedelta(minutes=5))
    svc.record_attended(ben, booking_id)
    assert _booking(world, booking_id).status is BookingStatus.ATTENDED
    referral = _referral(world, rid)
    assert (referral.status, referral.is_open) == (ReferralStatus.COMPLETED, False)
    assert _audit(world, booking_id) == ["book", "attended"]
    with pytest.raises(StaleState, match="attended"):
        svc.cancel(ben, booking_id, by_patient=True, reason="Too late")


# --- finding -------------------------------------------------------------------------------------


def test_find_slots_lists_open_future_places_of_the_referrals_service(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    rows = svc.find_slots(amy, rid, SlotQuery())
    assert len(rows) == 60  # 2 hubs x 10 days x 3 physio slots; the pain group is another service
    assert [r.starts_at for r in rows] == sorted(r.starts_at for r in rows)
    assert all(r.places_left == 1 for r in rows)

    taken = rows[0].slot_id
    svc.book(world.actor("amy"), world.referrals["Ó Súilleabháin"], taken)
    past = rows[1].slot_id
    move_slot(world.db, past, utcnow() - timedelta(minutes=1))
    ids = [r.slot_id for r in svc.find_slots(amy, rid, SlotQuery())]
    assert taken not in ids and past not in ids and len(ids) == 58


def test_find_slots_filters(world) -> None:
    svc = BookingService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    today = today_london()
    lewes = world.sites["Lewes"]
    rows = svc.find_slots(
        amy,
        rid,
        SlotQuery(
            site_ids=[lewes],
            date_from=today + timedelta(days=4),
            date_to=today + timedelta(days=5),
            day_part=TimeOfDay.AFTERNOON,
        ),
    )
    assert [(r.site_id, r.starts_at) for r in rows] == [
        (lewes, local(today + timedelta(days=4), 14)),
        (lewes, local(today + timedelta(days=5), 14)),
    ]
    assert len(svc.find_slots(amy, rid, SlotQuery(limit=7))) == 7
    assert svc.find_slots(amy, rid, SlotQuery(date_from=today + timedelta(days=30))) == []


def test_find_slots_for_a_group_shows_places_left_and_hides_my_own_session(world) -> None:
    svc = BookingService(world.db)
    slot = group_slot(world.db)
    other = make_referrals(world.db, 1, ServiceCode.PAIN)[0]
    svc.book(world.actor("amy"), other, slot)
    ben = world.actor("ben")
    smith = world.referrals["Smith"]
    [row] = svc.find_slots(ben, smith, SlotQuery())
    assert (row.slot_id, row.capacity, row.booked_count, row.places_left) == (slot, 3, 1, 2)
    svc.book(ben, smith, slot)
    assert svc.find_slots(ben, smith, SlotQuery()) == []


def test_find_slots_of_missing_referral(world) -> None:
    with pytest.raises(NotFound):
        BookingService(world.db).find_slots(world.actor("amy"), 424242, SlotQuery())


def test_booking_counter_and_check_constraint_agree(world) -> None:
    # The CHECK is the database's last line: even a raw UPDATE cannot overbook.
    from sqlalchemy.exc import IntegrityError

    slot = group_slot(world.db)
    with pytest.raises(IntegrityError), world.db.write() as s:
        s.execute(update(Slot).where(Slot.id == slot).values(booked_count=4))
