"""What an advisor typed survives the desk being killed outright (kill -9, a crash, a frozen desk
ended from the task manager).

Each keystroke's text is appended to the draft journal in one write, which the kernel keeps
whatever then happens to the process; the snapshot is written aside and renamed into place. A
process killed at any point, also in the middle of writing the snapshot, leaves files that load
to the last keystroke. The child processes below type a note one character at a time and kill
themselves with SIGKILL at a point chosen by the test, without any cleanup running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cras_desk.drafts import DraftStore, saved_drafts

NOTE = "Daughter answers; mornings only; wants Hove"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is a POSIX signal")

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from cras_desk import drafts

    folder, note, kill_in = Path(sys.argv[1]), sys.argv[2], sys.argv[5]
    stop_after, compact_after = int(sys.argv[3]), int(sys.argv[4])

    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    store = drafts.DraftStore("amy", folder, quiet_seconds=3600)  # compactions only when asked below
    store.put(3, "notes", "another referral's note")
    for n in range(1, len(note) + 1):
        store.put(7, "notes", note[:n])
        if n == compact_after:
            if kill_in == "before-snapshot":  # the journal renamed aside, the snapshot not written
                drafts.write_private = killed
            elif kill_in == "after-snapshot":  # the snapshot written, the old journal not removed
                drafts.Path.unlink = killed
            store.compact()
        if n == stop_after:
            killed()
    """
)


def type_and_kill(folder: Path, stop_after: int, compact_after: int = 0, kill_in: str = "") -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), NOTE, str(stop_after), str(compact_after), kill_in],
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL


def private(path: Path) -> bool:
    return path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("stop_after", [1, 17, len(NOTE)])
def test_the_last_keystroke_survives_kill_9(tmp_path: Path, stop_after: int) -> None:
    type_and_kill(tmp_path, stop_after)
    journal = tmp_path / "amy.journal"
    assert private(journal)
    assert not (tmp_path / "amy.json").exists()  # no snapshot yet: the journal alone holds them
    store = DraftStore("amy", tmp_path)
    assert store.get(7, "notes") == NOTE[:stop_after]
    assert store.get(3, "notes") == "another referral's note"


def test_keystrokes_after_a_snapshot_survive_kill_9(tmp_path: Path) -> None:
    type_and_kill(tmp_path, stop_after=30, compact_after=12)
    assert private(tmp_path / "amy.json") and private(tmp_path / "amy.journal")
    assert DraftStore("amy", tmp_path).get(7, "notes") == NOTE[:30]


@pytest.mark.parametrize("kill_in", ["before-snapshot", "after-snapshot"])
def test_a_kill_in_the_middle_of_a_snapshot_loses_nothing(tmp_path: Path, kill_in: str) -> None:
    type_and_kill(tmp_path, stop_after=40, compact_after=20, kill_in=kill_in)
    assert (tmp_path / "amy.journal.old").exists()  # killed while the journal was set aside
    store = DraftStore("amy", tmp_path)
    assert store.get(7, "notes") == NOTE[:20]
    assert store.get(3, "notes") == "another referral's note"
    # The interrupted compaction is finished by the next one, and the desk types on.
    store.put(7, "notes", NOTE)
    store.close()
    assert not (tmp_path / "amy.journal.old").exists()
    assert DraftStore("amy", tmp_path).get(7, "notes") == NOTE


def test_a_line_torn_by_a_kill_mid_write_is_ignored_and_typing_goes_on(tmp_path: Path) -> None:
    # What a kill in the middle of an append leaves: whole records, then the start of one.
    (tmp_path / "amy.journal").write_bytes(
        b'{"referral": 7, "field": "notes", "text": "kept"}\n'
        b'{"referral": 7, "field": "notes", "text": "kept and to'
    )
    store = DraftStore("amy", tmp_path, quiet_seconds=3600)
    assert store.get(7, "notes") == "kept"
    store.put(7, "notes", "kept and more")  # must not be glued to the torn line and lost with it
    store.put(9, "notes", "second referral")
    assert saved_drafts("amy", tmp_path) == {"7:notes": "kept and more", "9:notes": "second referral"}


def test_a_temporary_file_left_by_a_kill_mid_snapshot_is_ignored(tmp_path: Path) -> None:
    store = DraftStore("amy", tmp_path)
    store.put(7, "notes", "kept")
    store.close()
    # What a kill between writing a snapshot and renaming it leaves: a half-written temporary file.
    torn = tmp_path / ".amy.json.k2j3h4.tmp"
    torn.write_text('{"7:notes": "torn', encoding="utf-8")
    os.chmod(torn, 0o644)
    store = DraftStore("amy", tmp_path)
    assert store.get(7, "notes") == "kept"
    store.put(7, "notes", "kept and more")
    store.close()
    assert DraftStore("amy", tmp_path).get(7, "notes") == "kept and more"
    assert private(tmp_path / "amy.json")
