from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread

from cras_desk.gui.tasks import TaskRunner


def test_results_arrive_on_the_ui_thread(qtbot) -> None:
    runner = TaskRunner()
    seen: list[tuple[int, bool]] = []
    worker_threads: list[int] = []

    def work() -> int:
        worker_threads.append(threading.get_ident())
        return 41 + 1

    runner.run(work, lambda value: seen.append((value, QThread.currentThread().isMainThread())))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [(42, True)]
    assert worker_threads[0] != threading.get_ident()


def test_errors_go_to_the_handler_or_the_failed_signal(qtbot) -> None:
    runner = TaskRunner()
    errors: list[BaseException] = []

    def boom() -> None:
        raise RuntimeError("database went away")

    runner.run(boom, lambda _v: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert str(errors[0]) == "database went away"
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.run(boom)
    assert isinstance(blocker.args[0], RuntimeError)


def test_a_newer_task_with_the_same_key_supersedes_the_older(qtbot) -> None:
    runner = TaskRunner()
    shown: list[str] = []
    gate = threading.Event()

    def slow(text: str) -> str:
        gate.wait(5)
        return text

    # While the first search runs, four more keystrokes arrive; only the last may be shown.
    runner.run(lambda: slow("s"), shown.append, key="search")
    for text in ("sm", "smi", "smit", "smith"):
        runner.run(lambda t=text: slow(t), shown.append, key="search")
    runner.run(lambda: "other", shown.append, key="other")
    time.sleep(0.05)
    gate.set()
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=5000)
    assert shown == ["smith", "other"]


def test_busy_signal_brackets_the_work(qtbot) -> None:
    runner = TaskRunner()
    states: list[bool] = []
    runner.busy_changed.connect(states.append)
    runner.run(lambda: 1, lambda _v: None)
    runner.run(lambda: 2, lambda _v: None)
    qtbot.waitUntil(lambda: states[-1:] == [False], timeout=5000)
    assert states == [True, False]


class _Released:
    """Records the thread that let go of it (Python frees an object where its last reference goes)."""

    def __init__(self, threads: list[int]) -> None:
        self.threads = threads

    def __del__(self) -> None:
        self.threads.append(threading.get_ident())


def test_what_a_task_holds_is_let_go_on_the_ui_thread(qtbot) -> None:
    # A model or widget captured by a task's closures must never be freed on the worker: Qt cannot
    # stop its timers from there, and a timer left registered for a freed object fires into freed
    # memory (the segfault tests/gui/test_worklist_view.py used to hit after test_window_layout.py).
    # Before the fix about 1 in 60 of these were freed on the worker, and PySide kept the wrappers
    # of about 9 in 10 finished QRunnable jobs, with what they held, alive for good.
    runner = TaskRunner()
    threads: list[int] = []
    n = 400
    for i in range(n):
        held = _Released(threads)
        runner.run(lambda held=held, i=i: i, lambda _result, held=held: None)  # both closures hold it
        del held
        qtbot.waitUntil(lambda: runner.pending == 0, timeout=5000)
    runner.wait_idle()
    assert len(threads) == n
    assert set(threads) == {threading.get_ident()}


def test_a_task_that_does_not_come_back_is_reported_and_its_end_too(qtbot, monkeypatch) -> None:
    """A frozen database shows as a task still running: the desk says so while it waits."""
    from cras_desk.gui import tasks as tasks_module

    monkeypatch.setattr(tasks_module, "NOT_ANSWERING_AFTER_S", 0.3)
    runner = TaskRunner()
    said: list[tuple[bool, float]] = []
    runner.not_answering.connect(lambda stuck, since: said.append((stuck, since)))
    release = threading.Event()
    began = time.time()
    runner.run(lambda: release.wait(10))
    qtbot.waitUntil(lambda: bool(said) and said[0][0] is True, timeout=3000)
    assert abs(said[0][1] - began) < 0.5  # since when: the moment the stuck call began
    release.set()
    qtbot.waitUntil(lambda: len(said) == 2, timeout=3000)
    assert said[1][0] is False
    runner.run(lambda: 1)  # a quick one says nothing
    assert runner.wait_idle()
    qtbot.wait(400)
    assert len(said) == 2
