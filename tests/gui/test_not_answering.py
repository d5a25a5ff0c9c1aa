"""A database that stops answering is said within seconds, with since when, and its return too;
the outbox's count sits in the status bar."""

from __future__ import annotations

import threading

from desk_window import open_window

from cras_desk.gui import tasks as tasks_module

WAIT = 10_000


def test_a_stuck_database_call_is_said_in_the_status_bar(qtbot, world_sqlite, make_desk, monkeypatch) -> None:
    monkeypatch.setattr(tasks_module, "NOT_ANSWERING_AFTER_S", 0.5)
    ctx = make_desk(world_sqlite, "amy")
    window = open_window(qtbot, ctx)
    release = threading.Event()
    ctx.tasks.run(lambda: release.wait(10))  # a call the database does not answer
    label = window.status.db_label
    qtbot.waitUntil(lambda: label.text().startswith("The database is not answering (since "), timeout=WAIT)
    assert "What you typed is kept." in label.text() and label.accessibleName() == label.text()
    release.set()
    qtbot.waitUntil(lambda: label.text() == "Database connected", timeout=WAIT)
    window.status.show_waiting(2)
    assert window.status.outbox_label.text() == "2 waiting to send"
    window.status.show_waiting(0)
    assert window.status.outbox_label.text() == ""
    window.close()
