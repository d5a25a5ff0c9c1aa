"""The letter print queue: the queue by team, previews, print runs, verified reprints.

A letter's PDF is a pure function of its record (inputs, created_at, document_id), so the file
printed today can be reproduced byte for byte years later: the SHA-256 recorded when it was
printed is the proof, and a reprint that would differ is refused rather than posted.

While a letter is queued every render composes it as it would be posted now (services/
letter_posting.py: the current address, an unable-to-contact letter's reply date from today) and
records that render's digest; printing fixes it. A letter printed from the desk is checked
against the preview the user looked at, so what reaches the printer is what they saw.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from cras_desk.db.engine import Database
from cras_desk.db.models import Letter, Patient, Referral, User
from cras_desk.domain import input_rules
from cras_desk.domain.clock import to_london, utcnow
from cras_desk.domain.enums import LetterKind, LetterStatus, Role
from cras_desk.domain.errors import NotFound, PermissionDenied, StaleState, ValidationError
from cras_desk.letters.compose import reference
from cras_desk.private_files import new_folder, write_private
from cras_desk.services import access, audit
from cras_desk.services.actor import Actor
from cras_desk.services.letter_posting import (
    ReprintMismatch,
    has_recorded_copy,
    mark_posted,
    render_pdf,
    render_recorded,
    spec_of,
)

if TYPE_CHECKING:
    from cras_desk.letters.render import CombinedPdf

__all__ = [
    "KIND_NAMES",
    "LetterService",
    "PrintRun",
    "QueuedLetter",
    "ReprintMismatch",
    "render_pdf",
    "spec_of",
]

_ROLES = (Role.ADVISOR, Role.TEAM_LEAD)
Ts = TypeVarTuple("Ts")  # the columns of a statement narrowed to a team keep their types
# Letters per write transaction in a print run: small enough that other desks are never held up
# for long by the write lock (about 10 ms a letter), large enough to keep commits cheap.
PRINT_BATCH = 10
# Printed letters listed for a reprint, newest first: a morning's runs, not the whole archive.
PRINTED_SHOWN = 300

Progress = Callable[[int, int], bool | None]

KIND_NAMES: dict[LetterKind, str] = {
    LetterKind.CHOICE: "Choice of provider",
    LetterKind.APPOINTMENT: "Appointment",
    LetterKind.CANCELLED: "Appointment cancelled",
    LetterKind.REBOOKED: "Appointment changed",
    LetterKind.UNABLE_TO_CONTACT: "Unable to contact",
    LetterKind.DISCHARGE: "Discharge",
    LetterKind.DISCHARGE_GP_COPY: "Discharge (GP copy)",
}


@dataclass(frozen=True)
class QueuedLetter:
    """One row of the queue screen (a queued, withdrawn or printed letter)."""

    id: int
    referral_id: int
    kind: LetterKind
    recipient: str
    patient_name: str
    nhs_number: str
    created_at: datetime
    large_print: bool
    status: LetterStatus = LetterStatus.QUEUED
    withdrawn_reason: str | None = None
    printed_at: datetime | None = None
    printed_by: str | None = None  # the printing user's full name

    @property
    def reference(self) -> str:
        return reference(self.referral_id, self.id)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]

    @property
    def state_text(self) -> str:
        """ "Queued", "Withdrawn: Appointment rebooked on 04/12/2026 by Amy Advisor", "Printed ..."."""
        if self.status is LetterStatus.WITHDRAWN:
            return f"Withdrawn: {self.withdrawn_reason}" if self.withdrawn_reason else "Withdrawn"
        if self.status is LetterStatus.PRINTED:
            when = f" {to_london(self.printed_at):%d/%m/%Y %H:%M}" if self.printed_at else ""
            return f"Printed{when}" + (f" by {self.printed_by}" if self.printed_by else "")
        return self.status.value.capitalize()


@dataclass
class PrintRun:
    """What a print run wrote. combined_pdf is None when nothing was printed."""

    combined_pdf: Path | None
    files: list[Path] = field(default_factory=list)
    count: int = 0
    pages: int = 0
    cancelled: bool = False
    letter_ids: list[int] = field(default_factory=list)
    held: list[tuple[int, str]] = field(default_factory=list)  # (letter id, why it stays queued)


def letter_file_name(letter: Letter | QueuedLetter) -> str:
    """No patient names in file names: print spools and shared folders are not the record."""
    return f"CRAS-{letter.referral_id}-{letter.id}-{letter.kind.value}.pdf"


class LetterService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reading ---------------------------------------------------------------------------------

    def queue(
        self,
        actor: Actor,
        limit: int | None = None,
        *,
        status: LetterStatus = LetterStatus.QUEUED,
        all_teams: bool = False,
    ) -> list[QueuedLetter]:
        """Letters of the actor's team (all teams: leads and admins only) in one state: queued or
        withdrawn oldest first, printed newest first (the latest PRINTED_SHOWN unless limit says)."""
        actor.require(*_ROLES, action="see the letter queue")
        if limit is not None:
            input_rules.whole_number(limit, "The number of letters to list", 1, 10_000)
        status = LetterStatus(status)
        printer = aliased(User)
        query = (
            select(
                Letter.id,
                Letter.referral_id,
                Letter.kind,
                Letter.recipient,
                Patient.given_name,
                Patient.family_name,
                Patient.nhs_number,
                Letter.created_at,
                Letter.large_print,
                Letter.status,
                Letter.withdrawn_reason,
                Letter.printed_at,
                printer.full_name,
            )
            .join(Referral, Referral.id == Letter.referral_id)
            .join(Patient, Patient.id == Referral.patient_id)
            .outerjoin(printer, printer.id == Letter.printed_by)
            .where(Letter.status == status)
        )
        query = _team_scope(query, actor, all_teams)
        if status is LetterStatus.PRINTED:
            query = query.order_by(Letter.printed_at.desc(), Letter.id.desc()).limit(limit or PRINTED_SHOWN)
        else:
            query = query.order_by(Letter.created_at, Letter.id)
            if limit is not None:
                query = query.limit(limit)
        with self.db.write() as s:
            actor = access.caller(s, actor)
            rows = [QueuedLetter(r[0], r[1], r[2], r[3], f"{r[4]} {r[5]}", *r[6:]) for r in s.execute(query)]
            # Listing names and NHS numbers is a view of patient data: one audit row for the list.
            audit.record(
                s,
                actor,
                "view_letter_queue",
                "letter",
                None,
                None,
                {"count": len(rows), "status": status.value, "all_teams": all_teams},
            )
        return rows

    def queued_count(self, actor: Actor, *, all_teams: bool = False) -> int:
        actor.require(*_ROLES, action="see the letter queue")
        query = _team_scope(
            select(func.count())
            .select_from(Letter)
            .join(Referral, Referral.id == Letter.referral_id)
            .where(Letter.status == LetterStatus.QUEUED),
            actor,
            all_teams,
        )
        with self.db.read() as s:
            access.caller(s, actor)
            return s.scalar(query) or 0

    # --- rendering -------------------------------------------------------------------------------

    def render(self, actor: Actor, letter_id: int) -> bytes:
        """The letter's PDF for a preview: a queued letter as it would be posted now (its digest
        recorded), a printed one exactly as recorded."""
        actor.require(*_ROLES, action="view letters")
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            actor = access.for_letter(s, actor, letter_id)
            letter, patient_id = self._letter(s, letter_id)
            pdf, digest = render_recorded(s, letter, to_london(utcnow()).date())
            audit.record(
                s,
                actor,
                "view_letter",
                "letter",
                letter_id,
                patient_id,
                {"kind": letter.kind.value, "sha256": digest},
            )
        return pdf

    def reprint(self, actor: Actor, letter_id: int, *, referral_id: int | None = None) -> bytes:
        """The exact PDF recorded for this printed letter; ReprintMismatch if its bytes would differ
        from the recorded SHA-256 (nothing is handed out then). referral_id, when the caller has a
        whole reference (CRAS/<referral>/<letter>), must match: a mistyped number finds nothing."""
        actor.require(*_ROLES, action="reprint letters")
        try:
            return self._reprint(actor, letter_id, referral_id)
        except ReprintMismatch as exc:
            # A refusal is worth an administrator's attention (software changed, or the record was
            # tampered with): recorded in its own transaction, since the reprint's rolled back.
            with self.db.write() as s:
                patient_id = s.scalar(
                    select(Referral.patient_id)
                    .join(Letter, Letter.referral_id == Referral.id)
                    .where(Letter.id == letter_id)
                )
                detail = {"recorded": exc.recorded, "produced": exc.produced}
                audit.record(s, actor, "reprint_refused", "letter", letter_id, patient_id, detail)
            raise

    def _reprint(self, actor: Actor, letter_id: int, referral_id: int | None) -> bytes:
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            actor = access.for_letter(s, actor, letter_id)
            letter, patient_id = self._letter(s, letter_id)
            if referral_id is not None and letter.referral_id != referral_id:
                raise NotFound(f"There is no letter {reference(referral_id, letter_id)}.")
            name = reference(letter.referral_id, letter.id)
            if letter.status is LetterStatus.QUEUED:
                raise StaleState(f"Letter {name} has not been printed yet: print it from the letter queue.")
            if letter.status is not LetterStatus.PRINTED:
                why = f" ({letter.withdrawn_reason})" if letter.withdrawn_reason else ""
                raise StaleState(f"Letter {name} was {letter.status.value}{why} and is never to be posted.")
            if not has_recorded_copy(letter):
                raise StaleState(
                    f"Letter {name} was printed without a recorded copy (demo or imported data), so it "
                    "cannot be reprinted exactly. Nothing was printed."
                )
            pdf, digest = render_recorded(s, letter, to_london(utcnow()).date())
            audit.record(s, actor, "reprint_letter", "letter", letter.id, patient_id, {"sha256": digest})
        return pdf

    # --- printing --------------------------------------------------------------------------------

    def print_letter(self, actor: Actor, letter_id: int, previewed_sha256: str | None) -> bytes:
        """Record one queued letter as printed and return the bytes to send to the printer.

        previewed_sha256 is the digest of the preview the user printed from: if the letter would
        now come out differently (the address was changed meanwhile, the day turned), StaleState,
        and nothing is recorded, so the user looks again before anything is posted.
        """
        actor.require(*_ROLES, action="print letters")
        now = utcnow()
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            actor = access.for_letter(s, actor, letter_id)
            letter, patient_id = self._letter(s, letter_id)
            name = reference(letter.referral_id, letter.id)
            if letter.status is not LetterStatus.QUEUED:
                raise StaleState(f"Letter {name} is no longer in the queue (it is {letter.status.value}).")
            pdf, digest = render_recorded(s, letter, to_london(now).date())
            if previewed_sha256 is not None and digest != previewed_sha256:
                raise StaleState(
                    f"Letter {name} has changed since its preview (the patient's details or the date "
                    "have changed). Nothing was printed: check the new preview and print again."
                )
            detail = mark_posted(s, letter, actor.user_id, now)
            audit.record(s, actor, "print_letter", "letter", letter.id, patient_id, detail)
        return pdf

    def mark_printed(self, actor: Actor, letter_ids: Sequence[int]) -> int:
        """Record queued letters as printed, each checked against its last preview. Returns how many."""
        marked = 0
        for letter_id in letter_ids:
            with self.db.read() as s:
                access.for_letter(s, actor, letter_id)
                row = s.execute(select(Letter.status, Letter.sha256).where(Letter.id == letter_id)).first()
            if row is None:
                raise NotFound(f"Letter {letter_id} does not exist.")
            if row.status is LetterStatus.QUEUED:
                self.print_letter(actor, letter_id, row.sha256)
                marked += 1
        return marked

    def print_queue(
        self, actor: Actor, out_dir: Path, progress: Progress | None = None, *, all_teams: bool = False
    ) -> PrintRun:
        """Render the queue (the actor's team, or all teams) into one combined PDF for the printer
        plus one PDF per letter.

        Letters are marked printed as they are written, a few per transaction. progress(done,
        total) is called before the first letter and after each one; returning False cancels:
        the letters done so far stay printed (their files and the combined PDF are complete),
        the rest stay queued. Letters another desk prints or withdraws meanwhile are skipped; a
        letter that cannot be posted (no address on record) stays queued, listed in run.held.
        """
        from cras_desk.letters.render import CombinedPdf

        actor.require(*_ROLES, action="print letters")
        new_folder(out_dir)  # 0700 if the desk makes it; a folder the user chose stays theirs
        query = _team_scope(
            select(Letter.id)
            .join(Referral, Referral.id == Letter.referral_id)
            .where(Letter.status == LetterStatus.QUEUED)
            .order_by(Letter.created_at, Letter.id),
            actor,
            all_teams,
        )
        with self.db.read() as s:
            access.caller(s, actor)
            ids = list(s.scalars(query))
        total = len(ids)
        if progress is not None and progress(0, total) is False:
            return PrintRun(None, cancelled=True)
        if not ids:
            return PrintRun(None)

        stamp = to_london(utcnow()).strftime("%Y%m%d-%H%M%S")
        combined_path = out_dir / f"cras-letters-{stamp}.pdf"
        partial = combined_path.with_suffix(".pdf.part")
        combined = CombinedPdf(partial, title=f"CRAS letters {stamp}")
        run = PrintRun(None)
        try:
            for start in range(0, total, PRINT_BATCH):
                batch = ids[start : start + PRINT_BATCH]
                if self._print_batch(actor, batch, out_dir, combined, run, progress, total):
                    run.cancelled = True
                    break
        finally:
            combined.close()
        if run.count == 0:
            partial.unlink(missing_ok=True)
            return run
        partial.replace(combined_path)
        run.combined_pdf = combined_path
        run.pages = combined.pages
        return run

    def _print_batch(
        self,
        actor: Actor,
        ids: list[int],
        out_dir: Path,
        combined: CombinedPdf,
        run: PrintRun,
        progress: Progress | None,
        total: int,
    ) -> bool:
        """Print one batch in one transaction; returns True if progress asked to stop."""
        written: list[Path] = []
        done: list[int] = []
        held: list[tuple[int, str]] = []
        now = utcnow()
        today = to_london(now).date()
        stop = False
        try:
            with self.db.write() as s:
                s.info["user_id"] = actor.user_id
                actor = access.caller(s, actor)  # deactivated mid-run: the rest stays queued
                rows = s.execute(
                    select(Letter, Referral.patient_id)
                    .join(Referral, Referral.id == Letter.referral_id)
                    .where(Letter.id.in_(ids), Letter.status == LetterStatus.QUEUED)
                    .order_by(Letter.created_at, Letter.id)
                    .with_for_update(of=Letter)
                ).all()
                for letter, patient_id in rows:
                    try:
                        pdf, _digest = render_recorded(s, letter, today)
                    except ValidationError as exc:
                        held.append((letter.id, str(exc)))
                        continue
                    path = out_dir / letter_file_name(letter)
                    write_private(path, pdf)
                    written.append(path)
                    combined.add(spec_of(letter))
                    detail = mark_posted(s, letter, actor.user_id, now)
                    audit.record(
                        s, actor, "print_letter", "letter", letter.id, patient_id, {**detail, "run": True}
                    )
                    done.append(letter.id)
                    if progress is not None and progress(run.count + len(done), total) is False:
                        stop = True
                        break
        except BaseException:
            # The batch's marks were rolled back, so its files must not look printed either. (Its
            # pages are already in the combined file; the caller's error stops the run, and the
            # combined file is left as .part.)
            for path in written:
                path.unlink(missing_ok=True)
            raise
        run.files.extend(written)
        run.letter_ids.extend(done)
        run.held.extend(held)
        run.count += len(done)
        return stop

    # --- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _letter(s: Session, letter_id: int) -> tuple[Letter, int]:
        row = s.execute(
            select(Letter, Referral.patient_id)
            .join(Referral, Referral.id == Letter.referral_id)
            .where(Letter.id == letter_id)
            .with_for_update(of=Letter)
        ).first()
        if row is None:
            raise NotFound(f"Letter {letter_id} does not exist.")
        return row[0], row[1]


def _team_scope(query: Select[*Ts], actor: Actor, all_teams: bool) -> Select[*Ts]:
    """The actor's team's letters (a referral's team); all teams only for admins (a lead's scope is
    their own team, as the database's row-level security has it). An admin belongs to no team, so
    sees every team's."""
    if all_teams:
        if actor.role is not Role.ADMIN:
            raise PermissionDenied("Only an admin may see every team's letters.")
        return query
    if actor.team_id is None:
        if actor.role is not Role.ADMIN:
            raise PermissionDenied("You are not in a team, so there is no team letter queue to show.")
        return query
    return query.where(Referral.team_id == actor.team_id)
