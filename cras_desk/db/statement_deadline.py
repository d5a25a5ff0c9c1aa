"""A deadline on every statement a desk sends to PostgreSQL, kept by the desk itself.

The server's own timeouts (statement_timeout, lock_timeout, idle_in_transaction_session_timeout;
see cras_desk.db.engine) end work the server is doing. A server that is frozen rather than down (a
stopped process, a hung host) does nothing: it keeps the TCP connection open, its kernel
acknowledges every byte, and a driver waiting for the answer waits for ever. So a watchman thread
looks at the statements in flight; one older than its deadline is first cancelled the polite way
(a cancel request, as Ctrl+C in psql) and, if that is not answered either, its socket is shut down.
The waiting call then fails with a connection error, SQLAlchemy drops that connection from the
pool, and the service says the database is not answering, with the advisor's work kept (the
outbox) or safely retried (idempotency keys).

Everything here is public API: SQLAlchemy's cursor events, psycopg's cancel_safe() and fileno().
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

# Seconds. What a desk statement takes is milliseconds; a statement this old is not coming back.
DESK_STATEMENT_DEADLINE_S = 8.0
CANCEL_GRACE_S = 2.0  # after the cancel request, before the socket is shut down
_TICK_S = 0.25


@dataclass
class _InFlight:
    dbapi_conn: Any
    started: float
    cancelled_at: float | None = None


@dataclass
class StatementWatch:
    """The statements in flight on one engine's connections, and the thread that watches them."""

    deadline_s: float
    grace_s: float = CANCEL_GRACE_S
    _running: dict[int, _InFlight] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _stopped: bool = False
    interrupted: int = 0  # statements ended by this watch (cancelled or cut off)

    def started(self, dbapi_conn: Any) -> None:
        with self._lock:
            self._running[id(dbapi_conn)] = _InFlight(dbapi_conn, time.monotonic())
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._watch, name="cras-statement-watch", daemon=True)
                self._thread.start()

    def ended(self, dbapi_conn: Any) -> None:
        with self._lock:
            self._running.pop(id(dbapi_conn), None)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        self._wake.set()

    def _watch(self) -> None:
        while not self._wake.wait(_TICK_S):
            now = time.monotonic()
            with self._lock:
                due = [f for f in self._running.values() if now - f.started > self.deadline_s]
            for flight in due:
                self._interrupt(flight, now)

    def _interrupt(self, flight: _InFlight, now: float) -> None:
        conn = flight.dbapi_conn
        if flight.cancelled_at is None:
            flight.cancelled_at = now
            self.interrupted += 1
            log.warning("a statement ran over %.0f s: cancelling it", self.deadline_s)
            cancel = getattr(conn, "cancel_safe", None)
            if cancel is not None:
                threading.Thread(target=_quietly, args=(cancel, self.grace_s), daemon=True).start()
            return
        if now - flight.cancelled_at > self.grace_s:
            with self._lock:
                self._running.pop(id(conn), None)
            log.warning("the database did not answer the cancel: closing the connection")
            _shut_down(conn)


def _quietly(cancel: Any, timeout: float) -> None:
    try:
        cancel(timeout=timeout)
    except Exception as err:  # a frozen server may not answer the cancel request either
        log.info("cancel request not answered: %s", type(err).__name__)


def _shut_down(dbapi_conn: Any) -> None:
    """Shut the socket down under the driver: the call waiting on it returns with an error."""
    try:
        fd = os.dup(dbapi_conn.fileno())
    except (OSError, ValueError, AttributeError):
        return
    try:
        with socket.socket(fileno=fd) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _each(note: Any, conn: Any) -> None:
    # An invalidated Connection would try to reconnect if asked for its DBAPI connection; the
    # pool's invalidate event has already ended its flight.
    if not conn.invalidated:
        note(conn.connection.dbapi_connection)


def watch_statements(engine: Engine, deadline_s: float = DESK_STATEMENT_DEADLINE_S) -> StatementWatch:
    """Keep `deadline_s` on every statement `engine` runs (and on its COMMIT and ROLLBACK)."""
    watch = StatementWatch(deadline_s)

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, _sql: Any, _params: Any, _context: Any, _many: bool) -> None:
        _each(watch.started, conn)

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, _sql: Any, _params: Any, _context: Any, _many: bool) -> None:
        _each(watch.ended, conn)

    @event.listens_for(engine, "handle_error")
    def _failed(context: Any) -> None:
        if context.connection is not None:
            _each(watch.ended, context.connection)

    @event.listens_for(engine, "invalidate")
    def _invalidated(dbapi_conn: Any, _record: Any, _exception: Any) -> None:
        if dbapi_conn is not None:
            watch.ended(dbapi_conn)

    # COMMIT and ROLLBACK are not cursor executions: their events come just before they are sent.
    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        _each(watch.started, conn)

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Any) -> None:
        _each(watch.started, conn)

    # The COMMIT or ROLLBACK has returned once the connection goes back to the pool or begins the
    # next transaction (every desk unit of work is a short session that does one or the other).
    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        _each(watch.ended, conn)

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_conn: Any, _record: Any) -> None:
        watch.ended(dbapi_conn)

    return watch
