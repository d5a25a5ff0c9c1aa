"""A print run of the letter queue on its own thread, with progress and cancel by signal."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from cras_desk.services.actor import Actor
from cras_desk.services.letters import LetterService


class BatchWorker(QObject):
    """Runs LetterService.print_queue on its own thread and reports progress by signal."""

    progress = Signal(int, int)
    finished = Signal(object)  # PrintRun
    failed = Signal(object)  # the exception

    def __init__(self, service: LetterService, actor: Actor, out_dir: Path, all_teams: bool = False) -> None:
        super().__init__()
        self._service, self._actor, self._out_dir = service, actor, out_dir
        self._all_teams = all_teams
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Thread-safe: called from the UI thread while run() is busy on the worker thread."""
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        try:
            result = self._service.print_queue(
                self._actor, self._out_dir, self._progress, all_teams=self._all_teams
            )
        except Exception as exc:  # reported to the UI, which shows the advisor-facing message
            self.failed.emit(exc)
            return
        self.finished.emit(result)

    def _progress(self, done: int, total: int) -> bool:
        self.progress.emit(done, total)
        return not self._cancel.is_set()
