"""The letter queue's statements, built once at import (see services/letter_queue.py and letter_inputs.py).

Queueing runs inside every booking: one joined SELECT reads the referral with its patient, GP
practice, service and the bookings a letter is about, and one INSERT ... RETURNING stores it.
Several tables have an address, a name, a town: every column is read as <prefix>_<column>.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Label, Table, bindparam, insert, select

from cras_desk.db.models import (
    Booking,
    ChoiceOffer,
    GpPractice,
    Letter,
    Patient,
    Referral,
    Service,
    Site,
    Slot,
)
from cras_desk.db.tables import table_of
from cras_desk.domain.enums import BookingStatus

referrals = table_of(Referral)
patients = table_of(Patient)
gps = table_of(GpPractice)
services = table_of(Service)
bookings = table_of(Booking)
slots = table_of(Slot)
sites = table_of(Site)
offers = table_of(ChoiceOffer)
letters = table_of(Letter)


def _labelled(prefix: str, table: Table, names: Sequence[str]) -> list[Label[Any]]:
    # Several tables have an address, a name, a town: every column is read as <prefix>_<column>.
    columns: list[Column[Any]] = [table.c[name] for name in names]
    return [column.label(f"{prefix}_{column.name}") for column in columns]


ABOUT_COLUMNS = [
    *_labelled(
        "r", referrals, ("id", "received_on", "priority", "failed_attempt_count", "utc_letter_sent_on")
    ),
    *_labelled("sv", services, ("name", "code")),
    *_labelled(
        "p",
        patients,
        (
            "title",
            "given_name",
            "family_name",
            "nhs_number",
            "date_of_birth",
            "address_line1",
            "address_line2",
            "town",
            "county",
            "postcode",
            "adjustments",
        ),
    ),
    *_labelled("g", gps, ("id", "name", "address_line1", "town", "postcode", "ods_code")),
]
SLOT_SITE_COLUMNS = [
    *_labelled("s", slots, ("starts_at", "duration_minutes", "clinician_type", "kind")),
    *_labelled(
        "st",
        sites,
        (
            "name",
            "address_line1",
            "address_line2",
            "town",
            "postcode",
            "phone",
            "step_free",
            "hearing_loop",
            "parking",
        ),
    ),
]
APPOINTMENT_COLUMNS = [
    *_labelled("b", bookings, ("id", "status", "rebooked_from_id", "interpreter_language")),
    *SLOT_SITE_COLUMNS,
]

_REFERRAL_ID = bindparam("referral_id", type_=referrals.c.id.type)
_ABOUT_FROM = (
    referrals.join(patients, patients.c.id == referrals.c.patient_id)
    .join(services, services.c.id == referrals.c.service_id)
    .outerjoin(gps, gps.c.id == patients.c.gp_practice_id)
)
ABOUT = select(*ABOUT_COLUMNS).select_from(_ABOUT_FROM).where(referrals.c.id == _REFERRAL_ID)

# The referral and up to two named bookings of it (a rebooking names two; one named booking is
# passed twice) in one row each; a booking that is not this referral's simply is not found.
ABOUT_WITH_BOOKINGS = (
    select(*ABOUT_COLUMNS, *APPOINTMENT_COLUMNS)
    .select_from(
        _ABOUT_FROM.outerjoin(
            bookings,
            (bookings.c.referral_id == referrals.c.id)
            & bookings.c.id.in_(
                [
                    bindparam("booking_1", type_=bookings.c.id.type),
                    bindparam("booking_2", type_=bookings.c.id.type),
                ]
            ),
        )
        .outerjoin(slots, slots.c.id == bookings.c.slot_id)
        .outerjoin(sites, sites.c.id == slots.c.site_id)
    )
    .where(referrals.c.id == _REFERRAL_ID)
)

_BOOKING_FROM = bookings.join(slots, slots.c.id == bookings.c.slot_id).join(
    sites, sites.c.id == slots.c.site_id
)
BOOKING_BY_ID = (
    select(*APPOINTMENT_COLUMNS)
    .select_from(_BOOKING_FROM)
    .where(
        bookings.c.id == bindparam("booking_id", type_=bookings.c.id.type),
        bookings.c.referral_id == _REFERRAL_ID,
    )
)
LIVE_BOOKING = (
    select(*APPOINTMENT_COLUMNS)
    .select_from(_BOOKING_FROM)
    .where(bookings.c.referral_id == _REFERRAL_ID, bookings.c.status == BookingStatus.BOOKED)
    .limit(1)
)

INSERT_LETTER = insert(letters).returning(letters.c.id)
