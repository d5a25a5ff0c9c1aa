"""Triaged referrals from a FHIR UK Core R4 Bundle of Patient and ServiceRequest resources (JSON).

Each ServiceRequest is one referral; its subject is a Patient in the same bundle. Every resource
is parsed with fhir.resources on its own (its R4B models, which for Patient, ServiceRequest and
Bundle are R4's), so one malformed resource refuses its own referral and no other. The elements
read, and how their codes map to the six services and three priorities, are in docs/imports.md.
Other resources in the bundle (Organization, Practitioner, ...) are passed over.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cras_desk.domain.clock import LONDON
from cras_desk.domain.enums import ServiceCode
from cras_desk.domain.errors import ValidationError
from cras_desk.imports import field_rules as rules
from cras_desk.imports.csv_reading import FileRefused
from cras_desk.imports.outcome import RowError
from cras_desk.imports.referral_record import FIELDS, ReferralRecord, check

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
UBRN_SYSTEM = "https://fhir.nhs.uk/Id/UBRN"
# The service's own triage priority, when the sender can say "soon" (FHIR's scale has no such step).
TRIAGE_PRIORITY_URL = "https://cras-desk.nhs.example/fhir/StructureDefinition/triage-priority"
# FHIR request priority -> the desk's. Never lower: "urgent" stays urgent (see docs/imports.md).
PRIORITIES = {"routine": "routine", "urgent": "urgent", "asap": "urgent", "stat": "urgent"}
ACTIVE = "active"


def read_referrals(path: Path, today: date, errors: list[RowError]) -> Iterator[ReferralRecord | None]:
    """Each ServiceRequest's record, or None when it is refused (its problems put to `errors`)."""
    bundle = _load(path)
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise FileRefused(RowError("file", "Bundle.entry", "is not a list of entries."))
    from fhir.resources.R4B.patient import Patient  # 0.2 s to import: only when a bundle comes in
    from fhir.resources.R4B.servicerequest import ServiceRequest
    from pydantic import ValidationError as ModelError

    patients: dict[str, Any] = {}  # "Patient/<id>" and the entry's fullUrl -> Patient, or its errors
    requests: list[tuple[str, dict[str, Any]]] = []
    for n, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            errors.append(RowError(f"entry {n}", "Bundle.entry.resource", "is missing."))
            continue
        kind, rid = resource.get("resourceType"), resource.get("id")
        name = f"{kind}/{rid}" if rid else f"entry {n}"
        if kind == "Patient":
            try:
                parsed: Any = Patient.model_validate(resource)
            except ModelError as exc:
                parsed = [RowError("", f"{name}.{_loc(e['loc'])}", e["msg"]) for e in exc.errors()]
            for key in (f"Patient/{rid}" if rid else None, entry.get("fullUrl")):
                if key:
                    patients[key] = (name, parsed)
        elif kind == "ServiceRequest":
            requests.append((name, resource))
    for name, resource in requests:
        try:
            request = ServiceRequest.model_validate(resource)
        except ModelError as exc:
            errors.extend(RowError(name, f"ServiceRequest.{_loc(e['loc'])}", e["msg"]) for e in exc.errors())
            yield None
            continue
        raw, labels, problems = _flatten(name, request, patients)
        if problems:
            errors.extend(problems)
            yield None
            continue
        record, found = check(raw, name, today, labels)
        errors.extend(found)
        yield record


def looks_like_fhir(path: Path) -> bool:
    """A .json file, or one whose first non-blank character opens a JSON object."""
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as handle:
            start = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return start.startswith(b"{")


