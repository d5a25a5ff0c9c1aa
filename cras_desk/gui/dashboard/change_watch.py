"""Tells the dashboard when its data has changed, from the desk's one change watch.

Every figure rests on referrals, slots, bookings, calls, choices and letters, all of them written
to the change feed (cras_desk.db.change_feed) by this desk or any other. The desk already reads
the feed whenever another desk commits (worklist/live.py); this watch follows those reads
(follow()) rather than asking the database anything itself. When the data has moved the figures
are loaded again, but not more often than `min_reload_ms`: a busy call centre changes something
every few seconds, and the figures are aggregates over the whole list, not something to redo each
time. Off screen nothing is loaded; back on screen, once, if anything moved meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Signal, SignalInstance

from cras_desk.gui.live_view import FeedChanges

MIN_RELOAD_MS = 60_000
# What the figures are computed from; a phone number marked wrong or a note moves none of them.
FIGURE_ENTITIES = frozenset({"referral", "slot", "booking", "contact_attempt", "choice_offer", "letter"})


class ChangeWatch(QObject):
    changed = Signal()  # the data moved since the figures on screen were loaded

    def __init__(self, parent: QObject | None = None, *, min_reload_ms: int = MIN_RELOAD_MS) -> None:
        super().__init__(parent)
        self._moved = False  # a relevant change since the figures shown were asked for
        self._on = False  # the dashboard is on screen
        self._min_reload_ms = min_reload_ms
        self._since_reload = QElapsedTimer()
        self.seen = 0  # relevant feed reads (for tests)
        self._held = QTimer(self)  # a change seen too soon after a reload waits for its turn
        self._held.setSingleShot(True)
        self._held.timeout.connect(self._fire)

    def follow(self, seen: SignalInstance) -> None:
        """Listen to the desk's change watch (LiveUpdates.changes_seen)."""
        seen.connect(self.feed_read)

    @property
    def active(self) -> bool:
        return self._on

    def start(self) -> None:
        """On screen: a change seen while it was off is loaded now (within the minimum)."""
        self._on = True
        if self._moved:
            self._due()

    def stop(self) -> None:
        self._on = False
        self._held.stop()

    def loading(self) -> None:
        """The figures are being loaded now: what has changed so far is what they will show."""
        self._moved = False
        self._held.stop()
        self._since_reload.start()

    def feed_read(self, changes: FeedChanges) -> None:
        if not changes.touches(FIGURE_ENTITIES):
            return
        self.seen += 1
        self._moved = True
        if self._on:
            self._due()

    def _due(self) -> None:
        waited = self._since_reload.elapsed() if self._since_reload.isValid() else self._min_reload_ms
        if waited >= self._min_reload_ms:
            self._fire()
        elif not self._held.isActive():
            self._held.start(self._min_reload_ms - waited)

    def _fire(self) -> None:
        if self._on and self._moved:
            self.changed.emit()
