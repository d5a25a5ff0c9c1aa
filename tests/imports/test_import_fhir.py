"""FHIR Bundle imports on both engines: the code mapping, and resources with missing or wrong fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_files import days_ago, nhs, patient_resource, request_resource, write_bundle
from sqlalchemy import select

from cras_desk.db.models import Patient, PatientPhone, Referral, Service
from cras_desk.domain.enums import Priority, ServiceCode
from cras_desk.imports.fhir_referrals import TRIAGE_PRIORITY_URL
from cras_desk.imports.service import ImportService


def imported(db) -> dict[str, tuple[ServiceCode, Priority, str]]:
    with db.read() as s:
        rows = s.execute(
            select(Referral.source_ref, Service.code, Referral.priority, Patient.nhs_number)
            .join(Service, Service.id == Referral.service_id)
            .join(Patient, Patient.id == Referral.patient_id)
            .where(Referral.source_ref.is_not(None))
        )
        return {ref: (code, priority, number) for ref, code, priority, number in rows}


def test_a_bundle_maps_codes_to_the_six_services(world, tmp_path: Path) -> None:
    codes = {
        "650": ServiceCode.PHYSIOTHERAPY,
        "110": ServiceCode.MSK_MDT,
        "191": ServiceCode.PAIN,
        "410": ServiceCode.RHEUMATOLOGY,
        "653": ServiceCode.PODIATRY,
        "658": ServiceCode.ORTHOTICS,
    }
    resources = [patient_resource("p1", nhs(40))]
    resources += [request_resource(f"sr-{code}", "p1", code) for code in codes]
    path = write_bundle(tmp_path / "bundle.json", resources)
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert summary.counts() == {"rows": 6, "imported": 6, "updated": 0, "skipped": 0, "errors": 0}
    got = imported(world.db)
    assert {ref: code for ref, (code, _, _) in got.items()} == {f"FHIR-sr-{c}": s for c, s in codes.items()}
    assert {number for _, _, number in got.values()} == {nhs(40)}
    with world.db.read() as s:
        p = s.scalars(select(Patient).where(Patient.nhs_number == nhs(40))).one()
        phones = s.scalars(select(PatientPhone.number).where(PatientPhone.patient_id == p.id)).all()
        r = s.scalars(select(Referral).where(Referral.source_ref == "FHIR-sr-650")).one()
    assert (p.title, p.given_name, p.family_name, p.town, p.postcode, p.address_line2) == (
        "Mrs",
        "Ann",
        "Fhirpatient",
        "Lewes",
        "BN7 2AA",
        "Flat 2",
    )
    assert phones == ["07700 900555"]
    assert p.gp_practice_id is not None
    assert (r.received_on, r.referrer, r.triage_notes) == (days_ago(3), "Dr B Example", "Heel pain.")


def test_priorities_never_go_down_and_the_triage_extension_says_soon(world, tmp_path: Path) -> None:
    resources = [
        patient_resource("p1", nhs(41)),
        request_resource("a", "p1", priority="routine"),
        request_resource("b", "p1", priority="urgent"),
        request_resource("c", "p1", priority="asap"),
        request_resource("d", "p1", priority="stat"),
        request_resource("e", "p1", priority=None),
        request_resource("f", "p1", extension=[{"url": TRIAGE_PRIORITY_URL, "valueCode": "soon"}]),
    ]
    path = write_bundle(tmp_path / "bundle.json", resources)
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert summary.ok, summary.errors
    got = {ref: priority for ref, (_, priority, _) in imported(world.db).items()}
    assert got == {
        "FHIR-a": Priority.ROUTINE,
        "FHIR-b": Priority.URGENT,
        "FHIR-c": Priority.URGENT,
        "FHIR-d": Priority.URGENT,
        "FHIR-e": Priority.ROUTINE,
        "FHIR-f": Priority.SOON,
    }


def test_resources_with_missing_or_wrong_fields_are_named(world, tmp_path: Path) -> None:
    resources = [
        patient_resource("good", nhs(42)),
        patient_resource("no-nhs", None),
        patient_resource("bad-date", nhs(43), birthDate="17/05/1950"),  # not a FHIR date
        patient_resource(
            "bad-postcode", nhs(44), address=[{"line": ["1 A Road"], "city": "Hove", "postalCode": "ZZ"}]
        ),
        request_resource("ok", "good"),
        request_resource("r-no-nhs", "no-nhs"),
        request_resource("r-bad-date", "bad-date"),
        request_resource("r-bad-postcode", "bad-postcode"),
        request_resource("r-orphan", "nobody"),
        request_resource("r-revoked", "good", status="revoked"),
        request_resource("r-unknown-service", "good", tfc="999"),
        request_resource("r-bad-authored", "good", authoredOn="yesterday"),
        request_resource(
            "r-bad-priority", "good", extension=[{"url": TRIAGE_PRIORITY_URL, "valueCode": "whenever"}]
        ),
    ]
    path = write_bundle(tmp_path / "bundle.json", resources)
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert summary.counts() == {"rows": 9, "imported": 1, "updated": 0, "skipped": 0, "errors": 8}
    named = {(e.where, e.field) for e in summary.errors}
    assert named == {
        ("ServiceRequest/r-no-nhs", "Patient/no-nhs.identifier (NHS number)"),
        ("ServiceRequest/r-bad-date", "Patient/bad-date.birthDate"),
        ("ServiceRequest/r-bad-postcode", "Patient/bad-postcode.address.postalCode"),
        ("ServiceRequest/r-orphan", "ServiceRequest.subject"),
        ("ServiceRequest/r-revoked", "ServiceRequest.status"),
        ("ServiceRequest/r-unknown-service", "ServiceRequest.category"),
        ("ServiceRequest/r-bad-authored", "ServiceRequest.authoredOn"),
        ("ServiceRequest/r-bad-priority", "ServiceRequest.priority"),
    }
    assert set(imported(world.db)) == {"FHIR-ok"}


def test_a_request_without_identifier_is_known_by_its_id_and_not_added_twice(world, tmp_path: Path) -> None:
    resources = [patient_resource("p1", nhs(45)), request_resource("plain", "p1", identifier=[])]
    path = write_bundle(tmp_path / "bundle.json", resources)
    service = ImportService(world.db)
    first = service.import_referrals(world.actor("root"), path)
    again = service.import_referrals(world.actor("root"), path)
    assert (first.imported, again.imported, again.skipped) == (1, 0, 1)
    assert set(imported(world.db)) == {"ServiceRequest/plain"}


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("{not json", "JSON"),
        ('{"resourceType": "Patient", "id": "x"}', "resourceType"),
        ('{"resourceType": "Bundle", "entry": {"resource": {}}}', "Bundle.entry"),
    ],
)
def test_a_file_that_is_no_bundle_is_refused(world, tmp_path: Path, content: str, field: str) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(content, encoding="utf-8")
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert [(e.where, e.field) for e in summary.errors] == [("file", field)]
    assert summary.imported == 0


def test_a_bundle_is_recognised_without_the_json_extension(world, tmp_path: Path) -> None:
    path = write_bundle(
        tmp_path / "export.txt", [patient_resource("p1", nhs(46)), request_resource("x", "p1")]
    )
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    assert summary.imported == 1 and summary.ok
