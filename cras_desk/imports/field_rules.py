"""The rules for one value of an imported row, shared by the CSV and FHIR readers.

Each rule takes the text as it came (None or "" when absent) and returns the value as stored, or
raises ValidationError with a sentence for the admin. The desk's own validators are the gate
(NHS number, postcode, date of birth, phone, free text), so an import can hold nothing an advisor
could not have typed.
"""

from __future__ import annotations

import re
from datetime import date

from cras_desk.domain import dates_of_birth, free_text
from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import Priority, ServiceCode
from cras_desk.domain.errors import ValidationError

# NHS Data Dictionary treatment function codes of the six services (docs/imports.md).
TREATMENT_FUNCTION_CODES: dict[str, ServiceCode] = {
    "650": ServiceCode.PHYSIOTHERAPY,
    "110": ServiceCode.MSK_MDT,  # trauma and orthopaedics: the orthopaedic / MSK MDT clinics
    "191": ServiceCode.PAIN,
    "410": ServiceCode.RHEUMATOLOGY,
    "653": ServiceCode.PODIATRY,
    "658": ServiceCode.ORTHOTICS,
}
_SERVICE_WORDS: dict[str, ServiceCode] = {
    **{code.value: code for code in ServiceCode},
    **TREATMENT_FUNCTION_CODES,
    "physiotherapy": ServiceCode.PHYSIOTHERAPY,
    "orthopaedic / msk mdt": ServiceCode.MSK_MDT,
    "orthopaedic msk mdt": ServiceCode.MSK_MDT,
    "orthopaedic mdt": ServiceCode.MSK_MDT,
    "msk mdt": ServiceCode.MSK_MDT,
    "pain management": ServiceCode.PAIN,
    "rheumatology": ServiceCode.RHEUMATOLOGY,
}
SEXES = ("female", "male", "other", "unknown")  # FHIR administrative gender, as Patient.sex holds it
_SEX_WORDS = {**{s: s for s in SEXES}, "f": "female", "m": "male"}
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_UK = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
EARLIEST_RECEIVED = date(2000, 1, 1)  # before the service existed: a typing slip


def text(value: str | None, label: str, max_length: int, *, required: bool = False) -> str | None:
    # Most values are plain text already: printable (so no control character, tab or line break)
    # with single spaces. free_text.line gives the same answer for those, at four times the cost,
    # which is a fifth of a 100,000-row import.
    if value and value.isprintable() and "  " not in value:
        cleaned = value.strip()
        if cleaned and len(cleaned) <= max_length:
            return cleaned
    elif not value and not required:
        return None
    return free_text.line(value, label, max_length, required=required)


def required_text(value: str | None, label: str, max_length: int) -> str:
    cleaned = text(value, label, max_length, required=True)
    assert cleaned is not None  # required
    return cleaned


def notes(value: str | None, label: str, max_length: int) -> str | None:
    """Several lines, or None when blank (free_text.block refuses blank)."""
    if value is None or not value.strip():
        return None
    return free_text.block(value, label, max_length)


def service(value: str | None) -> ServiceCode:
    typed = " ".join((value or "").split()).casefold()
    if not typed:
        raise ValidationError("Give the service (e.g. physio or 650; see docs/imports.md).")
    found = _SERVICE_WORDS.get(typed)
    if found is None:
        known = ", ".join(code.value for code in ServiceCode)
        raise ValidationError(f"{value!r} is not one of the six services ({known}).")
    return found


_PRIORITIES = {p.value: p for p in Priority}


def priority(value: str | None) -> Priority:
    found = _PRIORITIES.get((value or "").strip().casefold())
    if found is None:
        raise ValidationError(f"{value!r} is not a priority: give urgent, soon or routine.")
    return found


def sex(value: str | None) -> str:
    typed = (value or "").strip().casefold()
    found = _SEX_WORDS.get(typed)
    if found is None:
        raise ValidationError(f"{value!r} is not a sex this desk records: give one of {', '.join(SEXES)}.")
    return found


def date_of_birth(value: str | None, today: date | None = None) -> date:
    typed = (value or "").strip()
    iso = _ISO.fullmatch(typed)
    if iso is not None and today is not None:
        # The common case, ISO from another system, checked here against the caller's today: the
        # general path below asks the clock twice a row (a tenth of an import's checking).
        try:
            born = date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            born = None
        if born is not None and born.year >= dates_of_birth.EARLIEST_YEAR and born <= today:
            return born
    if not typed:
        raise ValidationError(f"Give the date of birth, e.g. 1950-05-17 or {dates_of_birth.EXAMPLE}.")
    read = dates_of_birth.read(typed)
    if read is None or not read.iso:
        raise ValidationError(f"{typed!r} is not a date: give 1950-05-17 or {dates_of_birth.EXAMPLE}.")
    if read.fault is not None:
        raise ValidationError(read.fault)
    return date.fromisoformat(read.iso)


def day(value: str | None, label: str, *, required: bool = True, today: date | None = None) -> date | None:
    """A date of the referral's history: ISO or day/month/year, not in the future, not before 2000."""
    typed = (value or "").strip()
    if not typed:
        if required:
            raise ValidationError(f"Give the {label.lower()}, e.g. 2026-11-02.")
        return None
    iso = _ISO.fullmatch(typed)
    uk = _UK.fullmatch(typed) if iso is None else None
    try:
        if iso is not None:
            found = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif uk is not None:
            found = date(int(uk[3]), int(uk[2]), int(uk[1]))
        else:
            raise ValueError(typed)
    except ValueError:
        raise ValidationError(f"{typed!r} is not a date: give 2026-11-02 or 02/11/2026.") from None
    if found > (today or today_london()):
        raise ValidationError(f"{typed} is in the future.")
    if found < EARLIEST_RECEIVED:
        raise ValidationError(f"{typed} is before {EARLIEST_RECEIVED.year}: check the year.")
    return found


def email(value: str | None) -> str | None:
    cleaned = free_text.line(value, "E-mail address", 120)
    if cleaned is not None and not _EMAIL.fullmatch(cleaned):
        raise ValidationError(f"{cleaned!r} is not an e-mail address.")
    return cleaned


def whole_number(value: str | None, label: str, low: int, high: int) -> int:
    typed = (value or "").strip()
    if not typed.isascii() or not typed.isdigit():
        raise ValidationError(f"{label} must be a whole number from {low} to {high}, not {typed!r}.")
    number = int(typed)
    if not low <= number <= high:
        raise ValidationError(f"{label} must be from {low} to {high}, not {number}.")
    return number
