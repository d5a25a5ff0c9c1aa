"""The application around the windows: the embedded database on first run, sign-out and back."""

from __future__ import annotations

import time

from desk_helpers import WAIT, drain
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from cras_desk.db.models import Referral, User
from cras_desk.gui.app import DeskApp
from cras_desk.gui.sign_in.connection import embedded_target, prepare, target_from
from cras_desk.gui.tasks import TaskRunner
from cras_desk.paths import default_database_path
from cras_desk.settings import Settings


def test_first_run_migrates_and_seeds_the_embedded_database_once() -> None:
    target = target_from(None, "")
    assert target.embedded and target == embedded_target()
    assert not default_database_path().exists()  # CRAS_DATA_DIR is this test's own folder
    said: list[str] = []
    db = prepare(target, said.append, demo_referrals=200)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(User)) > 0
        assert s.scalar(select(func.count()).select_from(Referral)) >= 200
    assert any(m.startswith("First run: creating the demo data") for m in said)
    db.dispose()

    again: list[str] = []
    started = time.perf_counter()
    db = prepare(target, again.append, demo_referrals=200)
    assert again == []  # current schema, users present: nothing to do
    assert time.perf_counter() - started < 2
    db.dispose()


def test_sign_out_returns_to_the_sign_in_and_gives_back_claims(qtbot, world_sqlite) -> None:
    app = QApplication.instance()
    tasks = TaskRunner()
    url = world_sqlite.db.url
    desk = DeskApp(app, Settings(), tasks, target_from(url.render_as_string(hide_password=False), ""))
    amy = world_sqlite.actor("amy")
    desk.open_desk(world_sqlite.db, amy)
    window = desk.window
    assert window is not None
    qtbot.waitUntil(lambda: window.worklist.model.rowCount() == 1, timeout=WAIT)
    rid = world_sqlite.referrals["Ó Súilleabháin"]
    window.ctx.services.claims.claim(amy, rid)

    desk.database = None  # the test's fixture owns the database; keep it open
    desk.sign_out()
    drain(qtbot, window.ctx)
    assert desk.window is None
    assert desk.dialog is not None and desk.dialog.isVisible()
    with world_sqlite.db.read() as s:
        assert s.get(Referral, rid).claimed_by is None
    desk.dialog.reject()
    tasks.wait_idle(WAIT)


def test_the_desk_starts_signs_in_and_shows_the_first_page(world_sqlite, tmp_path) -> None:
    """The real entry point in its own process, as `cras-desk --url ...` runs it (bench sign-in)."""
    import json
    import os
    import subprocess
    import sys

    world_sqlite.db.dispose()
    url = world_sqlite.db.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CRAS_DATA_DIR": str(tmp_path / "data"),
        "CRAS_CONFIG_DIR": str(tmp_path / "config"),
        "CRAS_BENCH_USER": "amy",
        "CRAS_BENCH_PASSWORD": "correct horse 1",
        "CRAS_BENCH_REPORT": "1",
    }
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "cras_desk.cli", "--url", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads([ln for ln in done.stdout.splitlines() if ln.startswith("{")][-1])
    assert started < report["first_page_at"] < time.time()
    with world_sqlite.db.read() as s:  # quitting gave back whatever the desk held
        claimed = select(func.count()).select_from(Referral).where(Referral.claimed_by.is_not(None))
        assert s.scalar(claimed) == 0


def test_signing_in_through_the_dialog_opens_the_desk(qtbot, world_sqlite) -> None:
    from PySide6.QtCore import Qt

    app = QApplication.instance()
    tasks = TaskRunner()
    url = world_sqlite.db.url.render_as_string(hide_password=False)
    desk = DeskApp(app, Settings(database_url=url), tasks, target_from(url, url))  # the saved database
    desk.start()
    dialog = desk.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.database is not None, timeout=WAIT)
    qtbot.keyClicks(dialog.ui.userName, "ben")
    qtbot.keyClicks(dialog.ui.password, "correct horse 1")
    qtbot.keyClick(dialog.ui.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.window is not None, timeout=WAIT)
    window = desk.window
    assert window.ctx.actor.username == "ben" and window.isVisible()
    qtbot.waitUntil(lambda: window.worklist.model.rowCount() == 1, timeout=WAIT)  # Smith is ben's
    assert desk.dialog is None
    window.close()
    tasks.wait_idle(WAIT)
    if desk.database is not None:
        desk.database.dispose()
