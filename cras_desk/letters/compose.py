"""From a letter's recorded inputs to what the page says: addresses, references, paragraphs, tables.

Pure Python (no reportlab, no database): the same content feeds the PDF renderer and, in the
benchmark, the word-processor route. Text in blocks is "rich": plain text where **double stars**
mark bold and a newline breaks a line inside a table cell.

Inputs (Letter.inputs, snapshotted by services/letter_inputs.py at queue time; version 1):
    patient      {title, given_name, family_name, nhs_number, date_of_birth, address: [lines]}
    gp           {name, address: [lines], ods_code} or null
    referral     {service, received_on, priority, failed_attempts, utc_letter_sent_on}
    choice_offer {offered_on, options: [{site_name, address: [lines], wait_weeks, wait_as_of,
                  step_free, hearing_loop, parking}]}                          (choice)
    appointment  {starts_local, duration_minutes, site_name, site_address: [lines], site_phone,
                  clinician_type, slot_kind, step_free, hearing_loop, parking,
                  interpreter_language (null: none booked; absent in older letters)}  (appointment, ...)
    previous_appointment  as appointment                                        (rebooked)
    cancelled_by "patient" | "provider"                                         (cancelled)
    respond_by   ISO date                                                      (unable to contact)
    discharge    {reason, utc_letter_sent_on, respond_by}                      (discharge, GP copy)
    wording, common   the resources/letters text, frozen at first render so a reprint matches
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cras_desk.domain.clock import to_london
from cras_desk.domain.enums import LetterKind
from cras_desk.domain.errors import ValidationError
from cras_desk.domain.nhs_number import format_334
from cras_desk.letters import formatting as fmt
from cras_desk.letters import wording

REFERENCE_PREFIX = "CRAS"


def reference(referral_id: int, letter_id: int) -> str:
    """The reference printed on a letter and quoted by a patient who phones: CRAS/<referral>/<letter>."""
    return f"{REFERENCE_PREFIX}/{referral_id}/{letter_id}"


@dataclass(frozen=True)
class LetterSpec:
    """Everything a render needs; two equal specs give byte-identical PDFs."""

    letter_id: int
    referral_id: int
    kind: LetterKind
    recipient: str  # "patient" or "gp"
    large_print: bool
    inputs: Mapping[str, Any]
    created_at: datetime  # aware UTC; the PDF's creation date and the letter's date come from it
    document_id: str  # 32 hex digits: the PDF trailer /ID

    @property
    def reference(self) -> str:
        return reference(self.referral_id, self.letter_id)


# --- content blocks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """Rows of cells; widths are fractions of the body width. header=True styles the first row."""

    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    header: bool = False


Block = Para | Heading | Bullets | Table


@dataclass(frozen=True)
class LetterContent:
    address: tuple[str, ...]  # the window block, recipient first
    sender: tuple[str, ...]  # organisation, service, address, phone (first line bold)
    meta: tuple[tuple[str, str], ...]  # (label, value): date, reference, NHS number
    subject: str
    blocks: tuple[Block, ...]
    closing: str
    signature: str
    identity: str  # header of continuation pages: who and which letter
    reference: str
    page_label: str  # "Page {page} of {pages}"
    title: str  # PDF metadata: no patient identifiers, the file may be seen in a print spooler
    large_print: bool
    facts: dict[str, str] = field(default_factory=dict)


# --- composing ----------------------------------------------------------------------------------


_BLANK_LINES = re.compile(r"\n\s*\n")


def _fill(template: str, facts: Mapping[str, str]) -> str:
    try:
        return template.format_map(facts)
    except KeyError as exc:  # a recorded letter always has its facts; this guards hand-built inputs
        raise ValidationError(
            f"Letter wording uses {{{exc.args[0]}}}, which this letter has no value for."
        ) from exc


def _person_name(p: Mapping[str, Any]) -> str:
    return f"{p['given_name']} {p['family_name']}"


def _salutation(p: Mapping[str, Any]) -> str:
    title = (p.get("title") or "").strip()
    return f"{title} {p['family_name']}" if title else _person_name(p)


def _addressee(p: Mapping[str, Any]) -> str:
    title = (p.get("title") or "").strip()
    return f"{title} {_person_name(p)}" if title else _person_name(p)


NBSP = "\u00a0"


def keep_together(text: str) -> str:
    """No-break spaces, so an NHS number, phone number or postcode never splits across lines."""
    return text.replace(" ", NBSP)


def _date(d: date) -> str:
    """A date that never breaks over a line end ("23 / February 2026" reads badly)."""
    return keep_together(fmt.long_date(d))


def _one_line(lines: list[str]) -> str:
    """ "Elm Grove, Brighton BN2 3EW": an address on one line, postcode not comma-separated."""
    if len(lines) >= 2:
        return ", ".join([*lines[:-2], f"{lines[-2]} {keep_together(lines[-1])}"])
    return ", ".join(lines)


def _weeks(n: int, labels: Mapping[str, str]) -> str:
    return labels["one_week"] if n == 1 else labels["weeks"].format(weeks=n)


def _access(appt: Mapping[str, Any], access: Mapping[str, str]) -> str:
    parts = [access["step_free"] if appt.get("step_free") else access["not_step_free"]]
    if appt.get("hearing_loop"):
        parts.append(access["hearing_loop"])
    parts.append(access["parking"] if appt.get("parking") else access["no_parking"])
    return " ".join(parts)


def _option_access(opt: Mapping[str, Any], access: Mapping[str, str]) -> str:
    # In the options table a short list reads better than the appointment letter's sentences.
    bits = [access[f"short_{flag}"] for flag in ("step_free", "hearing_loop", "parking") if opt.get(flag)]
    return " · ".join(keep_together(b) for b in bits)


def _appointment_facts(
    appt: Mapping[str, Any], common: Mapping[str, Any], prefix: str = ""
) -> dict[str, str]:
    starts = fmt.parse_local(appt["starts_local"])
    clinician = common["clinician_types"].get(appt.get("clinician_type") or "", "")
    facts = {
        f"{prefix}appointment_date": keep_together(fmt.day_and_date(starts.date())),
        f"{prefix}appointment_time": fmt.clock_time(starts.time()),
        f"{prefix}site_name": appt["site_name"],
    }
    if not prefix:
        if appt.get("slot_kind") == "group":
            clinician = f"{clinician} ({common['labels']['group_session']})" if clinician else ""
        facts |= {
            "duration": fmt.duration(int(appt.get("duration_minutes") or 0)),
            "site_address": _one_line(list(appt.get("site_address") or [])),
            "clinician": clinician,
            "site_accessibility": _access(appt, common["access"]),
        }
    return facts


def _interpreter_facts(appt: Mapping[str, Any], kind_words: Mapping[str, str]) -> dict[str, str]:
    """{interpreter}: the kind's interpreter sentence for the language booked, or "" if none was."""
    language = (appt.get("interpreter_language") or "").strip()
    facts = {"interpreter_language": language, "interpreter": ""}
    if language and kind_words.get("interpreter"):
        facts["interpreter"] = _fill(kind_words["interpreter"], facts)
    return facts


