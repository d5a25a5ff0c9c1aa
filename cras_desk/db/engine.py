"""Engine and session factory: one short session per user action, never shared between threads."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from cras_desk.db import change_feed  # noqa: F401 - importing it registers the change-feed flush hook
from cras_desk.db.statement_deadline import DESK_STATEMENT_DEADLINE_S, StatementWatch, watch_statements
from cras_desk.private_files import private_database_file


def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{path}"


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN past the first SELECT, which turns a
    # read-then-write into a lock upgrade that can fail under concurrency. We emit BEGIN ourselves:
    # IMMEDIATE for write transactions (take the write lock up front), DEFERRED for reads.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # First: switching a new file to WAL needs a lock another desk may hold for a moment.
        cur.execute("PRAGMA busy_timeout = 10000")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("cras_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


DESK_POOL_SIZE = 2
DESK_POOL_OVERFLOW = 1
POOL_TIMEOUT_S = 10.0  # a desk waiting this long for its own connection has a bug to report, not hang on


# PostgreSQL connection settings (libpq), chosen so that no wait is without an end:
# - connect_timeout: a server that does not answer is reported in seconds, not minutes;
# - TCP keepalives (idle 10 s, then 3 probes 3 s apart) and tcp_user_timeout: a server or network
#   that has gone away is noticed on an idle or busy connection within about 20 s;
# - statement_timeout, lock_timeout: the server ends a statement running or waiting for a row
#   lock too long (a desk's statements take milliseconds);
# - idle_in_transaction_session_timeout: the server ends the session of a desk that froze (or
#   closed its lid) inside a transaction, so its locks do not hold up every other desk;
# - max_parallel_workers_per_gather = 0: a desk's queries read a page of rows, and starting
#   parallel workers for them costs more than it saves (a team's surname search at 300,000
#   referrals: 94 ms with two workers, 22 ms without).
# A frozen server enforces none of its own timeouts: cras_desk.db.statement_deadline keeps a
# deadline from the desk's side too.
CONNECT_TIMEOUT_S = 5
INTERACTIVE_SERVER_SETTINGS = {
    "statement_timeout": "30s",
    "lock_timeout": "10s",
    "idle_in_transaction_session_timeout": "60s",
    "max_parallel_workers_per_gather": "0",
}
_LIBPQ_NETWORK = {
    "connect_timeout": CONNECT_TIMEOUT_S,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 3,
    "keepalives_count": 3,
    "tcp_user_timeout": 20_000,  # ms
}


def _postgresql_connect_args(given: dict[str, Any], interactive: bool) -> dict[str, Any]:
    args = {**_LIBPQ_NETWORK, **given}
    if interactive:
        settings = " ".join(f"-c {name}={value}" for name, value in INTERACTIVE_SERVER_SETTINGS.items())
        args["options"] = f"{settings} {args['options']}" if "options" in given else settings
    return args


def make_engine(url: str | URL, *, interactive: bool = True, **kwargs: Any) -> Engine:
    """An engine for either backend with the pool and pragmas this app relies on.

    interactive: the desk's and the services' own work, with the server-side settings above; bulk
    admin work (seeding, imports, migrations) passes False and keeps only the network ones.
    """
    url = make_url(url)
    # A failed statement's message would otherwise carry its bound values (names, addresses, NHS
    # numbers) into tracebacks and so into the log file (cras_desk.log_files).
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            # 0600 before SQLite first opens it: SQLite gives its -wal/-shm/-journal the same mode.
            private_database_file(Path(url.database))
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    # What one desk uses: its database worker (one thread: calls run in order), plus the letters
    # print batch on a thread of its own. A central server serves 50 desks or more, so a desk
    # keeps at most DESK_POOL_SIZE connections open and opens one more only for a moment; the
    # README tells an administrator how to size max_connections. Benchmarks and race tests that
    # run many threads at one desk's Database pass larger pools themselves.
    kwargs.setdefault("pool_size", DESK_POOL_SIZE)
    kwargs.setdefault("max_overflow", DESK_POOL_OVERFLOW)
    kwargs.setdefault("pool_timeout", POOL_TIMEOUT_S)
    kwargs["connect_args"] = _postgresql_connect_args(kwargs.get("connect_args", {}), interactive)
    if "pool_pre_ping" in kwargs:  # the caller chose: SQLAlchemy's ping before every checkout, or none
        return create_engine(url, **kwargs)
    engine = create_engine(url, **kwargs)
    _ping_when_stale(engine)
    return engine


# A connection given back to the pool longer ago than this is pinged before it is used again.
PING_AFTER_IDLE_S = 2.0
_IDLE_SINCE = "cras_idle_since"


def _ping_when_stale(engine: Engine) -> None:
    """pool_pre_ping, without its round trip for a connection that was in use a moment ago.

    A desk that slept with its lid closed, sat idle behind a firewall that forgets idle sessions,
    or outlived a server restart must reconnect rather than fail. pool_pre_ping does that with a
    round trip before EVERY checkout, so a desk doing one thing after another pays for a ping per
    transaction. Here a connection is pinged when it may have gone stale: it has been idle for
    more than PING_AFTER_IDLE_S by the monotonic clock or by the wall clock (a monotonic clock may
    stand still while the machine is suspended; the wall clock does not), the driver already knows
    it is broken, or the server has sent something while it sat idle (a server that restarts or
    ends the session says so before it closes the socket, which makes the idle socket readable).
    A failed ping is a DisconnectionError: the pool drops that connection and checks out another,
    exactly as pool_pre_ping does.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, record: Any) -> None:
        if dbapi_conn is not None:
            record.info[_IDLE_SINCE] = (time.monotonic(), time.time())

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is not None and _fresh(dbapi_conn, since):
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as err:  # whatever the driver raises, this connection is not usable
            raise DisconnectionError(f"stale connection: {err}") from err


def _fresh(dbapi_conn: Any, since: tuple[float, float]) -> bool:
    mono, wall = since
    if time.monotonic() - mono > PING_AFTER_IDLE_S or abs(time.time() - wall) > PING_AFTER_IDLE_S:
        return False
    if getattr(dbapi_conn, "closed", False) or getattr(dbapi_conn, "broken", False):
        return False
    try:
        readable, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


# Session.info key: the session's connection is the signed-in person's own login role.
PERSONAL_LOGIN = "cras_personal_login"


class Database:
    """The app's handle on one database. Hand it to services; they open a session per call."""

    def __init__(
        self,
        url: str | URL,
        *,
        interactive: bool = True,
        statement_deadline_s: float = DESK_STATEMENT_DEADLINE_S,
        personal_login: bool = False,
        **engine_kwargs: Any,
    ) -> None:
        self.url = make_url(url)
        # Connected as the signed-in person's own login role: the server knows who is calling.
        self.personal_login = personal_login
        self.engine = make_engine(self.url, interactive=interactive, **engine_kwargs)
        self.statement_watch: StatementWatch | None = None
        if interactive and self.engine.dialect.name != "sqlite":
            self.statement_watch = watch_statements(self.engine, statement_deadline_s)
        info = {PERSONAL_LOGIN: personal_login}
        self._read = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._write = sessionmaker(
            self.engine.execution_options(cras_write=True), expire_on_commit=False, info=info
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work; closing the session rolls back, so nothing it does is kept."""
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A read-write unit of work, committed when the block ends without error."""
        with self._write() as session, session.begin():
            yield session

    def dispose(self) -> None:
        if self.statement_watch is not None:
            self.statement_watch.stop()
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"
