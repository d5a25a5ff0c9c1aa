from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from cras_desk.db.models import (
    Assignment,
    AuditEvent,
    Booking,
    ChoiceOffer,
    ContactAttempt,
    Letter,
    Patient,
    PatientPhone,
    Referral,
    Service,
    Slot,
    User,
)
from cras_desk.domain import rtt
from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import (
    AdjustmentFlag,
    BookingStatus,
    ContactChannel,
    ContactOutcome,
    LetterKind,
    LetterStatus,
    Priority,
    ReferralStatus,
    ServiceCode,
)
from cras_desk.domain.errors import NotFound
from cras_desk.services.patient_record import PatientRecordService, age_on


def _users(s) -> dict[str, int]:
    return {u.username: u.id for u in s.scalars(select(User))}


def _audit(world) -> list[tuple[int | None, str, str, int | None, int | None]]:
    with world.db.read() as s:
        return list(
            s.execute(
                select(
                    AuditEvent.user_id,
                    AuditEvent.action,
                    AuditEvent.entity,
                    AuditEvent.entity_id,
                    AuditEvent.patient_id,
                ).order_by(AuditEvent.id)
            ).tuples()
        )


def test_open_shows_the_patient_and_referral(world) -> None:
    rid = world.referrals["Nowak"]
    record = PatientRecordService(world.db).open(world.actor("amy"), rid)
    today = today_london()
    assert record.referral_id == rid
    assert record.nhs_number == "9990000026"
    assert (record.title, record.given_name, record.family_name) == ("Ms", "Łukasz", "Nowak")
    assert record.date_of_birth == date(1960, 5, 17)
    assert record.age == age_on(date(1960, 5, 17), today)
    assert record.address_lines == ["11 Test Street", "Brighton", "East Sussex"]
    assert record.postcode == "BN7 2AA"
    assert [(p.kind, p.number, p.preferred) for p in record.phones] == [("mobile", "07700 900121", True)]
    assert record.adjustments == [AdjustmentFlag.STEP_FREE, AdjustmentFlag.LARGE_PRINT]
    assert record.gp_practice == "Preston Park Surgery (G81001)"
    assert record.service is ServiceCode.PHYSIOTHERAPY and record.service_name == "Physiotherapy"
    assert record.priority is Priority.ROUTINE
    assert record.received_on == today - timedelta(days=100)
    assert record.rtt.breach_date == today + timedelta(days=26)
    assert record.rtt.weeks_waited(today) == 14
    assert record.status is ReferralStatus.AWAITING_CONTACT
    assert record.assigned_to_name is None and record.claimed_by_name is None
    assert (record.referrer, record.triaged_by, record.triage_notes) == (
        "Dr Jones",
        "MSK triage",
        "Knee pain, 6 months.",
    )
    assert record.live_booking is None
    assert [h.kind for h in record.history] == ["referral"]
    assert record.history[0].summary == "Referral received from Dr Jones, triaged routine by MSK triage"


def test_age_counts_completed_years() -> None:
    assert age_on(date(1960, 5, 17), date(2026, 5, 16)) == 65
    assert age_on(date(1960, 5, 17), date(2026, 5, 17)) == 66
    assert age_on(date(2000, 2, 29), date(2026, 2, 28)) == 25
    assert age_on(date(2000, 2, 29), date(2026, 3, 1)) == 26


def test_opening_a_record_is_audited_every_time(world) -> None:
    rid = world.referrals["Smith"]
    records = PatientRecordService(world.db)
    before = len(_audit(world))
    record = records.open(world.actor("ben"), rid)
    records.open(world.actor("ben"), rid)
    events = _audit(world)[before:]
    view = (world.actor("ben").user_id, "view", "referral", rid, record.patient_id)
    assert events == [view, view]


def test_opening_a_missing_referral(world) -> None:
    with pytest.raises(NotFound):
        PatientRecordService(world.db).open(world.actor("amy"), 999_999)


