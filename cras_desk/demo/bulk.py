"""Bulk writing for the seed: COPY or one executemany per chunk, sequences, statistics.

Rows carry their own primary keys, so children can point at parents without a round trip. That
leaves PostgreSQL's sequences behind the data; reset_sequences moves them on, or the app's first
ORM insert would collide with id 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Dialect, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from cras_desk.db.models import Base
from cras_desk.db.tables import table_of
from cras_desk.db.types import UtcDateTime

if TYPE_CHECKING:
    import psycopg

CHUNK = 5_000


def insert_rows(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]], chunk: int = CHUNK
) -> int:
    """Insert dicts that all have the same keys, in the session's transaction.

    Values go through each column type's own bind processor, so they are stored exactly as the
    ORM would store them; what is skipped is SQLAlchemy's per-row bookkeeping, which costs more
    than the database does at this volume. PostgreSQL gets COPY, SQLite one prepared executemany.
    """
    if not rows:
        return 0
    table = table_of(model)
    conn = session.connection()
    dialect = conn.dialect
    keys = list(rows[0])
    processors = [_processor(table.c[k].type, dialect) for k in keys]
    if dialect.name == "postgresql":
        from psycopg import sql  # only the PostgreSQL backend needs it

        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(k) for k in keys)
        )
    else:
        compiled = table.insert().compile(dialect=dialect, column_keys=keys)
        order = [keys.index(name) for name in compiled.positiontup or ()]
        insert_sql = str(compiled)
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        columns = []
        for key, process in zip(keys, processors, strict=True):
            values = [row[key] for row in part]
            columns.append(values if process is None else list(map(process, values)))
        if dialect.name == "postgresql":
            cursor = _copy_cursor(conn)
            try:
                with cursor, cursor.copy(copy_sql) as copy:
                    for record in zip(*columns, strict=True):
                        copy.write_row(record)
            except dialect.loaded_dbapi.Error as exc:
                # The same exception classes as an ORM insert would raise (IntegrityError, ...).
                raise DBAPIError.instance(
                    copy_sql.as_string(), None, exc, dialect.loaded_dbapi.Error
                ) from exc
        else:
            conn.exec_driver_sql(insert_sql, list(zip(*(columns[i] for i in order), strict=True)))
    return len(rows)


def _copy_cursor(conn: Connection) -> psycopg.Cursor[Any]:
    """A cursor of the PostgreSQL driver itself: COPY is psycopg's, not the DB-API's."""
    import psycopg

    raw = conn.connection.dbapi_connection
    if not isinstance(raw, psycopg.Connection):
        raise TypeError("COPY needs the psycopg driver.")
    return raw.cursor()


def _processor(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if dialect.name == "sqlite" and isinstance(column_type, UtcDateTime) and process is not None:
        return _sqlite_utc(process)
    return process


def _sqlite_utc(general: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """UtcDateTime for SQLite, formatted directly: the general path costs three times as much.

    The text is SQLAlchemy's SQLite DATETIME storage format (tests compare the two); anything
    but an aware UTC datetime takes the general path, with its checks.
    """

    def process(value: datetime | None) -> str | None:
        if value is None:
            return None
        if value.tzinfo is UTC:
            return _SQLITE_DATETIME % (
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
            )
        stored: str | None = general(value)
        return stored

    return process


_SQLITE_DATETIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


@contextmanager
def checks_deferred(session: Session) -> Iterator[None]:
    """On SQLite, skip CHECK constraints while bulk loading; a no-op on PostgreSQL.

    SQLite evaluates every enum's CHECK (a list of allowed strings) per row, which is two thirds
    of the insert cost. The values were already checked on the way in (the enum types refuse
    unknown strings), PostgreSQL enforces every CHECK during the same seed (tests run both),
    and the pragma is switched back before the seed's final UPDATEs.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        session.execute(text("PRAGMA ignore_check_constraints = ON"))
    try:
        yield
    finally:
        if sqlite:
            session.execute(text("PRAGMA ignore_check_constraints = OFF"))


def reset_sequences(session: Session, models: Sequence[type[Base]]) -> None:
    """Set each table's id sequence past its largest id (PostgreSQL; SQLite needs nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = table_of(model)
        sequence = func.pg_get_serial_sequence(table.name, "id")
        session.execute(select(func.setval(sequence, func.coalesce(func.max(table.c.id), 0) + 1, False)))


def analyze(session: Session, *models: type[Base]) -> None:
    """Refresh planner statistics (of the given tables, or all of them on SQLite)."""
    dialect = session.get_bind().dialect
    if models:
        if dialect.name == "postgresql":
            for model in models:
                name = dialect.identifier_preparer.quote(model.__tablename__)
                session.execute(text(f"ANALYZE {name}"))
        return
    if dialect.name == "sqlite":
        # A sample is enough for the planner and keeps ANALYZE quick on a 300,000-referral file.
        session.execute(text("PRAGMA analysis_limit = 1000"))
    session.execute(text("ANALYZE"))
