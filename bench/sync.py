"""One truth for every desk: how soon a change at one desk shows at another, and the outbox.

    .venv/bin/python bench/sync.py [--changes 200] [--outbox 1000] [--idle-seconds 60]

- visible: desk A (a separate process) claims and releases referrals one at a time, noting the
  moment each commit returned; desk B (this process: the real LiveUpdates on a TaskRunner worker,
  Qt offscreen, safety-net poll far beyond the run) notes when each change reaches its model
  (referrals_changed). p50/p95/max over every change, on PostgreSQL and on SQLite.
- notify_roundtrip: the floor on PostgreSQL, a bare psycopg NOTIFY to a LISTENing connection.
- idle_statements_per_s_per_desk: statements an idle desk's LiveUpdates sends the database.
- outbox: calls saved while the server is stopped (the service fails, the outbox keeps them),
  then replayed with every server process SIGKILLed once mid-replay, the server restarted and the
  replay resumed; duplicates and lost counted from the rows (outbox_run says how).

Acceptance: PostgreSQL visible_p95_ms <= 300, SQLite visible_p95_ms <= 1000, idle statements per
second <= 1, outbox duplicates 0 and lost 0. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from sqlalchemy import event, func, select

from cras_desk.db.connection_errors import is_connection_error
from cras_desk.db.engine import Database, sqlite_url
from cras_desk.db.migrate import upgrade
from cras_desk.db.models import ContactAttempt, Referral, User
from cras_desk.demo.seed import seed_database
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import ContactOutcome, Role
from cras_desk.gui.tasks import TaskRunner
from cras_desk.gui.worklist.live import LiveUpdates
from cras_desk.outbox import ItemKind, Outbox
from cras_desk.services.auth import actor_of
from cras_desk.services.choice import ChoiceService
from cras_desk.services.contact import ContactService
from cras_desk.services.idempotency import new_key
from cras_desk.services.outbox_replay import call_payload, replay

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from restartable_postgres import RestartablePostgres

DESK_A = """
import sys, time
from sqlalchemy import select
from cras_desk.db.engine import Database
from cras_desk.db.models import User
from cras_desk.services.auth import actor_of
from cras_desk.services.claims import ClaimService
db = Database(sys.argv[1])
with db.read() as s:
    actor = actor_of(s.scalars(select(User).where(User.id == int(sys.argv[2]))).one())
claims = ClaimService(db)
for rid in sys.argv[3].split(","):
    time.sleep(float(sys.argv[4]))
    claims.claim(actor, int(rid))
    print(rid, time.time(), flush=True)
    claims.release(actor, int(rid))
