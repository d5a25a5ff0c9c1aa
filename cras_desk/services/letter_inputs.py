"""What a queued letter says: its inputs, snapshotted from the records when it is queued.

Everything the letter says is snapshotted into Letter.inputs (see cras_desk/letters/compose.py
for the layout): the patient's name and address, the GP practice, the referral, and per kind the
options offered with their waits as recorded in the choice offer, the appointment, the
respond-by date. The printed letter then says what was true when it was queued, with two
exceptions made when it is printed (services/letter_posting.py): it goes to the address the
patient (or GP practice) has then, and an unable-to-contact letter's reply date counts from the
print day. Once printed, a reprint reproduces it exactly. The wording itself is frozen at the
first render (services/letters.py), so a wording fix still reaches letters waiting in the queue.

The records are read as plain Core rows: one joined SELECT of the referral with its patient, GP
practice, service and the bookings the letter is about (services/letter_statements.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, select
from sqlalchemy.orm import Session

from cras_desk.db.models import Letter
from cras_desk.domain.clock import to_london
from cras_desk.domain.contact_policy import ContactPolicy
from cras_desk.domain.enums import AdjustmentFlag, BookingStatus, LetterKind, LetterStatus
from cras_desk.domain.errors import NotFound, ValidationError
from cras_desk.domain.offer_snapshot import read_offer
from cras_desk.services import letter_statements as sql

INPUTS_VERSION = 1
GP = "gp"
PATIENT = "patient"

_BOOKING_KINDS = (LetterKind.APPOINTMENT, LetterKind.CANCELLED, LetterKind.REBOOKED)


class Snapshot(NamedTuple):
    inputs: dict[str, Any]
    large_print: bool  # the patient asked for large print


def current_addressees(conn: Connection, referral_id: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The patient and their GP practice as the records stand now, shaped as in a snapshot."""
    about = conn.execute(sql.ABOUT, {"referral_id": referral_id}).first()
    if about is None:
        raise NotFound(f"Referral {referral_id} does not exist.")
    return _patient(about), _gp(about)


def snapshot(
    session: Session, referral_id: int, kind: LetterKind, extra: dict[str, Any] | None, recipient: str
) -> dict[str, Any]:
    """Everything the letter will say, as it stands now (the caller's extra ids pick the records)."""
    return take_snapshot(session, referral_id, LetterKind(kind), extra, recipient).inputs


def complete_inputs(session: Session, letter: Letter) -> None:
    """Give a letter queued without a snapshot (bulk-loaded demo data, say) one from the records now.

    Such rows carry only the referral id; the records they are about are found the way the
    workflows would have named them: the referral's latest offer, its latest booking of the
    right kind, the reply date the contact policy gives from the letter's date.
    """
    if letter.inputs.get("v") is not None:
        return
    extra = dict(letter.inputs)
    kind = letter.kind
    session.flush()  # the Core reads below see what this session has changed
    conn = session.connection()
    if kind in _BOOKING_KINDS and "booking_id" not in extra:
        extra["booking_id"] = _latest_booking_id(conn, letter.referral_id, kind)
    if kind is LetterKind.UNABLE_TO_CONTACT and "respond_by" not in extra:
        sent = conn.execute(
            select(sql.referrals.c.utc_letter_sent_on).where(sql.referrals.c.id == letter.referral_id)
        ).scalar()
        sent = sent or to_london(letter.created_at).date()
        extra["respond_by"] = ContactPolicy().respond_by(sent).isoformat()
    letter.inputs = snapshot(session, letter.referral_id, kind, extra, letter.recipient)


def take_snapshot(
    session: Session, referral_id: int, kind: LetterKind, extra: dict[str, Any] | None, recipient: str
) -> Snapshot:
    """The inputs, read now, and whether the patient asked for large print."""
    # The workflow may have changed ORM objects it has not flushed yet (contact sets the attempt
    # counts before queueing); what the letter says must include them. A clean session costs nothing.
    session.flush()
    conn = session.connection()
    extra = jsonable(dict(extra or {}))
    wanted = _named_bookings(kind, extra)
    if wanted:
        rows = conn.execute(
            sql.ABOUT_WITH_BOOKINGS,
            {"referral_id": referral_id, "booking_1": wanted[0], "booking_2": wanted[-1]},
        ).all()
        by_id = {row.b_id: row for row in rows if row.b_id is not None}
        found: dict[int, Row[Any] | None] = {b: by_id.get(b) for b in wanted}
        about = rows[0] if rows else None
    else:
        about = conn.execute(sql.ABOUT, {"referral_id": referral_id}).first()
        found = {}
    if about is None:
        raise NotFound(f"Referral {referral_id} does not exist.")
    return snapshot_from_rows(conn, about, found, kind, extra, recipient)


