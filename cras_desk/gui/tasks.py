"""Database work off the UI thread (after Anki's taskman and Orange3's concurrent helpers).

One worker thread runs every database call in order; results come back to the UI thread through
a queued signal. A task given a `key` supersedes the previous task with that key: if the old one
has not started it is skipped, and if it is running its result is dropped. That keeps
search-as-you-type snappy — only the latest keystroke's query is ever shown.

The worker never holds the last reference to anything the UI thread made. A task's callbacks
(and whatever their closures hold: a model, a widget) stay in the runner's table of open tasks,
which only the UI thread changes, and are let go there once delivered. Were the worker the last
owner, Python would destroy those Qt objects on the worker thread when the pool lets go of the
job after it ran: Qt cannot stop a timer from another thread, so a model's running timer stayed
registered with the UI thread's event dispatcher after its object was freed, and fired into freed
memory (the segfault the worklist tests hit, "QObject::~QObject: Timers cannot be stopped from
another thread" just before it).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot

# A desk task takes milliseconds; one running this long means the database is not answering
# (frozen, or the network gone quiet). The advisor is told well inside 5 s; the statement itself
# is ended by the engine's deadline (cras_desk.db.statement_deadline).
NOT_ANSWERING_AFTER_S = 3.0
_WATCH_MS = 250


@dataclass(eq=False)
class _Task:
    """One call: made and emptied on the UI thread; the worker only runs fn and writes the outcome."""

    fn: Callable[[], Any] | None
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None
    key: str | None
    generation: int
    result: Any = None
    error: BaseException | None = None
    started: float | None = None  # time.monotonic() when the worker began it (written by the worker)

    def empty(self) -> None:
        self.fn = self.on_done = self.on_error = self.result = self.error = None


class _Generations:
    """The latest generation asked for per key; read by the worker, so behind a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, int] = {}

    def ask(self, key: str, generation: int) -> None:
        with self._lock:
            self._latest[key] = generation

    def superseded(self, key: str | None, generation: int) -> bool:
        if key is None:
            return False
        with self._lock:
            return self._latest.get(key, generation) != generation


class _Bridge(QObject):
    finished = Signal(int)  # the generation of the task whose outcome is written


def _work(task: _Task, generations: _Generations, bridge: _Bridge) -> None:
    """What the worker runs. The pool lets go of this call (and so of the task, the generations and
    the bridge, the runner's child) on the worker: by then the UI thread has emptied the task, or
    still holds it in its table, so nothing of the UI's is ever freed here."""
    if not generations.superseded(task.key, task.generation):
        task.started = time.monotonic()
        try:
            task.result = task.fn() if task.fn is not None else None
        except BaseException as exc:  # the UI thread hands it to on_error or `failed`
            task.error = exc
    bridge.finished.emit(task.generation)


class TaskRunner(QObject):
    """Runs callables on one background thread; hands results to callbacks on the UI thread.

    Keep the runner alive until its work is done (wait_idle), as the desk and the tests do.
    """

    busy_changed = Signal(bool)
    failed = Signal(object)  # an exception no task-specific handler took (the status bar shows it)
    # True (with the wall-clock time the stuck task began) once a task has run NOT_ANSWERING_AFTER_S;
    # False when the worker moves on again.
    not_answering = Signal(bool, float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)  # made before the bridge, so deleted (and drained) before it
        self._pool.setMaxThreadCount(1)  # one database worker: calls run in the order they were asked
        self._bridge = _Bridge(self)
        self._bridge.finished.connect(self._deliver)
        self._generations = _Generations()
        self._counter = itertools.count(1)
        self._open: dict[int, _Task] = {}  # UI thread only
        self._stuck = False
        self._watch = QTimer(self)
        self._watch.setInterval(_WATCH_MS)
        self._watch.timeout.connect(self._look_for_a_stuck_task)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        key: str | None = None,
    ) -> None:
        generation = next(self._counter)
        if key is not None:
            self._generations.ask(key, generation)
        task = _Task(fn, on_done, on_error, key, generation)
        self._open[generation] = task
        if len(self._open) == 1:
            self.busy_changed.emit(True)
            self._watch.start()
        # A plain callable, not a QRunnable subclass: PySide keeps the Python wrapper of an
        # auto-deleted QRunnable subclass alive after the pool deletes it (measured: 472 of 500
        # jobs, each holding its callbacks' closures), where a callable is let go after it ran.
        self._pool.start(partial(_work, task, self._generations, self._bridge))

    def superseded(self, key: str | None, generation: int) -> bool:
        return self._generations.superseded(key, generation)

    @Slot(int)
    def _deliver(self, generation: int) -> None:
        task = self._open.pop(generation, None)
        if task is None:
            return
        callback: Callable[[Any], None] | None = None
        value: Any = None
        if not self.superseded(task.key, task.generation):
            if task.error is not None:
                callback, value = task.on_error or self.failed.emit, task.error
            else:
                callback, value = task.on_done, task.result
        task.empty()
        try:
            if callback is not None:
                callback(value)
        finally:
            if self._stuck:
                self._stuck = False
                self.not_answering.emit(False, time.time())
            if not self._open:  # after the callback: it may have asked for more
                self._watch.stop()
                self.busy_changed.emit(False)

    def _look_for_a_stuck_task(self) -> None:
        if self._stuck:
            return
        now = time.monotonic()
        for task in self._open.values():
            started = task.started
            if started is not None and now - started >= NOT_ANSWERING_AFTER_S:
                self._stuck = True
                self.not_answering.emit(True, time.time() - (now - started))
                return

    def wait_idle(self, msecs: int = 30_000) -> bool:
        """For tests and shutdown: block until the worker has drained its queue."""
        return self._pool.waitForDone(msecs)

    @property
    def pending(self) -> int:
        """Tasks asked for whose outcome has not yet been delivered on the UI thread."""
        return len(self._open)
