"""LetterService: the queue, previews, print runs and byte-identical reprints (both backends)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from letter_pdf import all_text, flat, page_texts, reader
from letter_world import queue, queue_one_of_each
from sqlalchemy import select, update

from cras_desk.db.models import AuditEvent, Letter
from cras_desk.domain.clock import today_london
from cras_desk.domain.contact_policy import ContactPolicy
from cras_desk.domain.enums import LetterKind, LetterStatus
from cras_desk.domain.errors import NotFound, StaleState
from cras_desk.letters import wording
from cras_desk.letters.formatting import long_date
from cras_desk.services.letters import LetterService, ReprintMismatch


def _row(world, letter_id: int) -> Letter:
    with world.db.read() as s:
        letter = s.get(Letter, letter_id)
        assert letter is not None
        return letter


def _audit(world, action: str) -> list[AuditEvent]:
    with world.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_queue_lists_letters_oldest_first(world) -> None:
    ids = queue_one_of_each(world)
    rows = LetterService(world.db).queue(world.actor("ben"))
    assert [r.id for r in rows] == sorted(ids.values())
    by_kind = {r.kind: r for r in rows}
    assert by_kind[LetterKind.CHOICE].patient_name == "Zoë Ó Súilleabháin"
    assert by_kind[LetterKind.UNABLE_TO_CONTACT].large_print is True
    assert by_kind[LetterKind.DISCHARGE_GP_COPY].recipient == "gp"
    assert (
        by_kind[LetterKind.CHOICE].reference
        == f"CRAS/{world.referrals['Ó Súilleabháin']}/{ids[LetterKind.CHOICE]}"
    )
    assert by_kind[LetterKind.CANCELLED].kind_name == "Appointment cancelled"
    assert LetterService(world.db).queued_count(world.actor("ben")) == 7
    listed = {"count": 7, "status": "queued", "all_teams": False}
    assert _audit(world, "view_letter_queue")[-1].detail == listed


def test_render_records_digest_document_id_and_wording(world) -> None:
    ids = queue_one_of_each(world)
    service = LetterService(world.db)
    amy = world.actor("amy")
    letter_id = ids[LetterKind.APPOINTMENT]
    assert _row(world, letter_id).sha256 is None
    pdf = service.render(amy, letter_id)
    row = _row(world, letter_id)
    assert row.sha256 == hashlib.sha256(pdf).hexdigest()
    assert row.document_id is not None and len(row.document_id) == 32
    assert row.rendered_at is not None
    assert row.status is LetterStatus.QUEUED  # a preview is not a print
    assert "wording" in row.inputs and "common" in row.inputs
    text = all_text(pdf)
    assert "Zoë Ó Súilleabháin" in text and "999 000 0018" in text and "Lewes Victoria Hub" in text
    assert f"CRAS/{row.referral_id}/{row.id}" in text
    # A second preview is the same file.
    assert service.render(amy, letter_id) == pdf
    views = _audit(world, "view_letter")
    assert len(views) == 2 and views[0].entity_id == letter_id and views[0].patient_id is not None
    assert views[0].detail == {"kind": "appointment", "sha256": row.sha256}


def test_letter_date_is_the_queue_date(world) -> None:
    letter_id = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    with world.db.write() as s:
        from datetime import UTC, datetime

        s.execute(
            update(Letter)
            .where(Letter.id == letter_id)
            .values(created_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
        )
    text = all_text(LetterService(world.db).render(world.actor("amy"), letter_id))
    assert "Date: 1 March 2026" in text  # 23:30 UTC on 1 March is still 1 March in London (GMT)
    # The reply date counts from the day it would be printed (today), not from the queue date.
    assert long_date(ContactPolicy().respond_by(today_london())) in text
    assert "16 March 2026" not in text


def test_reprint_is_byte_identical(world, tmp_path: Path) -> None:
    ids = queue_one_of_each(world)
    service = LetterService(world.db)
    run = service.print_queue(world.actor("amy"), tmp_path)
    for path in run.files:
        letter_id = int(path.name.split("-")[2])
        again = service.reprint(world.actor("ben"), letter_id)
        assert again == path.read_bytes()
        assert hashlib.sha256(again).hexdigest() == _row(world, letter_id).sha256
    assert len(_audit(world, "reprint_letter")) == len(ids)


def test_reprint_refuses_a_letter_that_would_differ(world, tmp_path: Path) -> None:
    letter_id = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    service = LetterService(world.db)
    with pytest.raises(StaleState, match="has not been printed yet"):
        service.reprint(world.actor("amy"), letter_id)
    service.print_queue(world.actor("amy"), tmp_path)
    with world.db.write() as s:
        s.execute(update(Letter).where(Letter.id == letter_id).values(sha256="0" * 64))
    with pytest.raises(ReprintMismatch):
        service.reprint(world.actor("amy"), letter_id)
    with pytest.raises(ReprintMismatch):  # nor will a preview pass off a different file
        service.render(world.actor("amy"), letter_id)
    with pytest.raises(NotFound):
        service.reprint(world.actor("amy"), 999_999)


def test_print_queue_writes_combined_and_separate_files(world, tmp_path: Path) -> None:
    ids = queue_one_of_each(world)
    service = LetterService(world.db)
    amy = world.actor("amy")
    seen: list[tuple[int, int]] = []
    run = service.print_queue(amy, tmp_path / "out", progress=lambda d, t: seen.append((d, t)) is None)
    assert run.count == 7 and not run.cancelled
    assert seen[0] == (0, 7) and seen[-1] == (7, 7)
    assert run.combined_pdf is not None and run.combined_pdf.exists()
    assert not list((tmp_path / "out").glob("*.part"))
    assert sorted(run.letter_ids) == sorted(ids.values())
    assert len(run.files) == 7 and all(p.exists() for p in run.files)
    assert all("Súilleabháin" not in p.name and "Nowak" not in p.name for p in run.files)
    combined = reader(run.combined_pdf.read_bytes())
    assert len(combined.pages) == run.pages == sum(len(reader(p.read_bytes()).pages) for p in run.files)
    combined_text = flat(" ".join(page.extract_text() for page in combined.pages))
    for letter_id in ids.values():
        assert f"CRAS/{_row(world, letter_id).referral_id}/{letter_id}" in combined_text
    for path in run.files:
        letter_id = int(path.name.split("-")[2])
        row = _row(world, letter_id)
        assert row.status is LetterStatus.PRINTED
        assert row.printed_by == amy.user_id and row.printed_at is not None
        assert row.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # The GP copy is addressed to the practice; the large-print letter is large.
    gp = next(p for p in run.files if p.name.endswith("discharge_gp_copy.pdf"))
    assert page_texts(gp.read_bytes())[0].index("Preston Park Surgery") < page_texts(gp.read_bytes())[
        0
    ].index("Dear Colleague")
    assert len(_audit(world, "print_letter")) == 7
    # Nothing left: a second run prints nothing and writes no file.
    again = service.print_queue(amy, tmp_path / "again")
    assert again.count == 0 and again.combined_pdf is None
    assert service.queue(amy) == []


def test_cancelling_a_run_leaves_the_rest_queued(world, tmp_path: Path) -> None:
    ids = queue_one_of_each(world)
    service = LetterService(world.db)
    run = service.print_queue(world.actor("amy"), tmp_path, progress=lambda done, total: done < 3)
    assert run.cancelled and run.count == 3
    assert run.combined_pdf is not None
    assert len(reader(run.combined_pdf.read_bytes()).pages) == run.pages == 3
    left = service.queue(world.actor("amy"))
    assert len(left) == 4
    assert {r.id for r in left} | set(run.letter_ids) == set(ids.values())
    # Cancelled before the first letter: nothing printed, no file.
    nothing = service.print_queue(world.actor("amy"), tmp_path / "none", progress=lambda d, t: False)
    assert nothing.cancelled and nothing.count == 0 and nothing.combined_pdf is None
    rest = service.print_queue(world.actor("amy"), tmp_path / "rest")
    assert rest.count == 4


def test_mark_printed_after_the_print_dialog(world) -> None:
    letter_id = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    service = LetterService(world.db)
    pdf = service.render(world.actor("amy"), letter_id)
    assert service.mark_printed(world.actor("amy"), [letter_id]) == 1
    assert service.mark_printed(world.actor("amy"), [letter_id]) == 0  # already printed
    row = _row(world, letter_id)
    assert row.status is LetterStatus.PRINTED and row.sha256 == hashlib.sha256(pdf).hexdigest()
    assert service.reprint(world.actor("amy"), letter_id) == pdf


def test_wording_is_frozen_at_first_render(world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    service = LetterService(world.db)
    before = service.render(world.actor("amy"), first)
    # A service manager edits the wording afterwards.
    edited = tmp_path / "letters"
    shutil.copytree(wording.wording_dir(), edited)
    path = edited / "unable_to_contact.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Please contact us about", "Please ring us about"),
        encoding="utf-8",
    )
    monkeypatch.setattr(wording, "wording_dir", lambda: edited)
    second = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    assert "Please ring us about" in all_text(service.render(world.actor("amy"), second))
    again = service.render(world.actor("amy"), first)
    assert again == before
    assert "Please contact us about" in all_text(again)
