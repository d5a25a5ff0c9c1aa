"""One process at a time sets a database up (migrations, the embedded demo seed).

Two desks started at once on a new computer both find an empty database; without a lock both
migrate it, and one fails ("database is locked", or a table that the other has just created). The
first to take the lock does the work; the other waits, then finds the work done.

- SQLite: an exclusive lock on a file beside the database (<database>.setup-lock, 0600), taken
  with flock on POSIX and msvcrt.locking on Windows. The operating system drops the lock when its
  process ends, however it ends, so a desk killed mid-migration leaves no stale lock to detect
  (the file stays; only the lock on it matters). A lock on the database file itself would not
  serve: SQLite takes and drops its own locks on it statement by statement.
- PostgreSQL: a session-level advisory lock (pg_try_advisory_lock, per database) held on a
  connection of its own for as long as the work runs; a server ends it with the session if the
  process dies.

The wait has an end (LOCK_WAIT_S): a desk that waited that long says so instead of hanging.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from cras_desk.private_files import private_file

# Seeding the demo data on a slow PC takes under a minute; a desk waits well past that.
LOCK_WAIT_S = 300.0
POLL_S = 0.05
# Any fixed 64-bit number, the same in every desk: "CRASetup" in ASCII.
ADVISORY_KEY = 0x4352415365747570
SUFFIX = ".setup-lock"


class SetupLockTimeout(TimeoutError):
    pass


@contextmanager
def setup_lock(
    engine: Engine, *, timeout_s: float = LOCK_WAIT_S, waiting: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the database's setup lock for the block; waiting() is called once if another holds it."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            yield  # nobody else can open it
            return
        if not Path(database).parent.is_dir():
            yield  # SQLite will say the folder is not there; making it here would hide that
            return
        with file_lock(Path(database + SUFFIX), timeout_s=timeout_s, waiting=waiting):
            yield
        return
    with engine.connect() as conn:
        deadline = time.monotonic() + timeout_s
        told = False
        while not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar():
            conn.rollback()  # no transaction left open while waiting (idle_in_transaction timeout)
            if not told and waiting is not None:
                waiting()
                told = True
            _wait_or_give_up(deadline, timeout_s)
        conn.commit()  # the lock is the session's: it outlives this transaction
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            conn.commit()


@contextmanager
def file_lock(
    path: Path, *, timeout_s: float = LOCK_WAIT_S, waiting: Callable[[], None] | None = None
) -> Iterator[None]:
    """An exclusive lock on path (created 0600 if missing) for the block, between processes."""
    private_file(path)
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        deadline = time.monotonic() + timeout_s
        told = False
        while not _try_lock(fd):
            if not told and waiting is not None:
                waiting()
                told = True
            _wait_or_give_up(deadline, timeout_s)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def _wait_or_give_up(deadline: float, timeout_s: float) -> None:
    if time.monotonic() >= deadline:
        raise SetupLockTimeout(
            f"Another desk has been preparing this database for more than {timeout_s:.0f} s. "
            "Close the other desk or try again later."
        )
    time.sleep(POLL_S)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
