"""A wake-up when another desk has changed something: "look at the feed now", never what changed.

PostgreSQL: one connection per desk, kept out of the pool, LISTENs on the channel the change
feed's trigger NOTIFYs at commit (migration 0007). The notification carries nothing; the desk then
reads the feed (cras_desk.db.change_feed), which stays the one source of truth. If the listening
connection drops, the signal says so, and listens again with a growing pause (up to 10 s); a
desk that missed notifications while it was away loses nothing, because it reads the feed when
the listener is back.

SQLite: other desks are other processes on the same file. `PRAGMA data_version` on a connection
of our own changes when any other connection commits; asking costs a read of the file's header,
not a statement to a server, so it runs every quarter of a second.

Both run on a daemon thread of their own and call back from it: the caller hands the call on to
its own thread (the GUI: a queued signal).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger(__name__)

CHANNEL = "cras_changes"
SQLITE_CHECK_S = 0.25
_RELISTEN_MAX_S = 10.0
_WAIT_S = 1.0  # how often the listening thread looks up from its wait to see whether to stop


class ChangeSignal:
    """Calls `on_change()` soon after another desk commits a change; `on_listening(bool)` as the
    PostgreSQL listener connects and drops (SQLite: once, True)."""

    def __init__(
        self,
        engine: Engine,
        on_change: Callable[[], None],
        on_listening: Callable[[bool], None] = lambda _ok: None,
    ) -> None:
        self._engine = engine
        self._on_change = on_change
        self._on_listening = on_listening
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: Any = None  # the listening DBAPI connection, while there is one
        self.notifications = 0  # wake-ups delivered (for tests and the sync benchmark)
        self.listening = False

    def start(self) -> None:
        if self._thread is not None:
            return
        target = self._sqlite if self._engine.dialect.name == "sqlite" else self._listen_forever
        self._thread = threading.Thread(target=target, name="cras-change-signal", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def drop_connection_for_test(self) -> None:
        """Close the listening connection under the thread, as a network drop would."""
        conn = self._conn
        if conn is not None:
            conn.close()

    # --- PostgreSQL ---------------------------------------------------------------------------

    def _listen_forever(self) -> None:
        pause = 0.5
        while not self._stop.is_set():
            try:
                self._listen()
                pause = 0.5
            except Exception as err:  # the connection failed or dropped: listen again in a while
                log.info("change listener lost its connection (%s); listening again", type(err).__name__)
            finally:
                self._close()
                if not self._stop.is_set():
                    self._set_listening(False)
            if self._stop.wait(pause):
                return
            pause = min(pause * 2, _RELISTEN_MAX_S)

    def _listen(self) -> None:
        # A connection made like the pool's (same URL, timeouts, keepalives), then taken out of
        # the pool for good: LISTEN belongs to a session, and this one is only ever idle.
        raw = self._engine.raw_connection()
        raw.detach()
        conn: Any = raw.dbapi_connection
        if conn is None:
            raise ConnectionError("no connection to listen on")
        self._conn = conn
        conn.autocommit = True
        conn.execute(f"LISTEN {CHANNEL}")
        self._set_listening(True)
        # Whatever was committed while we were not listening: look once now.
        self._changed()
        while not self._stop.is_set():
            # One wake-up a wait, however many commits it brings: the feed read after it sees all.
            got = any(True for _note in conn.notifies(timeout=_WAIT_S, stop_after=1))
            if conn.closed:
                raise ConnectionError("listening connection closed")
            if got:
                self._changed()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already gone
                conn.close()

    # --- SQLite -------------------------------------------------------------------------------

    def _sqlite(self) -> None:
        path = self._engine.url.database
        if not path or path == ":memory:":
            return
        conn = sqlite3.connect(path, check_same_thread=False)
        try:
            self._set_listening(True)
            seen = conn.execute("PRAGMA data_version").fetchone()[0]
            while not self._stop.wait(SQLITE_CHECK_S):
                now = conn.execute("PRAGMA data_version").fetchone()[0]
                if now != seen:
                    seen = now
                    self._changed()
        finally:
            conn.close()

    def _set_listening(self, ok: bool) -> None:
        self.listening = ok
        self._on_listening(ok)

    def _changed(self) -> None:
        self.notifications += 1
        self._on_change()


__all__ = ["CHANNEL", "SQLITE_CHECK_S", "ChangeSignal"]
