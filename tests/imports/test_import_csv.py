"""Referral CSV imports on both engines: good rows kept, bad rows named, nothing twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from import_files import days_ago, good_row, nhs, write_csv
from sqlalchemy import func, select

from cras_desk.db.models import AuditEvent, Change, Patient, PatientPhone, Referral, Service, Team
from cras_desk.domain import rtt
from cras_desk.domain.enums import Priority, ReferralStatus, ServiceCode
from cras_desk.domain.errors import PermissionDenied
from cras_desk.imports.service import ImportService


def count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_good_rows_become_open_referrals_of_new_patients(world, tmp_path: Path) -> None:
    rows = [good_row(0), good_row(1, service="650", priority="URGENT", team="west", phone_2="01273 960123")]
    path = write_csv(tmp_path / "in.csv", rows)
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)

    assert summary.counts() == {"rows": 2, "imported": 2, "updated": 0, "skipped": 0, "errors": 0}
    with world.db.read() as s:
        got = {
            r.source_ref: (r, p)
            for r, p in s.execute(
                select(Referral, Patient).join(Patient).where(Referral.source_ref.is_not(None))
            )
        }
        west = s.scalar(select(Team.id).where(Team.name == "West"))
        physio = s.scalar(select(Service.id).where(Service.code == ServiceCode.PHYSIOTHERAPY))
        second, patient = got["UBRN-000001"]
        phones = s.execute(
            select(PatientPhone.number, PatientPhone.is_preferred, PatientPhone.kind)
            .where(PatientPhone.patient_id == patient.id)
            .order_by(PatientPhone.id)
        ).all()
        feed = {tuple(row) for row in s.execute(select(Change.entity, Change.entity_id, Change.op))}
        audited = s.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "import_referral")).all()
    assert set(got) == {"UBRN-000000", "UBRN-000001"}
    received = days_ago(10)
    assert (second.service_id, second.priority, second.team_id, second.received_on) == (
        physio,
        Priority.URGENT,
        west,
        received,
    )
    assert second.breach_on == received + timedelta(days=14)
    assert second.status is ReferralStatus.AWAITING_CONTACT and second.is_open
    assert second.assigned_to is None and second.attempt_count == 0
    assert patient.nhs_number == nhs(1) and patient.given_key == "given1" and patient.postcode_key == "bn34ab"
    assert phones == [("07700 900001", True, "mobile"), ("01273 960123", False, "home")]
    assert ("referral", second.id, "insert") in feed and ("patient", patient.id, "insert") in feed
    assert sorted(audited) == sorted(r.id for r, _ in got.values())


def test_the_same_file_twice_adds_nothing(world, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(i) for i in range(5)])
    service = ImportService(world.db)
    service.import_referrals(world.actor("root"), path)
    before = (count(world.db, Referral), count(world.db, Patient), count(world.db, PatientPhone))
    again = service.import_referrals(world.actor("root"), path)
    assert again.counts() == {"rows": 5, "imported": 0, "updated": 0, "skipped": 5, "errors": 0}
    assert (count(world.db, Referral), count(world.db, Patient), count(world.db, PatientPhone)) == before


def test_duplicates_within_a_file(world, tmp_path: Path) -> None:
    rows = [good_row(0), good_row(0), good_row(1), good_row(1, priority="soon")]
    path = write_csv(tmp_path / "in.csv", rows)
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert summary.counts() == {"rows": 4, "imported": 2, "updated": 0, "skipped": 1, "errors": 1}
    [error] = summary.errors
    assert (error.where, error.field) == ("line 5", "referral_ref")
    assert "line 4" in error.message


def test_two_referrals_of_one_new_patient_make_one_patient(world, tmp_path: Path) -> None:
    rows = [good_row(0), good_row(0, referral_ref="OTHER-1", service="podiatry", given_name="Later")]
    path = write_csv(tmp_path / "in.csv", rows)
    patients = count(world.db, Patient)
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert (summary.imported, summary.updated) == (2, 0)
    assert count(world.db, Patient) == patients + 1
    with world.db.read() as s:
        assert s.scalar(select(Patient.given_name).where(Patient.nhs_number == nhs(0))) == "Later"


def test_an_existing_patient_is_updated_not_duplicated(world, tmp_path: Path) -> None:
    # 9990000018 is the world's Zoë Ó Súilleabháin, born 1950-05-17, at BN2 1AB with one phone.
    row = good_row(
        7,
        nhs_number="999 000 0018",
        given_name="Zoë",
        family_name="Married-Name",
        date_of_birth="17/05/1950",
        address_line1="2 New Street",
        postcode="bn11ab",
        town="Brighton",
        phone="07700 900120",  # held already
        phone_2="07700 900999",
        title="",
    )
    path = write_csv(tmp_path / "in.csv", [row])
    patients = count(world.db, Patient)
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert summary.counts() == {"rows": 1, "imported": 1, "updated": 1, "skipped": 0, "errors": 0}
    assert count(world.db, Patient) == patients
    with world.db.read() as s:
        p = s.scalars(select(Patient).where(Patient.nhs_number == "9990000018")).one()
        phones = s.execute(
            select(PatientPhone.number, PatientPhone.is_preferred).where(PatientPhone.patient_id == p.id)
        ).all()
        referrals = s.scalars(select(Referral.id).where(Referral.patient_id == p.id)).all()
        detail = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "import_referral")).one()
        feed = {tuple(row) for row in s.execute(select(Change.entity, Change.entity_id, Change.op))}
    assert (p.family_name, p.family_key, p.address_line1, p.postcode) == (
        "Married-Name",
        "marriedname",
        "2 New Street",
        "BN1 1AB",
    )
    assert p.title == "Ms"  # not given in the file: kept
    assert p.latitude is None and p.longitude is None  # moved: the old coordinates are dropped
    assert sorted(phones) == [("07700 900120", True), ("07700 900999", False)]
    assert len(referrals) == 2
    assert detail["patient"] == "updated"
    assert {"family_name", "address_line1", "postcode"} <= set(detail["changed"])
    assert ("patient", p.id, "update") in feed
    old = world.referrals["Ó Súilleabháin"]
    assert ("referral", old, "update") in feed  # desks showing the older referral reload it


def test_a_held_patient_with_another_birth_date_is_refused(world, tmp_path: Path) -> None:
    row = good_row(3, nhs_number="9990000018", date_of_birth="1950-05-18")
    path = write_csv(tmp_path / "in.csv", [row, good_row(4)])
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert summary.counts() == {"rows": 2, "imported": 1, "updated": 0, "skipped": 0, "errors": 1}
    assert [(e.where, e.field) for e in summary.errors] == [("line 2", "date_of_birth")]


def test_bad_rows_are_named_and_good_rows_kept(world, tmp_path: Path) -> None:
    rows = [
        good_row(0),
        good_row(1, nhs_number="9990000019", postcode="BN1 1CI", date_of_birth="31/02/1970"),
        good_row(2, service="dentistry", priority="whenever", received_on=days_ago(-3).isoformat()),
        good_row(3, gp_practice_ods="Z99999", team="North"),
        good_row(4, given_name="Ann\x00", triage_notes="ok\x07", phone="0900 123456"),
        good_row(5, received_on="1949-01-01", date_of_birth="1950-01-01", triaged_on="1948-01-01"),
        good_row(6),
    ]
    path = write_csv(tmp_path / "in.csv", rows)
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert summary.counts() == {"rows": 7, "imported": 2, "updated": 0, "skipped": 0, "errors": 5}
    named = {(e.where, e.field) for e in summary.errors}
    assert named == {
        ("line 3", "nhs_number"),
        ("line 3", "postcode"),
        ("line 3", "date_of_birth"),
        ("line 4", "service"),
        ("line 4", "priority"),
        ("line 4", "received_on"),
        ("line 5", "gp_practice_ods"),
        ("line 5", "team"),
        ("line 6", "given_name"),
        ("line 6", "triage_notes"),
        ("line 6", "phone"),
        ("line 7", "received_on"),
        ("line 7", "triaged_on"),
    }
    with world.db.read() as s:
        refs = set(s.scalars(select(Referral.source_ref).where(Referral.source_ref.is_not(None))))
    assert refs == {"UBRN-000000", "UBRN-000006"}


def test_dry_run_counts_alike_and_writes_nothing(world, tmp_path: Path) -> None:
    rows = [
        good_row(0),
        good_row(1, nhs_number="9990000018", date_of_birth="1950-05-17"),
        good_row(2, sex="?"),
    ]
    path = write_csv(tmp_path / "in.csv", rows)
    service = ImportService(world.db)
    before = (count(world.db, Referral), count(world.db, Patient), count(world.db, AuditEvent))
    dry = service.import_referrals(world.actor("root"), path, dry_run=True)
    assert (count(world.db, Referral), count(world.db, Patient), count(world.db, AuditEvent)) == before
    real = service.import_referrals(world.actor("root"), path)
    assert (
        dry.counts() == real.counts() == {"rows": 3, "imported": 2, "updated": 1, "skipped": 0, "errors": 1}
    )
    assert dry.dry_run and not real.dry_run


@pytest.mark.parametrize("who", ["lena", "amy"])
def test_only_an_admin_imports(world, tmp_path: Path, who: str) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(0)])
    with pytest.raises(PermissionDenied, match="administrator"):
        ImportService(world.db).import_referrals(world.actor(who), path)
    assert count(world.db, Referral) == len(world.referrals)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("", "header"),
        ("referral_ref,nhs_number\nA,9990000018\n", "header"),  # required columns missing
        (",".join(["postcde", *good_row(0)]) + "\n", "header"),  # an unknown column
    ],
)
def test_an_unusable_header_refuses_the_file(world, tmp_path: Path, content: str, field: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(content, encoding="utf-8")
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert [(e.where, e.field) for e in summary.errors] == [("file", field)]
    assert summary.imported == 0 and summary.refused == 1


def test_text_that_is_not_utf8_refuses_the_file(world, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(0)])
    path.write_bytes(path.read_bytes().replace(b"Testpatient", b"Testp\xe9tient"))
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert [(e.where, e.field) for e in summary.errors] == [("file", "encoding")]
    assert count(world.db, Referral) == len(world.referrals)


def test_a_row_of_the_wrong_length_is_refused_alone(world, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(0), good_row(1)])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("only,three,values\n\n")
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert summary.counts() == {"rows": 3, "imported": 2, "updated": 0, "skipped": 0, "errors": 1}
    assert [(e.where, e.field) for e in summary.errors] == [("line 4", "row")]


def test_a_byte_order_mark_and_uk_dates_are_read(world, tmp_path: Path) -> None:
    received = days_ago(20)
    path = write_csv(tmp_path / "in.csv", [good_row(0, received_on=received.strftime("%d/%m/%Y"))])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert summary.ok and summary.imported == 1
    with world.db.read() as s:
        r = s.scalars(select(Referral).where(Referral.source_ref == "UBRN-000000")).one()
    assert r.received_on == received
    assert r.breach_on == rtt.breach_date(received, Priority.ROUTINE)
