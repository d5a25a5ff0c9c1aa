"""Garbage is collected on the UI thread only.

Python's cyclic collector runs on whichever thread happens to allocate when a threshold is
crossed. When that is the database worker and the garbage holds a Qt object, Qt destroys it
there: its destructor takes Qt's connection lock and then waits for the interpreter lock, which
the UI thread holds while it waits for that same Qt lock to build a widget. The desk froze that
way in the test suite (a QLabel being made on the UI thread, a QObject being collected on the
worker). So automatic collection stays off, and the UI thread collects: the young objects when
there are enough of them, everything once a minute (Anki keeps its collector on its main thread
for the same reason).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

TICK_MS = 1000
FULL_EVERY_TICKS = 60


class MainThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainThreadCollector")
        self._ticks = 0
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.collect)

    def start(self) -> None:
        gc.disable()
        self.timer.start()

    def collect(self) -> None:
        self._ticks += 1
        if self._ticks % FULL_EVERY_TICKS == 0:
            gc.collect()
        elif gc.get_count()[0] >= gc.get_threshold()[0]:
            gc.collect(1)


def running() -> MainThreadCollector | None:
    app = QCoreApplication.instance()
    found = app.findChild(MainThreadCollector, "mainThreadCollector") if app is not None else None
    return found if isinstance(found, MainThreadCollector) else None


def take_over() -> MainThreadCollector | None:
    """From now on only the UI thread collects (idempotent); None without an application."""
    app = QCoreApplication.instance()
    if app is None:
        return None
    found = running()
    if found is not None:
        return found
    collector = MainThreadCollector(app)
    collector.start()
    return collector
