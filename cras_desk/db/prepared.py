"""Prepared statements: SQLAlchemy Core compiled once, run straight on a pooled DBAPI connection.

For the worklist, a query SQLite answers in a tenth of a millisecond, SQLAlchemy's per-execution
machinery (cache key of the statement, execution context, events, result wrapping, the Session)
costs several times the query. A `Prepared` statement is still written in SQLAlchemy Core and
still parameterised: it is compiled once per dialect, its bind parameters go through the column
types' own bind processors, and a `PreparedConnection` runs it on a connection checked out of the
engine's pool (so the pool's events still apply: SQLite pragmas, PostgreSQL's stale-connection
check). Driver errors come out as SQLAlchemy's exceptions, with a dropped connection invalidated
and flagged, exactly as the engine would.

Results are the driver's rows: no result processors run, so a caller decodes what the driver
gives back (SQLite gives dates and datetimes as ISO text).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from operator import itemgetter
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement


class _Compiled:
    """One statement's SQL text and parameter recipe for one dialect."""

    __slots__ = ("_pick", "defaults", "names", "positional", "processors", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            # Such parameters are rendered into the SQL per execution (expanding IN lists, some
            # LIMIT forms): one compiled text cannot serve every call.
            raise ValueError("a prepared statement cannot have parameters rendered per execution")
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        self.names: tuple[str, ...] = (
            tuple(compiled.positiontup or ()) if self.positional else tuple(compiled.bind_names.values())
        )
        # Values fixed in the statement itself (literals SQLAlchemy binds); the caller gives the rest.
        self.defaults = {
            name: bind.effective_value for bind, name in compiled.bind_names.items() if not bind.required
        }
        processors: dict[str, Callable[[Any], Any]] = {}
        for bind, name in compiled.bind_names.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[name] = process
        self.processors = processors
        pick = itemgetter(*self.names) if self.names else (lambda _values: ())
        # itemgetter of one name returns the value itself, not a 1-tuple
        self._pick: Callable[[dict[str, Any]], tuple[Any, ...]] = (
            (lambda values: (pick(values),)) if len(self.names) == 1 else pick
        )

    def parameters(self, params: dict[str, Any]) -> Any:
        values = {**self.defaults, **params}
        for name, process in self.processors.items():
            value = values.get(name)
            if value is not None:
                values[name] = process(value)  # once, though the SQL may use the name twice
        try:
            if self.positional:
                return self._pick(values)  # qmark style (SQLite): a tuple in the order of the "?"s
            return {name: values[name] for name in self.names}
        except KeyError:
            missing = sorted(set(self.names) - set(values))
            raise ValueError(f"no value given for bind parameter(s) {', '.join(missing)}") from None


class Prepared:
    """A Core statement compiled on first use for each dialect it runs on."""

    __slots__ = ("_by_dialect", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        return found


class PreparedConnection:
    """One transaction on a pooled DBAPI connection, for Prepared statements (and fixed SQL text)."""

    __slots__ = ("_cursor", "_dialect")

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self._cursor = cursor
        self._dialect = dialect

    @property
    def dialect_name(self) -> str:
        return self._dialect.name

    def rows(self, prepared: Prepared, params: dict[str, Any]) -> list[Any]:
        self._execute(prepared, params)
        return list(self._cursor.fetchall())

    def scalar(self, prepared: Prepared, params: dict[str, Any]) -> Any:
        self._execute(prepared, params)
        row = self._cursor.fetchone()
        return None if row is None else row[0]

    def run(self, prepared: Prepared, params: dict[str, Any]) -> None:
        self._execute(prepared, params)

    def run_text(self, sql: str) -> None:
        """A fixed statement with no parameters (SET LOCAL ..., a pragma)."""
        self._cursor.execute(sql)

    def _execute(self, prepared: Prepared, params: dict[str, Any]) -> None:
        compiled = prepared.compiled(self._dialect)
        self._cursor.execute(compiled.sql, compiled.parameters(params))


class ConnectionSource:
    """Where a prepared unit of work gets its connection: the engine's pool.

    A checkout from SQLAlchemy's pool runs its connection-fairy machinery and events, which
    PostgreSQL needs (the stale-connection check in cras_desk.db.engine).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def acquire(self) -> Any:
        return self.engine.raw_connection()

    def release(self, conn: Any, *, broken: BaseException | None = None) -> None:
        if broken is not None:
            conn.invalidate(broken)
        conn.close()  # back to the pool (which resets it), or discarded if invalidated

    def dispose(self) -> None:
        """Nothing of its own to close: the engine's pool holds the connections."""


class SqliteConnections(ConnectionSource):
    """SQLite file connections kept ready outside the pool, for the worklist's sub-millisecond reads.

    A pool checkout and return cost about 15 microseconds, a sixth of an NHS-number search on
    SQLite. A file database cannot go stale as a server connection can, so idle connections
    wait in a deque (whose append and pop are atomic: no lock) instead. Each was made by the
    engine's pool and detached from it, so the engine's connect hook has set its pragmas.
    """

    KEEP = 4  # more threads than this rarely search at once; extra connections are closed

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._idle: deque[Any] = deque()

    def acquire(self) -> Any:
        try:
            return self._idle.pop()
        except IndexError:
            fairy = self.engine.raw_connection()
            fairy.detach()
            return fairy.dbapi_connection

    def release(self, conn: Any, *, broken: BaseException | None = None) -> None:
        if broken is None and len(self._idle) < self.KEEP:
            self._idle.append(conn)
        else:
            with suppress(Exception):  # closing a broken connection may fail too
                conn.close()

    def dispose(self) -> None:
        while self._idle:
            with suppress(Exception):
                self._idle.pop().close()


@contextmanager
def transaction(source: ConnectionSource, *, write: bool) -> Iterator[PreparedConnection]:
    """A unit of work on one connection: committed if `write` and the block succeeds, otherwise
    rolled back. On SQLite a write takes the write lock up front (BEGIN IMMEDIATE), as the
    engine's own sessions do (see cras_desk.db.engine)."""
    dialect = source.engine.dialect
    conn = source.acquire()
    cursor = None
    broken: BaseException | None = None
    try:
        cursor = conn.cursor()
        if dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        yield PreparedConnection(cursor, dialect)
        if dialect.name == "sqlite":
            # as SQL, like the BEGIN: sqlite3's commit() prepares its COMMIT afresh every time
            cursor.execute("COMMIT" if write else "ROLLBACK")
        elif write:
            conn.commit()
        else:
            conn.rollback()
    except dialect.loaded_dbapi.Error as err:
        if dialect.is_disconnect(err, conn, cursor) or not _rolled_back(conn):
            broken = err
        raise DBAPIError.instance(
            None,
            None,
            err,
            dialect.loaded_dbapi.Error,
            connection_invalidated=broken is not None,
            dialect=dialect,
        ) from err
    except BaseException as err:
        if not _rolled_back(conn):
            broken = err
        raise
    finally:
        if cursor is not None:
            with suppress(dialect.loaded_dbapi.Error):  # already gone: the connection is discarded
                cursor.close()
        source.release(conn, broken=broken)


def _rolled_back(conn: Any) -> bool:
    try:
        conn.rollback()
    except Exception:  # the original error is the one worth raising; this connection is done
        return False
    return True
