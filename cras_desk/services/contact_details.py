"""Keeping a patient's contact details right while they are on the phone, and notes on a referral.

Each use case is one transaction: it checks the caller (an advisor on a referral of their own or
their team's, or a lead), locks the patient's row (two desks editing one patient take turns),
validates everything before writing, audits what changed (before and after), and tells the other
desks through the change feed: the ORM hook records the changed rows, and every referral of the
patient is recorded as updated so a desk showing any of them reloads it (desks watch referrals).

A number found wrong, or no longer in use, is kept with its status rather than deleted: the
number-used list offers it last and marked, nobody re-enters it as new, and the history of calls
made to it still reads right. Only an active number can be preferred (a CHECK constraint), and a
patient has one preferred number at most (a unique partial index).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from cras_desk.db import change_feed
from cras_desk.db.engine import Database
from cras_desk.db.models import Patient, PatientPhone, Referral, ReferralNote
from cras_desk.domain import free_text, postcode, uk_phone
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import PhoneStatus, Role
from cras_desk.domain.errors import NotFound, StaleState, ValidationError
from cras_desk.domain.search_terms import phone_key
from cras_desk.services import access, audit
from cras_desk.services.actor import Actor

PHONE_KINDS = ("mobile", "home", "work")
MAX_PHONES = 8  # per patient, wrong and unused numbers included
NOTE_MAX = 2000
CONTACT_TIMES_MAX = 120  # patients.preferred_contact_times
_ROLES = (Role.ADVISOR, Role.TEAM_LEAD)


@dataclass(frozen=True)
class PhoneEntry:
    phone_id: int
    kind: str
    number: str
    status: PhoneStatus
    preferred: bool


@dataclass(frozen=True)
class Address:
    line1: str
    line2: str | None
    town: str
    county: str | None
    postcode: str


@dataclass(frozen=True)
class ContactDetails:
    referral_id: int
    patient_id: int
    phones: tuple[PhoneEntry, ...]  # active first, the preferred one first of all
    address: Address
    contact_times: str | None


class ContactDetailsService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- reads --------------------------------------------------------------------------------

    def details(self, actor: Actor, referral_id: int) -> ContactDetails:
        """What the contact editor shows (audited: it is the patient's record)."""
        with self.db.write() as s:
            patient = _patient_for(s, actor, referral_id, lock=False)
            found = _details(s, referral_id, patient)
            audit.record(s, actor, "view_contact_details", "patient", patient.id, patient.id)
            return found

    # -- phones -------------------------------------------------------------------------------

    def add_phone(
        self, actor: Actor, referral_id: int, kind: str, number: str, *, preferred: bool = False
    ) -> ContactDetails:
        """A new number; preferred if asked, or if the patient has no preferred number yet."""
        if kind not in PHONE_KINDS:
            raise ValidationError(f"Choose what kind of number it is: {', '.join(PHONE_KINDS)}.")
        phone = uk_phone.parse(number)
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            patient = _patient_for(s, actor, referral_id)
            phones = _phones(s, patient.id)
            same = next((p for p in phones if p.number_key == phone.key), None)
            if same is not None and same.status is PhoneStatus.ACTIVE:
                raise ValidationError(f"{same.number} is already recorded for this patient ({same.kind}).")
            if same is not None:
                raise ValidationError(
                    f"{same.number} is recorded as {_STATUS_WORDS[same.status]}. If the patient says it "
                    "is right, mark it in use again instead of adding it."
                )
            if len(phones) >= MAX_PHONES:
                raise ValidationError(
                    f"This patient already has {len(phones)} numbers recorded: mark one not in use "
                    "and correct it rather than adding more."
                )
            make_preferred = preferred or not any(p.is_preferred for p in phones)
            if make_preferred:
                _clear_preferred(s, phones)
            row = PatientPhone(
                patient_id=patient.id,
                kind=kind,
                number=phone.number,
                number_key=phone.key,
                is_preferred=make_preferred,
                status=PhoneStatus.ACTIVE,
            )
            s.add(row)
            s.flush()
            detail = {"number": phone.number, "kind": kind, "preferred": make_preferred}
            audit.record(s, actor, "add_phone", "patient_phone", row.id, patient.id, detail)
            _tell_desks(s, actor, patient.id)
            return _details(s, referral_id, patient)

    def set_phone_status(
        self, actor: Actor, referral_id: int, phone_id: int, status: PhoneStatus
    ) -> ContactDetails:
        """Mark a number wrong, not in use, or in use again; a number out of use stops being preferred."""
        status = PhoneStatus(status)
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            patient = _patient_for(s, actor, referral_id)
            phone = _phone_of(s, patient.id, phone_id)
            if phone.status is not status:
                before = phone.status
                was_preferred = phone.is_preferred
                if not status.dialable:
                    phone.is_preferred = False
                phone.status = status
                phone.status_changed_at = utcnow()
                s.flush()
                detail = {
                    "number": phone.number,
                    "from": before.value,
                    "to": status.value,
                    "was_preferred": was_preferred,
                }
                audit.record(s, actor, "set_phone_status", "patient_phone", phone.id, patient.id, detail)
                _tell_desks(s, actor, patient.id)
            return _details(s, referral_id, patient)

    def set_preferred(self, actor: Actor, referral_id: int, phone_id: int) -> ContactDetails:
        """The number to call first."""
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            patient = _patient_for(s, actor, referral_id)
            phone = _phone_of(s, patient.id, phone_id)
            if not phone.status.dialable:
                raise ValidationError(
                    f"{phone.number} is marked as {_STATUS_WORDS[phone.status]}: mark it in use again "
                    "before making it the preferred number."
                )
            if not phone.is_preferred:
                before = next((p.number for p in _phones(s, patient.id) if p.is_preferred), None)
                _clear_preferred(s, _phones(s, patient.id))
                phone.is_preferred = True
                s.flush()
                detail = {"number": phone.number, "previous": before}
                audit.record(s, actor, "set_preferred_phone", "patient_phone", phone.id, patient.id, detail)
                _tell_desks(s, actor, patient.id)
            return _details(s, referral_id, patient)

    # -- address and contact times -----------------------------------------------------------

    def update_address(
        self,
        actor: Actor,
        referral_id: int,
        address: Address,
        contact_times: str | None,
        *,
        expected: ContactDetails | None = None,
    ) -> ContactDetails:
        """Save the address and the best times to call, in one go.

        With `expected` (what the editor loaded), refuse if another desk changed either meanwhile:
        saving over it would silently undo their correction.
        """
        new_address = clean_address(address)
        new_times = free_text.line(contact_times, "Best times to call", CONTACT_TIMES_MAX)
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            patient = _patient_for(s, actor, referral_id)
            current = _address_of(patient)
            if expected is not None and (
                expected.address != current or expected.contact_times != patient.preferred_contact_times
            ):
                raise StaleState(
                    "Someone else changed this patient's address or best times since you opened them. "
                    "Check with the patient; Save again replaces theirs with what you typed."
                )
            before: dict[str, Any] = {**current.__dict__, "contact_times": patient.preferred_contact_times}
            after: dict[str, Any] = {**new_address.__dict__, "contact_times": new_times}
            changed = sorted(k for k in after if after[k] != before[k])
            if changed:
                patient.address_line1 = new_address.line1
                patient.address_line2 = new_address.line2
                patient.town = new_address.town
                patient.county = new_address.county
                if new_address.postcode != patient.postcode:
                    patient.postcode = new_address.postcode
                    patient.postcode_key = postcode.search_key(new_address.postcode)
                    # The old coordinates belong to the old address: distances are left out
                    # rather than measured from where the patient no longer lives.
                    patient.latitude = None
                    patient.longitude = None
                patient.preferred_contact_times = new_times
                s.flush()
                detail = {
                    "changed": changed,
                    "before": {k: before[k] for k in changed},
                    "after": {k: after[k] for k in changed},
                }
                audit.record(s, actor, "update_contact_details", "patient", patient.id, patient.id, detail)
                _tell_desks(s, actor, patient.id)
            return _details(s, referral_id, patient)

    # -- notes --------------------------------------------------------------------------------

    def add_note(self, actor: Actor, referral_id: int, text: str) -> int:
        """A free-text note on the referral, shown in its history; returns the note's id."""
        body = free_text.block(text, "Note", NOTE_MAX)
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            referral = _referral_for(s, actor, referral_id, action="add a note to a referral")
            note = ReferralNote(referral_id=referral.id, user_id=actor.user_id, text=body, at=utcnow())
            s.add(note)
            s.flush()
            change_feed.record(s, "referral", referral.id, "update", actor.user_id)
            audit.record(
                s,
                actor,
                "add_note",
                "referral_note",
                note.id,
                referral.patient_id,
                {"referral_id": referral.id, "length": len(body)},
            )
            return note.id


# -- used by the contact service, inside its own transaction ---------------------------------------


def mark_wrong_number(
    s: Session, actor: Actor, patient_id: int, number_used: str, attempt_id: int
) -> str | None:
    """A call recorded as "wrong number": mark that stored number so it is not preferred nor
    offered first again. None if the number is not one of the patient's active numbers (typed by
    hand, or already marked)."""
    key = phone_key(number_used)
    if not key:
        return None
    phone = s.scalars(
        select(PatientPhone).where(
            PatientPhone.patient_id == patient_id,
            PatientPhone.number_key == key,
            PatientPhone.status == PhoneStatus.ACTIVE,
        )
    ).first()
    if phone is None:
        return None
    was_preferred = phone.is_preferred
    phone.is_preferred = False
    phone.status = PhoneStatus.WRONG_NUMBER
    phone.status_changed_at = utcnow()
    s.flush()
    detail = {
        "number": phone.number,
        "from": PhoneStatus.ACTIVE.value,
        "to": PhoneStatus.WRONG_NUMBER.value,
        "was_preferred": was_preferred,
        "attempt_id": attempt_id,
    }
    audit.record(s, actor, "set_phone_status", "patient_phone", phone.id, patient_id, detail)
    _tell_desks(s, actor, patient_id)
    return phone.number


def clean_address(address: Address) -> Address:
    """The address as it will be stored, or ValidationError naming the field at fault."""
    line1 = free_text.line(address.line1, "First address line", 120, required=True)
    town = free_text.line(address.town, "Town", 60, required=True)
    assert line1 is not None and town is not None  # required
    code = free_text.line(address.postcode, "Postcode", 10, required=True) or ""
    return Address(
        line1=line1,
        line2=free_text.line(address.line2, "Second address line", 120),
        town=town,
        county=free_text.line(address.county, "County", 60),
        postcode=postcode.normalise(code),
    )


# -- helpers ------------------------------------------------------------------------------------

_STATUS_WORDS = {
    PhoneStatus.ACTIVE: "in use",
    PhoneStatus.WRONG_NUMBER: "a wrong number",
    PhoneStatus.NOT_IN_USE: "not in use",
}


def _referral_for(s: Session, actor: Actor, referral_id: int, *, action: str) -> Referral:
    actor.require(*_ROLES, action=action)
    access.for_referral(s, actor, referral_id)
    referral = s.get(Referral, referral_id)
    if referral is None:
        raise NotFound(f"Referral {referral_id} does not exist.")
    return referral


def _patient_for(s: Session, actor: Actor, referral_id: int, *, lock: bool = True) -> Patient:
    referral = _referral_for(s, actor, referral_id, action="change a patient's contact details")
    query = select(Patient).where(Patient.id == referral.patient_id)
    # FOR UPDATE on PostgreSQL (SQLite has one writer at a time anyway): two desks changing one
    # patient's numbers take turns, so "one preferred number" is decided on what is really there.
    return s.scalars(query.with_for_update() if lock else query).one()


def _phones(s: Session, patient_id: int) -> list[PatientPhone]:
    return list(
        s.scalars(
            select(PatientPhone)
            .where(PatientPhone.patient_id == patient_id)
            .order_by(*phone_order(PatientPhone))
        )
    )


def phone_order(phone: Any) -> list[Any]:
    """Numbers worth dialling first, the preferred one first of all, then as they were added."""
    out_of_use = case((phone.status == PhoneStatus.ACTIVE, 0), else_=1)
    return [out_of_use, phone.is_preferred.desc(), phone.id]


def _phone_of(s: Session, patient_id: int, phone_id: int) -> PatientPhone:
    phone = s.get(PatientPhone, phone_id)
    if phone is None or phone.patient_id != patient_id:
        raise NotFound("That phone number is no longer recorded for this patient: reopen the editor.")
    return phone


def _clear_preferred(s: Session, phones: list[PatientPhone]) -> None:
    # Flushed on its own, before the new preferred number is written: the unique index on
    # (patient, preferred) is checked row by row.
    for p in phones:
        p.is_preferred = False
    s.flush()


def _address_of(patient: Patient) -> Address:
    return Address(
        line1=patient.address_line1,
        line2=patient.address_line2,
        town=patient.town,
        county=patient.county,
        postcode=patient.postcode,
    )


def _details(s: Session, referral_id: int, patient: Patient) -> ContactDetails:
    phones = tuple(
        PhoneEntry(p.id, p.kind, p.number, p.status, p.is_preferred) for p in _phones(s, patient.id)
    )
    times = patient.preferred_contact_times
    return ContactDetails(referral_id, patient.id, phones, _address_of(patient), times)


def _tell_desks(s: Session, actor: Actor, patient_id: int) -> None:
    """Every referral of the patient, as changed: desks showing one of them reload it."""
    ids = list(s.scalars(select(Referral.id).where(Referral.patient_id == patient_id)))
    change_feed.record(s, "referral", ids, "update", actor.user_id)


__all__ = [
    "PHONE_KINDS",
    "Address",
    "ContactDetails",
    "ContactDetailsService",
    "PhoneEntry",
    "clean_address",
    "mark_wrong_number",
    "phone_order",
]