def _load(path: Path) -> dict[str, Any]:
    try:
        bundle = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise FileRefused(RowError("file", "file", f"cannot be read: {exc.strerror or exc}.")) from None
    except UnicodeDecodeError:
        raise FileRefused(RowError("file", "encoding", "not UTF-8 text.")) from None
    except json.JSONDecodeError as exc:
        raise FileRefused(
            RowError("file", "JSON", f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.")
        ) from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FileRefused(RowError("file", "resourceType", "the file is not a FHIR Bundle."))
    return bundle


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "resource"


def _flatten(
    name: str, request: Any, patients: dict[str, Any]
) -> tuple[dict[str, str | None], dict[str, str], list[RowError]]:
    """The request and its patient as the flat fields of a CSV row, and each field's FHIR name."""
    raw: dict[str, str | None] = dict.fromkeys(FIELDS)
    labels: dict[str, str] = {}
    problems: list[RowError] = []

    def put(field: str, label: str, value: str | None) -> None:
        raw[field] = value
        labels[field] = label

    if request.status != ACTIVE:
        problems.append(
            RowError(
                name, "ServiceRequest.status", f"is {request.status!r}: only active requests are imported."
            )
        )
    put("referral_ref", "ServiceRequest.identifier", _reference_of(name, request))
    try:
        put("service", "ServiceRequest.category", _service_of(request).value)
    except ValidationError as exc:
        problems.append(RowError(name, "ServiceRequest.category", str(exc)))
    put("priority", "ServiceRequest.priority", _priority_of(request))
    authored = request.authoredOn
    if isinstance(authored, datetime):
        authored = (authored.astimezone(LONDON) if authored.tzinfo else authored).date()
    put("received_on", "ServiceRequest.authoredOn", authored.isoformat() if authored else None)
    requester = request.requester
    put("referrer", "ServiceRequest.requester.display", requester.display if requester else None)
    notes = [n.text for n in request.note or [] if n.text]
    put("triage_notes", "ServiceRequest.note", "\n".join(notes) or None)

    subject = request.subject.reference if request.subject else None
    found = patients.get(subject or "")
    if found is None:
        problems.append(
            RowError(name, "ServiceRequest.subject", f"{subject or 'no reference'}: no such Patient here.")
        )
        return raw, labels, problems
    patient_name, patient = found
    if isinstance(patient, list):  # the Patient itself failed to parse
        problems.extend(RowError(name, e.field, e.message) for e in patient)
        return raw, labels, problems
    _patient_fields(patient_name, patient, put)
    return raw, labels, problems


def _reference_of(name: str, request: Any) -> str | None:
    identifiers = [i for i in request.identifier or [] if i.value]
    ubrn = [i for i in identifiers if i.system == UBRN_SYSTEM]
    chosen = (ubrn or identifiers)[:1]
    if chosen:
        return str(chosen[0].value)
    # No identifier: the resource's id, which stays the same when the sender sends it again.
    return name if name.startswith("ServiceRequest/") else None


def _concepts(request: Any) -> list[Any]:
    concepts = list(request.category or [])
    for concept in (request.code, request.performerType):
        if concept is not None:
            concepts.append(concept)
    return concepts


def _service_of(request: Any) -> ServiceCode:
    """A treatment function code in any coding first; failing that, a service named in the text."""
    texts: list[str] = []
    for concept in _concepts(request):
        for coding in concept.coding or []:
            if coding.code in rules.TREATMENT_FUNCTION_CODES:
                return rules.TREATMENT_FUNCTION_CODES[coding.code]
            if coding.display:
                texts.append(coding.display)
        if concept.text:
            texts.append(concept.text)
    for text in texts:
        try:
            return rules.service(text)
        except ValidationError:
            continue
    raise ValidationError(
        "no treatment function code of the six services (650, 110, 191, 410, 653, 658) in category, code "
        "or performerType, nor a service's name."
    )


def _priority_of(request: Any) -> str | None:
    for extension in request.extension or []:
        if extension.url == TRIAGE_PRIORITY_URL:
            return str(extension.valueCode) if extension.valueCode is not None else None
    given: str | None = request.priority
    if given is None:
        return "routine"  # FHIR: a request without a priority is a routine one
    return PRIORITIES.get(given, given)


def _patient_fields(name: str, patient: Any, put: Any) -> None:
    nhs = next((i.value for i in patient.identifier or [] if i.system == NHS_NUMBER_SYSTEM and i.value), None)
    put("nhs_number", f"{name}.identifier (NHS number)", nhs)
    names = patient.name or []
    official = next((n for n in names if n.use == "official"), names[0] if names else None)
    put("family_name", f"{name}.name.family", official.family if official else None)
    put("given_name", f"{name}.name.given", (official.given or [None])[0] if official else None)
    put("title", f"{name}.name.prefix", (official.prefix or [None])[0] if official else None)
    born = patient.birthDate
    put("date_of_birth", f"{name}.birthDate", born.isoformat() if isinstance(born, date) else born)
    put("sex", f"{name}.gender", patient.gender)
    addresses = patient.address or []
    home = next((a for a in addresses if a.use == "home"), addresses[0] if addresses else None)
    lines = (home.line or []) if home else []
    put("address_line1", f"{name}.address.line", lines[0] if lines else None)
    put("address_line2", f"{name}.address.line", ", ".join(lines[1:]) or None)
    put("town", f"{name}.address.city", home.city if home else None)
    put("county", f"{name}.address.district", home.district if home else None)
    put("postcode", f"{name}.address.postalCode", home.postalCode if home else None)
    telecom = sorted(patient.telecom or [], key=lambda t: t.rank or 99)
    phones = [t.value for t in telecom if t.system == "phone" and t.value]
    put("phone", f"{name}.telecom", phones[0] if phones else None)
    put("phone_2", f"{name}.telecom", phones[1] if len(phones) > 1 else None)
    emails = [t.value for t in telecom if t.system == "email" and t.value]
    put("email", f"{name}.telecom (email)", emails[0] if emails else None)
    practice = next(
        (
            gp.identifier.value
            for gp in patient.generalPractitioner or []
            if gp.identifier and gp.identifier.system == ODS_SYSTEM
        ),
        None,
    )
    put("gp_practice_ods", f"{name}.generalPractitioner.identifier", practice)
