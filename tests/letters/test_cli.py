"""The print-queue command the CLI wires to `cras-desk letters print-queue`."""

from __future__ import annotations

from pathlib import Path

import pytest
from letter_world import queue

from cras_desk.db.models import Letter
from cras_desk.domain.enums import LetterKind, LetterStatus
from cras_desk.letters.cli import print_queue_command


def test_prints_the_queue_as_the_first_admin(
    world, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    letter_id = queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    queue(world, "Nowak", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    assert print_queue_command(world.db, tmp_path, None) == 0
    out = capsys.readouterr().out
    assert "Printed 2 letters" in out and "as root" in out
    combined = next(tmp_path.glob("cras-letters-*.pdf"))
    assert str(combined) in out
    assert len(list(tmp_path.glob("CRAS-*.pdf"))) == 2
    with world.db.read() as s:
        row = s.get(Letter, letter_id)
        assert row is not None
        assert row.status is LetterStatus.PRINTED and row.printed_by == world.actor("root").user_id
    assert print_queue_command(world.db, tmp_path, "amy") == 0
    assert "No letters are waiting" in capsys.readouterr().out


def test_named_user_and_unknown_user(world, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    queue(world, "Smith", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"})
    assert print_queue_command(world.db, tmp_path, "nobody") == 2
    assert "no user 'nobody'" in capsys.readouterr().err
    assert print_queue_command(world.db, tmp_path, "Ben") == 0
    assert "as ben" in capsys.readouterr().out