def test_claim_and_assignee_names(world) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    with world.db.write() as s:
        ben = _users(s)["ben"]
        s.execute(
            update(Referral)
            .where(Referral.id == rid)
            .values(claimed_by=ben, claimed_until=utcnow() + timedelta(minutes=5))
        )
    records = PatientRecordService(world.db)
    record = records.open(world.actor("amy"), rid)
    assert record.assigned_to_name == "Amy Advisor"
    assert record.claimed_by_name == "Ben Advisor"
    with world.db.write() as s:
        s.execute(
            update(Referral).where(Referral.id == rid).values(claimed_until=utcnow() - timedelta(seconds=1))
        )
    assert records.open(world.actor("amy"), rid).claimed_by_name is None


def test_phones_preferred_first(world) -> None:
    rid = world.referrals["Smith"]
    with world.db.write() as s:
        pid = s.scalar(select(Referral.patient_id).where(Referral.id == rid))
        s.add(PatientPhone(patient_id=pid, kind="home", number="01273 222222", number_key="01273222222"))
    phones = PatientRecordService(world.db).open(world.actor("ben"), rid).phones
    assert [(p.kind, p.preferred) for p in phones] == [("mobile", True), ("home", False)]


def _history_world(world) -> tuple[int, datetime]:
    """Give Nowak's referral one of every kind of history, an hour apart."""
    rid = world.referrals["Nowak"]
    # After the referral arrived (100 days ago), before now.
    t0 = (utcnow() - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)

    def at(hours: int) -> datetime:
        return t0 + timedelta(hours=hours)

    with world.db.write() as s:
        users = _users(s)
        slots = list(
            s.scalars(
                select(Slot)
                .where(Slot.site_id == world.sites["Lewes"], Slot.service_id.is_not(None))
                .order_by(Slot.starts_at)
                .limit(3)
            )
        )
        s.add_all(
            [
                Assignment(
                    referral_id=rid,
                    from_user_id=None,
                    to_user_id=users["amy"],
                    by_user_id=users["lena"],
                    at=at(0),
                    reason="balancing",
                ),
                ContactAttempt(
                    referral_id=rid,
                    at=at(1),
                    user_id=users["amy"],
                    channel=ContactChannel.PHONE,
                    number_used="07700 900121",
                    outcome=ContactOutcome.NO_ANSWER,
                ),
                ContactAttempt(
                    referral_id=rid,
                    at=at(2),
                    user_id=users["amy"],
                    channel=ContactChannel.PHONE,
                    outcome=ContactOutcome.SPOKE,
                    notes="prefers mornings",
                ),
                ChoiceOffer(
                    referral_id=rid,
                    offered_at=at(3),
                    user_id=users["amy"],
                    options=[{"site": "Brighton"}, {"site": "Lewes"}],
                    decision="chosen",
                    chosen_site_id=world.sites["Lewes"],
                ),
            ]
        )
        s.flush()
        first = Booking(
            referral_id=rid,
            slot_id=slots[0].id,
            status=BookingStatus.CANCELLED_PATIENT,
            booked_at=at(4),
            booked_by=users["amy"],
            ended_at=at(6),
            ended_by=users["ben"],
            reason="on holiday",
        )
        dna = Booking(
            referral_id=rid,
            slot_id=slots[1].id,
            status=BookingStatus.DNA,
            booked_at=at(7),
            booked_by=users["ben"],
            ended_at=at(9),
            ended_by=users["ben"],
        )
        live = Booking(
            referral_id=rid,
            slot_id=slots[2].id,
            status=BookingStatus.BOOKED,
            booked_at=at(10),
            booked_by=users["amy"],
        )
        s.add_all([first, dna, live])
        s.add(
            Letter(
                referral_id=rid,
                kind=LetterKind.APPOINTMENT,
                status=LetterStatus.QUEUED,
                recipient="patient",
                large_print=True,
                inputs={},
                created_at=at(5),
                created_by=users["amy"],
            )
        )
        s.execute(
            update(Referral).where(Referral.id == rid).values(status=ReferralStatus.BOOKED, is_open=False)
        )
    return rid, t0


