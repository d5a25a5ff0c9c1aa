"""What the change feed says changed, and how a screen follows it without a key pressed.

The desk has one change watch (worklist/live.py: one listening connection, one feed read on the
worker per wake-up). Each read it makes is handed to every screen as a FeedChanges; a screen
keeps a LiveRefresh that decides whether the read concerns it and, if so, asks for one refresh:

- only relevant changes count (a letter printed does not reload the team's workload);
- a burst of changes becomes one refresh: the first relevant change starts a short settle timer,
  the changes that arrive meanwhile ride along, and while a refresh is on the worker the next one
  waits for it (one more afterwards, since the one in flight may have read too early);
- a screen that is not on show refreshes when it is next shown, not before (the lead on the desk
  tab does not pay for the Team tab's reads);
- this user's own changes made while the screen is on show are the screen's own doing and are
  repainted by it, so they do not count; made elsewhere on the desk while it was hidden, they do.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, SignalInstance
from PySide6.QtWidgets import QWidget

SETTLE_MS = 150  # how long a burst may go on before the one refresh it gets is asked for


@dataclass(frozen=True)
class FeedChange:
    """One row of the change feed, as the desk read it (no ORM object leaves the worker)."""

    entity: str  # change_feed.TRACKED's names: "referral", "slot", "letter", ...
    entity_id: int
    op: str  # insert / update / delete
    user_id: int | None
    by: str | None  # the user's full name
    desk: str | None
    at: datetime

    def where(self) -> str:
        """ " at desk X" or "" (for messages such as "The slot you chose was just taken at desk X")."""
        return f" at desk {self.desk}" if self.desk else ""


@dataclass(frozen=True)
class FeedChanges:
    """One or more reads of the feed. `everything`: too many to list (read them as "anything")."""

    changes: tuple[FeedChange, ...] = ()
    everything: bool = False

    def __bool__(self) -> bool:
        return self.everything or bool(self.changes)

    def touches(self, entities: Collection[str]) -> bool:
        return self.everything or any(c.entity in entities for c in self.changes)

    def ids(self, entity: str) -> set[int]:
        return {c.entity_id for c in self.changes if c.entity == entity}

    def last(self, entity: str, entity_id: int) -> FeedChange | None:
        """The latest change to that row in these reads (feed order), if any."""
        found = [c for c in self.changes if c.entity == entity and c.entity_id == entity_id]
        return found[-1] if found else None

    def without_user(self, user_id: int | None) -> FeedChanges:
        if user_id is None:
            return self
        return FeedChanges(tuple(c for c in self.changes if c.user_id != user_id), self.everything)

    def merged(self, other: FeedChanges) -> FeedChanges:
        return FeedChanges(self.changes + other.changes, self.everything or other.everything)


NOTHING = FeedChanges()


def feed_changes(rows: Iterable[FeedChange]) -> FeedChanges:
    return FeedChanges(tuple(rows))


class LiveRefresh(QObject):
    """Follows the desk's feed reads for one screen; calls `refresh(changes)` once per burst.

    The screen calls `done()` when the refresh it started has come back (or failed), and
    `shown()` from its showEvent; `shown()` says whether it asked for a refresh meanwhile.
    """

    def __init__(
        self,
        view: QWidget,
        entities: Collection[str],
        refresh: Callable[[FeedChanges], None],
        *,
        mine: int | None = None,
        relevant: Callable[[FeedChanges], bool] | None = None,
        settle_ms: int = SETTLE_MS,
    ) -> None:
        super().__init__(view)
        self._view = view
        self._entities = frozenset(entities)
        self._refresh = refresh
        self._mine = mine  # this desk's user: their changes while the screen is shown are its own
        self._relevant = relevant
        self._pending = NOTHING
        self._stale = False  # something relevant changed while the screen was hidden
        self._in_flight = False
        self._again = False
        self.refreshes = 0  # asked for by the feed (for tests and the sync benchmark)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(settle_ms)
        self._settle.timeout.connect(self._fire)

    def follow(self, seen: SignalInstance) -> None:
        """Listen to the desk's change watch (LiveUpdates.changes_seen)."""
        seen.connect(self.seen)

    def seen(self, changes: FeedChanges) -> None:
        shown = self._view.isVisible()
        if shown:
            changes = changes.without_user(self._mine)
        if not changes.touches(self._entities):
            return
        if self._relevant is not None and not changes.everything and not self._relevant(changes):
            return
        self._pending = self._pending.merged(changes)
        if not shown:
            self._stale = True
            return
        if not self._settle.isActive():
            self._settle.start()

    def shown(self) -> bool:
        """The screen is on show again: refresh now if anything relevant changed while it was not."""
        if not self._stale:
            return False
        self._stale = False
        self._settle.start()
        return True

    def forget(self) -> None:
        """The screen is loading everything anew (F5, a new choice): what waited is covered by it."""
        self._pending = NOTHING
        self._stale = False
        self._settle.stop()

    def done(self) -> None:
        """The screen's refresh has come back (or failed): the next one may start."""
        self._in_flight = False
        if self._again:
            self._again = False
            self._settle.start()

    @property
    def waiting(self) -> bool:
        return self._settle.isActive() or self._in_flight or self._stale

    def _fire(self) -> None:
        if self._in_flight:
            self._again = True
            return
        changes, self._pending = self._pending, NOTHING
        if not changes:
            return
        self._in_flight = True
        self.refreshes += 1
        self._refresh(changes)


__all__ = ["NOTHING", "FeedChange", "FeedChanges", "LiveRefresh", "feed_changes"]
