"""Letters overtaken before they are printed (book -> rebook -> cancel, a patient reached) are
withdrawn from the queue with the reason, never printed, and audited (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from letter_pdf import all_text
from letter_world import queue
from sqlalchemy import select

from cras_desk.db.models import AuditEvent, Change, Letter, Service, Slot
from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import ContactOutcome, LetterKind, LetterStatus, ServiceCode
from cras_desk.services.booking import BookingService
from cras_desk.services.contact import ContactService
from cras_desk.services.letters import LetterService

LONDON = ZoneInfo("Europe/London")


def _letters(world, rid: int) -> dict[LetterKind, list[Letter]]:
    with world.db.read() as s:
        rows = list(s.scalars(select(Letter).where(Letter.referral_id == rid).order_by(Letter.id)))
    found: dict[LetterKind, list[Letter]] = {}
    for row in rows:
        found.setdefault(row.kind, []).append(row)
    return found


def _physio_slots(world) -> list[int]:
    with world.db.read() as s:
        return list(
            s.scalars(
                select(Slot.id)
                .join(Service, Service.id == Slot.service_id)
                .where(Slot.site_id == world.sites["Brighton"], Service.code == ServiceCode.PHYSIOTHERAPY)
                .order_by(Slot.starts_at, Slot.id)
            )
        )


def _reason(what: str, who: str) -> str:
    return f"{what} on {today_london():%d/%m/%Y} by {who}"


def test_book_rebook_cancel_withdraws_what_the_patient_must_not_get(world, tmp_path: Path) -> None:
    amy, rid = world.actor("amy"), world.referrals["Nowak"]
    booking = BookingService(world.db)
    slots = _physio_slots(world)
    first = booking.book(amy, rid, slots[0])
    second = booking.rebook(amy, first, slots[1], "Patient asked for a later date")

    letters = _letters(world, rid)
    (appointment,) = letters[LetterKind.APPOINTMENT]
    (rebooked,) = letters[LetterKind.REBOOKED]
    assert appointment.status is LetterStatus.WITHDRAWN
    assert appointment.withdrawn_reason == _reason("Appointment rebooked", "Amy Advisor")
    assert appointment.withdrawn_at is not None
    assert rebooked.status is LetterStatus.QUEUED

    booking.cancel(amy, second, by_patient=True, reason="No longer needed")
    letters = _letters(world, rid)
    (rebooked,) = letters[LetterKind.REBOOKED]
    (cancelled,) = letters[LetterKind.CANCELLED]
    assert rebooked.status is LetterStatus.WITHDRAWN
    assert rebooked.withdrawn_reason == _reason("Appointment cancelled", "Amy Advisor")
    assert cancelled.status is LetterStatus.QUEUED

    service = LetterService(world.db)
    withdrawn = service.queue(amy, status=LetterStatus.WITHDRAWN)
    assert [(w.id, w.state_text) for w in withdrawn] == [
        (appointment.id, f"Withdrawn: {_reason('Appointment rebooked', 'Amy Advisor')}"),
        (rebooked.id, f"Withdrawn: {_reason('Appointment cancelled', 'Amy Advisor')}"),
    ]
    assert [q.id for q in service.queue(amy)] == [cancelled.id]

    # The print run posts only the cancellation: the withdrawn letters are never printed.
    run = service.print_queue(amy, tmp_path)
    assert run.letter_ids == [cancelled.id]
    text = all_text(run.files[0].read_bytes())
    assert "cancel" in text.lower()
    with world.db.read() as s:
        assert s.get_one(Letter, appointment.id).printed_at is None
        assert s.get_one(Letter, rebooked.id).status is LetterStatus.WITHDRAWN
        audits = s.execute(
            select(AuditEvent.entity_id, AuditEvent.user_id, AuditEvent.detail).where(
                AuditEvent.action == "withdraw_letter"
            )
        ).all()
        fed = s.scalars(
            select(Change.entity_id).where(Change.entity == "letter", Change.op == "update")
        ).all()
    assert [(a.entity_id, a.user_id) for a in audits] == [
        (appointment.id, amy.user_id),
        (rebooked.id, amy.user_id),
    ]
    assert audits[0].detail["event"] == "rebooked"
    assert {appointment.id, rebooked.id} <= set(fed)


def test_a_printed_letter_is_never_withdrawn(world, tmp_path: Path) -> None:
    amy, rid = world.actor("amy"), world.referrals["Nowak"]
    booking = BookingService(world.db)
    slots = _physio_slots(world)
    first = booking.book(amy, rid, slots[0])
    LetterService(world.db).print_queue(amy, tmp_path)  # the appointment letter has been posted
    booking.rebook(amy, first, slots[1], "Clinic moved")
    letters = _letters(world, rid)
    assert letters[LetterKind.APPOINTMENT][0].status is LetterStatus.PRINTED
    assert letters[LetterKind.REBOOKED][0].status is LetterStatus.QUEUED  # tells the patient the change


def test_an_unable_to_contact_letter_is_withdrawn_when_the_patient_is_reached(world) -> None:
    amy, rid = world.actor("amy"), world.referrals["Nowak"]
    contact = ContactService(world.db)
    for day, hour in ((20, 9), (20, 11), (20, 15), (21, 17)):
        contact.record_attempt(
            amy,
            rid,
            ContactOutcome.NO_ANSWER,
            at=datetime(2026, 10, day, hour, tzinfo=LONDON).astimezone(UTC),
        )
    (utc,) = _letters(world, rid)[LetterKind.UNABLE_TO_CONTACT]
    assert utc.status is LetterStatus.QUEUED
    contact.record_attempt(amy, rid, ContactOutcome.SPOKE, at=datetime(2026, 10, 22, 10, tzinfo=UTC))
    (utc,) = _letters(world, rid)[LetterKind.UNABLE_TO_CONTACT]
    assert utc.status is LetterStatus.WITHDRAWN
    assert utc.withdrawn_reason == _reason("Patient reached", "Amy Advisor")


def test_booking_withdraws_a_queued_unable_to_contact_letter(world) -> None:
    amy, rid = world.actor("amy"), world.referrals["Nowak"]
    utc = queue(world, "Nowak", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    other = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    BookingService(world.db).book(amy, rid, _physio_slots(world)[0])
    booked = _reason("Patient booked an appointment", "Amy Advisor")
    with world.db.read() as s:
        assert s.get_one(Letter, utc).status is LetterStatus.WITHDRAWN
        assert s.get_one(Letter, utc).withdrawn_reason == booked
        assert s.get_one(Letter, other).status is LetterStatus.QUEUED  # another patient's: untouched
