"""The draft store's files: a keystroke is one append, the snapshot is written off the keystroke,
and what loads is the snapshot with the journals replayed over it in the order they were written."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cras_desk import drafts
from cras_desk.drafts import DraftStore, saved_drafts


def record(referral: int, text: str) -> bytes:
    return json.dumps({"referral": referral, "field": "notes", "text": text}).encode() + b"\n"


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def journals(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("amy.journal*"))


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    """Poll a condition the store's thread will make true (a deadline, not a measurement)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_a_keystroke_neither_syncs_nor_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DraftStore("amy", tmp_path, quiet_seconds=3600)

    def refused(*args: object) -> None:
        raise AssertionError("a keystroke must not wait for the disk")

    for name in ("fsync", "fdatasync", "replace", "rename"):
        monkeypatch.setattr(os, name, refused)
    store.put(7, "notes", "P")
    store.put(7, "notes", "Pa")
    store.put(8, "notes", "other")
    store.clear(8, "notes")
    monkeypatch.undo()
    assert (tmp_path / "amy.journal").read_bytes() == (
        record(7, "P") + record(7, "Pa") + record(8, "other") + record(8, "")
    )
    assert saved_drafts("amy", tmp_path) == {"7:notes": "Pa"}


def test_the_same_text_again_is_not_written_again(tmp_path: Path) -> None:
    store = DraftStore("amy", tmp_path, quiet_seconds=3600)
    store.put(7, "notes", "Pa")
    store.put(7, "notes", "Pa")  # e.g. the panel restoring the draft it just read
    store.clear(9, "notes")  # no draft to clear
    assert (tmp_path / "amy.journal").read_bytes() == record(7, "Pa")


def test_a_pause_in_typing_writes_the_snapshot_and_empties_the_journal(
    tmp_path: Path, open_umask: None
) -> None:
    store = DraftStore("amy", tmp_path, quiet_seconds=0.05)
    store.put(7, "notes", "Patient at work until 4pm")
    snapshot = tmp_path / "amy.json"
    assert wait_for(lambda: snapshot.exists() and not journals(tmp_path))
    assert json.loads(snapshot.read_text(encoding="utf-8")) == {"7:notes": "Patient at work until 4pm"}
    assert snapshot.stat().st_mode & 0o777 == 0o600
    store.put(7, "notes", "Patient at work until 5pm")  # a new journal after the snapshot
    assert (tmp_path / "amy.journal").stat().st_mode & 0o777 == 0o600
    assert saved_drafts("amy", tmp_path) == {"7:notes": "Patient at work until 5pm"}


def test_close_writes_the_snapshot_at_once(tmp_path: Path) -> None:
    store = DraftStore("amy", tmp_path, quiet_seconds=3600)
    store.put(7, "notes", "mornings")
    store.put(8, "notes", "gone")
    store.clear(8, "notes")
    store.close()
    assert json.loads((tmp_path / "amy.json").read_text(encoding="utf-8")) == {"7:notes": "mornings"}
    assert not journals(tmp_path)
    store.put(7, "notes", "mornings only")  # still usable after closing
    assert saved_drafts("amy", tmp_path) == {"7:notes": "mornings only"}


def test_journals_replay_over_the_snapshot_oldest_first(tmp_path: Path) -> None:
    # As an interrupted compaction leaves them: the snapshot before it, the journal it set aside,
    # and the journal typed into since.
    (tmp_path / "amy.json").write_text(json.dumps({"7:notes": "a", "8:notes": "x", "9:notes": "y"}))
    (tmp_path / "amy.journal.old").write_bytes(record(7, "ab") + record(8, "") + record(10, "z"))
    (tmp_path / "amy.journal").write_bytes(record(7, "abc") + record(9, "yy"))
    expected = {"7:notes": "abc", "9:notes": "yy", "10:notes": "z"}
    assert saved_drafts("amy", tmp_path) == expected
    store = DraftStore("amy", tmp_path, quiet_seconds=3600)
    assert store.referrals_with_drafts() == [7, 9, 10]
    store.close()
    assert json.loads((tmp_path / "amy.json").read_text(encoding="utf-8")) == expected
    assert not journals(tmp_path)


def test_typing_goes_on_while_the_snapshot_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DraftStore("amy", tmp_path, quiet_seconds=3600)
    store.put(7, "notes", "before")
    real = drafts.write_private
    typed: list[bool] = []

    def slow_disk(path: Path, data: bytes) -> None:
        # A keystroke from the GUI thread while the snapshot is on its way to the disk.
        keystroke = threading.Thread(target=store.put, args=(7, "notes", "during"))
        keystroke.start()
        keystroke.join(timeout=20)
        typed.append(not keystroke.is_alive())
        real(path, data)

    monkeypatch.setattr(drafts, "write_private", slow_disk)
    store.compact()
    assert typed == [True]
    assert json.loads((tmp_path / "amy.json").read_text(encoding="utf-8")) == {"7:notes": "before"}
    assert (tmp_path / "amy.journal").read_bytes() == record(7, "during")
    assert saved_drafts("amy", tmp_path) == {"7:notes": "during"}


def test_a_snapshot_that_cannot_be_written_keeps_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = DraftStore("amy", tmp_path, quiet_seconds=0.01)

    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(drafts, "write_private", disk_full)
    with caplog.at_level(logging.WARNING, logger="cras_desk.drafts"):
        store.put(7, "notes", "Patient prefers mornings")
        assert wait_for(lambda: "No space left on device" in caplog.text)
    assert "Patient prefers" not in caplog.text
    assert saved_drafts("amy", tmp_path) == {"7:notes": "Patient prefers mornings"}
    monkeypatch.undo()
    store.put(7, "notes", "Patient prefers mornings; Hove")  # the next pause tries again
    assert wait_for(lambda: not journals(tmp_path))
    assert json.loads((tmp_path / "amy.json").read_text(encoding="utf-8")) == {
        "7:notes": "Patient prefers mornings; Hove"
    }


def test_a_new_store_for_the_same_user_takes_over(tmp_path: Path) -> None:
    first = DraftStore("amy", tmp_path, quiet_seconds=3600)
    first.put(7, "notes", "typed before signing out")
    second = DraftStore("amy", tmp_path, quiet_seconds=3600)  # signed in again
    assert second.get(7, "notes") == "typed before signing out"
    assert json.loads((tmp_path / "amy.json").read_text(encoding="utf-8")) == {
        "7:notes": "typed before signing out"
    }
    second.put(7, "notes", "typed after")
    assert saved_drafts("amy", tmp_path) == {"7:notes": "typed after"}
