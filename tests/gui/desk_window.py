"""Opening a real main window in a test, and waiting for what it does in the background."""

from __future__ import annotations

from desk_helpers import WAIT, drain

from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.main_window import MainWindow


def open_window(
    qtbot, ctx: DeskContext, *, live_ms: int = 60_000, size: tuple[int, int] = (1400, 900)
) -> MainWindow:
    """A shown main window with its first worklist page loaded (live polling slow unless asked)."""
    window = MainWindow(ctx, database_text="test database", live_interval_ms=live_ms)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    activate(qtbot, window)
    with qtbot.waitSignal(window.first_page_shown, timeout=WAIT):
        window.start()
    drain(qtbot, ctx)
    return window


def poll_now(qtbot, window: MainWindow) -> None:
    """One change-feed poll, delivered."""
    window.live.poll()
    drain(qtbot, window.ctx)


def activate(qtbot, window: MainWindow) -> None:
    """Make the window the active one: window shortcuts only fire in the active window."""
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=WAIT)
