"""The patient and referral pane: everything an advisor needs on one screen during a call.

Opening a record is a read of patient-identifiable data, so every call is audited ("view", with the
patient id) in the same transaction that read it: the trail cannot miss a view that happened. The
record is returned only after that transaction commits, so a read whose commit failed showed
nothing and leaves no row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from cras_desk.db.engine import Database
from cras_desk.db.models import (
    Assignment,
    Booking,
    ChoiceOffer,
    ContactAttempt,
    GpPractice,
    Letter,
    Patient,
    PatientPhone,
    Referral,
    ReferralNote,
    Service,
    Site,
    Slot,
    User,
)
from cras_desk.domain.clock import LONDON, to_london, today_london, utcnow
from cras_desk.domain.enums import (
    AdjustmentFlag,
    BookingStatus,
    ContactChannel,
    ContactOutcome,
    LetterKind,
    LetterStatus,
    PhoneStatus,
    Priority,
    ReferralStatus,
    ServiceCode,
)
from cras_desk.domain.errors import NotFound
from cras_desk.domain.rtt import RttClock
from cras_desk.services import access, audit
from cras_desk.services.actor import Actor
from cras_desk.services.contact_details import phone_order


@dataclass(frozen=True)
class PhoneNumber:
    kind: str  # mobile / home / work
    number: str
    preferred: bool
    status: PhoneStatus = PhoneStatus.ACTIVE  # a wrong or unused number is listed last, marked
    phone_id: int | None = None


@dataclass(frozen=True)
class HistoryItem:
    at: datetime  # aware UTC
    kind: str  # attempt / choice / booking / letter / assignment / referral / note
    summary: str
    by: str | None  # the user's full name; None for events from outside (the referral itself)


@dataclass(frozen=True)
class BookingSummary:
    booking_id: int
    slot_id: int
    starts_at: datetime
    site_name: str
    status: BookingStatus


@dataclass(frozen=True)
class PatientRecord:
    referral_id: int
    patient_id: int
    nhs_number: str
    title: str | None
    given_name: str
    family_name: str
    date_of_birth: date
    age: int
    sex: str
    address_lines: list[str]  # without the postcode
    postcode: str
    email: str | None
    phones: list[PhoneNumber]  # numbers in use first, the preferred one first of all
    preferred_contact_times: str | None
    language: str
    interpreter_needed: bool
    adjustments: list[AdjustmentFlag]
    adjustments_note: str | None
    gp_practice: str | None
    service: ServiceCode
    service_name: str
    priority: Priority
    received_on: date
    triage_notes: str | None
    triaged_by: str | None
    referrer: str | None
    status: ReferralStatus
    assigned_to_name: str | None
    claimed_by_name: str | None  # only while the claim is live
    rtt: RttClock
    attempt_count: int
    failed_attempt_count: int
    next_action_at: datetime | None
    live_booking: BookingSummary | None
    history: list[HistoryItem]  # newest first


def age_on(born: date, today: date) -> int:
    """Completed years; someone born on 29 February turns a year older on 1 March."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _when(moment: datetime) -> str:
    """London wall-clock time as an advisor reads it to a patient: "Tue 14 Apr 2026 09:30"."""
    return to_london(moment).strftime("%a %d %b %Y %H:%M")


def _words(value: str) -> str:
    return value.replace("_", " ")


_OUTCOME_TEXT = {
    ContactOutcome.SPOKE: "spoke to the patient",
    ContactOutcome.NO_ANSWER: "no answer",
    ContactOutcome.VOICEMAIL: "left a voicemail",
    ContactOutcome.WRONG_NUMBER: "wrong number",
    ContactOutcome.BUSY: "line busy",
    ContactOutcome.DECLINED: "patient declined",
    ContactOutcome.CALLBACK_REQUESTED: "patient asked to be called back",
}
_CHANNEL_TEXT = {
    ContactChannel.PHONE: "Phone call",
    ContactChannel.SMS: "Text message",
    ContactChannel.EMAIL: "E-mail",
    ContactChannel.LETTER: "Letter",
}
_BOOKING_END_TEXT = {
    BookingStatus.CANCELLED_PATIENT: "Appointment cancelled by the patient",
    BookingStatus.CANCELLED_PROVIDER: "Appointment cancelled by the provider",
    BookingStatus.REBOOKED: "Appointment moved to a new booking",
    BookingStatus.DNA: "Patient did not attend",
    BookingStatus.ATTENDED: "Patient attended",
}
_DECISION_TEXT = {"time_to_think": "patient wants time to think", "declined": "patient declined choice"}
# Same moment, several events (e.g. a booking and its letter): show the cause above its effect.
_KIND_RANK = {"referral": 0, "assignment": 1, "attempt": 2, "choice": 3, "booking": 4, "letter": 5, "note": 6}


