"""The interpreter need reaches the patient: booked through the service, read back from the PDF."""

from __future__ import annotations

from letter_pdf import all_text
from sqlalchemy import select, update

from cras_desk.db.models import Letter, Patient, Referral, Slot
from cras_desk.domain.enums import LetterKind, ServiceCode
from cras_desk.letters import wording
from cras_desk.services.booking import BookingService
from cras_desk.services.letters import LetterService

SENTENCE = "An interpreter for Turkish will be with you"


def _needs_turkish(world, family: str) -> int:
    rid = world.referrals[family]
    with world.db.write() as s:
        patient_id = s.scalar(select(Referral.patient_id).where(Referral.id == rid))
        s.execute(
            update(Patient)
            .where(Patient.id == patient_id)
            .values(language="Turkish", interpreter_needed=True)
        )
    return rid


def _physio_slots(world) -> list[int]:
    with world.db.read() as s:
        return list(
            s.scalars(
                select(Slot.id)
                .where(Slot.service_id == world.services[ServiceCode.PHYSIOTHERAPY])
                .order_by(Slot.starts_at, Slot.id)
            )
        )


def _letter_id(world, rid: int, kind: LetterKind) -> int:
    with world.db.read() as s:
        return s.scalar(
            select(Letter.id).where(Letter.referral_id == rid, Letter.kind == kind).order_by(Letter.id.desc())
        )


def test_appointment_and_rebooked_letters_say_an_interpreter_will_be_there(world) -> None:
    rid = _needs_turkish(world, "Nowak")
    amy = world.actor("amy")
    booking = BookingService(world.db)
    first, second = _physio_slots(world)[:2]
    booking_id = booking.book(amy, rid, first)
    letters = LetterService(world.db)

    appointment = all_text(letters.render(amy, _letter_id(world, rid, LetterKind.APPOINTMENT)))
    assert SENTENCE in appointment

    booking.rebook(amy, booking_id, second, reason="Patient asked for later")
    rebooked = all_text(letters.render(amy, _letter_id(world, rid, LetterKind.REBOOKED)))
    assert SENTENCE in rebooked


def test_no_interpreter_sentence_without_the_need(world) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    amy = world.actor("amy")
    BookingService(world.db).book(amy, rid, _physio_slots(world)[0])
    text = all_text(LetterService(world.db).render(amy, _letter_id(world, rid, LetterKind.APPOINTMENT)))
    assert "interpreter for" not in text
    assert "We have booked your Physiotherapy appointment" in text  # the letter itself is all there


def test_a_letter_frozen_before_the_interpreter_wording_existed_still_renders(world) -> None:
    # Wording is frozen into a letter at its first render; one frozen by an older version has no
    # "interpreter" key and no {interpreter} in its body, and must still reprint.
    rid = _needs_turkish(world, "Nowak")
    amy = world.actor("amy")
    BookingService(world.db).book(amy, rid, _physio_slots(world)[0])
    letter_id = _letter_id(world, rid, LetterKind.APPOINTMENT)
    old = wording.load_kind(LetterKind.APPOINTMENT)
    del old["interpreter"]
    old["body"] = old["body"].replace("{interpreter}", "")
    with world.db.write() as s:
        letter = s.get(Letter, letter_id)
        letter.inputs = {**letter.inputs, "wording": old, "common": wording.load_common()}
    text = all_text(LetterService(world.db).render(amy, letter_id))
    assert "interpreter for" not in text and "Dear Ms Nowak" in text
