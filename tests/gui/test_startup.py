"""What the desk does before its first worklist page is painted, and what it leaves until after.

Start-up is held to 1.5x a bare Qt + SQLAlchemy window (bench/startup.py). These tests pin down the
choices that keep it there, so a change that quietly undoes one fails here rather than in the bench.
"""

from __future__ import annotations

import json
import subprocess
import sys

from desk_helpers import WAIT, drain
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from cras_desk.gui.main_window import MainWindow
from cras_desk.gui.patient.pane import PatientPane
from cras_desk.gui.style import set_role

# Imported by the desk's start-up path, these cost 15-60 ms each and serve no first screen.
HEAVY = (
    "sqlalchemy.dialects.postgresql",
    "stdnum",
    "alembic",
    "reportlab",
    "pypdf",
    "faker",
    "holidays",
    "keyring",
    "cras_desk.services.patient_record",
)


def test_the_start_up_path_imports_nothing_heavy() -> None:
    # What app.run_app imports, then what DeskApp imports for the desk (in a fresh interpreter).
    code = (
        "import json, sys\n"
        "import cras_desk.gui.app, cras_desk.services.auth, cras_desk.gui.sign_in.connection\n"
        "import cras_desk.gui.main_window, cras_desk.services.worklist\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    heavy = [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []


def test_background_work_starts_once_the_first_page_is_painted(qtbot, world_sqlite, make_desk) -> None:
    ctx = make_desk(world_sqlite, "amy")
    window = MainWindow(ctx, database_text="test database", live_interval_ms=60_000)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.first_page_shown, timeout=WAIT):
        window.start()
        # Until the page is painted: no change-feed poll, no application-wide idle filter (the
        # filter is what costs: PySide6 wraps every object the first paint sends an event to).
        assert not window.live.timer.isActive()
        assert not window.lock.watcher._installed
    qtbot.waitUntil(lambda: window.live.timer.isActive(), timeout=WAIT)
    # The call-flow panels are built one by one after the page; the idle clock starts after them.
    qtbot.waitUntil(lambda: window.lock.watcher._installed, timeout=WAIT)
    assert all(slot.ready is not None for slot in window.flow.values())
    drain(qtbot, ctx)
    assert window.status.team_label.text() == "Team: East"  # looked up once the page was up


def test_the_idle_lock_works_when_the_page_never_loads(qtbot, world_sqlite, make_desk, monkeypatch) -> None:
    import cras_desk.gui.main_window as main_window

    monkeypatch.setattr(main_window, "BACKGROUND_START_MS", 50)
    ctx = make_desk(world_sqlite, "amy")
    window = MainWindow(ctx, database_text="test database", live_interval_ms=60_000)
    qtbot.addWidget(window)
    window.show()
    window.worklist.model.set_query = lambda *_a, **_k: None  # the first page never comes
    window.start()
    qtbot.waitUntil(lambda: window.lock.watcher._installed, timeout=WAIT)
    assert window.live.timer.isActive()
    window.lock.watcher.set_timeout_ms(200)
    window.lock.watcher.reset()
    qtbot.waitUntil(lambda: window.lock.is_locked, timeout=WAIT)


def test_patient_pane_starts_as_the_hint_and_builds_the_record_view_when_needed(
    qtbot, make_desk, world_sqlite
) -> None:
    world = world_sqlite
    ctx = make_desk(world, "amy")
    pane = PatientPane(ctx)
    qtbot.addWidget(pane)
    pane.resize(900, 600)
    pane.show()
    assert pane.empty.isVisible()
    assert not hasattr(pane, "history")  # nothing built for a patient not yet open
    with qtbot.waitSignal(pane.loaded, timeout=WAIT):
        pane.show_referral(world.referrals["Nowak"])
    assert not pane.empty.isVisible() and pane.scroll.isVisible()
    assert "NOWAK" in pane.name.text()
    pane.show_referral(None)
    assert pane.empty.isVisible() and not pane.scroll.isVisible()


def test_set_role_restyles_a_shown_widget_and_leaves_an_unshown_one_to_its_first_polish(qtbot) -> None:
    label = QLabel("x")
    qtbot.addWidget(label)
    set_role(label, "hint")
    assert label.property("role") == "hint"
    assert not label.testAttribute(Qt.WidgetAttribute.WA_WState_Polished)  # not polished early
    label.show()
    assert label.testAttribute(Qt.WidgetAttribute.WA_WState_Polished)
    set_role(label, "error")
    assert label.property("role") == "error"
    assert label.testAttribute(Qt.WidgetAttribute.WA_WState_Polished)
