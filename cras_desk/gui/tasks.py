"""Database work off the UI thread (after Anki's taskman and Orange3's concurrent helpers).

One worker thread runs every database call in order; results come back to the UI thread through
a queued signal. A task given a `key` supersedes the previous task with that key: if the old one
has not started it is skipped, and if it is running its result is dropped. That keeps
search-as-you-type snappy — only the latest keystroke's query is ever shown.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Bridge(QObject):
    finished = Signal(object, object, object)  # callback, result, error


class _Job(QRunnable):
    def __init__(
        self,
        runner: TaskRunner,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        key: str | None,
        generation: int,
    ) -> None:
        super().__init__()
        self.runner, self.fn, self.on_done, self.on_error = runner, fn, on_done, on_error
        self.key, self.generation = key, generation
        self.setAutoDelete(True)

    def run(self) -> None:
        if self.runner.superseded(self.key, self.generation):
            self.runner._emit(self, None, None, skipped=True)
            return
        try:
            result = self.fn()
        except BaseException as exc:
            self.runner._emit(self, None, exc)
            return
        self.runner._emit(self, result, None)


class TaskRunner(QObject):
    """Runs callables on one background thread; hands results to callbacks on the UI thread."""

    busy_changed = Signal(bool)
    failed = Signal(object)  # an exception no task-specific handler took (the status bar shows it)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one database worker: calls run in the order they were asked
        self._bridge = _Bridge()
        self._bridge.finished.connect(self._deliver)
        self._lock = threading.Lock()
        self._latest: dict[str, int] = {}
        self._counter = itertools.count(1)
        self._pending = 0

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        key: str | None = None,
    ) -> None:
        generation = next(self._counter)
        with self._lock:
            if key is not None:
                self._latest[key] = generation
            self._pending += 1
            first = self._pending == 1
        if first:
            self.busy_changed.emit(True)
        self._pool.start(_Job(self, fn, on_done, on_error, key, generation))

    def superseded(self, key: str | None, generation: int) -> bool:
        if key is None:
            return False
        with self._lock:
            return self._latest.get(key, generation) != generation

    def _emit(self, job: _Job, result: Any, error: BaseException | None, skipped: bool = False) -> None:
        if skipped or self.superseded(job.key, job.generation):
            self._bridge.finished.emit(None, None, None)
        elif error is not None:
            self._bridge.finished.emit(job.on_error or self.failed.emit, None, error)
        else:
            self._bridge.finished.emit(job.on_done, result, None)

    @Slot(object, object, object)
    def _deliver(
        self, callback: Callable[[Any], None] | None, result: Any, error: BaseException | None
    ) -> None:
        with self._lock:
            self._pending -= 1
            idle = self._pending == 0
        try:
            if callback is not None:
                callback(error if error is not None else result)
        finally:
            if idle:
                self.busy_changed.emit(False)

    def wait_idle(self, msecs: int = 30_000) -> bool:
        """For tests and shutdown: block until the worker has drained its queue."""
        return self._pool.waitForDone(msecs)

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending
