"""Notices when nobody has touched the desk for a while.

An application-wide event filter stamps the time of every key press, click, wheel turn and mouse
move; a slow timer compares that stamp with the limit. Stamping is one integer comparison and one
clock read per input event, so the filter costs nothing an advisor could feel.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

_INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TabletPress,
        QEvent.Type.InputMethod,
    }
)


class IdleWatcher(QObject):
    idle = Signal()  # emitted once when the limit passes; reset() arms it again

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timeout_ms = timeout_ms
        self._last = time.monotonic()
        self._fired = False
        self._installed = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._check)
        self._apply_interval()

    @property
    def timeout_ms(self) -> int:
        return self._timeout_ms

    def set_timeout_ms(self, timeout_ms: int) -> None:
        self._timeout_ms = timeout_ms
        self._apply_interval()

    def _apply_interval(self) -> None:
        # Check a few times per period (at most every 5 s): locks at most a little late, never early.
        self._timer.setInterval(max(50, min(5000, self._timeout_ms // 4)))

    def start(self) -> None:
        app = QCoreApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True
        self.reset()
        if self._timeout_ms > 0:
            self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        app = QCoreApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
            self._installed = False

    def reset(self) -> None:
        self._last = time.monotonic()
        self._fired = False

    def idle_ms(self) -> int:
        return int((time.monotonic() - self._last) * 1000)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT:
            self._last = time.monotonic()
        return False

    def _check(self) -> None:
        if not self._fired and self._timeout_ms > 0 and self.idle_ms() >= self._timeout_ms:
            self._fired = True
            self.idle.emit()
