"""Two desks on one database, as two processes: a claim made at desk B reaches desk A's live
updates without anything pressed at desk A, through the change signal (NOTIFY on PostgreSQL,
data_version on SQLite) and the commit-ordered feed; the safety-net poll is set far beyond the test."""

from __future__ import annotations

import subprocess
import sys
import time

from cras_desk.gui.tasks import TaskRunner
from cras_desk.gui.worklist.live import LiveUpdates

DESK_B = """
import sys
from cras_desk.db.engine import Database
from cras_desk.services.auth import actor_of
from cras_desk.services.claims import ClaimService
from cras_desk.db.models import User
from sqlalchemy import select
db = Database(sys.argv[1])
with db.read() as s:
    user = s.scalars(select(User).where(User.username == sys.argv[2])).one()
ClaimService(db).claim(actor_of(user), int(sys.argv[3]))
db.dispose()
"""


def test_a_claim_at_another_desk_reaches_this_one_unasked(qtbot, world) -> None:
    tasks = TaskRunner()
    live = LiveUpdates(world.db, tasks, interval_ms=600_000, ignore_user=world.actor("amy").user_id)
    changed: list[set[int]] = []
    live.referrals_changed.connect(changed.append)
    live.start()
    try:
        qtbot.waitUntil(lambda: live.connected is True and live.signal.listening, timeout=10_000)
        rid = world.referrals["Nowak"] if "Nowak" in world.referrals else next(iter(world.referrals.values()))
        url = world.db.url.render_as_string(hide_password=False)
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-c", DESK_B, url, "ben", str(rid)], check=True, timeout=60)
        committed = time.monotonic()
        qtbot.waitUntil(lambda: any(rid in ids for ids in changed), timeout=5_000)
        seen = time.monotonic()
        assert seen - committed < 2.0, (committed - t0, seen - committed)
    finally:
        live.stop()
        tasks.wait_idle()


def test_the_change_says_which_desk_and_who_made_it(qtbot, world) -> None:
    from cras_desk.db import change_feed
    from cras_desk.services.claims import ClaimService

    tasks = TaskRunner()
    live = LiveUpdates(world.db, tasks, interval_ms=600_000, ignore_user=world.actor("amy").user_id)
    notes: list[dict] = []
    live.changed_elsewhere.connect(notes.append)
    live.start()
    try:
        qtbot.waitUntil(lambda: live.connected is True and live.signal.listening, timeout=10_000)
        rid = next(iter(world.referrals.values()))
        ClaimService(world.db).claim(world.actor("ben"), rid)
        qtbot.waitUntil(lambda: any(rid in n for n in notes), timeout=5_000)
        note = next(n[rid] for n in notes if rid in n)
        assert (note.desk, note.by) == (change_feed.DESK, "Ben Advisor")
        words = note.words()
        assert words.startswith(f"Changed at desk {change_feed.DESK} by Ben Advisor at ")
        assert words.endswith(".")
    finally:
        live.stop()
        tasks.wait_idle()
