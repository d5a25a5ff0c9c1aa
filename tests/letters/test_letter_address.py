"""A letter printed after the patient moved goes to where they live now (hazard: letter to an old
address), the record keeps the address it went to, and a reprint stays what was posted."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from letter_pdf import all_text, window_lines
from letter_world import queue
from sqlalchemy import select, update

from cras_desk.db.models import AuditEvent, Letter, Patient
from cras_desk.domain.enums import LetterKind, LetterStatus
from cras_desk.domain.errors import StaleState
from cras_desk.services.letters import LetterService

UTC_EXTRA = {"respond_by": "2026-03-16"}
OLD = ["12 Test Street", "Brighton", "East Sussex", "BN1 1AA"]
NEW = ["Flat 2, 5 Sea Lane", "Hove", "BN3 1AA"]


def _move(world, family: str, line1: str, town: str, postcode: str) -> None:
    with world.db.write() as s:
        s.execute(
            update(Patient)
            .where(Patient.family_name == family)
            .values(address_line1=line1, address_line2=None, county=None, town=town, postcode=postcode)
        )


def _row(world, letter_id: int) -> Letter:
    with world.db.read() as s:
        return s.get_one(Letter, letter_id)


def test_a_letter_queued_before_a_move_goes_to_the_new_address(world, tmp_path: Path) -> None:
    letter_id = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, UTC_EXTRA)
    assert _row(world, letter_id).inputs["patient"]["address"] == OLD
    _move(world, "Smith", "Flat 2, 5 Sea Lane", "Hove", "BN3 1AA")

    service = LetterService(world.db)
    run = service.print_queue(world.actor("amy"), tmp_path / "run")
    pdf = run.files[0].read_bytes()
    assert window_lines(pdf) == ["Ms Siobhán Smith", *NEW]
    text = all_text(pdf)
    assert "Sea Lane" in text and "Test Street" not in text  # the letter's own details too
    row = _row(world, letter_id)
    assert row.sent_to == {"recipient": "patient", "address": ["Ms Siobhán Smith", *NEW]}
    assert row.inputs["address_at_queue"] == OLD
    assert row.sha256 == hashlib.sha256(pdf).hexdigest()
    with world.db.read() as s:
        detail = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "print_letter")).one()
    assert detail["readdressed"] is True and detail["sent_to"] == row.sent_to["address"]

    # The patient moves again: a reprint is still the letter that was posted, byte for byte.
    _move(world, "Smith", "3 Hill Road", "Lewes", "BN7 2AA")
    again = service.reprint(world.actor("ben"), letter_id)
    assert again == pdf
    assert window_lines(again) == ["Ms Siobhán Smith", *NEW]


def test_an_unmoved_patient_gets_the_address_they_were_queued_with(world, tmp_path: Path) -> None:
    letter_id = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, UTC_EXTRA)
    run = LetterService(world.db).print_queue(world.actor("amy"), tmp_path)
    assert window_lines(run.files[0].read_bytes()) == ["Ms Siobhán Smith", *OLD]
    row = _row(world, letter_id)
    assert "address_at_queue" not in row.inputs
    assert row.sent_to == {"recipient": "patient", "address": ["Ms Siobhán Smith", *OLD]}


def test_printing_a_preview_the_address_has_overtaken_is_refused(world) -> None:
    letter_id = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, UTC_EXTRA)
    service, amy = LetterService(world.db), world.actor("amy")
    preview = service.render(amy, letter_id)
    assert window_lines(preview) == ["Ms Siobhán Smith", *OLD]
    _move(world, "Smith", "Flat 2, 5 Sea Lane", "Hove", "BN3 1AA")
    with pytest.raises(StaleState, match="changed since its preview"):
        service.print_letter(amy, letter_id, hashlib.sha256(preview).hexdigest())
    assert _row(world, letter_id).status is LetterStatus.QUEUED  # nothing recorded as printed
    fresh = service.render(amy, letter_id)
    assert window_lines(fresh) == ["Ms Siobhán Smith", *NEW]
    printed = service.print_letter(amy, letter_id, hashlib.sha256(fresh).hexdigest())
    assert printed == fresh
    row = _row(world, letter_id)
    assert row.status is LetterStatus.PRINTED and row.printed_by == amy.user_id
    assert row.sent_to["address"][1:] == NEW


def test_a_letter_with_no_address_on_record_stays_queued_with_the_reason(world, tmp_path: Path) -> None:
    held = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, UTC_EXTRA)
    posted = queue(world, "Nowak", LetterKind.UNABLE_TO_CONTACT, UTC_EXTRA)
    _move(world, "Smith", " ", "", "")
    run = LetterService(world.db).print_queue(world.actor("amy"), tmp_path)
    assert run.letter_ids == [posted]
    assert [letter_id for letter_id, _why in run.held] == [held]
    assert "no postal address on record" in run.held[0][1]
    assert _row(world, held).status is LetterStatus.QUEUED and _row(world, held).sent_to is None
