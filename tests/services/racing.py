"""Many desks at the same moment: threads released together, each with its own pooled connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cras_desk.db.engine import Database


def racing_database(url: Any, threads: int) -> Database:
    """A Database whose pool already holds a connection for every racing thread.

    Filled up front: otherwise the first statements race with connection set-up instead.
    """
    db = Database(url, pool_size=threads, max_overflow=4, pool_timeout=60)
    conns = [db.engine.connect() for _ in range(threads)]
    for conn in conns:
        conn.close()
    return db


def race(n: int, attempt: Callable[[int], Any]) -> list[Any]:
    """Run attempt(0..n-1) on n threads released together; each result is a value or the exception."""
    barrier = threading.Barrier(n, timeout=60)

    def run(i: int) -> Any:
        barrier.wait()
        try:
            return attempt(i)
        except Exception as err:  # the outcome under test, collected rather than raised
            return err

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n), timeout=300))
