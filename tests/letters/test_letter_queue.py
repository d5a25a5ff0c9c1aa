"""queue_letter snapshots everything a letter says at queue time (both backends)."""

from __future__ import annotations

from datetime import date

import pytest
from letter_world import make_booking, make_offer, queue, queue_one_of_each, slot_start
from sqlalchemy import update

from cras_desk.db.models import Letter, Patient, Site, WaitingTime
from cras_desk.domain.clock import to_london
from cras_desk.domain.enums import BookingStatus, LetterKind, LetterStatus
from cras_desk.domain.errors import NotFound, ValidationError


def _letter(world, letter_id: int) -> Letter:
    with world.db.read() as s:
        letter = s.get(Letter, letter_id)
        assert letter is not None
        return letter


def test_patient_gp_and_referral_are_snapshotted(world) -> None:
    letter = _letter(world, queue(world, "Nowak", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"}))
    inputs = letter.inputs
    assert letter.status is LetterStatus.QUEUED
    assert letter.created_by == world.actor("amy").user_id
    assert inputs["patient"] == {
        "title": "Ms",
        "given_name": "Łukasz",
        "family_name": "Nowak",
        "nhs_number": "9990000026",
        "date_of_birth": "1960-05-17",
        "address": ["11 Test Street", "Brighton", "East Sussex", "BN7 2AA"],
    }
    assert inputs["gp"] == {
        "name": "Preston Park Surgery",
        "address": ["2 Preston Road", "Brighton", "BN1 4QF"],
        "ods_code": "G81001",
    }
    assert inputs["referral"]["service"] == "Physiotherapy"
    assert inputs["respond_by"] == "2026-03-16"
    assert letter.large_print is True  # Nowak's adjustments ask for large print
    assert inputs["referral_id"] == world.referrals["Nowak"]


def test_standard_print_unless_the_patient_asks(world) -> None:
    assert (
        _letter(
            world, queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": date(2026, 3, 16)})
        ).large_print
        is False
    )


def test_later_changes_do_not_change_a_queued_letter(world) -> None:
    letter_id = queue(world, "Ó Súilleabháin", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    with world.db.write() as s:
        s.execute(
            update(Patient).where(Patient.family_name == "Ó Súilleabháin").values(address_line1="1 New Road")
        )
    assert _letter(world, letter_id).inputs["patient"]["address"][0] == "10 Test Street"


def test_choice_letter_lists_the_waits_as_recorded_in_the_offer(world) -> None:
    offer_id = make_offer(world, "Ó Súilleabháin")
    # Waits published after the offer must not leak into the letter.
    with world.db.write() as s:
        s.execute(update(WaitingTime).values(weeks=30))
    letter = _letter(world, queue(world, "Ó Súilleabháin", LetterKind.CHOICE, {"choice_offer_id": offer_id}))
    offer = letter.inputs["choice_offer"]
    assert offer["offer_id"] == offer_id
    assert offer["offered_on"] == "2026-03-02"
    by_name = {o["site_name"]: o for o in offer["options"]}
    assert by_name["Brighton General Hub"]["wait_weeks"] == 9
    assert by_name["Lewes Victoria Hub"]["wait_weeks"] == 4
    assert by_name["Brighton General Hub"]["address"] == ["Elm Grove, Brighton", "BN2 3EW"]
    assert by_name["Brighton General Hub"]["step_free"] is True
    assert by_name["Lewes Victoria Hub"]["parking"] is True


def test_appointment_snapshot_is_in_london_time(world) -> None:
    booking_id = make_booking(world, "Ó Súilleabháin", "Lewes", 1)
    letter = _letter(
        world, queue(world, "Ó Súilleabháin", LetterKind.APPOINTMENT, {"booking_id": booking_id})
    )
    appt = letter.inputs["appointment"]
    local = to_london(slot_start(world, booking_id))
    assert appt["starts_local"] == local.strftime("%Y-%m-%dT%H:%M")
    assert appt["starts_local"].endswith("T10:00")  # the world's second slot of the day
    assert appt["site_name"] == "Lewes Victoria Hub"
    assert appt["site_address"] == ["Nevill Road", "Lewes", "BN7 1PF"]
    assert appt["clinician_type"] == "physiotherapist"
    assert appt["duration_minutes"] == 30
    assert (appt["step_free"], appt["hearing_loop"], appt["parking"]) == (False, False, True)
    # The site moving later does not move the letter.
    with world.db.write() as s:
        s.execute(update(Site).values(name="Renamed Hub"))
    assert _letter(world, letter.id).inputs["appointment"]["site_name"] == "Lewes Victoria Hub"


def test_every_kind_queues_with_its_details(world) -> None:
    ids = queue_one_of_each(world)
    rebooked = _letter(world, ids[LetterKind.REBOOKED]).inputs
    assert rebooked["previous_appointment"]["site_name"] == "Brighton General Hub"
    assert rebooked["appointment"]["site_name"] == "Lewes Victoria Hub"
    cancelled = _letter(world, ids[LetterKind.CANCELLED]).inputs
    assert cancelled["cancelled_by"] == "provider"
    gp_copy = _letter(world, ids[LetterKind.DISCHARGE_GP_COPY])
    assert gp_copy.recipient == "gp"
    assert gp_copy.large_print is False  # the patient's adjustment is not the GP's
    assert gp_copy.inputs["discharge"]["reason"] == "unable_to_contact"
    # The reply date comes only from a printed unable-to-contact letter: this one is still queued,
    # so it gave the patient no date (tests/letters/test_utc_reply_window.py prints one first).
    assert gp_copy.inputs["discharge"]["respond_by"] is None
    assert gp_copy.inputs["discharge"]["advisor_reason"] == "No reply to calls or letter"


def test_cancelled_by_follows_the_booking_when_not_said(world) -> None:
    booking_id = make_booking(world, "Smith", status=BookingStatus.CANCELLED_PATIENT)
    letter = _letter(world, queue(world, "Smith", LetterKind.CANCELLED, {"booking_id": booking_id}))
    assert letter.inputs["cancelled_by"] == "patient"


def test_refuses_what_it_cannot_address(world) -> None:
    with pytest.raises(ValidationError, match="reply by"):
        queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {})
    with pytest.raises(NotFound):
        queue(world, "Smith", LetterKind.APPOINTMENT, {"booking_id": 999_999})
    other = make_booking(world, "Nowak")
    with pytest.raises(NotFound):  # a booking of another referral
        queue(world, "Smith", LetterKind.APPOINTMENT, {"booking_id": other})
    with world.db.write() as s:
        s.execute(update(Patient).where(Patient.family_name == "Smith").values(gp_practice_id=None))
    with pytest.raises(ValidationError, match="GP practice"):
        queue(world, "Smith", LetterKind.DISCHARGE_GP_COPY, {"discharge_path": "declined"}, recipient="gp")
    with world.db.read() as s:
        assert s.query(Letter).count() == 0


def test_letter_without_a_snapshot_is_completed_from_the_records(world) -> None:
    """Bulk-loaded demo letters carry only the referral id; the first render fills in the rest."""
    from letter_pdf import all_text

    from cras_desk.services.letters import LetterService

    booking_id = make_booking(world, "Nowak", "Lewes", 2)
    with world.db.write() as s:
        rows = [
            Letter(
                referral_id=world.referrals["Nowak"],
                kind=kind,
                status=LetterStatus.QUEUED,
                recipient="gp" if kind is LetterKind.DISCHARGE_GP_COPY else "patient",
                large_print=False,
                inputs={"referral_id": world.referrals["Nowak"]},
                created_by=world.actor("amy").user_id,
            )
            for kind in (LetterKind.APPOINTMENT, LetterKind.UNABLE_TO_CONTACT, LetterKind.DISCHARGE_GP_COPY)
        ]
        s.add_all(rows)
        s.flush()
        ids = [r.id for r in rows]
    service = LetterService(world.db)
    appointment = all_text(service.render(world.actor("amy"), ids[0]))
    assert "Lewes Victoria Hub" in appointment and "Łukasz Nowak" in appointment
    assert _letter(world, ids[0]).inputs["appointment"]["booking_id"] == booking_id
    assert "Please contact us about your Physiotherapy referral" in all_text(
        service.render(world.actor("amy"), ids[1])
    )
    utc = _letter(world, ids[1]).inputs
    assert utc["v"] == 1 and date.fromisoformat(utc["respond_by"]) > date.today()
    assert "Preston Park Surgery" in all_text(service.render(world.actor("amy"), ids[2]))
