"""The editable wording of each letter kind (resources/letters/*.toml) and its placeholders.

A service manager edits the TOML files; the code only knows which placeholders each kind may use.
A file that uses an unknown placeholder, or lacks a required key, is refused when loaded with a
message naming the file and the problem, so a typo never reaches a patient as "{nhs_nubmer}".
"""

from __future__ import annotations

import copy
import string
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cras_desk.domain.enums import LetterKind
from cras_desk.domain.errors import ValidationError
from cras_desk.paths import resources_dir

COMMON = frozenset(
    {
        "salutation",
        "patient_name",
        "nhs_number",
        "date_of_birth",
        "service",
        "received_on",
        "letter_date",
        "reference",
        "cras_phone",
        "cras_hours",
    }
)
_APPOINTMENT = frozenset(
    {
        "appointment_date",
        "appointment_time",
        "duration",
        "site_name",
        "site_address",
        "clinician",
        "site_accessibility",
    }
)
_DISCHARGE = frozenset({"discharge_reason", "gp_practice", "utc_letter_sent_on", "respond_by", "attempts"})

# {interpreter} is the kind's own "interpreter" sentence when one is booked, else empty (a paragraph
# that comes out empty is left out); that sentence may use {interpreter_language}.
_INTERPRETER = frozenset({"interpreter", "interpreter_language"})

PLACEHOLDERS: dict[LetterKind, frozenset[str]] = {
    LetterKind.CHOICE: COMMON | {"offer_date", "option_count"},
    LetterKind.APPOINTMENT: COMMON | _APPOINTMENT | _INTERPRETER,
    LetterKind.REBOOKED: COMMON
    | _APPOINTMENT
    | _INTERPRETER
    | {"previous_appointment_date", "previous_appointment_time", "previous_site_name"},
    LetterKind.CANCELLED: COMMON | _APPOINTMENT | {"cancel_reason", "next_steps"},
    LetterKind.UNABLE_TO_CONTACT: COMMON | {"respond_by", "attempts"},
    LetterKind.DISCHARGE: COMMON | _DISCHARGE,
    LetterKind.DISCHARGE_GP_COPY: COMMON | _DISCHARGE,
}

# Keys each kind's file must define (besides subject and body), and the ones whose text is itself
# a template that fills a placeholder of the body.
_VARIANTS: dict[LetterKind, tuple[str, ...]] = {
    LetterKind.CANCELLED: ("reason_patient", "reason_provider", "next_steps_patient", "next_steps_provider"),
    LetterKind.DISCHARGE: ("reason_unable_to_contact", "reason_declined", "reason_other"),
    LetterKind.DISCHARGE_GP_COPY: ("reason_unable_to_contact", "reason_declined", "reason_other"),
}

# Keys a kind's file may define; checked like the others when present. Optional, so the wording
# frozen into a letter before the key existed still reprints.
_OPTIONAL: dict[LetterKind, tuple[str, ...]] = {
    LetterKind.APPOINTMENT: ("interpreter",),
    LetterKind.REBOOKED: ("interpreter",),
}

BLOCK_MARKERS = frozenset({"[options]", "[appointment]", "[patient]"})

_COMMON_SECTIONS: dict[str, tuple[str, ...]] = {
    "office": (
        "organisation",
        "service_name",
        "address",
        "phone",
        "opening_hours",
        "signatory",
        "closing",
        "closing_gp",
    ),
    "access": (
        "step_free",
        "not_step_free",
        "hearing_loop",
        "parking",
        "no_parking",
        "short_step_free",
        "short_hearing_loop",
        "short_parking",
    ),
    "clinician_types": (),
    "labels": (
        "date",
        "reference",
        "nhs_number",
        "phone",
        "page",
        "group_session",
        "weeks",
        "one_week",
        "wait_as_of",
        "option_place",
        "option_wait",
        "appointment_date",
        "appointment_time",
        "appointment_place",
        "appointment_clinician",
        "appointment_phone",
        "patient_name",
        "date_of_birth",
        "address",
        "wait_unknown",
        "discharge_note",
    ),
}


def wording_dir() -> Path:
    return resources_dir() / "letters"


def placeholders_in(text: str) -> set[str]:
    """The {names} a template uses ({{ and }} are literal braces)."""
    names: set[str] = set()
    for _literal, field, _spec, _conv in string.Formatter().parse(text):
        if field is not None:
            names.add(field)
    return names


_cache: dict[Path, tuple[int, dict[str, Any]]] = {}


def _read(path: Path) -> dict[str, Any]:
    """The parsed file, re-read when it changes on disk (an edit applies without a restart)."""
    try:
        mtime = path.stat().st_mtime_ns
        cached = _cache.get(path)
        if cached is not None and cached[0] == mtime:
            return copy.deepcopy(cached[1])
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        _cache[path] = (mtime, data)
        return copy.deepcopy(data)
    except FileNotFoundError as exc:
        raise ValidationError(f"Letter wording file {path.name} is missing from {path.parent}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"Letter wording file {path.name} cannot be read: {exc}.") from exc


def _require(path: Path, data: Mapping[str, Any], keys: Iterable[str], where: str = "") -> None:
    for key in keys:
        if not isinstance(data.get(key), str | list):
            raise ValidationError(f"Letter wording file {path.name} lacks {where}{key!r}.")


def check_kind(kind: LetterKind, data: Mapping[str, Any], path: Path | None = None) -> None:
    """Raise ValidationError if a kind's wording uses unknown placeholders or lacks a key."""
    name = path.name if path else f"{kind.value}.toml"
    allowed = PLACEHOLDERS[kind]
    keys = ("subject", "body", *_VARIANTS.get(kind, ()))
    keys += tuple(key for key in _OPTIONAL.get(kind, ()) if key in data)
    for key in keys:
        if not isinstance(data.get(key), str):
            raise ValidationError(f"Letter wording file {name} lacks {key!r}.")
        try:
            unknown = placeholders_in(data[key]) - allowed
        except ValueError as exc:
            raise ValidationError(
                f"Letter wording file {name}, {key!r}: {exc} (use {{{{ for a brace)."
            ) from exc
        if unknown:
            raise ValidationError(
                f"Letter wording file {name}, {key!r}, uses unknown placeholder(s) "
                f"{', '.join('{' + u + '}' for u in sorted(unknown))}."
            )


def load_kind(kind: LetterKind) -> dict[str, str]:
    path = wording_dir() / f"{kind.value}.toml"
    data = _read(path)
    check_kind(kind, data, path)
    return {k: v for k, v in data.items() if isinstance(v, str)}


def load_common() -> dict[str, Any]:
    path = wording_dir() / "common.toml"
    data = _read(path)
    for section, keys in _COMMON_SECTIONS.items():
        if not isinstance(data.get(section), dict):
            raise ValidationError(f"Letter wording file {path.name} lacks the [{section}] section.")
        _require(path, data[section], keys, f"[{section}] ")
    return data
