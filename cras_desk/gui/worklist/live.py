"""Live updates: poll the change feed so every desk sees claims and changes made at other desks.

One cheap query every few seconds ("anything after seq N?") on the worker thread. The same poll is
the desk's connection heartbeat: when it fails the status bar says the database is unreachable,
and when it works again it says so, without the advisor doing anything.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from cras_desk.db import change_feed
from cras_desk.db.connection_errors import is_connection_error
from cras_desk.db.engine import Database
from cras_desk.gui.tasks import TaskRunner

FEED_LIMIT = 1000  # more changes than this since the last poll: reload instead of patching rows


class LiveUpdates(QObject):
    referrals_changed = Signal(object)  # set[int] of referral ids changed since the last poll
    flooded = Signal()  # too many changes to patch row by row: reload the list
    connection_changed = Signal(bool, str)  # connected?, a message for the status bar

    def __init__(
        self,
        db: Database,
        tasks: TaskRunner,
        interval_ms: int = 5000,
        parent: QObject | None = None,
        *,
        ignore_user: int | None = None,
    ) -> None:
        super().__init__(parent)
        self._ignore_user = ignore_user  # this desk's own changes are repainted where they are made
        self._db = db
        self._tasks = tasks
        self._seq: int | None = None
        self._connected: bool | None = None
        self._in_flight = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)

    @property
    def connected(self) -> bool | None:
        return self._connected

    def start(self) -> None:
        self.poll()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def poll(self) -> None:
        if self._in_flight:
            return  # the worker is busy (or the database slow): one poll in the queue is enough
        self._in_flight = True
        db, seq, me = self._db, self._seq, self._ignore_user

        def work() -> tuple[int, set[int], bool]:
            with db.read() as s:
                if seq is None:
                    return change_feed.latest_seq(s), set(), False
                changes = change_feed.changes_since(s, seq, limit=FEED_LIMIT)
            ids = {c.entity_id for c in changes if c.entity == "referral" and (me is None or c.user_id != me)}
            last = changes[-1].seq if changes else seq
            return last, ids, len(changes) >= FEED_LIMIT

        self._tasks.run(work, self._done, self._failed)

    def _done(self, result: tuple[int, set[int], bool] | None) -> None:
        self._in_flight = False
        if result is None:
            return
        seq, ids, flooded = result
        self._seq = seq
        self._set_connected(True, "Database connected")
        if flooded:
            self._seq = None  # start again from "now" after the reload
            self.flooded.emit()
        elif ids:
            self.referrals_changed.emit(ids)

    def _failed(self, exc: BaseException) -> None:
        self._in_flight = False
        self.report_error(exc)

    def report_error(self, exc: BaseException) -> None:
        """Any task's failure may tell us the database has gone; the next good poll says it is back."""
        if is_connection_error(exc):
            self._set_connected(False, "Database unreachable - retrying. Nothing you type is lost.")

    def _set_connected(self, ok: bool, message: str) -> None:
        if ok != self._connected:
            self._connected = ok
            self.connection_changed.emit(ok, message)
