"""Extra people and slots for booking and choice tests, made directly with the ORM.

The small world has three referrals and one group slot; races and capacity tests need more.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from cras_desk.db.engine import Database
from cras_desk.db.models import Booking, Clinic, Patient, Referral, Service, Slot, Team, User
from cras_desk.domain import rtt
from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import (
    BookingStatus,
    ClinicianType,
    Priority,
    ReferralStatus,
    Role,
    ServiceCode,
    SlotKind,
    SlotStatus,
    TimeOfDay,
)
from cras_desk.services.actor import Actor
from cras_desk.services.auth import actor_of

LONDON = ZoneInfo("Europe/London")
_serial = itertools.count(1)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON).astimezone(UTC)


def make_advisors(db: Database, n: int, prefix: str = "adv") -> list[Actor]:
    tag = next(_serial)
    with db.write() as s:
        team_id = s.scalar(select(Team.id).where(Team.name == "East"))
        users = [
            User(
                username=f"{prefix}{tag}_{i}",
                full_name=f"Advisor {tag}-{i}",
                role=Role.ADVISOR,
                team_id=team_id,
                password_hash="x",  # never signs in: the tests act through Actor
            )
            for i in range(n)
        ]
        s.add_all(users)
        s.flush()
        return [actor_of(u) for u in users]


def make_referrals(
    db: Database,
    n: int,
    service: ServiceCode = ServiceCode.PHYSIOTHERAPY,
    adjustments: list[str] | None = None,
) -> list[int]:
    """n open, unassigned, unclaimed referrals, one patient each."""
    tag = next(_serial)
    today = today_london()
    with db.write() as s:
        service_id = s.scalar(select(Service.id).where(Service.code == service))
        team_id = s.scalar(select(Team.id).where(Team.name == "East"))
        base = 9_100_000_000 + tag * 10_000
        patients = [
            Patient(
                nhs_number=str(base + i),
                given_name="Test",
                family_name=f"Patient{tag}x{i}",
                family_key=f"patient{tag}x{i}",
                given_key="test",
                date_of_birth=date(1970, 1, 1),
                sex="female",
                address_line1="1 Test Road",
                town="Brighton",
                postcode="BN1 1AA",
                postcode_key="BN11AA",
                latitude=50.83,
                longitude=-0.13,
                adjustments=list(adjustments or []),
            )
            for i in range(n)
        ]
        s.add_all(patients)
        s.flush()
        referrals = [
            Referral(
                patient_id=p.id,
                service_id=service_id,
                received_on=today - timedelta(days=30),
                priority=Priority.ROUTINE,
                priority_rank=Priority.ROUTINE.rank,
                breach_on=rtt.breach_date(today - timedelta(days=30), Priority.ROUTINE),
                status=ReferralStatus.AWAITING_CONTACT,
                is_open=True,
                team_id=team_id,
            )
            for p in patients
        ]
        s.add_all(referrals)
        s.flush()
        return [r.id for r in referrals]


def make_slot(
    db: Database,
    site_id: int,
    service: ServiceCode,
    starts_at: datetime,
    capacity: int = 1,
    status: SlotStatus = SlotStatus.OPEN,
) -> int:
    with db.write() as s:
        service_id = s.scalar(select(Service.id).where(Service.code == service))
        kind = SlotKind.GROUP if capacity > 1 else SlotKind.ONE_TO_ONE
        clinic = Clinic(
            site_id=site_id,
            service_id=service_id,
            clinic_date=starts_at.astimezone(LONDON).date(),
            title="Test clinic",
            kind=kind,
        )
        s.add(clinic)
        s.flush()
        slot = Slot(
            clinic_id=clinic.id,
            site_id=site_id,
            service_id=service_id,
            clinician_type=ClinicianType.PSYCHOLOGIST
            if kind is SlotKind.GROUP
            else ClinicianType.PHYSIOTHERAPIST,
            starts_at=starts_at,
            duration_minutes=60,
            day_part=TimeOfDay.of_hour(starts_at.astimezone(LONDON).hour),
            kind=kind,
            capacity=capacity,
            booked_count=0,
            status=status,
        )
        s.add(slot)
        s.flush()
        return slot.id


def physio_slots(db: Database, site_id: int) -> list[int]:
    """The world's physio 1:1 slots at a site, soonest first."""
    with db.read() as s:
        return list(
            s.scalars(
                select(Slot.id)
                .join(Service, Service.id == Slot.service_id)
                .where(Slot.site_id == site_id, Service.code == ServiceCode.PHYSIOTHERAPY)
                .order_by(Slot.starts_at, Slot.id)
            )
        )


def group_slot(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(Slot.id).where(Slot.kind == SlotKind.GROUP).order_by(Slot.id).limit(1))


def move_slot(db: Database, slot_id: int, starts_at: datetime) -> None:
    """Put a slot somewhere else in time (to record outcomes of appointments that have happened)."""
    with db.write() as s:
        s.execute(update(Slot).where(Slot.id == slot_id).values(starts_at=starts_at))


def slot_state(db: Database, slot_id: int) -> tuple[int, SlotStatus, int]:
    """(booked_count, status, live bookings) for one slot."""
    with db.read() as s:
        count, status = s.execute(select(Slot.booked_count, Slot.status).where(Slot.id == slot_id)).one()
        live = s.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.slot_id == slot_id, Booking.status == BookingStatus.BOOKED)
        )
        return count, status, live
