"""Live updates: every desk sees claims and changes made at other desks, without a key pressed.

Another desk's commit wakes this one (cras_desk.db.change_signal: NOTIFY on PostgreSQL, PRAGMA
data_version on SQLite); the desk then reads what changed from the change feed ("anything after my
cursor?", see cras_desk.db.change_feed) on the worker thread. A slow poll stays as a safety net,
and is the desk's connection heartbeat: when it fails the status bar says the database is
unreachable, and when it works again it says so, without the advisor doing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy import select
from sqlalchemy.orm import Session

from cras_desk.db import change_feed
from cras_desk.db.change_signal import ChangeSignal
from cras_desk.db.connection_errors import is_connection_error
from cras_desk.db.engine import Database
from cras_desk.db.models import User
from cras_desk.domain.clock import to_london
from cras_desk.gui.live_view import FeedChange, FeedChanges, feed_changes
from cras_desk.gui.tasks import TaskRunner

# The safety net under the change signal: a desk that missed a wake-up still catches up this
# often, and this poll is the heartbeat that notices a database gone quiet.
SAFETY_POLL_MS = 30_000
FEED_LIMIT = 1000  # more changes than this since the last poll: reload instead of patching rows


@dataclass(frozen=True)
class ChangedElsewhere:
    """The last change another desk made to a referral, for "changed at desk X by Y at HH:MM"."""

    referral_id: int
    desk: str | None
    by: str | None  # the user's full name
    at: datetime

    def words(self) -> str:
        desk = f" at desk {self.desk}" if self.desk else ""
        by = f" by {self.by}" if self.by else ""
        return f"Changed{desk}{by} at {to_london(self.at):%H:%M}."


def _names(s: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return {
        uid: name for uid, name in s.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))
    }


class LiveUpdates(QObject):
    referrals_changed = Signal(object)  # set[int] of referral ids changed since the last poll
    changed_elsewhere = Signal(object)  # the same, as {referral id: ChangedElsewhere}
    flooded = Signal()  # too many changes to patch row by row: reload the list
    # Every read that found changes, this desk's own included, for the other screens to follow
    # (gui/live_view.py); a flood as FeedChanges(everything=True).
    changes_seen = Signal(object)
    connection_changed = Signal(bool, str)  # connected?, a message for the status bar
    _woken = Signal()  # from the change signal's thread: queued to this object's thread

    def __init__(
        self,
        db: Database,
        tasks: TaskRunner,
        interval_ms: int = SAFETY_POLL_MS,
        parent: QObject | None = None,
        *,
        ignore_user: int | None = None,
    ) -> None:
        super().__init__(parent)
        self._ignore_user = ignore_user  # this desk's own changes are repainted where they are made
        self._db = db
        self._tasks = tasks
        self._cursor: change_feed.FeedCursor | None = None
        self._connected: bool | None = None
        self._in_flight = False
        self._again = False  # woken while a read was in flight: read once more after it
        self._woken.connect(self.poll)
        self.signal = ChangeSignal(db.engine, self._woken.emit)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)

    @property
    def connected(self) -> bool | None:
        return self._connected

    def start(self) -> None:
        self.poll()
        self.timer.start()
        self.signal.start()

    def stop(self) -> None:
        self.timer.stop()
        self.signal.stop()

    def poll(self) -> None:
        if self._in_flight:
            # The worker is busy (or the database slow): one read in the queue is enough, and one
            # more after it, since the one in flight may have looked before this change committed.
            self._again = True
            return
        self._in_flight = True
        db, cursor, me = self._db, self._cursor, self._ignore_user

        def work() -> tuple[change_feed.FeedCursor, dict[int, ChangedElsewhere], FeedChanges]:
            with db.read() as s:
                if cursor is None:
                    return change_feed.cursor_now(s), {}, FeedChanges()
                changes, after = change_feed.changes_after(s, cursor, limit=FEED_LIMIT)
                names = _names(s, {c.user_id for c in changes if c.user_id is not None})
                seen = feed_changes(
                    FeedChange(
                        c.entity, c.entity_id, c.op, c.user_id, names.get(c.user_id or 0), c.desk, c.at
                    )
                    for c in changes
                )
            theirs = [c for c in seen.changes if c.entity == "referral" and (me is None or c.user_id != me)]
            notes = {
                c.entity_id: ChangedElsewhere(c.entity_id, c.desk, c.by, c.at)
                for c in theirs  # in feed order: the last change of each referral is kept
            }
            if len(changes) >= FEED_LIMIT:
                seen = FeedChanges(everything=True)
            return after, notes, seen

        self._tasks.run(work, self._done, self._failed)

    def _done(
        self, result: tuple[change_feed.FeedCursor, dict[int, ChangedElsewhere], FeedChanges] | None
    ) -> None:
        self._in_flight = False
        if self._again:
            self._again = False
            QTimer.singleShot(0, self.poll)
        if result is None:
            return
        cursor, notes, seen = result
        self._cursor = cursor
        self._set_connected(True, "Database connected")
        if seen.everything:
            self._cursor = None  # start again from "now" after the reload
            self.flooded.emit()
        elif notes:
            self.referrals_changed.emit(set(notes))
            self.changed_elsewhere.emit(notes)
        if seen:
            self.changes_seen.emit(seen)

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
