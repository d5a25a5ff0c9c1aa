"""The letter print queue: preview, print runs, reprints. Every letter rendered is recorded.

A letter's PDF is a pure function of its record (inputs, created_at, document_id), so the file
printed today can be reproduced byte for byte years later: the SHA-256 recorded at the first
render is the proof, and a reprint that would differ is refused rather than posted.

The first render (a preview or the print run) freezes the wording into Letter.inputs and gives
the letter its document id. While a letter is still queued a re-render that differs (the
reportlab library was upgraded, say) simply records the new digest: nothing was posted yet. Once
printed, the digest is fixed.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cras_desk.db.engine import Database
from cras_desk.db.models import Letter, Patient, Referral
from cras_desk.domain.clock import to_london, utcnow
from cras_desk.domain.enums import LetterKind, LetterStatus, Role
from cras_desk.domain.errors import CrasError, NotFound, StaleState
from cras_desk.letters.compose import LetterSpec, frozen_wording, reference
from cras_desk.services import audit
from cras_desk.services.actor import Actor
from cras_desk.services.letter_queue import complete_inputs

if TYPE_CHECKING:
    from cras_desk.letters.render import CombinedPdf

_ROLES = (Role.ADVISOR, Role.TEAM_LEAD)
# Letters per write transaction in a print run: small enough that other desks are never held up
# for long by the write lock (about 10 ms a letter), large enough to keep commits cheap.
PRINT_BATCH = 10

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


class ReprintMismatch(CrasError):
    """A reprint would not be the letter that was posted; nothing is printed."""


@dataclass(frozen=True)
class QueuedLetter:
    id: int
    referral_id: int
    kind: LetterKind
    recipient: str
    patient_name: str
    nhs_number: str
    created_at: datetime
    large_print: bool

    @property
    def reference(self) -> str:
        return reference(self.referral_id, self.id)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


@dataclass
class PrintRun:
    """What a print run wrote. combined_pdf is None when nothing was printed."""

    combined_pdf: Path | None
    files: list[Path] = field(default_factory=list)
    count: int = 0
    pages: int = 0
    cancelled: bool = False
    letter_ids: list[int] = field(default_factory=list)


def spec_of(letter: Letter) -> LetterSpec:
    assert letter.document_id is not None
    return LetterSpec(
        letter_id=letter.id,
        referral_id=letter.referral_id,
        kind=letter.kind,
        recipient=letter.recipient,
        large_print=letter.large_print,
        inputs=letter.inputs,
        created_at=letter.created_at,
        document_id=letter.document_id,
    )


def letter_file_name(letter: Letter | QueuedLetter) -> str:
    """No patient names in file names: print spools and shared folders are not the record."""
    return f"CRAS-{letter.referral_id}-{letter.id}-{letter.kind.value}.pdf"


class LetterService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reading ---------------------------------------------------------------------------------

    def queue(self, actor: Actor, limit: int | None = None) -> list[QueuedLetter]:
        """Letters waiting to be printed, oldest first."""
        actor.require(*_ROLES, action="see the letter queue")
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
            )
            .join(Referral, Referral.id == Letter.referral_id)
            .join(Patient, Patient.id == Referral.patient_id)
            .where(Letter.status == LetterStatus.QUEUED)
            .order_by(Letter.created_at, Letter.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.db.write() as s:
            rows = [
                QueuedLetter(lid, rid, kind, recipient, f"{given} {family}", nhs, created, large)
                for lid, rid, kind, recipient, given, family, nhs, created, large in s.execute(query)
            ]
            # Listing names and NHS numbers is a view of patient data: one audit row for the list.
            audit.record(s, actor, "view_letter_queue", "letter", None, None, {"count": len(rows)})
        return rows

    def queued_count(self, actor: Actor) -> int:
        actor.require(*_ROLES, action="see the letter queue")
        with self.db.read() as s:
            return s.scalar(select(func.count()).where(Letter.status == LetterStatus.QUEUED)) or 0

    # --- rendering -------------------------------------------------------------------------------

    def render(self, actor: Actor, letter_id: int) -> bytes:
        """The letter's PDF, for a preview; the first render records its digest and document id."""
        actor.require(*_ROLES, action="view letters")
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            letter, patient_id = self._letter(s, letter_id)
            pdf, digest = _render_recorded(s, letter)
            audit.record(
                s,
                actor,
                "view_letter",
                "letter",
                letter.id,
                patient_id,
                {"kind": letter.kind.value, "sha256": digest},
            )
        return pdf

    def reprint(self, actor: Actor, letter_id: int) -> bytes:
        """The exact PDF recorded for this letter; ReprintMismatch if it cannot be reproduced."""
        actor.require(*_ROLES, action="reprint letters")
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            letter, patient_id = self._letter(s, letter_id)
            if letter.sha256 is None or letter.document_id is None:
                raise StaleState(
                    f"Letter {reference(letter.referral_id, letter.id)} has never been printed, so there is "
                    "nothing to reprint. Print it from the letter queue."
                )
            pdf = render_pdf(spec_of(letter))
            digest = hashlib.sha256(pdf).hexdigest()
            if digest != letter.sha256:
                raise ReprintMismatch(
                    f"Letter {reference(letter.referral_id, letter.id)} cannot be reproduced exactly "
                    "(the letter software has changed since it was printed). Nothing was printed; "
                    "please tell your system administrator."
                )
            audit.record(s, actor, "reprint_letter", "letter", letter.id, patient_id, {"sha256": digest})
        return pdf

    # --- printing --------------------------------------------------------------------------------

    def mark_printed(self, actor: Actor, letter_ids: Sequence[int]) -> int:
        """Record that letters went to a printer from the desk (the print dialog). Returns how many."""
        actor.require(*_ROLES, action="print letters")
        now = utcnow()
        marked = 0
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            for letter_id in letter_ids:
                letter, patient_id = self._letter(s, letter_id)
                if letter.status is not LetterStatus.QUEUED:
                    continue
                _pdf, digest = _render_recorded(s, letter)  # the digest must be that of what was printed
                letter.status = LetterStatus.PRINTED
                letter.printed_at = now
                letter.printed_by = actor.user_id
                audit.record(s, actor, "print_letter", "letter", letter.id, patient_id, {"sha256": digest})
                marked += 1
        return marked

    def print_queue(self, actor: Actor, out_dir: Path, progress: Progress | None = None) -> PrintRun:
        """Render the queue into one combined PDF for the printer plus one PDF per letter.

        Letters are marked printed as they are written, a few per transaction. progress(done,
        total) is called before the first letter and after each one; returning False cancels:
        the letters done so far stay printed (their files and the combined PDF are complete),
        the rest stay queued. Letters another desk prints meanwhile are skipped.
        """
        from cras_desk.letters.render import CombinedPdf

        actor.require(*_ROLES, action="print letters")
        out_dir.mkdir(parents=True, exist_ok=True)
        with self.db.read() as s:
            ids = list(
                s.scalars(
                    select(Letter.id)
                    .where(Letter.status == LetterStatus.QUEUED)
                    .order_by(Letter.created_at, Letter.id)
                )
            )
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
        now = utcnow()
        stop = False
        try:
            with self.db.write() as s:
                s.info["user_id"] = actor.user_id
                rows = s.execute(
                    select(Letter, Referral.patient_id)
                    .join(Referral, Referral.id == Letter.referral_id)
                    .where(Letter.id.in_(ids), Letter.status == LetterStatus.QUEUED)
                    .order_by(Letter.created_at, Letter.id)
                    .with_for_update(of=Letter)
                ).all()
                for letter, patient_id in rows:
                    pdf, digest = _render_recorded(s, letter)
                    path = out_dir / letter_file_name(letter)
                    path.write_bytes(pdf)
                    written.append(path)
                    combined.add(spec_of(letter))
                    letter.status = LetterStatus.PRINTED
                    letter.printed_at = now
                    letter.printed_by = actor.user_id
                    audit.record(
                        s,
                        actor,
                        "print_letter",
                        "letter",
                        letter.id,
                        patient_id,
                        {"sha256": digest, "run": True},
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


def render_pdf(spec: LetterSpec) -> bytes:
    from cras_desk.letters.render import render_pdf as _render  # reportlab loads on first use

    return _render(spec)


def _render_recorded(s: Session, letter: Letter) -> tuple[bytes, str]:
    """Render a letter from its record, recording wording, document id and digest on first render."""
    if letter.sha256 is None:
        complete_inputs(s, letter)
    if "wording" not in letter.inputs or "common" not in letter.inputs:
        letter.inputs = {**letter.inputs, **frozen_wording(letter.kind)}
    if letter.document_id is None:
        letter.document_id = uuid.uuid4().hex
    pdf = render_pdf(spec_of(letter))
    digest = hashlib.sha256(pdf).hexdigest()
    if letter.sha256 != digest:
        if letter.sha256 is not None and letter.status is LetterStatus.PRINTED:
            raise ReprintMismatch(
                f"Letter {reference(letter.referral_id, letter.id)} no longer renders as it was printed. "
                "Please tell your system administrator."
            )
        letter.sha256 = digest
        letter.rendered_at = utcnow()
    return pdf, digest
