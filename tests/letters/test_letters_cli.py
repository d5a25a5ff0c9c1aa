"""`cras-desk letters print-queue` and `letters reprint`: run as a signed-in user, the password
given on a non-terminal standard input (never on the command line)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from letter_pdf import all_text
from letter_world import queue
from sqlalchemy import select, update
from world import PASSWORD

from cras_desk.cli import _parser
from cras_desk.cli.letters import print_queue_command, reprint_command
from cras_desk.db.models import AuditEvent, Letter
from cras_desk.domain.enums import LetterKind, LetterStatus

UTC_EXTRA = {"respond_by": "2026-03-16"}


def _stdin(*lines: str) -> io.StringIO:
    return io.StringIO("".join(f"{line}\n" for line in lines))


def _letter(world, letter_id: int) -> Letter:
    with world.db.read() as s:
        return s.get_one(Letter, letter_id)


def test_prints_the_queue_as_the_user_who_signed_in(
    world, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, UTC_EXTRA)
    queue(world, "Nowak", LetterKind.UNABLE_TO_CONTACT, UTC_EXTRA)
    assert print_queue_command(world.db, tmp_path, "Lena", _stdin(PASSWORD)) == 0
    captured = capsys.readouterr()
    assert "Printed 2 letters" in captured.out and "as lena" in captured.out
    assert PASSWORD not in captured.out + captured.err
    combined = next(tmp_path.glob("cras-letters-*.pdf"))
    assert str(combined) in captured.out
    files = sorted(tmp_path.glob("CRAS-*.pdf"))
    assert len(files) == 2
    # Patients' letters on the PC: the user's alone, like every file the desk writes.
    assert {f.stat().st_mode & 0o777 for f in [combined, *files]} == {0o600}
    lena = world.actor("lena").user_id
    row = _letter(world, first)
    assert row.status is LetterStatus.PRINTED and row.printed_by == lena
    with world.db.read() as s:
        events = s.execute(
            select(AuditEvent.action, AuditEvent.user_id).where(
                AuditEvent.action.in_(["sign_in", "print_letter"])
            )
        ).all()
    assert sorted(events) == [("print_letter", lena), ("print_letter", lena), ("sign_in", lena)]
    assert print_queue_command(world.db, tmp_path, "lena", _stdin(PASSWORD)) == 0
    assert "No letters are waiting" in capsys.readouterr().out


def test_the_user_name_can_come_on_stdin_too(
    world, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    letter_id = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, UTC_EXTRA)
    assert print_queue_command(world.db, tmp_path, None, _stdin("ben", PASSWORD)) == 0
    assert "as ben" in capsys.readouterr().out
    assert _letter(world, letter_id).printed_by == world.actor("ben").user_id


def test_a_wrong_password_or_unknown_user_prints_nothing(
    world, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    letter_id = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, UTC_EXTRA)
    assert print_queue_command(world.db, tmp_path, "amy", _stdin("not the password")) == 2
    assert "Cannot sign in: User name or password is not right." in capsys.readouterr().err
    assert print_queue_command(world.db, tmp_path, "nobody", _stdin(PASSWORD)) == 2
    assert print_queue_command(world.db, tmp_path, None, _stdin("")) == 2
    assert "no user name given" in capsys.readouterr().err
    assert _letter(world, letter_id).status is LetterStatus.QUEUED
    assert not list(tmp_path.glob("*.pdf"))
    with world.db.read() as s:
        failed = s.scalars(select(AuditEvent.action).where(AuditEvent.action == "sign_in_failed")).all()
    assert len(failed) == 2


def test_an_advisor_prints_only_their_own_teams_letters(
    world, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    letter_id = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, UTC_EXTRA)  # an East referral
    assert print_queue_command(world.db, tmp_path, "cara", _stdin(PASSWORD)) == 0  # Cara is West
    assert "No letters are waiting" in capsys.readouterr().out
    assert _letter(world, letter_id).status is LetterStatus.QUEUED


def test_no_password_option_on_the_command_line() -> None:
    parser = _parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["letters", "print-queue", "--out", "x", "--password", PASSWORD])
    args = parser.parse_args(["letters", "reprint", "CRAS/1/2", "--out", "x.pdf", "--user", "amy"])
    assert (args.letters_command, args.letter, args.user) == ("reprint", "CRAS/1/2", "amy")


def test_reprint_writes_the_recorded_bytes_or_refuses(
    world, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    letter_id = queue(world, "Nowak", LetterKind.UNABLE_TO_CONTACT, UTC_EXTRA)
    rid = world.referrals["Nowak"]
    assert print_queue_command(world.db, tmp_path / "run", "amy", _stdin(PASSWORD)) == 0
    printed = next((tmp_path / "run").glob("CRAS-*.pdf")).read_bytes()
    capsys.readouterr()

    out = tmp_path / "again.pdf"
    assert reprint_command(world.db, f"CRAS/{rid}/{letter_id}", out, "ben", _stdin(PASSWORD)) == 0
    assert out.read_bytes() == printed
    assert out.stat().st_mode & 0o777 == 0o600
    assert hashlib.sha256(out.read_bytes()).hexdigest() == _letter(world, letter_id).sha256
    assert "Nowak" in all_text(out.read_bytes())
    assert "identical to the record" in capsys.readouterr().out
    with world.db.read() as s:
        reprints = s.scalars(select(AuditEvent.user_id).where(AuditEvent.action == "reprint_letter")).all()
    assert reprints == [world.actor("ben").user_id]

    # A reference whose referral is not the letter's finds nothing (a mistyped number).
    wrong = tmp_path / "wrong.pdf"
    assert reprint_command(world.db, f"CRAS/{rid + 1}/{letter_id}", wrong, "ben", _stdin(PASSWORD)) == 1
    assert "There is no letter" in capsys.readouterr().err
    assert not wrong.exists()
    assert reprint_command(world.db, "letter seven", wrong, "ben", _stdin(PASSWORD)) == 2

    # The record no longer matches what would be produced: refused, nothing written.
    with world.db.write() as s:
        s.execute(update(Letter).where(Letter.id == letter_id).values(sha256="0" * 64))
    refused = tmp_path / "refused.pdf"
    assert reprint_command(world.db, str(letter_id), refused, "ben", _stdin(PASSWORD)) == 1
    assert "no longer renders exactly as it was recorded" in capsys.readouterr().err
    assert not refused.exists()
    with world.db.read() as s:
        refusal = s.execute(
            select(AuditEvent.user_id, AuditEvent.entity_id, AuditEvent.detail).where(
                AuditEvent.action == "reprint_refused"
            )
        ).one()
    assert refusal.user_id == world.actor("ben").user_id and refusal.entity_id == letter_id
    assert refusal.detail["recorded"] == "0" * 64
    assert refusal.detail["produced"] == hashlib.sha256(printed).hexdigest()
