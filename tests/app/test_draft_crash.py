"""What an advisor typed survives the desk being killed outright (kill -9, power cut, frozen laptop).

The draft store writes each keystroke's text to a temporary file, fsyncs it and renames it over the
last draft; a process killed at any point leaves either the previous draft or the new one, never a
torn file. The child process below types a note one character at a time and kills itself with
SIGKILL after a keystroke chosen by the test, without any cleanup running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from cras_desk.drafts import DraftStore

NOTE = "Daughter answers; mornings only; wants Hove"

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from cras_desk.drafts import DraftStore

    folder, note, stop_after = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = DraftStore("amy", folder)
    for n in range(1, len(note) + 1):
        store.put(7, "notes", note[:n])
        if n == stop_after:
            os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is a POSIX signal")
@pytest.mark.parametrize("stop_after", [1, 17, len(NOTE)])
def test_the_last_keystroke_survives_kill_9(tmp_path, stop_after: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), NOTE, str(stop_after)],
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL
    path = tmp_path / "amy.json"
    assert json.loads(path.read_text(encoding="utf-8")) == {"7:notes": NOTE[:stop_after]}
    assert DraftStore("amy", tmp_path).get(7, "notes") == NOTE[:stop_after]
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_temporary_file_left_by_a_kill_mid_write_is_ignored(tmp_path) -> None:
    DraftStore("amy", tmp_path).put(7, "notes", "kept")
    # What a kill between the write and the rename leaves: a half-written temporary file.
    (tmp_path / "amy.tmp").write_text('{"7:notes": "torn', encoding="utf-8")
    os.chmod(tmp_path / "amy.tmp", 0o644)
    store = DraftStore("amy", tmp_path)
    assert store.get(7, "notes") == "kept"
    store.put(7, "notes", "kept and more")
    assert DraftStore("amy", tmp_path).get(7, "notes") == "kept and more"
    assert (tmp_path / "amy.json").stat().st_mode & 0o777 == 0o600
