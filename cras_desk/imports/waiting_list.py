"""The open waiting list as CSV, in the shape of the weekly waiting-list return.

One row per open pathway (an open referral, booked or not), oldest clock first within each
service: NHS number, service (its code, as imports take it), RTT start (the day received),
completed weeks waited on the day of the return, priority, and the date of the live booking
if there is one. Streamed from the database, so 300,000 pathways never sit in memory at once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cras_desk.db.models import Booking, Patient, Referral, Service, Slot
from cras_desk.domain.clock import LONDON
from cras_desk.domain.enums import BookingStatus, Priority
from cras_desk.domain.rtt import RttClock

COLUMNS = ("nhs_number", "service", "rtt_start", "weeks_waited", "priority", "booked_date")
_BATCH = 5_000


def pathways(s: Session, today: date) -> Iterator[tuple[str, str, str, int, str, str]]:
    live = (
        select(Booking.referral_id, func.min(Slot.starts_at).label("starts_at"))
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.status == BookingStatus.BOOKED)
        .group_by(Booking.referral_id)
        .subquery()
    )
    query = (
        select(Patient.nhs_number, Service.code, Referral.received_on, Referral.priority, live.c.starts_at)
        .join(Patient, Patient.id == Referral.patient_id)
        .join(Service, Service.id == Referral.service_id)
        .outerjoin(live, live.c.referral_id == Referral.id)
        .where(Referral.is_open.is_(True))
        .order_by(Service.id, Referral.received_on, Referral.id)
        .execution_options(yield_per=_BATCH)
    )
    for nhs, code, received, priority, starts_at in s.execute(query):
        booked = starts_at.astimezone(LONDON).date().isoformat() if starts_at is not None else ""
        weeks = max(0, RttClock(received, Priority(priority)).weeks_waited(today))
        yield nhs, str(code), received.isoformat(), weeks, str(priority), booked


def write_csv(s: Session, today: date, out: TextIO) -> int:
    """Write the header and every pathway; returns how many pathways."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for row in pathways(s, today):
        writer.writerow(row)
        n += 1
    return n
