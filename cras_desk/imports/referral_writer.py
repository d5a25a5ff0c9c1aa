"""Checked referrals into the database: what to add and change is decided first (`plan`), then
written in bulk (`write`), in the caller's one transaction.

Decisions worth knowing:
- A referral whose source reference is already held is skipped whole, patient details included:
  the file is older news than what the desk holds (an advisor may have corrected the address since).
- The same reference twice in one file: an identical row is skipped; a different one is refused.
- A patient is matched by NHS number only. Their details are updated from the file: names and
  sex always; the address as a whole (all five lines, when any differs); title and e-mail only when
  the file gives one; phone numbers are added, never removed (a number marked wrong stays marked).
  Several rows for one patient: the last row's details are the ones kept.
- A row whose date of birth differs from the one held for that NHS number is refused: far more
  often a mistyped NHS number than a corrected birthday, and attaching a referral to the wrong
  patient is the harm to avoid.
- Rows are written with one executemany (SQLite) or COPY (PostgreSQL) per table, as the demo seed
  writes them; ids come from each table's own sequence (PostgreSQL) or past its largest id under
  the write lock (SQLite), so desks adding rows meanwhile never collide with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from cras_desk.db.models import AuditEvent, Change, GpPractice, Patient, PatientPhone, Referral, Service, Team
from cras_desk.demo.bulk import checks_deferred, insert_rows
from cras_desk.domain import rtt
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import PhoneStatus, ReferralStatus
from cras_desk.imports.outcome import ImportSummary, RowError
from cras_desk.imports.referral_record import Phone, ReferralRecord
from cras_desk.services import audit
from cras_desk.services.actor import Actor

Progress = Callable[[str, int, int], None]  # (stage, done, total)
T = TypeVar("T")
_CHUNK = 900  # IN lists below SQLite's and PostgreSQL's bound-parameter limits
_ADDRESS = ("address_line1", "address_line2", "town", "county", "postcode", "postcode_key")
_ALWAYS = ("given_name", "family_name", "given_key", "family_key", "sex")
_WHEN_GIVEN = ("title", "email")


@dataclass
class _Held:
    id: int
    columns: dict[str, Any]
    phone_keys: set[str] = field(default_factory=set)


@dataclass
class ReferralPlan:
    referrals: list[ReferralRecord] = field(default_factory=list)  # to add, in file order
    new_patients: dict[str, ReferralRecord] = field(default_factory=dict)  # NHS number -> last row
    held: dict[str, _Held] = field(default_factory=dict)  # NHS number -> patient already held
    changes: dict[int, dict[str, Any]] = field(default_factory=dict)  # held patient id -> new values
    new_phones: dict[str, list[Phone]] = field(default_factory=dict)  # NHS number -> numbers to add
    gp_ids: dict[str, int] = field(default_factory=dict)
    team_ids: dict[str, int] = field(default_factory=dict)  # casefolded name -> id
    service_ids: dict[str, int] = field(default_factory=dict)


def chunks(items: Sequence[T], size: int = _CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def plan(s: Session, records: list[ReferralRecord], summary: ImportSummary) -> ReferralPlan:
    """Decide every row's fate, putting skips and refusals into `summary`; writes nothing."""
    out = ReferralPlan()
    first: dict[str, ReferralRecord] = {}
    unique: list[ReferralRecord] = []
    for record in records:
        seen = first.get(record.source_ref)
        if seen is None:
            first[record.source_ref] = record
            unique.append(record)
        elif seen.fingerprint == record.fingerprint:
            summary.skipped += 1
        else:
            summary.errors.append(
                RowError(
                    record.where,
                    "referral_ref",
                    f"{record.source_ref!r} is also the reference on {seen.where}, with other details.",
                )
            )
    held_refs: set[str] = set()
    for part in chunks([r.source_ref for r in unique]):
        held_refs.update(s.scalars(select(Referral.source_ref).where(Referral.source_ref.in_(part))))
    fresh = [r for r in unique if r.source_ref not in held_refs]
    summary.skipped += len(unique) - len(fresh)

    out.service_ids = {str(code): sid for sid, code in s.execute(select(Service.id, Service.code))}
    out.team_ids = {name.casefold(): tid for tid, name in s.execute(select(Team.id, Team.name))}
    wanted_gps = sorted({r.gp_practice_ods for r in fresh if r.gp_practice_ods})
    for part in chunks(wanted_gps):
        out.gp_ids.update(
            (code, gid)
            for gid, code in s.execute(
                select(GpPractice.id, GpPractice.ods_code).where(GpPractice.ods_code.in_(part))
            )
        )
    out.held = _held_patients(s, sorted({r.nhs_number for r in fresh}))

    for record in fresh:
        problems = _lookups(record, out)
        held = out.held.get(record.nhs_number)
        if held is not None and held.columns["date_of_birth"] != record.patient["date_of_birth"]:
            problems.append(
                RowError(
                    record.where,
                    "date_of_birth",
                    "differs from the patient held with this NHS number: check the NHS number.",
                )
            )
        if problems:
            summary.errors.extend(problems)
            continue
        out.referrals.append(record)
        phones = out.new_phones.setdefault(record.nhs_number, [])
        known = held.phone_keys if held is not None else set()
        for phone in record.phones:
            if phone.key not in known and all(phone.key != p.key for p in phones):
                phones.append(phone)
        if held is None:
            out.new_patients[record.nhs_number] = record
        else:
            changed = _changes(held.columns, record.patient)
            gp = out.gp_ids.get(record.gp_practice_ods or "")
            if gp is not None and gp != held.columns["gp_practice_id"]:
                changed["gp_practice_id"] = gp
            merged = {**out.changes.get(held.id, {}), **changed}
            if merged:
                out.changes[held.id] = merged
    summary.imported = len(out.referrals)
    summary.updated = len(out.changes)
    return out


