"""The slot finder: which places a referral can take, and what its patient's needs ask of them.

Every filter is SQL on the slots' finder index range (service, open, future): the advisor's
filters, a longer appointment's minimum length, and by default the patient's availability
(weekdays by the clinic's London calendar day, parts of the day by the slot's day_part). What
the availability hid is counted by the database too, so the advisor knows the toggle matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, and_, bindparam, extract, func, not_, select
from sqlalchemy.sql.elements import ColumnElement

from cras_desk.db.models import Booking, Clinic, Patient, Referral, Service, Site, Slot
from cras_desk.db.tables import table_of
from cras_desk.domain import input_rules
from cras_desk.domain.appointment_needs import AppointmentNeeds, Availability
from cras_desk.domain.clock import LONDON, today_london
from cras_desk.domain.enums import BookingStatus, ClinicianType, SlotKind, SlotStatus, TimeOfDay
from cras_desk.domain.errors import NotFound


@dataclass(frozen=True)
class SlotRow:
    slot_id: int
    site_id: int
    site_name: str
    starts_at: datetime
    duration_minutes: int
    clinician_type: ClinicianType
    kind: SlotKind
    capacity: int
    booked_count: int
    day_part: TimeOfDay

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.booked_count)


@dataclass(frozen=True)
class LiveBooking(SlotRow):
    """The referral's live booking: the slot as it is now, with the booking that holds a place in it."""

    booking_id: int
    booked_at: datetime
    interpreter_language: str | None  # as recorded on the booking when the place was taken


@dataclass(frozen=True)
class SlotQuery:
    site_ids: Sequence[int] = ()
    date_from: date | None = None  # London calendar days, inclusive
    date_to: date | None = None
    day_part: TimeOfDay | None = None
    clinician_type: ClinicianType | None = None
    limit: int = 200
    # The patient's stated availability filters by default; the advisor may look past it.
    ignore_availability: bool = False


@dataclass(frozen=True)
class SlotSearch:
    """What the slot list shows: the places, how many the availability hid, and the needs applied."""

    slots: list[SlotRow]
    hidden_by_availability: int
    needs: AppointmentNeeds
    availability_applied: bool


# A select of these columns is typed with an open tail (select(*columns) cannot be counted), and
# mypy then cannot count a row unpacked into SlotRow: rows are unpacked as the plain tuples they are.
SLOT_COLUMNS = (
    Slot.id,
    Slot.site_id,
    Site.name,
    Slot.starts_at,
    Slot.duration_minutes,
    Slot.clinician_type,
    Slot.kind,
    Slot.capacity,
    Slot.booked_count,
    Slot.day_part,
)


MAX_SLOTS = 1000  # far more than a slot list shows


def check_query(q: SlotQuery) -> None:
    """A search the finder can run: its days within reach (a year back to 2 years ahead), its
    list length bounded; ValidationError with a sentence otherwise."""
    input_rules.slot_search_dates(q.date_from, q.date_to, today_london())
    input_rules.whole_number(q.limit, "The number of slots to list", 1, MAX_SLOTS)
    for site_id in q.site_ids:
        input_rules.whole_number(site_id, "A site", 1, input_rules.MAX_ID)


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LONDON).astimezone(UTC)


# --- the patient's needs, read with the referral ------------------------------------------------

_referrals = table_of(Referral)
_patients = table_of(Patient)
_services = table_of(Service)

_NEEDS_OF = (
    select(
        _referrals.c.service_id,
        _patients.c.id,
        _patients.c.language,
        _patients.c.interpreter_needed,
        _patients.c.adjustments,
        _patients.c.unavailable_weekdays,
        _patients.c.available_day_parts,
        _patients.c.availability_note,
        _services.c.longer_appointment_minutes,
    )
    .select_from(
        _referrals.join(_patients, _patients.c.id == _referrals.c.patient_id).join(
            _services, _services.c.id == _referrals.c.service_id
        )
    )
    .where(_referrals.c.id == bindparam("n_referral", type_=_referrals.c.id.type))
)


