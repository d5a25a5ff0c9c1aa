"""Queueing a letter from a workflow (booking, choice, contact policy) inside its transaction.

Everything the letter says is snapshotted now into Letter.inputs (see cras_desk/letters/compose.py
for the layout): the patient's name and address, the GP practice, the referral, and per kind the
options offered with their waits as recorded in the choice offer, the appointment, the
respond-by date. The printed letter then says what was true when it was queued, whatever changes
later, and a reprint reproduces it exactly. The wording itself is frozen at the first render
(services/letters.py), so a wording fix still reaches letters waiting in the queue.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cras_desk.db.models import Booking, ChoiceOffer, Letter, Patient, Referral, Site, Slot
from cras_desk.domain.clock import to_london
from cras_desk.domain.contact_policy import ContactPolicy
from cras_desk.domain.enums import AdjustmentFlag, BookingStatus, LetterKind, LetterStatus
from cras_desk.domain.errors import NotFound, ValidationError
from cras_desk.services.actor import Actor

INPUTS_VERSION = 1
GP = "gp"
PATIENT = "patient"


def queue_letter(
    session: Session,
    actor: Actor,
    referral_id: int,
    kind: LetterKind,
    extra: dict[str, Any] | None = None,
    recipient: str = PATIENT,
) -> int:
    """Queue one letter for printing; returns its id. The caller audits its own action."""
    kind = LetterKind(kind)
    if kind is LetterKind.DISCHARGE_GP_COPY:
        recipient = GP
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(f"Referral {referral_id} does not exist.")
    patient = referral.patient
    inputs = snapshot(session, referral, kind, extra, recipient)
    letter = Letter(
        referral_id=referral_id,
        kind=kind,
        status=LetterStatus.QUEUED,
        recipient=recipient,
        large_print=recipient == PATIENT and AdjustmentFlag.LARGE_PRINT.value in (patient.adjustments or []),
        inputs=inputs,
        created_by=actor.user_id,
    )
    session.add(letter)
    session.flush()
    return letter.id


def snapshot(
    session: Session, referral: Referral, kind: LetterKind, extra: dict[str, Any] | None, recipient: str
) -> dict[str, Any]:
    """Everything the letter will say, as it stands now (the caller's extra ids pick the records)."""
    patient = referral.patient
    extra = _jsonable(dict(extra or {}))
    inputs: dict[str, Any] = {
        **extra,
        "v": INPUTS_VERSION,
        "referral_id": referral.id,
        "patient": _patient(patient),
        "gp": _gp(patient),
        "referral": {
            "service": referral.service.name,
            "service_code": referral.service.code.value,
            "received_on": referral.received_on.isoformat(),
            "priority": referral.priority.value,
            "failed_attempts": referral.failed_attempt_count or 0,
            "utc_letter_sent_on": _iso(referral.utc_letter_sent_on),
        },
    }
    if recipient == GP and inputs["gp"] is None:
        raise ValidationError(
            "No GP practice is recorded for this patient, so the GP's copy cannot be addressed. "
            "Add the practice to the patient's record first."
        )
    return inputs | _kind_inputs(session, referral, kind, extra)


def complete_inputs(session: Session, letter: Letter) -> None:
    """Give a letter queued without a snapshot (bulk-loaded demo data, say) one from the records now.

    Such rows carry only the referral id; the records they are about are found the way the
    workflows would have named them: the referral's latest offer, its latest booking of the
    right kind, the reply date the contact policy gives from the letter's date.
    """
    if letter.inputs.get("v") is not None:
        return
    referral = session.get(Referral, letter.referral_id)
    if referral is None:
        raise NotFound(f"Referral {letter.referral_id} does not exist.")
    extra = dict(letter.inputs)
    kind = letter.kind
    if (
        kind in (LetterKind.APPOINTMENT, LetterKind.CANCELLED, LetterKind.REBOOKED)
        and "booking_id" not in extra
    ):
        extra["booking_id"] = _latest_booking_id(session, referral.id, kind)
    if kind is LetterKind.UNABLE_TO_CONTACT and "respond_by" not in extra:
        sent = referral.utc_letter_sent_on or to_london(letter.created_at).date()
        extra["respond_by"] = ContactPolicy().respond_by(sent).isoformat()
    letter.inputs = snapshot(session, referral, kind, extra, letter.recipient)


def _latest_booking_id(session: Session, referral_id: int, kind: LetterKind) -> int | None:
    query = select(Booking.id).where(Booking.referral_id == referral_id)
    if kind is LetterKind.CANCELLED:
        query = query.where(
            Booking.status.in_([BookingStatus.CANCELLED_PATIENT, BookingStatus.CANCELLED_PROVIDER])
        )
    elif kind is LetterKind.REBOOKED:
        query = query.where(Booking.rebooked_from_id.is_not(None))
    return session.scalars(query.order_by(Booking.booked_at.desc(), Booking.id.desc()).limit(1)).first()


def _kind_inputs(
    session: Session, referral: Referral, kind: LetterKind, extra: dict[str, Any]
) -> dict[str, Any]:
    if kind is LetterKind.CHOICE:
        return {"choice_offer": _choice_offer(session, referral, extra.get("choice_offer_id"))}
    if kind is LetterKind.APPOINTMENT:
        return {"appointment": _appointment(session, _booking(session, referral, extra.get("booking_id")))}
    if kind is LetterKind.CANCELLED:
        booking = _booking(session, referral, extra.get("booking_id"), live=False)
        if "by_patient" in extra:
            by = "patient" if extra["by_patient"] else "provider"
        else:
            by = "provider" if booking.status is BookingStatus.CANCELLED_PROVIDER else "patient"
        return {"appointment": _appointment(session, booking), "cancelled_by": by}
    if kind is LetterKind.REBOOKED:
        booking = _booking(session, referral, extra.get("booking_id"))
        previous_id = extra.get("previous_booking_id") or booking.rebooked_from_id
        if previous_id is None:
            raise ValidationError("A rebooking letter needs the appointment it replaces.")
        previous = _booking(session, referral, previous_id, live=False)
        return {
            "appointment": _appointment(session, booking),
            "previous_appointment": _appointment(session, previous),
        }
    if kind is LetterKind.UNABLE_TO_CONTACT:
        respond_by = extra.get("respond_by")
        if not respond_by:
            raise ValidationError("An unable-to-contact letter needs the date the patient must reply by.")
        return {"respond_by": date.fromisoformat(str(respond_by)).isoformat()}
    if kind in (LetterKind.DISCHARGE, LetterKind.DISCHARGE_GP_COPY):
        return {"discharge": _discharge(session, referral, extra)}
    return {}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _patient(p: Patient) -> dict[str, Any]:
    address = [p.address_line1, p.address_line2, p.town, p.county, p.postcode]
    return {
        "title": p.title,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "nhs_number": p.nhs_number,
        "date_of_birth": p.date_of_birth.isoformat(),
        "address": [line.strip() for line in address if line and line.strip()],
    }


def _gp(p: Patient) -> dict[str, Any] | None:
    gp = p.gp_practice
    if gp is None:
        return None
    return {
        "name": gp.name,
        "address": [line for line in (gp.address_line1, gp.town, gp.postcode) if line],
        "ods_code": gp.ods_code,
    }


def _choice_offer(session: Session, referral: Referral, offer_id: int | None) -> dict[str, Any]:
    if offer_id is not None:
        offer = session.get(ChoiceOffer, int(offer_id))
    else:
        offer = session.scalars(
            select(ChoiceOffer)
            .where(ChoiceOffer.referral_id == referral.id)
            .order_by(ChoiceOffer.offered_at.desc(), ChoiceOffer.id.desc())
            .limit(1)
        ).first()
    if offer is None or offer.referral_id != referral.id:
        raise NotFound("The choice offer this letter should list was not found for this referral.")
    options = []
    for opt in offer.options:
        # As the advisor read it out: the snapshot the choice service recorded, never today's waits.
        address = [part for part in (opt.get("address"), opt.get("postcode")) if part]
        options.append(
            {
                "site_id": opt.get("site_id"),
                "site_name": opt["site_name"],
                "address": address,
                "wait_weeks": opt.get("wait_weeks"),
                "wait_as_of": opt.get("wait_as_of"),
                "step_free": bool(opt.get("step_free")),
                "hearing_loop": bool(opt.get("hearing_loop")),
                "parking": bool(opt.get("parking")),
            }
        )
    return {
        "offer_id": offer.id,
        "offered_on": to_london(offer.offered_at).date().isoformat(),
        "options": options,
    }


def _booking(session: Session, referral: Referral, booking_id: int | None, live: bool = True) -> Booking:
    if booking_id is not None:
        booking = session.get(Booking, int(booking_id))
    elif live:
        booking = session.scalars(
            select(Booking).where(Booking.referral_id == referral.id, Booking.status == BookingStatus.BOOKED)
        ).first()
    else:
        booking = None
    if booking is None or booking.referral_id != referral.id:
        raise NotFound("The appointment this letter is about was not found for this referral.")
    return booking


def _appointment(session: Session, booking: Booking) -> dict[str, Any]:
    slot = session.get(Slot, booking.slot_id)
    assert slot is not None  # a booking's slot is a foreign key
    site = session.get(Site, slot.site_id)
    assert site is not None
    starts = to_london(slot.starts_at)
    return {
        "booking_id": booking.id,
        "starts_local": starts.replace(tzinfo=None).isoformat(timespec="minutes"),
        "duration_minutes": slot.duration_minutes,
        "clinician_type": slot.clinician_type.value,
        "slot_kind": slot.kind.value,
        "site_name": site.name,
        "site_address": [
            line for line in (site.address_line1, site.address_line2, site.town, site.postcode) if line
        ],
        "site_phone": site.phone,
        "step_free": site.step_free,
        "hearing_loop": site.hearing_loop,
        "parking": site.parking,
    }


def _discharge(session: Session, referral: Referral, extra: dict[str, Any]) -> dict[str, Any]:
    # The reply date the patient was given is on the unable-to-contact letter, if one was sent.
    utc_inputs = session.scalars(
        select(Letter.inputs)
        .where(Letter.referral_id == referral.id, Letter.kind == LetterKind.UNABLE_TO_CONTACT)
        .order_by(Letter.id.desc())
        .limit(1)
    ).first()
    path = extra.get("discharge_path") or extra.get("path")
    if path not in ("declined", "unable_to_contact"):
        path = "unable_to_contact" if referral.utc_letter_sent_on else "other"
    return {
        "reason": path,
        "advisor_reason": extra.get("reason"),
        "utc_letter_sent_on": _iso(referral.utc_letter_sent_on),
        "respond_by": (utc_inputs or {}).get("respond_by"),
    }
