"""The outbox survives kill -9 of the desk: while it is writing what the advisor saved offline, and
while it is replaying.

A desk process (desk_offline_worker.py: the real services against an unreachable database, the
real outbox) saves call outcomes and "time to think" one after another and is killed with SIGKILL
just as it starts a put, several times over on the same outbox file (a fixed seed picks where).
After every kill the file opens cleanly and holds every item the desk said was queued, each whole
and as saved, plus at most the one it was putting when it died. Then a replaying desk is killed
just after one of its commits (the item recorded centrally, the outbox not yet told), and a fresh
one replays the rest: every item is in the database exactly once.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, time
from pathlib import Path

from desk_offline_worker import THINK_EVERY, item_fields
from outbox_tally import tally
from world import World

from cras_desk.db.engine import Database, sqlite_url
from cras_desk.domain.clock import LONDON, today_london
from cras_desk.domain.working_days import next_working_day
from cras_desk.outbox import ItemKind, ItemState, Outbox, OutboxItem
from cras_desk.services.choice import ChoiceService

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("desk_offline_worker.py")
KILLS, SEED = 5, 20261206
WAIT_S = 60.0


def _unreachable(db: Database, tmp_path: Path) -> str:
    if db.dialect == "sqlite":
        return sqlite_url(tmp_path / "no-such-folder" / "desk.sqlite3")
    return db.url.update_query_dict({"host": str(tmp_path / "no-server-here")}).render_as_string(
        hide_password=False
    )


def _run(args: list[str], kill_on: str | None, delay_s: float = 0.0) -> tuple[int, list[str], str]:
    """Run the worker; SIGKILL it delay_s after it prints the line kill_on (None: let it finish or
    kill itself)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this worktree's cras_desk, not the installed one
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.strip())
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        while kill_on is not None:
            line = lines.get(timeout=WAIT_S)
            if line is None:
                break  # it ended before the line: the assertions below say so
            seen.append(line)
            if line == kill_on:
                threading.Event().wait(delay_s)
                proc.send_signal(signal.SIGKILL)
                break
        code = proc.wait(timeout=WAIT_S)
        reader.join(timeout=WAIT_S)
        while (line := lines.get_nowait() if not lines.empty() else None) is not None:
            seen.append(line)
        return code, seen, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=WAIT_S)


def _number(item: OutboxItem) -> int:
    p = item.payload
    notes = p["notes"] if item.kind is ItemKind.CALL_OUTCOME else p["sdm_notes"]
    prefix, n = notes.split()
    assert prefix == "offline"
    return int(n)


def _as_saved(item: OutboxItem, setup: dict[str, object], shown_ids: list[int]) -> bool:
    f = item_fields(_number(item), setup)
    p = item.payload
    if (item.kind, item.referral_id, item.state) != (f["kind"], f["referral_id"], ItemState.PENDING):
        return False
    if item.kind is ItemKind.TIME_TO_THINK:
        return [o["site_id"] for o in p["shown"]] == shown_ids and p["sdm_notes"] == f["sdm_notes"]
    callback = datetime.fromisoformat(p["callback_at"]) if p["callback_at"] else None
    datetime.fromisoformat(p["at"])  # the moment of Save, whole
    return (p["outcome"], p["number_used"], p["notes"], callback) == (
        f["outcome"].value,
        f["number_used"],
        f["notes"],
        f["callback_at"],
    )


def _opens_cleanly(path: Path) -> list[OutboxItem]:
    check = sqlite3.connect(path)
    try:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        check.close()
    box = Outbox(path)
    try:
        return box.items()
    finally:
        box.close()


def test_a_desk_killed_while_writing_or_replaying_its_outbox_loses_and_doubles_nothing(
    world: World, tmp_path: Path
) -> None:
    amy = world.actor("amy")
    actor = json.dumps(
        {
            "user_id": amy.user_id,
            "username": amy.username,
            "full_name": amy.full_name,
            "role": amy.role.value,
            "team_id": amy.team_id,
        }
    )
    nowak, zoe, smith = (world.referrals[n] for n in ("Nowak", "Ó Súilleabháin", "Smith"))
    shown = ChoiceService(world.db).options(amy, nowak)  # read out before the line went
    callback = datetime.combine(next_working_day(today_london()), time(10, 0), LONDON)
    setup = {
        "referrals": [nowak, zoe, smith],
        "shown": [o.as_snapshot() for o in shown],
        "callback_at": callback.isoformat(),
    }
    setup_file = tmp_path / "setup.json"
    setup_file.write_text(json.dumps(setup))
    path = tmp_path / "outbox" / "amy.sqlite3"
    offline = _unreachable(world.db, tmp_path)
    rng = random.Random(SEED)
    promised: dict[int, str] = {}  # item number -> key, for every "queued" the desk printed
    in_flight: set[int] = set()  # the put each kill interrupted

    for k in range(KILLS):
        first = k * 1000
        at = rng.randrange(2, 3 * THINK_EVERY)  # two or more queued before the kill
        code, lines, err = _run(
            ["queue", str(path), offline, actor, str(setup_file), str(first), "1000"],
            kill_on=f"put {first + at}",
            delay_s=rng.uniform(0.0, 0.002),
        )
        assert code == -signal.SIGKILL, (code, lines[-3:], err[-2000:])
        assert not any(line.startswith("reached") for line in lines)
        for line in lines:
            if line.startswith("queued "):
                _, n, key = line.split()
                promised[int(n)] = key
        puts = [int(line.split()[1]) for line in lines if line.startswith("put ")]
        in_flight.add(puts[-1])

        items = _opens_cleanly(path)
        by_number = {_number(i): i for i in items}
        assert len(by_number) == len(items) == len({i.key for i in items})
        assert all(by_number[n].key == key for n, key in promised.items())  # nothing promised is lost
        assert set(by_number) - set(promised) <= in_flight  # and nothing appears from nowhere
        assert all(_as_saved(i, setup, [o.site_id for o in shown]) for i in items)
        assert [_number(i) for i in items] == sorted(by_number)  # in the order they were saved
        assert path.stat().st_mode & 0o777 == 0o600

    stored = _opens_cleanly(path)
    assert len(promised) >= 2 * KILLS
    target = world.db.url.render_as_string(hide_password=False)
    # A replaying desk killed straight after a commit: that item is recorded centrally and still
    # pending in the outbox, which the next replay must not record again.
    cut_after = rng.randrange(1, len(stored) // 2)
    code, lines, err = _run(["replay", str(path), target, actor, str(cut_after)], kill_on=None)
    assert code == -signal.SIGKILL and lines.count("committed") == cut_after, (code, lines[-3:], err[-2000:])
    pending = [i for i in _opens_cleanly(path) if i.state is ItemState.PENDING]
    assert len(pending) == len(stored) - cut_after + 1
    assert sum(tally(world.db, stored).rows.values()) == cut_after  # the first pending one among them

    code, lines, err = _run(["replay", str(path), target, actor], kill_on=None)
    assert code == 0, err[-2000:]
    assert lines[-1] == f"done {len(pending)} 0 0"
    final = _opens_cleanly(path)
    assert all(i.state is ItemState.SENT for i in final) and len(final) == len(stored)
    counted = tally(world.db, final)
    assert (counted.duplicates, counted.lost) == (0, 0) and counted.exactly_once
    assert {promised[n] for n in promised} <= set(counted.rows)