def _facts(spec: LetterSpec, kind_words: Mapping[str, str], common: Mapping[str, Any]) -> dict[str, str]:
    inputs = spec.inputs
    patient = inputs["patient"]
    referral = inputs["referral"]
    office = common["office"]
    gp = inputs.get("gp") or {}
    facts: dict[str, str] = {
        "salutation": _salutation(patient),
        "patient_name": _person_name(patient),
        "nhs_number": keep_together(format_334(patient["nhs_number"])),
        "date_of_birth": _date(fmt.parse_date(patient["date_of_birth"])),
        "service": referral["service"],
        "received_on": _date(fmt.parse_date(referral["received_on"])),
        "letter_date": _date(letter_date(spec)),
        "reference": spec.reference,
        "cras_phone": keep_together(office["phone"]),
        "cras_hours": office["opening_hours"],
    }
    kind = spec.kind
    attempts = fmt.times_phrase(int(referral.get("failed_attempts") or 0))
    if kind is LetterKind.CHOICE:
        offer = inputs["choice_offer"]
        facts["offer_date"] = _date(fmt.parse_date(offer["offered_on"]))
        facts["option_count"] = str(len(offer["options"]))
    elif kind in (LetterKind.APPOINTMENT, LetterKind.REBOOKED, LetterKind.CANCELLED):
        facts |= _appointment_facts(inputs["appointment"], common)
        facts |= _interpreter_facts(inputs["appointment"], kind_words)
        if kind is LetterKind.REBOOKED:
            facts |= _appointment_facts(inputs["previous_appointment"], common, prefix="previous_")
        if kind is LetterKind.CANCELLED:
            by = "provider" if inputs.get("cancelled_by") == "provider" else "patient"
            facts["cancel_reason"] = _fill(kind_words[f"reason_{by}"], facts)
            facts["next_steps"] = _fill(kind_words[f"next_steps_{by}"], facts)
    elif kind is LetterKind.UNABLE_TO_CONTACT:
        facts["respond_by"] = _date(fmt.parse_date(inputs["respond_by"]))
        facts["attempts"] = attempts
    elif kind in (LetterKind.DISCHARGE, LetterKind.DISCHARGE_GP_COPY):
        discharge = inputs.get("discharge") or {}
        sent = discharge.get("utc_letter_sent_on")
        due = discharge.get("respond_by")
        facts |= {
            "gp_practice": gp.get("name") or "your GP practice",
            "utc_letter_sent_on": _date(fmt.parse_date(sent)) if sent else "",
            "respond_by": _date(fmt.parse_date(due)) if due else "",
            "attempts": attempts,
        }
        reason = discharge.get("reason") or "other"
        if reason == "unable_to_contact" and not (sent and due):
            reason = "other"  # the wording needs both dates; never print "wrote to you on ."
        key = f"reason_{reason}" if f"reason_{reason}" in kind_words else "reason_other"
        facts["discharge_reason"] = _fill(kind_words[key], facts)
    return facts