def snapshot_from_rows(
    conn: Connection,
    about: Row[Any],
    found: dict[int, Row[Any] | None],
    kind: LetterKind,
    extra: dict[str, Any],
    recipient: str,
) -> Snapshot:
    """The inputs from the referral's row (and the named bookings' rows already read), and whether
    the patient asked for large print. extra is as jsonable() makes it."""
    inputs: dict[str, Any] = {
        **extra,
        "v": INPUTS_VERSION,
        "referral_id": about.r_id,
        "patient": _patient(about),
        "gp": _gp(about),
        "referral": {
            "service": about.sv_name,
            "service_code": about.sv_code.value,
            "received_on": about.r_received_on.isoformat(),
            "priority": about.r_priority.value,
            "failed_attempts": about.r_failed_attempt_count or 0,
            "utc_letter_sent_on": _iso(about.r_utc_letter_sent_on),
        },
    }
    if recipient == GP and inputs["gp"] is None:
        raise ValidationError(
            "No GP practice is recorded for this patient, so the GP's copy cannot be addressed. "
            "Add the practice to the patient's record first."
        )
    inputs |= _kind_inputs(conn, about, kind, extra, found)
    return Snapshot(inputs, AdjustmentFlag.LARGE_PRINT.value in (about.p_adjustments or []))


def _named_bookings(kind: LetterKind, extra: Mapping[str, Any]) -> list[int]:
    """The bookings the caller named, read in the same SELECT as the referral."""
    if kind not in _BOOKING_KINDS:
        return []
    names = ("booking_id", "previous_booking_id") if kind is LetterKind.REBOOKED else ("booking_id",)
    return [int(extra[name]) for name in names if extra.get(name) is not None]


def _latest_booking_id(conn: Connection, referral_id: int, kind: LetterKind) -> int | None:
    b = sql.bookings.c
    query = select(b.id).where(b.referral_id == referral_id)
    if kind is LetterKind.CANCELLED:
        query = query.where(b.status.in_([BookingStatus.CANCELLED_PATIENT, BookingStatus.CANCELLED_PROVIDER]))
    elif kind is LetterKind.REBOOKED:
        query = query.where(b.rebooked_from_id.is_not(None))
    return conn.execute(query.order_by(b.booked_at.desc(), b.id.desc()).limit(1)).scalar()


def _kind_inputs(
    conn: Connection,
    about: Row[Any],
    kind: LetterKind,
    extra: dict[str, Any],
    found: dict[int, Row[Any] | None],
) -> dict[str, Any]:
    referral_id: int = about.r_id
    if kind is LetterKind.CHOICE:
        return {"choice_offer": _choice_offer(conn, referral_id, extra.get("choice_offer_id"))}
    if kind is LetterKind.APPOINTMENT:
        return {"appointment": _appointment(_booking(conn, referral_id, found, extra.get("booking_id")))}
    if kind is LetterKind.CANCELLED:
        booking = _booking(conn, referral_id, found, extra.get("booking_id"), live=False)
        if "by_patient" in extra:
            by = "patient" if extra["by_patient"] else "provider"
        else:
            by = "provider" if booking.b_status is BookingStatus.CANCELLED_PROVIDER else "patient"
        return {"appointment": _appointment(booking), "cancelled_by": by}
    if kind is LetterKind.REBOOKED:
        booking = _booking(conn, referral_id, found, extra.get("booking_id"))
        previous_id = extra.get("previous_booking_id") or booking.b_rebooked_from_id
        if previous_id is None:
            raise ValidationError("A rebooking letter needs the appointment it replaces.")
        previous = _booking(conn, referral_id, found, previous_id, live=False)
        return {"appointment": _appointment(booking), "previous_appointment": _appointment(previous)}
    if kind is LetterKind.UNABLE_TO_CONTACT:
        respond_by = extra.get("respond_by")
        if not respond_by:
            raise ValidationError("An unable-to-contact letter needs the date the patient must reply by.")
        return {"respond_by": date.fromisoformat(str(respond_by)).isoformat()}
    if kind in (LetterKind.DISCHARGE, LetterKind.DISCHARGE_GP_COPY):
        return {"discharge": _discharge(conn, about, extra)}
    return {}