def read_needs(conn: Connection, referral_id: int) -> tuple[int, AppointmentNeeds]:
    """(the referral's service id, its patient's needs) as they stand in this transaction."""
    row = conn.execute(_NEEDS_OF, {"n_referral": referral_id}).first()
    if row is None:
        raise NotFound(f"Referral {referral_id} does not exist.")
    availability = Availability.from_columns(
        row.unavailable_weekdays, row.available_day_parts, row.availability_note
    )
    needs = AppointmentNeeds.of(
        row.id,
        row.language,
        bool(row.interpreter_needed),
        row.adjustments,
        row.longer_appointment_minutes,
        availability,
    )
    return row.service_id, needs


# --- the finder's query -------------------------------------------------------------------------


def availability_condition(availability: Availability) -> ColumnElement[bool] | None:
    """The slots the patient can come to, in SQL (None: no restriction). A clinic is one London
    calendar day, so its date gives the weekday on both engines (EXTRACT dow: 0 = Sunday)."""
    conditions: list[ColumnElement[bool]] = []
    if availability.unavailable_weekdays:
        sql_days = sorted((d + 1) % 7 for d in availability.unavailable_weekdays)
        conditions.append(extract("dow", Clinic.clinic_date).not_in(sql_days))
    if availability.day_parts:
        conditions.append(Slot.day_part.in_(sorted(availability.day_parts)))
    return and_(*conditions) if conditions else None


def _bookable(
    referral_id: int, service_id: int, needs: AppointmentNeeds, q: SlotQuery, now: datetime
) -> list[ColumnElement[bool]]:
    # A group session this referral is already in is not a place it can take again.
    mine = select(Booking.slot_id).where(
        Booking.referral_id == referral_id, Booking.status == BookingStatus.BOOKED
    )
    where = [
        Slot.service_id == service_id,
        Slot.status == SlotStatus.OPEN,
        Slot.booked_count < Slot.capacity,
        Slot.starts_at > now,
        Slot.id.not_in(mine),
    ]
    if needs.min_minutes:
        # A longer appointment is a slot that long: the booking's conditional UPDATE checks it again.
        where.append(Slot.duration_minutes >= needs.min_minutes)
    if q.site_ids:
        where.append(Slot.site_id.in_(list(q.site_ids)))
    if q.date_from is not None:
        where.append(Slot.starts_at >= _london_midnight(q.date_from))
    if q.date_to is not None:
        where.append(Slot.starts_at < _london_midnight(q.date_to + timedelta(days=1)))
    if q.day_part is not None:
        where.append(Slot.day_part == q.day_part)
    if q.clinician_type is not None:
        where.append(Slot.clinician_type == q.clinician_type)
    return where


def search(
    conn: Connection, referral_id: int, q: SlotQuery, now: datetime, *, count_hidden: bool = True
) -> SlotSearch:
    service_id, needs = read_needs(conn, referral_id)
    where = _bookable(referral_id, service_id, needs, q, now)
    fits = None if q.ignore_availability else availability_condition(needs.availability)
    query = select(*SLOT_COLUMNS).join(Site, Site.id == Slot.site_id)
    if fits is not None:
        query = query.join(Clinic, Clinic.id == Slot.clinic_id).where(fits)
    query = query.where(*where).order_by(Slot.starts_at, Slot.id).limit(q.limit)
    rows = [SlotRow(*tuple(row)) for row in conn.execute(query)]
    hidden = 0
    if fits is not None and count_hidden:
        hidden = conn.execute(
            select(func.count())
            .select_from(Slot)
            .join(Clinic, Clinic.id == Slot.clinic_id)
            .where(*where, not_(fits))
        ).scalar_one()
    return SlotSearch(rows, hidden, needs, availability_applied=fits is not None)


def live_booking(conn: Connection, referral_id: int) -> LiveBooking | None:
    row = conn.execute(
        select(*SLOT_COLUMNS, Booking.id, Booking.booked_at, Booking.interpreter_language)
        .select_from(Booking)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Site, Site.id == Slot.site_id)
        .where(Booking.referral_id == referral_id, Booking.status == BookingStatus.BOOKED)
    ).first()
    return LiveBooking(*tuple(row)) if row is not None else None