class PatientRecordService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def open(self, actor: Actor, referral_id: int) -> PatientRecord:
        """The whole pane for one referral; audited as a view of the patient's record."""
        now = utcnow()
        claimer = aliased(User, name="claimer")
        assignee = aliased(User, name="assignee")
        with self.db.write() as s:
            actor = access.for_referral(s, actor, referral_id)
            # On PostgreSQL the database writes the view's audit row itself, in the statement that
            # finds the patient (migration 0011: cras_read_full_record, bounded by the caller's
            # row-level security); SQLite's single user gets the service-written row below.
            postgresql = s.get_bind().dialect.name == "postgresql"
            if (
                postgresql
                and s.scalar(select(func.cras_read_full_record(referral_id, actor.user_id))) is None
            ):
                raise NotFound(f"Referral {referral_id} does not exist.")
            found = s.execute(
                select(Referral, Patient, Service, GpPractice, assignee.full_name, claimer.full_name)
                .join(Patient, Patient.id == Referral.patient_id)
                .join(Service, Service.id == Referral.service_id)
                .outerjoin(GpPractice, GpPractice.id == Patient.gp_practice_id)
                .outerjoin(assignee, assignee.id == Referral.assigned_to)
                .outerjoin(claimer, and_(claimer.id == Referral.claimed_by, Referral.claimed_until > now))
                .where(Referral.id == referral_id)
            ).first()
            if found is None:
                raise NotFound(f"Referral {referral_id} does not exist.")
            ref, patient, service, gp, assigned_name, claimer_name = found
            phones = [
                PhoneNumber(ph.kind, ph.number, ph.is_preferred, ph.status, ph.id)
                for ph in s.scalars(
                    select(PatientPhone)
                    .where(PatientPhone.patient_id == patient.id)
                    .order_by(*phone_order(PatientPhone))
                )
            ]
            record = PatientRecord(
                referral_id=ref.id,
                patient_id=patient.id,
                nhs_number=patient.nhs_number,
                title=patient.title,
                given_name=patient.given_name,
                family_name=patient.family_name,
                date_of_birth=patient.date_of_birth,
                age=age_on(patient.date_of_birth, today_london()),
                sex=patient.sex,
                address_lines=[
                    line
                    for line in (patient.address_line1, patient.address_line2, patient.town, patient.county)
                    if line
                ],
                postcode=patient.postcode,
                email=patient.email,
                phones=phones,
                preferred_contact_times=patient.preferred_contact_times,
                language=patient.language,
                interpreter_needed=patient.interpreter_needed,
                adjustments=_adjustments(patient.adjustments),
                adjustments_note=patient.adjustments_note,
                gp_practice=f"{gp.name} ({gp.ods_code})" if gp is not None else None,
                service=service.code,
                service_name=service.name,
                priority=ref.priority,
                received_on=ref.received_on,
                triage_notes=ref.triage_notes,
                triaged_by=ref.triaged_by,
                referrer=ref.referrer,
                status=ref.status,
                assigned_to_name=assigned_name,
                claimed_by_name=claimer_name,
                rtt=RttClock(ref.received_on, ref.priority),
                attempt_count=ref.attempt_count,
                failed_attempt_count=ref.failed_attempt_count,
                next_action_at=ref.next_action_at,
                live_booking=_live_booking(s, ref.id),
                history=_history(s, ref),
            )
            if not postgresql:
                audit.record(s, actor, "view", "referral", ref.id, patient.id)
        return record

    def other_referrals(
        self, actor: Actor, patient_id: int
    ) -> list[tuple[int, ServiceCode, ReferralStatus, date]]:
        """Every referral of the patient, newest first, the open one included (audited)."""
        with self.db.write() as s:
            actor = access.for_patient(s, actor, patient_id)
            rows = [
                (rid, code, status, received)
                for rid, code, status, received in s.execute(
                    select(Referral.id, Service.code, Referral.status, Referral.received_on)
                    .join(Service, Service.id == Referral.service_id)
                    .where(Referral.patient_id == patient_id)
                    .order_by(Referral.received_on.desc(), Referral.id.desc())
                )
            ]
            # Which services a patient is referred to says something about their health.
            audit.record(s, actor, "view_referrals", "patient", patient_id, patient_id)
        return rows


def _adjustments(stored: list[str] | None) -> list[AdjustmentFlag]:
    known = {flag.value for flag in AdjustmentFlag}
    # A flag written by a newer desk is kept out rather than crashing the pane of an older one.
    return [AdjustmentFlag(v) for v in stored or [] if v in known]


def _live_booking(s: Session, referral_id: int) -> BookingSummary | None:
    found = s.execute(
        select(Booking.id, Slot.id, Slot.starts_at, Site.name, Booking.status)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Site, Site.id == Slot.site_id)
        .where(Booking.referral_id == referral_id, Booking.status == BookingStatus.BOOKED)
    ).first()
    if found is None:
        return None
    return BookingSummary(found[0], found[1], found[2], found[3], found[4])


