"""The audit trail as an admin reads it: search by user, NHS number, dates and action; export CSV.

Reading the trail is itself a use of patient data, so every search and every export writes its own
audit row ("audit_search", "audit_export") with the filters used, never the rows found. Pages are
keyset on the event id, newest first, so page 500 costs what page 1 does, and an export walks the
same keyset in batches: a million events never sit in memory at once.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cras_desk.db.engine import Database
from cras_desk.db.models import AuditEvent, Patient, User
from cras_desk.domain import nhs_number
from cras_desk.domain.clock import LONDON, today_london
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import PermissionDenied, ValidationError
from cras_desk.private_files import create_private
from cras_desk.services import audit
from cras_desk.services.actor import Actor

PAGE_SIZE = 200
EXPORT_BATCH = 2000
# Counting every match of an open search on a trail of millions is a full scan; beyond this the
# screen says "more than 10,000", which is all an admin needs to narrow the search.
COUNT_CAP = 10_000
# The trail starts with the desk; a date before this, or after today, is a typing slip.
EARLIEST_DAY = date(2000, 1, 1)
DATE_EXAMPLE = "17/05/2026"
CSV_HEADINGS = (
    "Event",
    "When (UK time)",
    "User",
    "Action",
    "Record",
    "Record id",
    "NHS number",
    "Detail",
)

_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


@dataclass(frozen=True)
class AuditFilters:
    """What an admin searches by; empty text and None mean "any"."""

    user: str = ""  # a user name or a user id
    nhs_number: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive: the whole of that day, UK time
    action: str = ""

    def described(self) -> dict[str, Any]:
        """The filters as written into the search's own audit row (only those set)."""
        shown = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}
        return {k: v for k, v in shown.items() if v not in ("", None)}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    user_id: int | None
    username: str | None
    action: str
    entity: str
    entity_id: int | None
    nhs_number: str | None
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_before_id: int | None  # pass as before_id for the next (older) page; None: this is the last
    total: int  # every event matching the filters, up to COUNT_CAP
    total_capped: bool  # True: more than COUNT_CAP match

    @property
    def total_words(self) -> str:
        if self.total_capped:
            return f"more than {COUNT_CAP:,} events"
        return "1 event" if self.total == 1 else f"{self.total:,} events"


def parse_day(text: str, label: str) -> date | None:
    """A day typed into a date filter (17/05/2026 or 2026-05-17), None if left empty.

    label names the field in the message ("Date from"), so the admin knows which one is wrong.
    """
    typed = text.strip()
    if not typed:
        return None
    match = _DAY_FIRST.fullmatch(typed)
    if match is not None:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _YEAR_FIRST.fullmatch(typed)
        if match is None:
            raise ValidationError(
                f"{label}: {typed!r} is not a date. Type day/month/year, e.g. {DATE_EXAMPLE}."
            )
        year, month, day = (int(g) for g in match.groups())
    try:
        day_typed = date(year, month, day)
    except ValueError:
        raise ValidationError(f"{label}: {typed} is not a date on the calendar.") from None
    _check_bounds(day_typed, label)
    return day_typed


def _check_bounds(day: date, label: str) -> None:
    today = today_london()
    if not EARLIEST_DAY <= day <= today:
        raise ValidationError(
            f"{label}: {_day_words(day)} is outside the audit trail, which runs from "
            f"{_day_words(EARLIEST_DAY)} to today ({_day_words(today)})."
        )


