"""What the desk writes on the PC is readable by the signed-in user only (0600), from the moment
the file exists, and a file is replaced whole or not at all."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cras_desk.drafts import DraftStore
from cras_desk.private_files import open_private_append, write_private
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
    assert mode(drafts.journal_path) == 0o600
    drafts.close()
    assert mode(drafts.path) == 0o600
    assert DraftStore("amy", tmp_path).get(1, "call_notes") == "Patient at work until 4pm"


def test_the_temporary_file_is_private_from_the_moment_it_exists(
    tmp_path: Path, open_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        # Called on the temporary file before the rename and on the folder after it.
        info = os.fstat(fd)
        seen.append(("folder" if stat.S_ISDIR(info.st_mode) else "file", stat.S_IMODE(info.st_mode)))
        if stat.S_ISREG(info.st_mode):
            assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # not renamed yet
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_private(tmp_path / "settings.json", b"{}")
    assert seen[0] == ("file", 0o600)
    if os.name == "posix":
        assert seen[-1][0] == "folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_a_write_that_fails_leaves_the_old_contents_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "settings.json"
    write_private(target, b'{"old": true}')

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_private(target, b'{"new": true}')
    assert target.read_bytes() == b'{"old": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_replacing_a_world_readable_file_makes_it_private(tmp_path: Path, open_umask: None) -> None:
    target = tmp_path / "settings.json"
    target.write_text("{}", encoding="utf-8")
    os.chmod(target, 0o644)  # written by an older desk
    write_private(target, b"{}")
    assert mode(target) == 0o600


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_an_appended_file_is_private_also_when_an_older_desk_left_it_readable(
    tmp_path: Path, open_umask: None
) -> None:
    journal = tmp_path / "amy.journal"
    fd = open_private_append(journal)
    os.write(fd, b"one\n")
    os.close(fd)
    assert mode(journal) == 0o600
    os.chmod(journal, 0o644)
    fd = open_private_append(journal)
    os.write(fd, b"two\n")
    os.close(fd)
    assert mode(journal) == 0o600
    assert journal.read_bytes() == b"one\ntwo\n"