def jsonable(value: Any) -> Any:
    """The value as JSON stores it: string keys, lists, ISO dates, enums by value."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _patient(row: Row[Any]) -> dict[str, Any]:
    address = [row.p_address_line1, row.p_address_line2, row.p_town, row.p_county, row.p_postcode]
    return {
        "title": row.p_title,
        "given_name": row.p_given_name,
        "family_name": row.p_family_name,
        "nhs_number": row.p_nhs_number,
        "date_of_birth": row.p_date_of_birth.isoformat(),
        "address": [line.strip() for line in address if line and line.strip()],
    }


def _gp(row: Row[Any]) -> dict[str, Any] | None:
    if row.g_id is None:
        return None
    return {
        "name": row.g_name,
        "address": [line for line in (row.g_address_line1, row.g_town, row.g_postcode) if line],
        "ods_code": row.g_ods_code,
    }


def _choice_offer(conn: Connection, referral_id: int, offer_id: int | None) -> dict[str, Any]:
    o = sql.offers.c
    query = select(o.id, o.referral_id, o.offered_at, o.options)
    if offer_id is not None:
        query = query.where(o.id == int(offer_id))
    else:
        query = query.where(o.referral_id == referral_id).order_by(o.offered_at.desc(), o.id.desc()).limit(1)
    offer = conn.execute(query).first()
    if offer is None or offer.referral_id != referral_id:
        raise NotFound("The choice offer this letter should list was not found for this referral.")
    options = []
    # As the advisor read it out: the snapshot the choice service recorded, never today's waits;
    # read (and checked) as the choice service reads it, whichever version stored it.
    for opt in read_offer(offer.options):
        options.append(
            {
                "site_id": opt.site_id,
                "site_name": opt.site_name,
                "address": [part for part in (opt.address, opt.postcode) if part],
                "wait_weeks": opt.wait_weeks,
                "wait_as_of": opt.wait_as_of.isoformat() if opt.wait_as_of else None,
                "step_free": opt.step_free,
                "hearing_loop": opt.hearing_loop,
                "parking": opt.parking,
            }
        )
    return {
        "offer_id": offer.id,
        "offered_on": to_london(offer.offered_at).date().isoformat(),
        "options": options,
    }


def _booking(
    conn: Connection,
    referral_id: int,
    found: dict[int, Row[Any] | None],
    booking_id: int | None,
    live: bool = True,
) -> Row[Any]:
    """The booking with its slot and site: from the snapshot's SELECT if the caller named it, else
    looked up now (a rebooking's predecessor found through the booking, a live booking by referral)."""
    if booking_id is not None:
        key = int(booking_id)
        if key in found:
            row = found[key]
        else:
            row = conn.execute(sql.BOOKING_BY_ID, {"referral_id": referral_id, "booking_id": key}).first()
    elif live:
        row = conn.execute(sql.LIVE_BOOKING, {"referral_id": referral_id}).first()
    else:
        row = None
    if row is None:
        raise NotFound("The appointment this letter is about was not found for this referral.")
    return row


def _appointment(row: Row[Any]) -> dict[str, Any]:
    starts = to_london(row.s_starts_at)
    return {
        "booking_id": row.b_id,
        "starts_local": starts.replace(tzinfo=None).isoformat(timespec="minutes"),
        "duration_minutes": row.s_duration_minutes,
        "clinician_type": row.s_clinician_type.value,
        "slot_kind": row.s_kind.value,
        "site_name": row.st_name,
        "site_address": [
            line
            for line in (row.st_address_line1, row.st_address_line2, row.st_town, row.st_postcode)
            if line
        ],
        "site_phone": row.st_phone,
        # The interpreter booked for this appointment (None: none needed), as the booking recorded it.
        "interpreter_language": row.b_interpreter_language,
        "step_free": row.st_step_free,
        "hearing_loop": row.st_hearing_loop,
        "parking": row.st_parking,
    }


def _discharge(conn: Connection, about: Row[Any], extra: dict[str, Any]) -> dict[str, Any]:
    # The reply date the patient was given is on the unable-to-contact letter, if one was sent.
    lt = sql.letters.c
    utc_inputs = conn.execute(
        select(lt.inputs)
        .where(
            lt.referral_id == about.r_id,
            lt.kind == LetterKind.UNABLE_TO_CONTACT,
            lt.status == LetterStatus.PRINTED,  # a withdrawn or unposted letter gave the patient no date
        )
        .order_by(lt.id.desc())
        .limit(1)
    ).scalar()
    path = extra.get("discharge_path") or extra.get("path")
    if path not in ("declined", "unable_to_contact"):
        path = "unable_to_contact" if about.r_utc_letter_sent_on else "other"
    return {
        "reason": path,
        "advisor_reason": extra.get("reason"),
        "utc_letter_sent_on": _iso(about.r_utc_letter_sent_on),
        "respond_by": (utc_inputs or {}).get("respond_by"),
    }
