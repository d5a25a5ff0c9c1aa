"""The desk window's layout per user: where it sits, how big, maximised or not, and its splitters.

Restored when the user signs in (fitted to today's screen: gui/window_geometry.py), proportioned
for the screen when nothing was kept, and kept in settings.json when the desk closes, so a
hot-desking advisor finds the desk as they left it on any PC.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QTimer
from PySide6.QtWidgets import QMainWindow, QSplitter

from cras_desk.gui.window_geometry import fit_to_screen, geometry_text, restore_or_fit
from cras_desk.gui.worklist.panel import WorklistPanel
from cras_desk.settings import Settings

SHORT_SCREEN = 800  # a right-hand column shorter than this gives the call flow more of its height


class DeskLayout(QObject):
    def __init__(
        self,
        window: QMainWindow,
        settings: Settings,
        username: str,
        splitters: dict[str, QSplitter],
        worklist: WorklistPanel,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self._username = username
        self._splitters = splitters
        self._worklist = worklist
        self._fit_when_shown = False
        self._area: QRect | None = None
        window.installEventFilter(self)

    # -- opening --------------------------------------------------------------------------------

    def show(self, available: QRect | None = None) -> None:
        """Show the window as this user left it, fitted to the screen's free area (`available`
        stands in for it in tests)."""
        self._fit_when_shown, self._area = True, available
        if restore_or_fit(self._window, self._settings, self._username, available):
            self._window.showMaximized()
        else:
            self._window.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Show and self._fit_when_shown:
            self._fit_when_shown = False
            # Again once the window manager has framed it: the title bar must not push the bottom
            # (status bar, Save buttons) off a 768-pixel screen.
            QTimer.singleShot(0, self, self._fit_after_show)
        return False

    def _fit_after_show(self) -> None:
        window = self._window
        if not (window.isMaximized() or window.isFullScreen()):
            fit_to_screen(window, available=self._area)

    def proportions(self) -> None:
        """The user's splitter positions, or proportions for this screen (once laid out)."""
        saved = self._settings.splitter_states.get(self._username, {})
        restored = [
            splitter.restoreState(QByteArray.fromBase64(saved[name].encode("ascii")))
            for name, splitter in self._splitters.items()
            if name in saved
        ]
        if restored and all(restored):
            return
        main, right = self._splitters["main"], self._splitters["right"]
        # The call needs the room, but the worklist keeps its key columns (NHS number, status,
        # attempts): on a 1366-pixel screen that is more than 38 per cent of the width. On a wide
        # screen it also gets the next action (a callback's time), up to 46 per cent.
        width, height = main.width(), right.height()
        wanted = min(max(width * 38 // 100, self._worklist.preferred_width()), width * 46 // 100)
        left = max(wanted, self._worklist.minimumSizeHint().width())
        main.setSizes([left, width - left])
        top = height * (42 if height >= SHORT_SCREEN else 34) // 100  # the patient pane scrolls
        right.setSizes([top, height - top])

    # -- closing --------------------------------------------------------------------------------

    def keep(self) -> None:
        """The window's place, size, maximised state and splitters, kept for this user."""
        states = {
            name: bytes(splitter.saveState().toBase64().data()).decode("ascii")
            for name, splitter in self._splitters.items()
        }
        geometry, maximised = geometry_text(self._window), self._window.isMaximized()
        # Saved into the file as it is now, too: the sign-in dialog may have changed other options.
        for settings in (self._settings, None):
            try:
                target = settings if settings is not None else Settings.load()
                target.splitter_states[self._username] = states
                target.window_geometry[self._username] = geometry
                target.window_maximised[self._username] = maximised
                if settings is None:
                    target.save()
            except (OSError, ValueError):
                pass  # a layout is not worth an error on the way out
