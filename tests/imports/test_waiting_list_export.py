"""The waiting-list export: one row per open pathway, in the weekly return's columns."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from cras_desk.db.models import AuditEvent, Booking, Patient, Referral, Service, Slot
from cras_desk.domain.clock import LONDON, today_london
from cras_desk.domain.enums import BookingStatus, ReferralStatus
from cras_desk.domain.errors import PermissionDenied
from cras_desk.imports.service import ImportService


def test_every_open_pathway_once_with_weeks_and_booking(world, tmp_path: Path) -> None:
    today = today_london()
    smith, nowak = world.referrals["Smith"], world.referrals["Nowak"]
    with world.db.write() as s:
        s.execute(
            update(Referral)
            .where(Referral.id == smith)
            .values(status=ReferralStatus.DISCHARGED, is_open=False)
        )
        slot = s.scalars(
            select(Slot).where(Slot.starts_at > datetime.now(UTC)).order_by(Slot.starts_at)
        ).first()
        assert slot is not None
        s.add(Booking(referral_id=nowak, slot_id=slot.id, status=BookingStatus.BOOKED, booked_by=1))
        s.execute(update(Referral).where(Referral.id == nowak).values(status=ReferralStatus.BOOKED))
        booked_day = slot.starts_at.astimezone(LONDON).date()
        # Written separately from the export's query: the expected rows straight from the tables.
        expected = {}
        rows = s.execute(
            select(Referral.id, Patient.nhs_number, Service.code, Referral.received_on, Referral.priority)
            .join(Patient, Patient.id == Referral.patient_id)
            .join(Service, Service.id == Referral.service_id)
            .where(Referral.status.not_in([ReferralStatus.DISCHARGED, ReferralStatus.COMPLETED]))
        )
        for rid, number, code, received, priority in rows:
            weeks = 0
            while received + timedelta(days=7 * (weeks + 1)) <= today:
                weeks += 1
            booked = booked_day.isoformat() if rid == nowak else ""
            expected[number] = [number, str(code), received.isoformat(), str(weeks), str(priority), booked]
    out = tmp_path / "waiting-list.csv"
    n = ImportService(world.db).export_waiting_list(world.actor("lena"), out)
    with out.open(newline="", encoding="utf-8") as handle:
        header, *body = list(csv.reader(handle))
    assert header == ["nhs_number", "service", "rtt_start", "weeks_waited", "priority", "booked_date"]
    assert n == len(body) == len(world.referrals) - 1
    assert {row[0]: row for row in body} == expected
    assert [row[2] for row in body if row[1] == "physio"] == sorted(
        row[2] for row in body if row[1] == "physio"
    )
    with world.db.read() as s:
        assert s.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "export_waiting_list")
        ).one() == {
            "rows": n,
            "as_of": today.isoformat(),
        }


def test_an_advisor_cannot_export(world, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied):
        ImportService(world.db).export_waiting_list(world.actor("amy"), tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
