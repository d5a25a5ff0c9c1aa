"""The desk application: QApplication, sign-in, the main window, sign-out and back.

`run_app` is what `cras-desk` (no subcommand) calls. It imports only what the sign-in needs; the
main window and its features are imported while the database is being made ready, and the
rarely used screens only when first opened, so the desk is on screen quickly.

Non-interactive sign-in exists for the start-up benchmark only (bench/startup.py): it sets
CRAS_BENCH_USER and CRAS_BENCH_PASSWORD in the child process's environment; no password is
ever read from a file. CRAS_BENCH_REPORT=1 makes the desk print one JSON line when the first
worklist page is painted, and quit.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from typing import TYPE_CHECKING

# The Qt-free layers first. Once PySide6 is loaded, its feature hook reads the source of every
# module imported after it (shibokensupport.feature looks for "PySide6" in the text): for SQLAlchemy,
# the models and the services that is a few hundred files read for nothing, on every start.
import cras_desk.services.bundle  # noqa: F401 - imported now for the reason above
from cras_desk import log_files
from cras_desk.gui.sign_in.connection import Target, target_from
from cras_desk.settings import Settings

# isort: split
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from cras_desk.gui import style
from cras_desk.gui.crash_notice import CrashNotice
from cras_desk.gui.tasks import TaskRunner
from cras_desk.gui.widgets import accessible_roles, password_edit  # noqa: F401 - registers its interface

if TYPE_CHECKING:
    from cras_desk.db.engine import Database
    from cras_desk.gui.main_window import MainWindow
    from cras_desk.gui.sign_in.dialog import SignInDialog
    from cras_desk.services.actor import Actor
    from cras_desk.services.bundle import ServiceBundle

BENCH_USER = "CRAS_BENCH_USER"
BENCH_SECRET_VARIABLE = "CRAS_BENCH_PASSWORD"  # the name of an environment variable
BENCH_REPORT = "CRAS_BENCH_REPORT"
RESUME_GC_MS = 2000  # the collector comes back on this long after the desk opens if no page has come


class DeskApp(QObject):
    """Signs someone in, shows their desk, and starts over on sign-out."""

    def __init__(self, app: QApplication, settings: Settings, tasks: TaskRunner, target: Target) -> None:
        super().__init__(app)
        self.app = app
        self.settings = settings
        self.tasks = tasks
        self.target = target
        self.window: MainWindow | None = None
        self.dialog: SignInDialog | None = None
        self.database: Database | None = None

    def start(self) -> None:
        user, password = os.environ.get(BENCH_USER), os.environ.get(BENCH_SECRET_VARIABLE)
        if user and password:
            self._bench_sign_in(user, password)
        else:
            self.show_sign_in()

    # --- signing in ------------------------------------------------------------------------------

    def show_sign_in(self) -> None:
        from cras_desk.gui.sign_in.dialog import SignInDialog

        dialog = SignInDialog(self.settings, self.tasks, self.target)
        dialog.accepted.connect(self._signed_in)
        dialog.rejected.connect(self._quit_unless_signed_in)
        self.dialog = dialog
        dialog.show()
        QTimer.singleShot(0, resume_gc)  # the first screen is up
        # The main window's modules load while the advisor types (and the database gets ready).
        QTimer.singleShot(200, _preload)

    def _signed_in(self) -> None:
        dialog = self.dialog
        assert dialog is not None and dialog.actor is not None
        self.target = dialog.target
        self.open_desk(dialog.take_database(), dialog.actor)
        dialog.deleteLater()
        self.dialog = None

    def _quit_unless_signed_in(self) -> None:
        if self.window is None:
            self.app.quit()

    def _bench_sign_in(self, user: str, password: str) -> None:
        from cras_desk.gui.sign_in.connection import prepare

        target = self.target

        def work() -> tuple[Database, Actor]:
            from cras_desk.services.auth import AuthService

            db = prepare(target)
            return db, AuthService(db).sign_in(user, password)

        def failed(exc: BaseException) -> None:
            print(json.dumps({"error": str(exc)}), flush=True)
            self.app.exit(2)

        self.tasks.run(work, lambda pair: self.open_desk(*pair), failed)
        _preload()  # overlaps the worker's connect and password check

    # --- the desk --------------------------------------------------------------------------------

    def open_desk(self, db: Database, actor: Actor) -> None:
        from cras_desk.drafts import DraftStore
        from cras_desk.gui.desk_context import DeskContext
        from cras_desk.gui.main_window import MainWindow
        from cras_desk.outbox import Outbox, outbox_path
        from cras_desk.paths import data_dir
        from cras_desk.services.bundle import ServiceBundle

        self.database = db
        services = ServiceBundle.build(db)
        self._warm_first_page(services, actor)
        outbox = Outbox(outbox_path(data_dir(), actor.username))
        ctx = DeskContext(services, actor, self.tasks, DraftStore(actor.username), self.settings, outbox)
        window = MainWindow(ctx, database_text=self.target.display)
        window.sign_out_requested.connect(self.sign_out)
        if os.environ.get(BENCH_REPORT):
            window.first_page_shown.connect(self._bench_report)
        window.first_page_shown.connect(resume_gc)
        QTimer.singleShot(RESUME_GC_MS, resume_gc)  # a first page that never comes must not keep it off
        self.window = window
        window.show_on_screen()
        window.start()

    def _warm_first_page(self, services: ServiceBundle, actor: Actor) -> None:
        """Ask for the first worklist page on the worker while the window is being built: the
        statement is compiled and the pages are in the cache by the time the window asks."""
        from cras_desk.services.worklist import WorklistFilter

        worklist, limit = services.worklist, self.settings.worklist_page_size
        self.tasks.run(lambda: worklist.page(actor, WorklistFilter(), limit=limit), None, lambda _e: None)

    def sign_out(self) -> None:
        window = self.window
        if window is None:
            return
        self.show_sign_in()  # first, so the application always has a window
        window.shutdown()
        self.window = None
        window.close()
        window.deleteLater()
        if self.database is not None:
            self.database.dispose()
            self.database = None

    def window_closed(self) -> None:
        if self.dialog is None:
            self.app.quit()

    def _bench_report(self) -> None:
        print(json.dumps({"first_page_at": time.time()}), flush=True)
        QTimer.singleShot(0, self.app.quit)


def resume_gc() -> None:
    """Start collecting garbage again, after cras_desk.cli paused it for the start-up: on the UI
    thread only (gui/main_thread_gc.py explains why).

    What start-up made (SQLAlchemy's mappers, Qt's wrappers: over 100,000 objects, of which a
    collection finds about 500 unreachable) is frozen first, so that later collections, which
    pause the desk, do not scan it again.
    """
    from cras_desk.gui import main_thread_gc

    if main_thread_gc.running() is not None:
        return
    gc.freeze()
    main_thread_gc.take_over()


def _preload() -> None:
    import cras_desk.gui.main_window  # noqa: F401 - warms the import cache


def run_app(url: str | None, argv: list[str]) -> int:
    """Run the desk until the user quits; url None means the saved connection or the embedded file."""
    # Everything the desk writes (the embedded database and its journal, drafts, settings, logs,
    # letters saved as PDF) is the signed-in user's alone: 0600 files, 0700 folders.
    os.umask(0o077)
    existing = QApplication.instance()
    app = existing or QApplication(style.qt_arguments(argv))
    assert isinstance(app, QApplication)
    app.setApplicationName("CRAS Desk")
    app.setOrganizationName("CRAS")
    app.setQuitOnLastWindowClosed(False)  # between sign-in and the desk there is briefly no window
    # The trail (cras-desk starts it before Qt loads; started here if run_app is called directly):
    # what nothing caught is logged, and the advisor told plainly, in a box over the desk.
    log_files.start().set_presenter(CrashNotice(app).show)
    style.apply(app, style_chosen=existing is None)
    accessible_roles.install()  # our accessible interfaces (password fields, notices): after the app
    settings = Settings.load()
    tasks = TaskRunner(app)
    try:
        target = target_from(url or settings.database_url, settings.database_url, from_cli=bool(url))
    except Exception as exc:  # a malformed saved URL must not stop the desk from starting
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(None, "CRAS Desk", f"The saved database connection is not valid: {exc}")
        target = target_from(None, "")
    desk = DeskApp(app, settings, tasks, target)
    app.lastWindowClosed.connect(desk.window_closed)
    desk.start()
    code = app.exec()
    if desk.window is not None:
        desk.window.shutdown()
    tasks.wait_idle(5000)
    if desk.database is not None:
        desk.database.dispose()
    return code


if __name__ == "__main__":
    raise SystemExit(run_app(None, sys.argv))
