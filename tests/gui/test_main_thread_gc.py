"""Garbage is collected on the UI thread only (a collection on the worker could destroy a Qt
object there and deadlock the desk)."""

from __future__ import annotations

import gc
import weakref

from cras_desk.gui import main_thread_gc


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_ui_thread_collects_and_automatic_collection_stays_off(qtbot, monkeypatch) -> None:
    monkeypatch.setattr(main_thread_gc, "TICK_MS", 10)
    collector = main_thread_gc.MainThreadCollector()
    collector.timer.setInterval(10)
    was = gc.isenabled()
    try:
        collector.start()
        assert not gc.isenabled()
        junk = _Cycle()
        gone = weakref.ref(junk)
        del junk
        for _ in range(gc.get_threshold()[0]):  # enough young objects for a collection to be due
            _Cycle()
        qtbot.waitUntil(lambda: gone() is None, timeout=5_000)
        assert not gc.isenabled()
    finally:
        collector.timer.stop()
        if was:
            gc.enable()