db.dispose()
"""


def _pump(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _two_users(db: Database) -> tuple[Any, Any, list[int]]:
    with db.read() as s:
        advisors = list(s.scalars(select(User).where(User.role == Role.ADVISOR).order_by(User.id).limit(2)))
        a, b = advisors
        rids = list(
            s.scalars(
                select(Referral.id)
                .where(Referral.team_id == a.team_id, Referral.is_open, Referral.claimed_by.is_(None))
                .order_by(Referral.id)
                .limit(2000)
            )
        )
    return a, b, rids


def visible(db: Database, url: str, changes: int) -> dict[str, Any]:
    a, b, rids = _two_users(db)
    rids = rids[:changes]
    tasks = TaskRunner()
    live = LiveUpdates(db, tasks, interval_ms=3_600_000, ignore_user=b.id)
    seen: dict[int, float] = {}

    def arrived(ids: set[int]) -> None:
        now = time.time()
        for rid in ids:
            seen.setdefault(rid, now)

    live.referrals_changed.connect(arrived)
    live.start()
    deadline = time.monotonic() + 20
    while not (live.connected and live.signal.listening) and time.monotonic() < deadline:
        _pump(50)
    committed: dict[int, float] = {}
    proc = subprocess.Popen(
        [sys.executable, "-c", DESK_A, url, str(a.id), ",".join(map(str, rids)), "0.05"],
        stdout=subprocess.PIPE,
        text=True,
    )

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            rid, at = line.split()
            committed[int(rid)] = float(at)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while proc.poll() is None:
        _pump(20)
    reader.join(10)
    end = time.monotonic() + 5
    while len(seen) < len(committed) and time.monotonic() < end:
        _pump(20)
    live.stop()
    tasks.wait_idle()
    lags = sorted((seen[r] - t) * 1000 for r, t in committed.items() if r in seen)
    missed = len(committed) - len(lags)
    return {
        "changes": len(committed),
        "missed": missed,
        "visible_p50_ms": round(statistics.median(lags), 1),
        "visible_p95_ms": round(lags[int(0.95 * (len(lags) - 1))], 1),
        "visible_max_ms": round(lags[-1], 1),
        "notifications": live.signal.notifications,
    }


def notify_roundtrip(url: str, n: int = 200) -> float:
    import psycopg

    conninfo = url.replace("postgresql+psycopg", "postgresql")
    with (
        psycopg.connect(conninfo, autocommit=True) as listener,
        psycopg.connect(conninfo, autocommit=True) as sender,
    ):
        listener.execute("LISTEN bench_floor")
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            sender.execute("NOTIFY bench_floor")
            next(iter(listener.notifies(timeout=5, stop_after=1)))
            times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def idle_statements(db: Database, seconds: float) -> float:
    _a, b, _ = _two_users(db)
    tasks = TaskRunner()
    # The desk's own setting for the safety-net poll (MainWindow's live_interval_ms).
    from cras_desk.gui.main_window import MainWindow

    interval = (
        MainWindow.__init__.__kwdefaults__.get("live_interval_ms", 30_000)
        if MainWindow.__init__.__kwdefaults__
        else 30_000
    )
    live = LiveUpdates(db, tasks, interval_ms=int(interval), ignore_user=b.id)
    count = [0]

    def counted(*_args: Any) -> None:
        count[0] += 1

    live.start()
    _pump(2000)  # settled: the first look and the listener's first read are not idle work
    event.listen(db.engine, "before_cursor_execute", counted)
    _pump(int(seconds * 1000))
    event.remove(db.engine, "before_cursor_execute", counted)
    live.stop()
    tasks.wait_idle()
    return round(count[0] / seconds, 3)


def outbox_run(server: RestartablePostgres, url: Any, n: int, work: Path, seed: int = 8) -> dict[str, Any]:
    """n call outcomes saved while the server is stopped, then replayed with the server killed once.

    Queued as a desk does it: the service is tried and fails with a connection error (the server
    really stopped, pg_ctl stop), and the call goes to the outbox. The server is started and the
    replay begins; when half the items are committed another thread SIGKILLs every server process
    a random few milliseconds later, wherever the replay then is (a statement, a COMMIT, between
    items). The replay stops; the server is started again (crash recovery) and the replay resumed
    until it runs through. replay_per_s is over the replaying time, the outage not counted.
    """
    desk = Database(url)
    a, _b, rids = _two_users(desk)
    actor = actor_of(a)
    contact, choice = ContactService(desk), ChoiceService(desk)
    box = Outbox(work / "outbox-postgresql.sqlite3")
    targets = rids[: max(1, min(len(rids), n // 5))]
    with desk.read() as s:
        before = s.scalar(select(func.count()).select_from(ContactAttempt)) or 0

    server.stop()
    t0 = time.perf_counter()
    for i in range(n):
        key, at, rid = new_key(), utcnow(), targets[i % len(targets)]
        try:
            contact.record_attempt(actor, rid, ContactOutcome.NO_ANSWER, notes=f"offline {i}", at=at, key=key)
        except Exception as exc:
            if not is_connection_error(exc):
                raise
        else:
            raise RuntimeError("the call reached a server that was meant to be stopped")
        payload = call_payload(
            ContactOutcome.NO_ANSWER, at, number_used=None, notes=f"offline {i}", callback_at=None
        )
        box.add(ItemKind.CALL_OUTCOME, rid, payload, key)
    queue_s = time.perf_counter() - t0
    server.start()

    rng = random.Random(seed)
    half, killed, commits = threading.Event(), threading.Event(), [0]

    def counted(_conn: Any) -> None:
        commits[0] += 1
        if commits[0] == n // 2:
            half.set()

    def killer() -> None:
        if half.wait(timeout=600):
            threading.Event().wait(rng.uniform(0.0, 0.005))
            server.kill()
            killed.set()

    thread = threading.Thread(target=killer, daemon=True)
    event.listen(desk.engine, "commit", counted)
    thread.start()
    rounds = sent = 0
    outage = 0.0
    t0 = time.perf_counter()
    while rounds < 10:
        rounds += 1
        report = replay(box, actor, contact, choice)
        sent += report.sent
        if report.stopped_by is None:
            break
        down = time.perf_counter()
        thread.join(timeout=60)
        if not killed.is_set():
            raise RuntimeError(f"the replay stopped without the server being killed: {report.stopped_by}")
        server.start()
        outage += time.perf_counter() - down
    seconds = time.perf_counter() - t0 - outage
    event.remove(desk.engine, "commit", counted)
    thread.join(timeout=60)
    with desk.read() as s:
        after = s.scalar(select(func.count()).select_from(ContactAttempt)) or 0
        per_note = dict(
            s.execute(
                select(ContactAttempt.notes, func.count())
                .where(ContactAttempt.notes.like("offline %"))
                .group_by(ContactAttempt.notes)
            ).all()
        )
    desk.dispose()
    wanted = {f"offline {i}" for i in range(n)}
    return {
        "queued": len(box.items()),
        "replayed": sent,
        "duplicates": sum(c - 1 for c in per_note.values() if c > 1),
        "lost": len(wanted - set(per_note)),
        "replay_per_s": round(n / seconds, 1),
        "rows_added": after - before,
        "server_killed": killed.is_set(),
        "killed_after_commits": n // 2,
        "rounds": rounds,
        "outage_s": round(outage, 2),
        "queue_per_s": round(n / queue_s, 1),
        "still_waiting": box.waiting(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--outbox", type=int, default=1000)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--referrals", type=int, default=3000)
    args = parser.parse_args()
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    work = Path(tempfile.mkdtemp(prefix="cras-bench-sync-"))
    out: dict[str, Any] = {"bench": "sync"}

    # A server of the benchmark's own, which the outbox part stops and kills (not CRAS_PG_URL's).
    server = RestartablePostgres()  # its own folder under /tmp, which the server's OS user can reach
    pg_url = server.create_database("bench_sync")
    pg = Database(pg_url, interactive=False)
    upgrade(pg.engine)
    seed_database(pg, referrals=args.referrals, seed=3)
    url = pg_url.render_as_string(hide_password=False)
    out["postgresql"] = visible(pg, url, args.changes)
    out["postgresql"]["notify_roundtrip_p50_ms"] = notify_roundtrip(url)
    print("postgresql", out["postgresql"], flush=True)
    out["idle_statements_per_s_per_desk"] = idle_statements(pg, args.idle_seconds)
    print("idle statements/s", out["idle_statements_per_s_per_desk"], flush=True)
    pg.dispose()
    out["outbox"] = outbox_run(server, pg_url, args.outbox, work)
    print("outbox", out["outbox"], flush=True)

    path = work / "sync.sqlite3"
    lite = Database(sqlite_url(path))
    upgrade(lite.engine)
    seed_database(lite, referrals=args.referrals, seed=3)
    out["sqlite"] = visible(lite, sqlite_url(path), args.changes)
    print("sqlite", out["sqlite"], flush=True)
    lite.dispose()
    del app
    out["targets_met"] = (
        out["postgresql"]["visible_p95_ms"] <= 300
        and out["sqlite"]["visible_p95_ms"] <= 1000
        and out["idle_statements_per_s_per_desk"] <= 1
        and out["outbox"]["duplicates"] == 0
        and out["outbox"]["lost"] == 0
    )
    print(json.dumps(out, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