def test_history_newest_first(world) -> None:
    rid, t0 = _history_world(world)
    record = PatientRecordService(world.db).open(world.actor("lena"), rid)
    got = [(h.kind, h.by, round((h.at - t0).total_seconds() / 3600)) for h in record.history[:-1]]
    assert got == [
        ("booking", "Amy Advisor", 10),
        ("booking", "Ben Advisor", 9),  # did not attend
        ("booking", "Ben Advisor", 7),
        ("booking", "Ben Advisor", 6),  # cancelled by the patient
        ("letter", "Amy Advisor", 5),
        ("booking", "Amy Advisor", 4),
        ("choice", "Amy Advisor", 3),
        ("attempt", "Amy Advisor", 2),
        ("attempt", "Amy Advisor", 1),
        ("assignment", "Lena Lead", 0),
    ]
    assert record.history[-1].kind == "referral"  # received 100 days ago
    assert [h.at for h in record.history] == sorted((h.at for h in record.history), reverse=True)
    summaries = [h.summary for h in record.history]
    assert summaries[1].startswith("Patient did not attend (Lewes Victoria Hub, ")
    assert summaries[3].startswith("Appointment cancelled by the patient (Lewes Victoria Hub, ")
    assert summaries[3].endswith(": on holiday")
    assert summaries[4] == "Appointment letter to patient, large print: queued"
    assert summaries[6] == "Choice offered (2 options): chose Lewes Victoria Hub"
    assert summaries[7] == "Phone call: spoke to the patient - prefers mornings"
    assert summaries[8] == "Phone call: no answer (07700 900121)"
    assert summaries[9] == "Reassigned from nobody to Amy Advisor: balancing"


def test_live_booking(world) -> None:
    rid, _ = _history_world(world)
    record = PatientRecordService(world.db).open(world.actor("lena"), rid)
    assert record.live_booking is not None
    assert record.live_booking.site_name == "Lewes Victoria Hub"
    assert record.live_booking.status is BookingStatus.BOOKED
    with world.db.read() as s:
        booking = s.scalar(select(Booking).where(Booking.status == BookingStatus.BOOKED))
        starts_at = s.scalar(select(Slot.starts_at).where(Slot.id == booking.slot_id))
    assert (record.live_booking.booking_id, record.live_booking.slot_id) == (booking.id, booking.slot_id)
    assert record.live_booking.starts_at == starts_at
    assert record.status is ReferralStatus.BOOKED


def test_other_referrals_newest_first_and_audited(world) -> None:
    rid = world.referrals["Nowak"]
    today = today_london()
    with world.db.write() as s:
        pid = s.scalar(select(Referral.patient_id).where(Referral.id == rid))
        pain = s.scalar(select(Service.id).where(Service.code == ServiceCode.PAIN))
        received = today - timedelta(days=400)
        old = Referral(
            patient_id=pid,
            service_id=pain,
            received_on=received,
            priority=Priority.ROUTINE,
            priority_rank=Priority.ROUTINE.rank,
            breach_on=rtt.breach_date(received, Priority.ROUTINE),
            status=ReferralStatus.COMPLETED,
            is_open=False,
        )
        s.add(old)
        s.flush()
        old_id = old.id
        other_patient = s.scalar(select(Patient.id).where(Patient.id != pid).limit(1))
    records = PatientRecordService(world.db)
    before = len(_audit(world))
    got = records.other_referrals(world.actor("amy"), pid)
    assert got == [
        (rid, ServiceCode.PHYSIOTHERAPY, ReferralStatus.AWAITING_CONTACT, today - timedelta(days=100)),
        (old_id, ServiceCode.PAIN, ReferralStatus.COMPLETED, received),
    ]
    assert _audit(world)[before:] == [(world.actor("amy").user_id, "view_referrals", "patient", pid, pid)]
    assert len(records.other_referrals(world.actor("amy"), other_patient)) == 1