def letter_date(spec: LetterSpec) -> date:
    """The date printed on the letter: the London day it was queued (a reprint keeps it)."""
    return to_london(spec.created_at).date()


def _options_table(spec: LetterSpec, common: Mapping[str, Any]) -> Table:
    labels = common["labels"]
    rows: list[tuple[str, ...]] = [(labels["option_place"], labels["option_wait"])]
    for opt in spec.inputs["choice_offer"]["options"]:
        place = [f"**{opt['site_name']}**", _one_line(list(opt.get("address") or []))]
        access = _option_access(opt, common["access"])
        if access:
            place.append(access)
        if opt.get("wait_weeks") is None:  # no published wait: never print a guess
            wait = [labels["wait_unknown"]]
        else:
            wait = [f"**{_weeks(int(opt['wait_weeks']), labels)}**"]
        if opt.get("wait_weeks") is not None and opt.get("wait_as_of"):
            wait.append(labels["wait_as_of"].format(date=_date(fmt.parse_date(opt["wait_as_of"]))))
        rows.append(("\n".join(p for p in place if p), "\n".join(wait)))
    return Table(rows=tuple(rows), widths=(0.66, 0.34), header=True)


def _appointment_table(facts: Mapping[str, str], appt: Mapping[str, Any], common: Mapping[str, Any]) -> Table:
    labels = common["labels"]
    rows = [
        (labels["appointment_date"], f"**{facts['appointment_date']}**"),
        (labels["appointment_time"], f"**{facts['appointment_time']}** ({facts['duration']})"),
        (
            labels["appointment_place"],
            f"{appt['site_name']}\n{_one_line(list(appt.get('site_address') or []))}",
        ),
    ]
    if facts["clinician"]:
        rows.append((labels["appointment_clinician"], facts["clinician"]))
    if appt.get("site_phone"):
        rows.append((labels["appointment_phone"], keep_together(appt["site_phone"])))
    return Table(rows=tuple(rows), widths=(0.3, 0.7))


