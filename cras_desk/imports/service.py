"""ImportService: the admin's imports and the waiting-list export, for the CLI and the screen alike.

Only an administrator may import (the role is checked against the users table inside the
transaction, not only on the Actor the caller holds); a team lead or an administrator may export
the waiting list. Good rows go in one transaction with their audit rows; refused rows are listed
with where they are and which field, and never stop the good ones. A dry run decides exactly as a
real import does, against the database as it stands, and writes nothing.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from cras_desk.db.engine import Database
from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import PermissionDenied
from cras_desk.imports import csv_referrals, fhir_referrals, referral_writer, waiting_list, waits
from cras_desk.imports.csv_reading import FileRefused
from cras_desk.imports.outcome import ImportSummary
from cras_desk.imports.referral_record import ReferralRecord
from cras_desk.private_files import create_private_text
from cras_desk.services import access, audit
from cras_desk.services.actor import Actor

Progress = Callable[[str, int, int], None]  # (stage, done, total; 0 when not known yet)
_EVERY = 2_000  # rows between progress reports while checking


def _quiet(_stage: str, _done: int, _total: int) -> None:
    return None


class ImportService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def import_referrals(
        self,
        actor: Actor,
        path: Path,
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
        today: date | None = None,
    ) -> ImportSummary:
        """Referrals from a CSV file or a FHIR Bundle (JSON), told apart by extension or content."""
        _require_admin(actor, "import referrals")
        say = progress or _quiet
        today = today or today_london()
        summary = ImportSummary(dry_run=dry_run)
        fhir = fhir_referrals.looks_like_fhir(path)
        reader = fhir_referrals.read_referrals if fhir else csv_referrals.read_referrals
        total = 0 if fhir else _data_lines(path)
        records: list[ReferralRecord] = []
        with _collector_paused():
            try:
                for n, record in enumerate(reader(path, today, summary.errors), start=1):
                    summary.rows = n
                    if record is not None:
                        records.append(record)
                    if n % _EVERY == 0:
                        say("checking", n, max(total, n))
            except FileRefused as exc:
                return ImportSummary(dry_run=dry_run, errors=[exc.error])
            say("checking", summary.rows, summary.rows)
            detail = {"file": path.name, "sha256": _sha256(path), "format": "fhir" if fhir else "csv"}
            with self._unit(dry_run) as s:
                _check_still_admin(s, actor, "import referrals")
                plan = referral_writer.plan(s, records, summary)
                if not dry_run:
                    referral_writer.write(s, actor, plan, say, {**detail, **summary.counts()})
        return summary

    def import_waits(
        self,
        actor: Actor,
        path: Path,
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
        today: date | None = None,
    ) -> ImportSummary:
        """Published waiting times per site and service from CSV."""
        _require_admin(actor, "import waiting times")
        say = progress or _quiet
        summary = ImportSummary(dry_run=dry_run, updated_what="waits")
        rows: list[waits.WaitRow] = []
        try:
            for n, row in enumerate(waits.read_waits(path, today or today_london(), summary.errors), start=1):
                summary.rows = n
                if row is not None:
                    rows.append(row)
        except FileRefused as exc:
            return ImportSummary(dry_run=dry_run, updated_what="waits", errors=[exc.error])
        say("checking", summary.rows, summary.rows)
        detail = {"file": path.name, "sha256": _sha256(path)}
        with self._unit(dry_run) as s:
            _check_still_admin(s, actor, "import waiting times")
            waits.import_waits(s, actor, rows, summary, detail, write=not dry_run)
        say("writing", summary.rows, summary.rows)
        return summary

    def export_waiting_list(self, actor: Actor, out: Path, *, today: date | None = None) -> int:
        """Write the open waiting list to `out` (CSV); returns the number of pathways written."""
        actor.require(Role.TEAM_LEAD, action="export the waiting list")
        day = today or today_london()
        with self.db.write() as s:
            actor = access.caller(s, actor)  # before the file exists: a refusal leaves none behind
            with create_private_text(out, newline="") as handle:
                n = waiting_list.write_csv(s, day, handle)
            audit.record(
                s, actor, "export_waiting_list", "waiting_list", detail={"rows": n, "as_of": str(day)}
            )
        return n

    def _unit(self, dry_run: bool) -> AbstractContextManager[Session]:
        return self.db.read() if dry_run else self.db.write()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a file's rows are held: 100,000 records are several
    hundred thousand objects that stay alive until the end, and the collector walking them again
    and again cost a sixth of an import. Nothing made here is cyclic garbage."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _require_admin(actor: Actor, action: str) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied(f"Only an administrator may {action}.")


def _check_still_admin(s: Session, actor: Actor, action: str) -> None:
    """The role as the database holds it now: an admin demoted since signing in is refused."""
    if access.caller(s, actor).role is not Role.ADMIN:
        raise PermissionDenied(f"Only an administrator may {action}.")


def _data_lines(path: Path) -> int:
    """Lines after the header: the progress bar's length (quoted line breaks make it a little long)."""
    try:
        with path.open("rb") as handle:
            return max(0, sum(1 for _ in handle) - 1)
    except OSError:
        return 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
