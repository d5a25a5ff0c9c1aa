"""One incoming referral, checked: the patient as the file gives them, and the referral itself.

The CSV and FHIR readers each turn their input into the same flat fields (FIELDS, the CSV's
columns) and call `check`, which applies every rule and names each field at fault. A FHIR reader
passes `labels` so that a problem is named by the element it came from ("Patient.birthDate").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from cras_desk.domain import nhs_number, postcode, uk_phone
from cras_desk.domain.enums import Priority, ServiceCode
from cras_desk.domain.errors import InvalidNhsNumber, ValidationError
from cras_desk.domain.search_terms import name_key
from cras_desk.imports import field_rules as rules
from cras_desk.imports.outcome import RowError

REQUIRED = (
    "referral_ref",
    "nhs_number",
    "family_name",
    "given_name",
    "date_of_birth",
    "sex",
    "address_line1",
    "town",
    "postcode",
    "service",
    "priority",
    "received_on",
)
OPTIONAL = (
    "title",
    "address_line2",
    "county",
    "phone",
    "phone_2",
    "email",
    "gp_practice_ods",
    "team",
    "referrer",
    "triaged_by",
    "triaged_on",
    "triage_notes",
)
FIELDS = REQUIRED + OPTIONAL
NOTES_MAX = 4000
# Names repeat (a file of 100,000 rows holds a few thousand), and folding one costs 20 microseconds.
_name_key = lru_cache(maxsize=65_536)(name_key)
REF_MAX = 120  # referrals.source_ref


@dataclass(frozen=True, slots=True)
class Phone:
    kind: str  # mobile / home
    number: str  # grouped, as the desk shows it
    key: str


@dataclass(frozen=True, slots=True)
class ReferralRecord:
    where: str
    source_ref: str
    nhs_number: str
    # Column -> value for the patients table, the columns an import may set (keys included).
    patient: dict[str, Any]
    phones: tuple[Phone, ...]
    gp_practice_ods: str | None
    team: str | None
    service: ServiceCode
    priority: Priority
    received_on: date
    triaged_on: date | None
    referrer: str | None
    triaged_by: str | None
    triage_notes: str | None
    # The values as read, for telling a repeated row from a different one with the same reference.
    fingerprint: tuple[Any, ...]


# (field, rule): each rule takes the raw text and returns the stored value.
_PATIENT_RULES: tuple[tuple[str, Callable[[str | None], Any]], ...] = (
    ("title", lambda v: rules.text(v, "Title", 12)),
    ("given_name", lambda v: rules.required_text(v, "Given name", 80)),
    ("family_name", lambda v: rules.required_text(v, "Family name", 80)),
    ("sex", rules.sex),
    ("address_line1", lambda v: rules.required_text(v, "First address line", 120)),
    ("address_line2", lambda v: rules.text(v, "Second address line", 120)),
    ("town", lambda v: rules.required_text(v, "Town", 60)),
    ("county", lambda v: rules.text(v, "County", 60)),
    ("postcode", lambda v: postcode.normalise(v or "")),
    ("email", rules.email),
)


def check(
    raw: Mapping[str, str | None],
    where: str,
    today: date,
    labels: Mapping[str, str] | None = None,
) -> tuple[ReferralRecord | None, list[RowError]]:
    """The record, or None and every problem found (all fields are checked, not just the first)."""
    errors: list[RowError] = []
    names = labels or {}

    def run(name: str, rule: Callable[[str | None], Any]) -> Any:
        try:
            return rule(raw.get(name))
        except ValidationError as exc:
            errors.append(RowError(where, names.get(name, name), str(exc)))
            return None

    ref = run("referral_ref", lambda v: rules.required_text(v, "Referral reference", REF_MAX))
    nhs = run("nhs_number", _nhs_number)
    patient = {name: run(name, rule) for name, rule in _PATIENT_RULES}
    patient["date_of_birth"] = run("date_of_birth", lambda v: rules.date_of_birth(v, today))
    phones = [run(name, _phone) for name in ("phone", "phone_2")]
    ods = run("gp_practice_ods", lambda v: _upper(rules.text(v, "GP practice ODS code", 10)))
    team = run("team", lambda v: rules.text(v, "Team", 80))
    service = run("service", rules.service)
    priority = run("priority", rules.priority)
    received = run("received_on", lambda v: rules.day(v, "Date received", today=today))
    triaged = run("triaged_on", lambda v: rules.day(v, "Date triaged", required=False, today=today))
    referrer = run("referrer", lambda v: rules.text(v, "Referrer", 120))
    triaged_by = run("triaged_by", lambda v: rules.text(v, "Triaged by", 120))
    triage_notes = run("triage_notes", lambda v: rules.notes(v, "Triage notes", NOTES_MAX))
    born = patient["date_of_birth"]
    if received is not None and born is not None and received < born:
        errors.append(RowError(where, names.get("received_on", "received_on"), "is before the birth date."))
    if triaged is not None and received is not None and triaged < received:
        errors.append(
            RowError(where, names.get("triaged_on", "triaged_on"), "is before the referral was received.")
        )
    if errors:
        return None, errors
    patient["nhs_number"] = nhs
    patient["given_key"] = _name_key(patient["given_name"])
    patient["family_key"] = _name_key(patient["family_name"])
    patient["postcode_key"] = postcode.search_key(patient["postcode"])
    kept: list[Phone] = []
    for phone in phones:
        if phone is not None and all(phone.key != p.key for p in kept):
            kept.append(phone)
    record = ReferralRecord(
        where=where,
        source_ref=ref,
        nhs_number=nhs,
        patient=patient,
        phones=tuple(kept),
        gp_practice_ods=ods,
        team=team,
        service=service,
        priority=priority,
        received_on=received,
        triaged_on=triaged,
        referrer=referrer,
        triaged_by=triaged_by,
        triage_notes=triage_notes,
        fingerprint=tuple(raw.get(name) or "" for name in FIELDS),
    )
    return record, []


def _nhs_number(value: str | None) -> str:
    # fault() rather than normalise(): its message without the advice for an advisor on the phone.
    problem = nhs_number.fault(value or "")
    if problem is not None:
        raise InvalidNhsNumber(problem)
    return nhs_number.normalise(value or "")


def _phone(value: str | None) -> Phone | None:
    if value is None or not value.strip():
        return None
    parsed = uk_phone.parse(value)
    return Phone("mobile" if parsed.key.startswith("07") else "home", parsed.number, parsed.key)


def _upper(value: str | None) -> str | None:
    return value.upper() if value is not None else None
