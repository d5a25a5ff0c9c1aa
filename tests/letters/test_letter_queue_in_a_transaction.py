"""queue_letter inside a workflow's transaction: it reads the records with one Core SELECT, so it
must see what the workflow changed before it, flushed or not (both backends)."""

from __future__ import annotations

from sqlalchemy import select, update

from cras_desk.db.models import Change, Letter, Referral
from cras_desk.domain.enums import LetterKind, LetterStatus
from cras_desk.services.booking import BookingService, SlotQuery
from cras_desk.services.letter_inputs import snapshot
from cras_desk.services.letter_queue import queue_letter


def test_unflushed_orm_changes_are_in_the_snapshot(world) -> None:
    rid = world.referrals["Nowak"]
    with world.db.write() as s:
        referral = s.get(Referral, rid)
        assert referral is not None
        referral.failed_attempt_count = 3  # as the contact service does just before it queues
        letter_id = queue_letter(
            s, world.actor("amy"), rid, LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"}
        )
    with world.db.read() as s:
        inputs = s.scalar(select(Letter.inputs).where(Letter.id == letter_id))
    assert inputs["referral"]["failed_attempts"] == 3


def test_a_letter_reads_one_queued_earlier_in_the_same_transaction(world) -> None:
    rid = world.referrals["Nowak"]
    amy = world.actor("amy")
    extra = {"reason": "No reply", "discharge_path": "unable_to_contact"}
    with world.db.write() as s:
        utc = queue_letter(s, amy, rid, LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-04-01"})
        # Only a printed letter gave the patient a date; printed here in the same transaction.
        s.execute(update(Letter).where(Letter.id == utc).values(status=LetterStatus.PRINTED))
        gp_copy = queue_letter(s, amy, rid, LetterKind.DISCHARGE_GP_COPY, extra, recipient="gp")
    with world.db.read() as s:
        letter = s.get(Letter, gp_copy)
        assert letter is not None
        assert letter.recipient == "gp"
        assert letter.inputs["discharge"]["respond_by"] == "2026-04-01"


def test_each_queued_letter_is_in_the_change_feed(world) -> None:
    rid = world.referrals["Smith"]
    ben = world.actor("ben")
    with world.db.write() as s:
        letter_id = queue_letter(s, ben, rid, LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    with world.db.read() as s:
        fed = s.execute(
            select(Change.op, Change.user_id).where(Change.entity == "letter", Change.entity_id == letter_id)
        ).all()
    assert fed == [("insert", ben.user_id)]


def test_a_booking_letter_says_exactly_what_queue_letter_would(world) -> None:
    """On PostgreSQL the booking reads its letter's records with its INSERT; the letter must be the
    one queue_letter's own SELECT would have made."""
    rid = world.referrals["Nowak"]  # large print, a GP practice, an address with a county
    svc = BookingService(world.db)
    slot = svc.find_slots(world.actor("amy"), rid, SlotQuery())[0].slot_id
    booking_id = svc.book(world.actor("amy"), rid, slot)
    with world.db.read() as s:
        letter = s.scalars(select(Letter).where(Letter.referral_id == rid)).one()
        expected = snapshot(s, rid, LetterKind.APPOINTMENT, {"booking_id": booking_id}, "patient")
    assert letter.inputs == expected
    assert letter.inputs["appointment"]["booking_id"] == booking_id
    assert letter.large_print is True
