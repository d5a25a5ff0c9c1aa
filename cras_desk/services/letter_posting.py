"""Rendering a letter for the record, and what posting it changes.

A queued letter is rendered as it would be posted today: to the patient's address as it is now
(a letter queued before the patient moved must not go to the old address), to the GP practice
recorded now, and an unable-to-contact letter with its reply date counted from today, since the
reply window runs from the day the letter is printed. Each such render records its digest. Once
a letter is printed nothing in it changes again: later renders must reproduce the recorded bytes
exactly (checked against the recorded SHA-256), and a letter whose bytes would differ is refused.

Printing records where the letter went (Letter.sent_to, the address block as printed) and, for
an unable-to-contact letter, starts the patient's reply window (Referral.utc_letter_sent_on).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from cras_desk.db.models import Letter, Referral
from cras_desk.domain.clock import to_london, utcnow
from cras_desk.domain.contact_policy import ContactPolicy
from cras_desk.domain.enums import LetterKind, LetterStatus, ReferralStatus
from cras_desk.domain.errors import CrasError, ValidationError
from cras_desk.letters.compose import LetterSpec, compose, frozen_wording, reference
from cras_desk.services.contact import discharge_due_at
from cras_desk.services.letter_inputs import GP, complete_inputs, current_addressees

# The PDF /ID of a letter rendered for a look only (printed before letters were recorded, so
# there is no recorded file to reproduce): never stored, never mistaken for a recorded document.
UNRECORDED_DOCUMENT_ID = "0" * 32


class ReprintMismatch(CrasError):
    """A reprint would not be the letter that was posted; nothing is printed."""

    def __init__(self, message: str, recorded: str | None = None, produced: str | None = None) -> None:
        super().__init__(message)
        self.recorded, self.produced = recorded, produced


def spec_of(letter: Letter, document_id: str | None = None) -> LetterSpec:
    document_id = document_id or letter.document_id
    assert document_id is not None
    return LetterSpec(
        letter_id=letter.id,
        referral_id=letter.referral_id,
        kind=letter.kind,
        recipient=letter.recipient,
        large_print=letter.large_print,
        inputs=letter.inputs,
        created_at=letter.created_at,
        document_id=document_id,
    )


def render_pdf(spec: LetterSpec) -> bytes:
    from cras_desk.letters.render import render_pdf as _render  # reportlab loads on first use

    return _render(spec)


def has_recorded_copy(letter: Letter) -> bool:
    """Whether the printed letter's bytes were recorded when it was printed (demo or imported
    letters marked printed elsewhere were not), so that a reprint can be proved identical."""
    return letter.sha256 is not None and letter.document_id is not None


def render_recorded(s: Session, letter: Letter, today: date) -> tuple[bytes, str]:
    """The letter's PDF and its SHA-256. A queued letter is composed as it would be posted today
    and its digest recorded; any other letter is reproduced from its record and checked."""
    if letter.status is not LetterStatus.QUEUED:
        return _reproduce(s, letter)
    complete_inputs(s, letter)
    inputs = posting_inputs(s, letter, today)
    if "wording" not in inputs or "common" not in inputs:
        inputs |= frozen_wording(letter.kind)
    if inputs != letter.inputs:
        letter.inputs = inputs
    if letter.document_id is None:
        letter.document_id = uuid.uuid4().hex
    pdf = render_pdf(spec_of(letter))
    digest = hashlib.sha256(pdf).hexdigest()
    if letter.sha256 != digest:  # still queued: nothing was posted, so the new render is the record
        letter.sha256 = digest
        letter.rendered_at = utcnow()
    return pdf, digest


def _reproduce(s: Session, letter: Letter) -> tuple[bytes, str]:
    name = reference(letter.referral_id, letter.id)
    if not has_recorded_copy(letter):
        # A look at a letter printed without a record: composed from the records, stored nowhere.
        complete_inputs(s, letter)
        inputs = {**letter.inputs}
        if "wording" not in inputs or "common" not in inputs:
            inputs |= frozen_wording(letter.kind)
        spec = replace(spec_of(letter, UNRECORDED_DOCUMENT_ID), inputs=inputs)
        s.expire(letter)  # discards the completed inputs: a reconstruction is not a record
        pdf = render_pdf(spec)
        return pdf, hashlib.sha256(pdf).hexdigest()
    pdf = render_pdf(spec_of(letter))
    digest = hashlib.sha256(pdf).hexdigest()
    if digest != letter.sha256:
        raise ReprintMismatch(
            f"Letter {name} no longer renders exactly as it was recorded (the letter software has "
            "changed since). Nothing was printed; please tell your system administrator.",
            recorded=letter.sha256,
            produced=digest,
        )
    return pdf, digest


def posting_inputs(s: Session, letter: Letter, today: date) -> dict[str, Any]:
    """The queued letter's inputs re-addressed to the patient (or GP practice) as recorded now,
    and an unable-to-contact letter's reply date counted from today."""
    inputs = dict(letter.inputs)
    patient, gp = current_addressees(s.connection(), letter.referral_id)
    queued_patient = dict(inputs["patient"])
    if letter.recipient == GP:
        if gp is not None:
            inputs["gp"] = gp
    elif not patient["address"]:
        raise ValidationError(
            f"Letter {reference(letter.referral_id, letter.id)} cannot be posted: the patient has no "
            "postal address on record. Add the address to the patient's record; the letter stays queued."
        )
    if queued_patient.get("address") != patient["address"]:
        # The address in the envelope window and in the letter's own details is the current one;
        # the address it was queued with is kept beside it for the record.
        inputs.setdefault("address_at_queue", queued_patient.get("address"))
        inputs["patient"] = {**queued_patient, "address": patient["address"]}
    if letter.kind is LetterKind.UNABLE_TO_CONTACT:
        days = int(inputs.get("respond_within_days") or ContactPolicy().respond_within_days)
        inputs["respond_by"] = ContactPolicy(respond_within_days=days).respond_by(today).isoformat()
    return inputs


def sent_to(letter: Letter) -> dict[str, Any]:
    """The address block as printed in the envelope window (addressee first)."""
    content = compose(spec_of(letter))
    return {"recipient": letter.recipient, "address": list(content.address)}


def mark_posted(s: Session, letter: Letter, user_id: int, now: datetime) -> dict[str, Any]:
    """Record the (just rendered) queued letter as printed; returns the audit detail to record."""
    letter.status = LetterStatus.PRINTED
    letter.printed_at = now
    letter.printed_by = user_id
    letter.sent_to = sent_to(letter)
    detail: dict[str, Any] = {"sha256": letter.sha256, "sent_to": letter.sent_to["address"]}
    if "address_at_queue" in letter.inputs:
        detail["readdressed"] = letter.inputs["address_at_queue"] != letter.inputs["patient"]["address"]
    if letter.kind is LetterKind.UNABLE_TO_CONTACT:
        detail["respond_by"] = letter.inputs.get("respond_by")
        _start_reply_window(s, letter, now)
    return detail


def _start_reply_window(s: Session, letter: Letter, now: datetime) -> None:
    """The patient's days to reply count from today, the day the letter is printed."""
    referral = s.get(Referral, letter.referral_id)
    if referral is None or referral.status is not ReferralStatus.UTC_LETTER_SENT or not referral.is_open:
        return  # booked, discharged or reached meanwhile: no reply window to run
    referral.utc_letter_sent_on = to_london(now).date()
    respond_by = date.fromisoformat(letter.inputs["respond_by"])
    referral.next_action_at = discharge_due_at(respond_by)
    referral.updated_at = now