def _lookups(record: ReferralRecord, out: ReferralPlan) -> list[RowError]:
    problems = []
    if record.gp_practice_ods and record.gp_practice_ods not in out.gp_ids:
        problems.append(
            RowError(
                record.where, "gp_practice_ods", f"{record.gp_practice_ods} is not a GP practice held here."
            )
        )
    if record.team and record.team.casefold() not in out.team_ids:
        problems.append(RowError(record.where, "team", f"{record.team!r} is not a team held here."))
    if record.service.value not in out.service_ids:
        problems.append(RowError(record.where, "service", f"{record.service.value} is not set up here."))
    return problems


def _held_patients(s: Session, numbers: list[str]) -> dict[str, _Held]:
    table = Patient.__table__
    names = ("id", "nhs_number", "date_of_birth", "gp_practice_id", *_ADDRESS, *_ALWAYS, *_WHEN_GIVEN)
    held: dict[str, _Held] = {}
    for part in chunks(numbers):
        query = select(*(table.c[n] for n in names)).where(table.c.nhs_number.in_(part))
        for row in s.execute(query).mappings():
            held[row["nhs_number"]] = _Held(row["id"], dict(row))
    by_id = {h.id: h for h in held.values()}
    for ids in chunks(list(by_id)):
        query = select(PatientPhone.patient_id, PatientPhone.number_key).where(
            PatientPhone.patient_id.in_(ids)
        )
        for patient_id, key in s.execute(query):
            by_id[patient_id].phone_keys.add(key)
    return held


