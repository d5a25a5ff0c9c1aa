"""Two desks started at the same moment on a new computer (or two `cras-desk db upgrade` at once on a
new server database) both succeed: one sets the database up, the other waits and finds it done.

Real processes, released together from a barrier once each has imported everything, so both reach
the empty database within milliseconds of each other.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import func, select, text

from cras_desk.db.engine import Database, make_engine, sqlite_url
from cras_desk.db.migrate import current_revision, head_revision
from cras_desk.db.models import Referral, Team, User
from cras_desk.db.setup_lock import SetupLockTimeout, file_lock

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 240  # each process, from the barrier to its end (seeding on a loaded 2-core machine)
REFERRALS = 150

BARRIER = """
import os, sys, time
from pathlib import Path
gate = Path(os.environ["CRAS_TEST_GATE"])
(gate / f"ready-{os.environ['CRAS_TEST_NAME']}").touch()
deadline = time.monotonic() + 60
while not (gate / "go").exists():
    if time.monotonic() > deadline:
        sys.exit("the barrier never opened")
    time.sleep(0.002)
"""

DESK = """
import os
from cras_desk.gui.sign_in.connection import embedded_target, prepare
{barrier}
db = prepare(embedded_target(), lambda message: print(message, flush=True), demo_referrals={referrals})
db.dispose()
print("ready to sign in", flush=True)
"""

UPGRADE = """
import os
from cras_desk.db.engine import make_engine
from cras_desk.db.migrate import upgrade
engine = make_engine(os.environ["CRAS_TEST_URL"], interactive=False)
{barrier}
upgrade(engine)
engine.dispose()
print("upgraded", flush=True)
"""


def run_together(code: str, tmp_path: Path, env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    gate = tmp_path / "gate"
    gate.mkdir()
    procs = []
    for name in ("a", "b"):
        full = {**os.environ, **env, "CRAS_TEST_GATE": str(gate), "CRAS_TEST_NAME": name}
        full["QT_QPA_PLATFORM"] = "offscreen"
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", textwrap.dedent(code)],
                cwd=ROOT,
                env=full,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 60
    while not all((gate / f"ready-{n}").exists() for n in ("a", "b")):
        assert time.monotonic() < deadline, "a process never reached the barrier"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    (gate / "go").touch()
    results = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        results.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return results


def counts(db: Database) -> tuple[int, int, int]:
    with db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Team)) or 0,
            s.scalar(select(func.count()).select_from(User)) or 0,
            s.scalar(select(func.count()).select_from(Referral)) or 0,
        )


def test_two_desks_starting_at_once_on_a_new_computer_both_succeed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code = DESK.format(barrier=BARRIER, referrals=REFERRALS)
    a, b = run_together(code, tmp_path, {"CRAS_DATA_DIR": str(data), "HOME": str(tmp_path)})
    for done in (a, b):
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "ready to sign in"
    seeded = [d for d in (a, b) if "First run: creating the demo data" in d.stdout]
    assert len(seeded) == 1, (a.stdout, b.stdout)

    db = Database(sqlite_url(data / "cras-desk.sqlite3"))
    try:
        assert current_revision(db.engine) == head_revision()
        got = counts(db)
    finally:
        db.dispose()
    # What one desk alone seeds into a database of its own: the same rows, once.
    alone = run_alone(tmp_path / "alone")
    assert got == alone and got[2] >= REFERRALS


def run_alone(data: Path) -> tuple[int, int, int]:
    env = {**os.environ, "CRAS_DATA_DIR": str(data), "QT_QPA_PLATFORM": "offscreen"}
    code = DESK.format(barrier="", referrals=REFERRALS)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=WAIT_S
    )
    assert done.returncode == 0, done.stderr
    db = Database(sqlite_url(data / "cras-desk.sqlite3"))
    try:
        return counts(db)
    finally:
        db.dispose()


def test_two_upgrades_at_once_on_a_new_postgresql_database_both_succeed(tmp_path: Path, pg_server) -> None:
    url = pg_server.create_database()
    try:
        env = {"CRAS_TEST_URL": url.render_as_string(hide_password=False), "CRAS_DATA_DIR": str(tmp_path)}
        a, b = run_together(UPGRADE.format(barrier=BARRIER), tmp_path, env)
        for done in (a, b):
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip() == "upgraded"
        engine = make_engine(url, interactive=False)
        try:
            assert current_revision(engine) == head_revision()
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
                assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0  # no seed on a server
        finally:
            engine.dispose()
    finally:
        pg_server.drop_database(str(url.database))


def test_the_setup_lock_is_exclusive_between_processes_and_its_wait_ends(tmp_path: Path) -> None:
    lock = tmp_path / "db.sqlite3.setup-lock"
    code = (
        "import sys\nfrom pathlib import Path\nfrom cras_desk.db.setup_lock import file_lock\n"
        f"with file_lock(Path({str(lock)!r})):\n    print('held', flush=True)\n    sys.stdin.readline()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        waited: list[bool] = []
        started = time.monotonic()
        try:
            with file_lock(lock, timeout_s=0.3, waiting=lambda: waited.append(True)):
                raise AssertionError("took a lock another process holds")
        except SetupLockTimeout as exc:
            assert "Another desk" in str(exc)
        assert waited == [True] and 0.3 <= time.monotonic() - started < 5
        holder.kill()  # dies holding it: the operating system drops the lock, nothing is stale
        holder.wait(timeout=10)
        with file_lock(lock, timeout_s=5):
            pass
        assert (lock.stat().st_mode & 0o777) == 0o600
    finally:
        holder.kill()
        holder.wait(timeout=10)
