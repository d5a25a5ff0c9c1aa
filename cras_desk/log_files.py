"""The desk's trail on this machine: a rotating log, a dump file for hard crashes, and the hooks
that log what nothing else caught.

`start()` (called first thing by `cras-desk`) sets up, in the log folder (cras_desk.paths.log_dir):
- cras-desk.log, rotated by size (cras-desk.log.1 ... .5), one line per record: UTC time, level,
  logger, thread, message. Every record passes log_redaction.PatientDataFilter first;
- faults.log, which faulthandler writes the Python stack of every thread into if the process dies
  of a signal (a segfault in Qt, say). It stays open for the life of the process, because a
  crashing process cannot open a file. A dump left by the previous run is kept as faults.log.1;
- sys.excepthook, threading.excepthook and sys.unraisablehook: an exception nobody caught is
  logged, with its traceback, and the person at the desk is told something plain (no traceback, no
  patient data) by the presenter the GUI sets; the desk carries on.

The folder is 0700 and every file in it 0600 (rotated ones included): a traceback can hold what a
regular expression does not recognise. One desk per user account writes to one folder at a time.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from cras_desk import __version__
from cras_desk.log_redaction import PatientDataFilter
from cras_desk.private_files import private_file, private_folder

LOG_NAME = "cras-desk.log"
FAULTS_NAME = "faults.log"
MAX_BYTES = 2_000_000  # about two weeks of an advisor's desk at INFO
BACKUPS = 5
FAULT_DUMPS_KEPT = 3
FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s [%(threadName)s] %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"

Presenter = Callable[[str], None]  # shows one plain sentence to the person at the desk; any thread

log = logging.getLogger(__name__)


def plain_message(log_path: Path) -> str:
    return f"Something went wrong. What you typed is kept. The details are in the log: {log_path}"


def _rotate_privately(source: str, dest: str) -> None:
    # The handler's rotator: renames keep the mode; the fresh file the handler then opens in
    # append mode is made 0600 here first, so it is never created with the umask's mode.
    os.replace(source, dest)
    private_file(Path(source))


def _keep_last_dump(faults: Path) -> bool:
    """Move a non-empty faults.log aside (faults.log.1, .2, ...); True if there was one."""
    try:
        if faults.stat().st_size == 0:
            return False
    except FileNotFoundError:
        return False
    for i in range(FAULT_DUMPS_KEPT - 1, 0, -1):
        older = faults.with_name(f"{FAULTS_NAME}.{i}")
        if older.exists():
            os.replace(older, faults.with_name(f"{FAULTS_NAME}.{i + 1}"))
    os.replace(faults, faults.with_name(f"{FAULTS_NAME}.1"))
    return True


class LogTrail:
    """The log handler, the open crash-dump file and the hooks; stop() puts everything back."""

    def __init__(self, folder: Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        private_folder(folder)
        self.folder = folder
        self.log_path = folder / LOG_NAME
        self.faults_path = folder / FAULTS_NAME
        self.presenter: Presenter | None = None
        for path in (self.log_path, *folder.glob(f"{LOG_NAME}.*"), *folder.glob(f"{FAULTS_NAME}*")):
            private_file(path)

        handler = RotatingFileHandler(
            self.log_path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
        handler.rotator = _rotate_privately
        formatter = logging.Formatter(FORMAT, DATE_FORMAT)
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
        handler.addFilter(PatientDataFilter())
        self.handler = handler
        root = logging.getLogger()
        self._root_level = root.level
        root.addHandler(handler)
        if root.getEffectiveLevel() > logging.INFO:
            root.setLevel(logging.INFO)

        crashed_before = _keep_last_dump(self.faults_path)
        private_file(self.faults_path)
        self._faults_were_on = faulthandler.is_enabled()
        self.faults_file: IO[str] = open(self.faults_path, "a", encoding="utf-8")  # noqa: SIM115 - for life
        faulthandler.enable(file=self.faults_file, all_threads=True)

        self._previous = (sys.excepthook, threading.excepthook, sys.unraisablehook)
        sys.excepthook = self._uncaught
        threading.excepthook = self._uncaught_in_thread
        sys.unraisablehook = self._unraisable

        log.info("CRAS Desk %s started, process %d", __version__, os.getpid())
        if crashed_before:
            log.warning("the previous run ended in a hard crash; its stacks are in %s.1", FAULTS_NAME)

    @property
    def message(self) -> str:
        return plain_message(self.log_path)

    def set_presenter(self, presenter: Presenter | None) -> None:
        self.presenter = presenter

    def report(
        self,
        exc_type: type[BaseException],
        exc: BaseException | None,
        tb: TracebackType | None,
        where: str = "",
    ) -> None:
        """Log an exception nobody caught and tell the person at the desk, plainly."""
        log.critical("uncaught exception%s", f" in {where}" if where else "", exc_info=(exc_type, exc, tb))
        presenter = self.presenter
        if presenter is None:  # a command line: nothing typed to keep
            print(f"Something went wrong. The details are in the log: {self.log_path}", file=sys.stderr)
            return
        try:
            presenter(self.message)
        except Exception:  # the message could not be shown; the log still has the exception
            log.exception("could not show the advisor the error message")

    def _uncaught(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous[0](exc_type, exc, tb)
            return
        self.report(exc_type, exc, tb)

    def _uncaught_in_thread(self, args: threading.ExceptHookArgs) -> None:
        if issubclass(args.exc_type, SystemExit):
            return  # as the default hook: a thread that exits on purpose is not an error
        name = args.thread.name if args.thread is not None else "a thread"
        self.report(args.exc_type, args.exc_value, args.exc_traceback, where=f"thread {name}")

    def _unraisable(self, args: Any) -> None:
        # An exception in a __del__ or a callback with nowhere to go: logged, not shown. The
        # object's repr is left out: it may be a record holding patient data.
        exc_info = (args.exc_type, args.exc_value, args.exc_traceback)
        log.error("unraisable exception (%s)", args.err_msg or "ignored", exc_info=exc_info)

    def stop(self) -> None:
        hooks = (sys.excepthook, threading.excepthook, sys.unraisablehook)
        if hooks == (self._uncaught, self._uncaught_in_thread, self._unraisable):
            sys.excepthook, threading.excepthook, sys.unraisablehook = self._previous
        faulthandler.disable()
        if self._faults_were_on and sys.__stderr__ is not None:
            faulthandler.enable(file=sys.__stderr__, all_threads=True)
        self.faults_file.close()
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self._root_level)
        self.handler.close()


_trail: LogTrail | None = None  # the process's one trail: the log file and dump file are per process


def start(folder: Path | None = None, **options: int) -> LogTrail:
    """Set up the trail (once per process; later calls return the same trail)."""
    global _trail
    if _trail is None:
        if folder is None:
            from cras_desk.paths import log_dir

            folder = log_dir()
        _trail = LogTrail(folder, **options)
    return _trail


def stop() -> None:
    global _trail
    if _trail is not None:
        _trail.stop()
        _trail = None