def _changes(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    changed = {k: given[k] for k in _ALWAYS if given[k] != current[k]}
    changed.update({k: given[k] for k in _WHEN_GIVEN if given[k] is not None and given[k] != current[k]})
    if any(given[k] != current[k] for k in _ADDRESS):
        changed.update({k: given[k] for k in _ADDRESS})
        if given["postcode"] != current["postcode"]:
            # The coordinates belong to the old address: distances are left out, not measured wrong.
            changed.update(latitude=None, longitude=None)
    return changed


def write(
    s: Session,
    actor: Actor,
    out: ReferralPlan,
    progress: Progress,
    import_detail: dict[str, Any],
) -> None:
    """Write the plan in the session's transaction: patients, phones, referrals, feed and audit."""
    now = utcnow()
    user = actor.user_id
    total = len(out.referrals)
    with checks_deferred(s):
        patient_ids = {nhs: h.id for nhs, h in out.held.items()}
        new_ids = take_ids(s, Patient, len(out.new_patients))
        patient_rows = []
        for pid, (nhs, record) in zip(new_ids, out.new_patients.items(), strict=True):
            patient_ids[nhs] = pid
            patient_rows.append(_patient_row(pid, record, out.gp_ids.get(record.gp_practice_ods or ""), now))
        insert_rows(s, Patient, patient_rows)
        progress("writing", len(patient_rows) // 2, total)

        phone_rows = []
        for nhs, phones in out.new_phones.items():
            first_is_preferred = nhs in out.new_patients
            for n, phone in enumerate(phones):
                phone_rows.append(
                    {
                        "patient_id": patient_ids[nhs],
                        "kind": phone.kind,
                        "number": phone.number,
                        "number_key": phone.key,
                        "is_preferred": first_is_preferred and n == 0,
                        "status": PhoneStatus.ACTIVE,
                        "status_changed_at": None,
                    }
                )
        insert_rows(s, PatientPhone, phone_rows)

        referral_ids = take_ids(s, Referral, total)
        referral_rows = [
            _referral_row(rid, r, patient_ids[r.nhs_number], out, now)
            for rid, r in zip(referral_ids, out.referrals, strict=True)
        ]
        insert_rows(s, Referral, referral_rows)
        progress("writing", total * 3 // 4, total)

    changed_ids = list(out.changes)
    _update_patients(s, out.changes)
    # Desks showing any referral of a changed patient reload it (as contact_details does).
    touched: list[int] = []
    for part in chunks(changed_ids):
        touched.extend(s.scalars(select(Referral.id).where(Referral.patient_id.in_(part))))
    new_referrals = set(referral_ids)
    feed = [
        *(("patient", row["id"], "insert") for row in patient_rows),
        *(("patient", pid, "update") for pid in changed_ids),
        *(("referral", rid, "insert") for rid in referral_ids),
        *(("referral", rid, "update") for rid in touched if rid not in new_referrals),
    ]
    insert_rows(
        s, Change, [{"at": now, "entity": e, "entity_id": i, "op": op, "user_id": user} for e, i, op in feed]
    )

    fates = {nhs: "new" for nhs in out.new_patients}
    audit_rows = [audit.event_row(now, user, "import_referrals", "import", None, None, import_detail)]
    for rid, r in zip(referral_ids, out.referrals, strict=True):
        pid = patient_ids[r.nhs_number]
        detail: dict[str, Any] = {"source_ref": r.source_ref, "patient": fates.get(r.nhs_number, "held")}
        if pid in out.changes:
            detail["patient"] = "updated"
            detail["changed"] = sorted(out.changes[pid])
        audit_rows.append(audit.event_row(now, user, "import_referral", "referral", rid, pid, detail))
    insert_rows(s, AuditEvent, audit_rows)
    progress("writing", total, total)


def _update_patients(s: Session, changes: dict[int, dict[str, Any]]) -> None:
    """One executemany per set of columns changed (most patients change the same few)."""
    table: Table = Patient.__table__  # type: ignore[assignment]
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for pid, values in changes.items():
        columns = tuple(sorted(values))
        groups.setdefault(columns, []).append(
            {"patient_id": pid, **{f"new_{k}": v for k, v in values.items()}}
        )
    conn = s.connection()
    for columns, rows in groups.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("patient_id"))
            .values({name: bindparam(f"new_{name}") for name in columns})
        )
        conn.execute(statement, rows)


def take_ids(s: Session, model: type[Referral] | type[Patient], n: int) -> list[int]:
    """n fresh primary keys for `model`'s table, safe against other desks inserting meanwhile."""
    if n == 0:
        return []
    table = model.__tablename__
    if s.get_bind().dialect.name == "postgresql":
        query = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
        return [int(v) for v in s.scalars(query, {"table": table, "n": n})]
    # SQLite: this write transaction began IMMEDIATE, so nobody else can insert until it ends.
    top = s.scalar(select(func.coalesce(func.max(model.id), 0))) or 0
    return list(range(top + 1, top + 1 + n))


def _patient_row(pid: int, r: ReferralRecord, gp_id: int | None, now: datetime) -> dict[str, Any]:
    return {
        "id": pid,
        **r.patient,
        "latitude": None,
        "longitude": None,
        "preferred_contact_times": None,
        "language": "English",
        "interpreter_needed": False,
        "adjustments": [],
        "adjustments_note": None,
        "unavailable_weekdays": None,
        "available_day_parts": None,
        "availability_note": None,
        "gp_practice_id": gp_id,
        "created_at": now,
    }


def _referral_row(rid: int, r: ReferralRecord, pid: int, out: ReferralPlan, now: datetime) -> dict[str, Any]:
    return {
        "id": rid,
        "patient_id": pid,
        "service_id": out.service_ids[r.service.value],
        "received_on": r.received_on,
        "priority": r.priority,
        "priority_rank": r.priority.rank,
        "breach_on": rtt.breach_date(r.received_on, r.priority),
        "referrer": r.referrer,
        "triage_notes": r.triage_notes,
        "triaged_by": r.triaged_by,
        "triaged_on": r.triaged_on,
        "status": ReferralStatus.AWAITING_CONTACT,
        "is_open": True,
        "team_id": out.team_ids.get(r.team.casefold()) if r.team else None,
        "assigned_to": None,
        "claimed_by": None,
        "claimed_until": None,
        "attempt_count": 0,
        "failed_attempt_count": 0,
        "last_attempt_at": None,
        "next_action_at": None,
        "utc_letter_sent_on": None,
        "created_at": now,
        "updated_at": now,
        "source_ref": r.source_ref,
    }