def _history(s: Session, ref: Referral) -> list[HistoryItem]:
    items: list[tuple[datetime, int, int, HistoryItem]] = []  # (at, kind rank, id) orders ties

    def add(at: datetime, kind: str, row_id: int, summary: str, by: str | None) -> None:
        items.append((at, _KIND_RANK[kind], row_id, HistoryItem(at, kind, summary, by)))

    received_at = datetime.combine(ref.received_on, time(0, 0), LONDON).astimezone(UTC)
    add(received_at, "referral", ref.id, _referral_text(ref), None)

    for a, by in s.execute(
        select(ContactAttempt, User.full_name)
        .join(User, User.id == ContactAttempt.user_id)
        .where(ContactAttempt.referral_id == ref.id)
    ):
        add(a.at, "attempt", a.id, _attempt_text(a), by)

    for c, by, site in s.execute(
        select(ChoiceOffer, User.full_name, Site.name)
        .join(User, User.id == ChoiceOffer.user_id)
        .outerjoin(Site, Site.id == ChoiceOffer.chosen_site_id)
        .where(ChoiceOffer.referral_id == ref.id)
    ):
        add(c.offered_at, "choice", c.id, _choice_text(c, site), by)

    booker = aliased(User, name="booker")
    ender = aliased(User, name="ender")
    for b, starts_at, site, booked_by, ended_by in s.execute(
        select(Booking, Slot.starts_at, Site.name, booker.full_name, ender.full_name)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Site, Site.id == Slot.site_id)
        .join(booker, booker.id == Booking.booked_by)
        .outerjoin(ender, ender.id == Booking.ended_by)
        .where(Booking.referral_id == ref.id)
    ):
        add(b.booked_at, "booking", b.id, f"Booked {site}, {_when(starts_at)}", booked_by)
        if b.status is not BookingStatus.BOOKED and b.ended_at is not None:
            text = f"{_BOOKING_END_TEXT[b.status]} ({site}, {_when(starts_at)})"
            add(b.ended_at, "booking", b.id, text + (f": {b.reason}" if b.reason else ""), ended_by)

    for letter, by in s.execute(
        select(Letter, User.full_name)
        .join(User, User.id == Letter.created_by)
        .where(Letter.referral_id == ref.id)
    ):
        add(letter.created_at, "letter", letter.id, _letter_text(letter), by)

    from_user = aliased(User, name="from_user")
    to_user = aliased(User, name="to_user")
    by_user = aliased(User, name="by_user")
    for move, from_name, to_name, by in s.execute(
        select(Assignment, from_user.full_name, to_user.full_name, by_user.full_name)
        .outerjoin(from_user, from_user.id == Assignment.from_user_id)
        .outerjoin(to_user, to_user.id == Assignment.to_user_id)
        .join(by_user, by_user.id == Assignment.by_user_id)
        .where(Assignment.referral_id == ref.id)
    ):
        text = f"Reassigned from {from_name or 'nobody'} to {to_name or 'nobody (team pool)'}"
        add(move.at, "assignment", move.id, text + (f": {move.reason}" if move.reason else ""), by)

    for note, by in s.execute(
        select(ReferralNote, User.full_name)
        .join(User, User.id == ReferralNote.user_id)
        .where(ReferralNote.referral_id == ref.id)
    ):
        add(note.at, "note", note.id, f"Note: {note.text}", by)

    items.sort(key=lambda item: item[:3], reverse=True)
    return [item[3] for item in items]


def _referral_text(ref: Referral) -> str:
    who = f" from {ref.referrer}" if ref.referrer else ""
    triage = f", triaged {ref.priority.value} by {ref.triaged_by}" if ref.triaged_by else ""
    return f"Referral received{who}{triage}"


def _attempt_text(a: ContactAttempt) -> str:
    text = f"{_CHANNEL_TEXT[a.channel]}: {_OUTCOME_TEXT[a.outcome]}"
    if a.number_used:
        text += f" ({a.number_used})"
    if a.callback_at is not None:
        text += f"; call back {_when(a.callback_at)}"
    if a.notes:
        text += f" - {a.notes}"
    return text


def _choice_text(c: ChoiceOffer, chosen_site: str | None) -> str:
    n = len(c.options or [])
    offered = f"Choice offered ({n} option{'s' if n != 1 else ''})"
    if c.decision == "chosen":
        outcome = f"chose {chosen_site}" if chosen_site else "choice made"
    else:
        outcome = _DECISION_TEXT.get(c.decision, _words(c.decision))
    text = f"{offered}: {outcome}"
    return text + (f" - {c.sdm_notes}" if c.sdm_notes else "")


def _letter_text(letter: Letter) -> str:
    kind = {
        LetterKind.UNABLE_TO_CONTACT: "Unable-to-contact",
        LetterKind.DISCHARGE_GP_COPY: "Discharge (GP copy)",
    }.get(letter.kind, _words(letter.kind.value).capitalize())
    to = "GP" if letter.recipient == "gp" else letter.recipient
    state = {
        LetterStatus.QUEUED: "queued",
        LetterStatus.PRINTED: f"printed {_when(letter.printed_at)}" if letter.printed_at else "printed",
        LetterStatus.CANCELLED: "cancelled",
        LetterStatus.WITHDRAWN: f"withdrawn: {letter.withdrawn_reason or 'superseded'}",
    }[letter.status]
    large = ", large print" if letter.large_print else ""
    return f"{kind} letter to {to}{large}: {state}"
