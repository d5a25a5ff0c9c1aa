"""Published waiting times per site and service, from CSV (columns: docs/imports.md).

A wait is held per (site, service, as_of): the newest as_of is what the choice script shows.
The same wait again is skipped; a different number of weeks for a date already held is taken as
the publisher's correction (updated); a site that does not offer the service is refused, since
the choice script would never show that wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from cras_desk.db.models import AuditEvent, Service, Site, SiteService, WaitingTime
from cras_desk.demo.bulk import insert_rows
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import ServiceCode
from cras_desk.domain.errors import ValidationError
from cras_desk.imports import field_rules as rules
from cras_desk.imports.csv_reading import read_rows
from cras_desk.imports.outcome import ImportSummary, RowError
from cras_desk.services.actor import Actor

REQUIRED = ("site", "service", "weeks", "as_of")
MAX_WEEKS = 104


@dataclass(frozen=True, slots=True)
class WaitRow:
    where: str
    site: str
    service: ServiceCode
    weeks: int
    as_of: date


def read_waits(path: Path, today: date, errors: list[RowError]) -> Iterator[WaitRow | None]:
    for where, raw in read_rows(path, REQUIRED, (), errors):
        if raw is None:
            yield None
            continue
        found: dict[str, Any] = {}
        problems = []
        for name, rule in (
            ("site", lambda v: rules.required_text(v, "Site", 120)),
            ("service", rules.service),
            ("weeks", lambda v: rules.whole_number(v, "Weeks", 0, MAX_WEEKS)),
            ("as_of", lambda v: rules.day(v, "Date published", today=today)),
        ):
            try:
                found[name] = rule(raw.get(name))
            except ValidationError as exc:
                problems.append(RowError(where, name, str(exc)))
        errors.extend(problems)
        yield None if problems else WaitRow(where, **found)


def import_waits(
    s: Session,
    actor: Actor,
    rows: list[WaitRow],
    summary: ImportSummary,
    detail: dict[str, Any],
    *,
    write: bool,
) -> None:
    """Sort rows into new, corrected, repeated and refused; write them unless only checking."""
    sites: dict[str, list[int]] = {}
    for sid, name in s.execute(select(Site.id, Site.name)):
        sites.setdefault(name.casefold(), []).append(sid)
    services = {str(code): sid for sid, code in s.execute(select(Service.id, Service.code))}
    offered = {(a, b) for a, b in s.execute(select(SiteService.site_id, SiteService.service_id))}
    dates = sorted({r.as_of for r in rows})
    held: dict[tuple[int, int, date], tuple[int, int]] = {}
    if dates:
        query = select(
            WaitingTime.site_id, WaitingTime.service_id, WaitingTime.as_of, WaitingTime.id, WaitingTime.weeks
        ).where(WaitingTime.as_of.in_(dates))
        held = {(a, b, c): (wid, weeks) for a, b, c, wid, weeks in s.execute(query)}
    seen: dict[tuple[int, int, date], WaitRow] = {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        ids = sites.get(row.site.casefold(), [])
        if len(ids) != 1:
            why = "is not a site held here." if not ids else "names more than one site: rename one first."
            summary.errors.append(RowError(row.where, "site", f"{row.site!r} {why}"))
            continue
        key = (ids[0], services.get(row.service.value, 0), row.as_of)
        if (key[0], key[1]) not in offered:
            summary.errors.append(
                RowError(row.where, "service", f"{row.site} does not offer {row.service.value}.")
            )
            continue
        earlier = seen.get(key)
        if earlier is not None:
            if earlier.weeks == row.weeks:
                summary.skipped += 1
            else:
                summary.errors.append(
                    RowError(row.where, "weeks", f"{earlier.where} gives {earlier.weeks} for the same date.")
                )
            continue
        seen[key] = row
        current = held.get(key)
        if current is None:
            inserts.append({"site_id": key[0], "service_id": key[1], "as_of": row.as_of, "weeks": row.weeks})
        elif current[1] == row.weeks:
            summary.skipped += 1
        else:
            updates.append({"wait_id": current[0], "new_weeks": row.weeks})
    summary.imported = len(inserts)
    summary.updated = len(updates)
    if not write:
        return
    insert_rows(s, WaitingTime, inserts)
    if updates:
        table: Table = WaitingTime.__table__  # type: ignore[assignment]
        s.connection().execute(
            update(table).where(table.c.id == bindparam("wait_id")).values(weeks=bindparam("new_weeks")),
            updates,
        )
    audit_row = {
        "at": utcnow(),
        "user_id": actor.user_id,
        "action": "import_waits",
        "entity": "import",
        "entity_id": None,
        "patient_id": None,
        "detail": {**detail, **summary.counts()},
    }
    insert_rows(s, AuditEvent, [audit_row])
