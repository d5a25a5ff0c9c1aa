"""Every file the desk writes on the PC is 0600 and every folder it makes 0700, whatever the umask.

The desk's real writers run in a process of their own (umask is per process) with a new HOME and
no CRAS_* folders, so the files land where a new user's would: the embedded database seeded on
first run (with its -wal and -shm while it is open), the log, a draft, an outbox item, the
settings, a printed batch of letters, and CSV and PNG exports. The tree is then walked: nothing
in it may be readable by anybody but its owner.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cras_desk.private_files import new_folder, private_database_file, private_folder, write_private

ROOT = Path(__file__).resolve().parents[2]

DESK_WRITERS = r"""
import json, logging, os, sys
from pathlib import Path
os.umask(int(sys.argv[1], 8))
home = Path(os.environ["HOME"])

from cras_desk import log_files
trail = log_files.start()
logging.getLogger("cras_desk.file_modes").info("a line in the log")

from cras_desk.gui.sign_in.connection import embedded_target, prepare
db = prepare(embedded_target(), demo_referrals=150)

from cras_desk.services.auth import AuthService
auth = AuthService(db)
advisor = auth.sign_in("advisor", "demo-password")
admin = auth.sign_in("admin", "demo-password")  # every team's letters
lead = auth.sign_in("lead", "demo-password")

from cras_desk.drafts import DraftStore
drafts = DraftStore("advisor")
drafts.put(1, "call_notes", "Synthetic: patient asked for mornings")
drafts.close()

from cras_desk.outbox import ItemKind, Outbox, outbox_path
from cras_desk.paths import data_dir
outbox = Outbox(outbox_path(data_dir(), "advisor"))
outbox.add(ItemKind.CALL_OUTCOME, 1, {"notes": "synthetic"}, "key-1")
outbox.close()

from cras_desk.settings import Settings
Settings(last_username="advisor").save()

from cras_desk.services.letters import LetterService
run = LetterService(db).print_queue(admin, home / "Letters" / "today", all_teams=True)
assert run.count > 0, "the demo data queued no letters"

# The folder an export goes to is one the user chose in the save dialog, so it is there already
# (and theirs: the desk does not change an existing folder's mode); made here as a user would.
(home / "Exports").mkdir(mode=0o700)
from cras_desk.imports.service import ImportService
assert ImportService(db).export_waiting_list(lead, home / "Exports" / "waiting-list.csv") > 0

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
from cras_desk.gui.dashboard import export
from cras_desk.gui.widgets.banner import MessageBanner
banner = MessageBanner()
chart = QLabel("a chart")
chart.resize(120, 80)
assert export.save(banner, home / "Exports" / "figure.csv", lambda: b"week,referrals\r\n1,20\r\n", "table")
assert export.save(banner, home / "Exports" / "figure.png", lambda: export.png_bytes(chart), "chart")

found = []
for folder, dirs, files in os.walk(home):
    for name in dirs + files:
        path = Path(folder) / name
        found.append([str(path.relative_to(home)), path.is_dir(), os.stat(path).st_mode & 0o7777])
print(json.dumps(found))
db.dispose()
log_files.stop()
"""


@pytest.mark.parametrize("umask", ["022", "000"])
def test_every_file_the_desk_writes_is_private(tmp_path: Path, umask: str) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRAS_", "XDG_"))}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", DESK_WRITERS, umask],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    found = {path: (is_dir, mode) for path, is_dir, mode in json.loads(done.stdout.splitlines()[-1])}

    # The writers did write where a new user's desk would (platformdirs' Linux folders).
    database = ".local/share/cras-desk/cras-desk.sqlite3"
    for expected in (
        database,
        database + "-wal",
        database + "-shm",
        database + ".setup-lock",
        ".local/share/cras-desk/drafts/advisor.json",
        ".local/share/cras-desk/outbox/advisor.sqlite3",
        ".local/state/cras-desk/log/cras-desk.log",
        ".local/state/cras-desk/log/faults.log",
        ".config/cras-desk/settings.json",
        "Exports/waiting-list.csv",
        "Exports/figure.csv",
        "Exports/figure.png",
    ):
        assert expected in found, (expected, sorted(found))
    assert any(p.startswith("Letters/today/") and p.endswith(".pdf") for p in found)

    wrong = {p: oct(mode) for p, (is_dir, mode) in found.items() if mode != (0o700 if is_dir else 0o600)}
    assert wrong == {}


@pytest.fixture
def umask_000() -> Iterator[None]:
    previous = os.umask(0)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_gives_its_sidecars_the_main_files_mode(tmp_path: Path, umask_000: None) -> None:
    """The journal (rollback mode) and -wal/-shm (WAL mode) are made by SQLite itself, with the
    database file's own mode: a 0600 database keeps its sidecars 0600 even under umask 000."""
    journal_db = private_database_file(tmp_path / "rollback.sqlite3")
    conn = sqlite3.connect(journal_db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t VALUES (1)")
    assert mode(tmp_path / "rollback.sqlite3-journal") == 0o600  # exists while the write is open
    conn.execute("COMMIT")
    conn.close()

    wal_db = private_database_file(tmp_path / "wal.sqlite3")
    conn = sqlite3.connect(wal_db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x)")
    assert (mode(wal_db), mode(tmp_path / "wal.sqlite3-wal"), mode(tmp_path / "wal.sqlite3-shm")) == (
        0o600,
        0o600,
        0o600,
    )
    conn.close()

    # Without our 0600 first, the same SQLite makes a world-readable database and sidecars.
    open_db = tmp_path / "open.sqlite3"
    conn = sqlite3.connect(open_db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x)")
    assert mode(open_db) & 0o044 and mode(tmp_path / "open.sqlite3-wal") & 0o044
    conn.close()


def test_files_left_wide_by_an_older_desk_are_closed(tmp_path: Path, umask_000: None) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    database = data / "cras-desk.sqlite3"
    for path in (database, data / "cras-desk.sqlite3-wal"):
        path.write_bytes(b"")
        path.chmod(0o644)
    private_folder(data)
    private_database_file(database)
    assert (mode(data), mode(database), mode(data / "cras-desk.sqlite3-wal")) == (0o700, 0o600, 0o600)


def test_a_folder_the_user_chose_is_left_as_it_is(tmp_path: Path, umask_000: None) -> None:
    documents = tmp_path / "Documents"
    documents.mkdir(mode=0o755)
    documents.chmod(0o755)
    write_private(documents / "export.csv", b"a,b\r\n")
    assert (mode(documents), mode(documents / "export.csv")) == (0o755, 0o600)
    assert new_folder(documents / "letters" / "today")
    assert mode(documents / "letters") == mode(documents / "letters" / "today") == 0o700
    assert not new_folder(documents)