def _day_words(day: date) -> str:
    # Not strftime: it writes the year 1 as "1" on some platforms and "0001" on others.
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _uk_midnight(day: date) -> datetime:
    """The first moment of a UK day (clocks change at 01:00/02:00, so midnight always exists)."""
    return datetime.combine(day, time(0), LONDON)


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- reading -------------------------------------------------------------------------------

    def search(
        self, actor: Actor, filters: AuditFilters, *, before_id: int | None = None, limit: int = PAGE_SIZE
    ) -> AuditPage:
        """One page of the events matching filters, newest first, below before_id if given."""
        if not 1 <= limit <= 1000:
            raise ValidationError("A page holds 1 to 1,000 events.")
        with self.db.write() as s:
            self._require_admin(s, actor, "search the audit trail")
            query = self._matching(s, filters)
            paged = query if before_id is None else query.where(AuditEvent.id < before_id)
            found = [self._entry(row) for row in s.execute(self._shown(paged).limit(limit + 1))]
            more = len(found) > limit
            entries = found[:limit]
            capped = query.order_by(None).limit(COUNT_CAP + 1).subquery()
            counted = s.scalar(select(func.count()).select_from(capped))
            total = int(counted or 0)
            detail: dict[str, Any] = {"filters": filters.described()}
            if before_id is not None:
                detail["before_id"] = before_id
            audit.record(s, actor, "audit_search", "audit", detail=detail)
        return AuditPage(
            entries,
            entries[-1].id if more else None,
            min(total, COUNT_CAP),
            total > COUNT_CAP,
        )

    def actions(self, actor: Actor) -> list[str]:
        """Every action the trail holds, for the action filter's list."""
        with self.db.read() as s:
            self._require_admin(s, actor, "search the audit trail")
            return list(s.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))

    # -- export --------------------------------------------------------------------------------

    def export_csv(self, actor: Actor, filters: AuditFilters, path: Path) -> int:
        """Every event matching filters into a 0600 CSV file at path, newest first; the count written."""
        with self.db.write() as s:
            self._require_admin(s, actor, "export the audit trail")
            self._matching(s, filters)  # a bad filter is refused before anything is written
            # Audited before a byte is written: if the export fails half way, the trail still
            # says that someone took (or tried to take) these events out of the database.
            audit.record(s, actor, "audit_export", "audit", detail={"filters": filters.described()})
        written = 0
        with create_private(path) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
            out = csv.writer(text)
            out.writerow(CSV_HEADINGS)
            for entry in self._walk(filters):
                out.writerow(_csv_row(entry))
                written += 1
        return written

    def _walk(self, filters: AuditFilters) -> Iterator[AuditEntry]:
        """Every matching event, newest first, a batch at a time (one short read per batch)."""
        before: int | None = None
        while True:
            with self.db.read() as s:
                query = self._matching(s, filters)
                if before is not None:
                    query = query.where(AuditEvent.id < before)
                batch = [self._entry(row) for row in s.execute(self._shown(query).limit(EXPORT_BATCH))]
            yield from batch
            if len(batch) < EXPORT_BATCH:
                return
            before = batch[-1].id

    # -- the query -----------------------------------------------------------------------------

    def _require_admin(self, s: Session, actor: Actor, action: str) -> None:
        """The role as the users table has it now, not as the caller's Actor says: a deactivated
        admin, or an Actor built with the admin role, is refused."""
        actor.require(Role.ADMIN, action=action)
        row = s.execute(select(User.role, User.active).where(User.id == actor.user_id)).one_or_none()
        if row is None or not row.active or row.role is not Role.ADMIN:
            raise PermissionDenied(f"Only an admin may {action}.")

    def _matching(self, s: Session, filters: AuditFilters) -> Select[int]:
        """The ids of the events matching filters, newest first (each filter checked first)."""
        query = select(AuditEvent.id).order_by(AuditEvent.id.desc())
        user = filters.user.strip()
        if user:
            query = query.where(AuditEvent.user_id == self._user_id(s, user))
        typed_nhs = filters.nhs_number.strip()
        if typed_nhs:
            fault = nhs_number.fault(typed_nhs)
            if fault is not None:
                raise ValidationError(f"NHS number: {fault}")
            patient_id = select(Patient.id).where(Patient.nhs_number == nhs_number.normalise(typed_nhs))
            query = query.where(AuditEvent.patient_id == patient_id.scalar_subquery())
        if filters.date_from is not None:
            _check_bounds(filters.date_from, "Date from")
            query = query.where(AuditEvent.at >= _uk_midnight(filters.date_from))
        if filters.date_to is not None:
            _check_bounds(filters.date_to, "Date to")
            query = query.where(AuditEvent.at < _uk_midnight(filters.date_to + timedelta(days=1)))
        start, end = filters.date_from, filters.date_to
        if start is not None and end is not None and start > end:
            raise ValidationError(f"Date from ({_day_words(start)}) is after date to ({_day_words(end)}).")
        action = filters.action.strip()
        if action:
            query = query.where(AuditEvent.action == action)
        return query

    @staticmethod
    def _user_id(s: Session, typed: str) -> int:
        if typed.isascii() and typed.isdigit():
            if len(typed) > 9:
                raise ValidationError(f"User: no user has the id {typed}.")
            found = s.scalar(select(User.id).where(User.id == int(typed)))
        else:
            found = s.scalar(select(User.id).where(User.username == typed.lower()))
        if found is None:
            raise ValidationError(f"User: nobody has the user name or id {typed!r}.")
        return found

    @staticmethod
    def _shown(ids: Select[int]) -> Select[*tuple[Any, ...]]:
        """The columns the viewer shows, for the events the id query picks, in its order."""
        return (
            ids.with_only_columns(
                AuditEvent.id,
                AuditEvent.at,
                AuditEvent.user_id,
                User.username,
                AuditEvent.action,
                AuditEvent.entity,
                AuditEvent.entity_id,
                Patient.nhs_number,
                AuditEvent.detail,
            )
            .outerjoin(User, User.id == AuditEvent.user_id)
            .outerjoin(Patient, Patient.id == AuditEvent.patient_id)
        )

    @staticmethod
    def _entry(row: Any) -> AuditEntry:
        return AuditEntry(
            row.id,
            row.at,
            row.user_id,
            row.username,
            row.action,
            row.entity,
            row.entity_id,
            row.nhs_number,
            row.detail,
        )


def _csv_row(entry: AuditEntry) -> list[str]:
    return [
        str(entry.id),
        entry.at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S"),
        _cell(entry.username or ("" if entry.user_id is None else f"user {entry.user_id}")),
        _cell(entry.action),
        _cell(entry.entity),
        "" if entry.entity_id is None else str(entry.entity_id),
        entry.nhs_number or "",
        _cell(json.dumps(entry.detail, ensure_ascii=False, sort_keys=True) if entry.detail else ""),
    ]


def _cell(text: str) -> str:
    # A cell starting with one of these is run as a formula by spreadsheets (CSV injection): a
    # user name or a reason typed at a desk must never become one.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
