"""Import files for the tests, written from rows the test states in full (synthetic data only)."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cras_desk.domain.clock import today_london
from cras_desk.domain.nhs_number import iter_test_numbers
from cras_desk.imports.referral_record import FIELDS

# Numbers no world patient holds (the world's are 9990000018, ...26, ...34).
_NUMBERS = [n for n in iter_test_numbers(random.Random(12)) if not n.startswith("99900000")][:500]


def nhs(i: int) -> str:
    return _NUMBERS[i]


def good_row(i: int, **changes: str) -> dict[str, str]:
    today = today_london()
    row = {
        "referral_ref": f"UBRN-{i:06d}",
        "nhs_number": nhs(i),
        "family_name": "Testpatient",
        "given_name": f"Given{i}",
        "date_of_birth": "1961-02-03",
        "sex": "female",
        "address_line1": f"{i + 1} Station Road",
        "town": "Hove",
        "postcode": "BN3 4AB",
        "service": "physio",
        "priority": "routine",
        "received_on": (today - timedelta(days=10)).isoformat(),
        "title": "",
        "address_line2": "",
        "county": "East Sussex",
        "phone": f"07700 900{i % 1000:03d}",
        "phone_2": "",
        "email": "",
        "gp_practice_ods": "G81001",
        "team": "East",
        "referrer": "Dr A Example",
        "triaged_by": "MSK triage",
        "triaged_on": (today - timedelta(days=9)).isoformat(),
        "triage_notes": "Knee pain on stairs.",
    }
    row.update(changes)
    return row


def write_csv(path: Path, rows: Iterable[dict[str, str]], columns: Iterable[str] = FIELDS) -> Path:
    names = list(columns)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(names)
        for row in rows:
            out.writerow([row.get(name, "") for name in names])
    return path


def patient_resource(pid: str, nhs_number: str | None, **changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs_number}]
        if nhs_number
        else [],
        "name": [{"use": "official", "family": "Fhirpatient", "given": ["Ann"], "prefix": ["Mrs"]}],
        "gender": "female",
        "birthDate": "1955-06-07",
        "address": [
            {"use": "home", "line": ["4 Mill Lane", "Flat 2"], "city": "Lewes", "postalCode": "BN7 2AA"}
        ],
        "telecom": [{"system": "phone", "value": "07700 900555", "rank": 1}],
        "generalPractitioner": [
            {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "G81001"}}
        ],
    }
    resource.update(changes)
    return resource


def request_resource(rid: str, patient: str, tfc: str = "650", **changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": rid,
        "identifier": [{"system": "https://fhir.nhs.uk/Id/UBRN", "value": f"FHIR-{rid}"}],
        "status": "active",
        "intent": "order",
        "priority": "routine",
        "category": [{"coding": [{"code": tfc, "display": "Treatment function"}]}],
        "subject": {"reference": f"Patient/{patient}"},
        "authoredOn": (today_london() - timedelta(days=3)).isoformat(),
        "requester": {"display": "Dr B Example"},
        "note": [{"text": "Heel pain."}],
    }
    resource.update(changes)
    return resource


def write_bundle(path: Path, resources: Iterable[dict[str, Any]]) -> Path:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:{r['resourceType']}-{r.get('id')}", "resource": r} for r in resources
        ],
    }
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def days_ago(n: int) -> date:
    return today_london() - timedelta(days=n)