def _patient_table(spec: LetterSpec, facts: Mapping[str, str], common: Mapping[str, Any]) -> Table:
    labels = common["labels"]
    patient = spec.inputs["patient"]
    rows: tuple[tuple[str, ...], ...] = (
        (labels["patient_name"], f"**{_addressee(patient)}**"),
        (labels["date_of_birth"], facts["date_of_birth"]),
        (labels["nhs_number"], f"**{facts['nhs_number']}**"),
        (labels["address"], "\n".join(patient["address"])),
    )
    note = (spec.inputs.get("discharge") or {}).get("advisor_reason")
    if note:  # the advisor's reason for the discharge, as they recorded it
        rows += ((labels["discharge_note"], note),)
    return Table(rows=rows, widths=(0.3, 0.7))


def _blocks(spec: LetterSpec, body: str, facts: Mapping[str, str], common: Mapping[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    for chunk in _BLANK_LINES.split(body.strip()):
        lines = [line.strip() for line in chunk.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if len(lines) == 1 and lines[0] in wording.BLOCK_MARKERS:
            marker = lines[0]
            if marker == "[options]":
                blocks.append(_options_table(spec, common))
            elif marker == "[appointment]":
                blocks.append(_appointment_table(facts, spec.inputs["appointment"], common))
            else:
                blocks.append(_patient_table(spec, facts, common))
        elif lines[0].startswith("## "):
            blocks.append(Heading(_fill(lines[0][3:].strip(), facts)))
            if lines[1:]:
                blocks.append(Para(_fill(" ".join(lines[1:]), facts)))
        elif all(line.startswith("- ") for line in lines):
            blocks.append(Bullets(tuple(_fill(line[2:].strip(), facts) for line in lines)))
        else:
            text = _fill(" ".join(lines), facts)
            if text.strip():  # a paragraph of an optional sentence that does not apply: left out
                blocks.append(Para(text))
    return blocks


def frozen_wording(kind: LetterKind) -> dict[str, Any]:
    """The current wording for a kind, to be stored in Letter.inputs at its first render."""
    return {"wording": wording.load_kind(kind), "common": wording.load_common()}


def compose(spec: LetterSpec) -> LetterContent:
    inputs = spec.inputs
    if "wording" in inputs and "common" in inputs:
        kind_words, common = inputs["wording"], inputs["common"]
        wording.check_kind(spec.kind, kind_words)
    else:
        frozen = frozen_wording(spec.kind)
        kind_words, common = frozen["wording"], frozen["common"]
    facts = _facts(spec, kind_words, common)
    office = common["office"]
    labels = common["labels"]
    patient = inputs["patient"]
    to_gp = spec.recipient == "gp"
    if to_gp:
        gp = inputs.get("gp")
        if not gp:
            raise ValidationError("This letter is for the patient's GP, but no GP practice is recorded.")
        address = (gp["name"], *gp["address"])
    else:
        address = (_addressee(patient), *patient["address"])
    meta = [(labels["date"], facts["letter_date"]), (labels["reference"], spec.reference)]
    meta.append((labels["nhs_number"], facts["nhs_number"]))
    sender = (office["organisation"], office["service_name"], *office["address"])
    sender += (f"{labels['phone']}: {office['phone']}",)
    return LetterContent(
        address=tuple(address),
        sender=sender,
        meta=tuple(meta),
        subject=_fill(kind_words["subject"], facts),
        blocks=tuple(_blocks(spec, kind_words["body"], facts, common)),
        closing=office["closing_gp"] if to_gp else office["closing"],
        signature=office["signatory"],
        identity="  ·  ".join(
            (_person_name(patient), f"{labels['nhs_number']} {facts['nhs_number']}", spec.reference)
        ),
        reference=spec.reference,
        page_label=labels["page"],
        title=f"{office['organisation']} letter {spec.reference}",
        large_print=spec.large_print,
        facts=facts,
    )
