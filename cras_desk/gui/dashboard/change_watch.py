"""Tells the dashboard when its data has changed: the change feed's newest sequence number moved.

Every figure rests on referrals, slots, bookings, calls and letters, all of them written to the
change feed (cras_desk.db.change_feed), by this desk or any other. One cheap query ("the newest
seq?") on the worker thread while the dashboard is on screen; when it has moved the figures are
loaded again, but not more often than `min_reload_ms`: a busy call centre changes something every
few seconds, and the figures are aggregates over the whole list, not something to redo each time.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Signal

from cras_desk.db import change_feed
from cras_desk.db.engine import Database
from cras_desk.gui.tasks import TaskRunner

POLL_MS = 15_000
MIN_RELOAD_MS = 60_000


class ChangeWatch(QObject):
    changed = Signal()  # the data moved since the figures on screen were loaded

    def __init__(
        self,
        db: Database,
        tasks: TaskRunner,
        parent: QObject | None = None,
        *,
        poll_ms: int = POLL_MS,
        min_reload_ms: int = MIN_RELOAD_MS,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._tasks = tasks
        self._loaded_seq: int | None = None  # the feed's newest seq when the figures shown were asked for
        self._seen_seq: int | None = None
        self._in_flight = False
        self._min_reload_ms = min_reload_ms
        self._since_reload = QElapsedTimer()
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.poll)
        self._held = QTimer(self)  # a change seen too soon after a reload waits for its turn
        self._held.setSingleShot(True)
        self._held.timeout.connect(self._fire)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self._held.stop()

    def loading(self) -> None:
        """The figures are being loaded now: what the feed holds now is what they will show."""
        self._loaded_seq = self._seen_seq
        self._held.stop()
        self._since_reload.start()

    def mark(self, seq: int) -> None:
        """The feed's newest seq as it was when the figures were loaded (read in the same task)."""
        self._loaded_seq = seq
        self._seen_seq = seq if self._seen_seq is None else max(self._seen_seq, seq)

    def latest_seq(self) -> int:
        """For the loading task, on the worker thread."""
        with self._db.read() as s:
            return change_feed.latest_seq(s)

    def poll(self) -> None:
        if self._in_flight:
            return
        self._in_flight = True
        self._tasks.run(self.latest_seq, self._polled, self._poll_failed)

    def _polled(self, seq: int) -> None:
        self._in_flight = False
        self._seen_seq = seq
        if self._loaded_seq is None or seq == self._loaded_seq:
            return
        waited = self._since_reload.elapsed() if self._since_reload.isValid() else self._min_reload_ms
        if waited >= self._min_reload_ms:
            self._fire()
        elif not self._held.isActive():
            self._held.start(self._min_reload_ms - waited)

    def _poll_failed(self, _exc: BaseException) -> None:
        # The main window's own poll says when the database is away; the next poll tries again.
        self._in_flight = False

    def _fire(self) -> None:
        if self.timer.isActive():
            self.changed.emit()
