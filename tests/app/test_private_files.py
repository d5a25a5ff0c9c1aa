"""What the desk writes on the PC is readable by the signed-in user only (0600)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cras_desk.drafts import DraftStore
from cras_desk.settings import Settings


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A PC whose default would let everybody read new files."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_settings_and_drafts_are_private_even_with_an_open_umask(tmp_path: Path, open_umask: None) -> None:
    settings_path = tmp_path / "settings.json"
    (tmp_path / "settings.tmp").write_text("left by a crash", encoding="utf-8")
    os.chmod(tmp_path / "settings.tmp", 0o644)
    Settings(last_username="amy", window_geometry={"amy": "AdnQywAD"}).save(settings_path)
    assert mode(settings_path) == 0o600
    assert Settings.load(settings_path).window_geometry == {"amy": "AdnQywAD"}

    drafts = DraftStore("amy", tmp_path)
    drafts.put(1, "call_notes", "Patient at work until 4pm")
    assert mode(drafts.path) == 0o600
    assert DraftStore("amy", tmp_path).get(1, "call_notes") == "Patient at work until 4pm"
