"""The main window on the screen: opened fitted to the screen's free area, restored as each user left it.

A saved geometry is a hint, never trusted as it is: the advisor may have left a 1920x1080 desk
yesterday and hot-desk to a 1366x768 laptop today, or unplugged the monitor the window was on.
Whatever comes back is fitted inside the available geometry (the screen minus task bars) of the
screen it lands on, so no part of the desk (its status bar, its Save buttons) is ever off screen.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

from cras_desk.settings import Settings


def fit_rect(wanted: QRect, available: QRect) -> QRect:
    """wanted, made no larger than available and moved (not shrunk further) to lie inside it."""
    width = min(wanted.width(), available.width())
    height = min(wanted.height(), available.height())
    left = min(max(wanted.left(), available.left()), available.right() - width + 1)
    top = min(max(wanted.top(), available.top()), available.bottom() - height + 1)
    return QRect(left, top, width, height)


def screen_for(window: QWidget, at: QPoint | None = None) -> QScreen | None:
    """The screen at a point (the window's centre by default), else the window's or the primary one."""
    point = at if at is not None else window.frameGeometry().center()
    return QGuiApplication.screenAt(point) or window.screen() or QGuiApplication.primaryScreen()


def frame_extra(window: QWidget) -> QSize:
    """What the window manager's frame adds to the client area (nothing until the window is shown)."""
    frame, inner = window.frameGeometry(), window.geometry()
    return QSize(max(0, frame.width() - inner.width()), max(0, frame.height() - inner.height()))


def available_area(window: QWidget) -> QRect | None:
    """The free part (no task bars) of the screen the window is on."""
    screen = screen_for(window)
    return screen.availableGeometry() if screen is not None else None


def fit_to_screen(window: QWidget, *, fill: bool = False, available: QRect | None = None) -> None:
    """Make the window's frame lie inside the screen's available area (the one it is on, unless
    given); fill: take all of it."""
    available = available if available is not None else available_area(window)
    if available is None:
        return
    extra = frame_extra(window)
    frame = window.frameGeometry()
    wanted = QRect(available) if fill else QRect(frame)
    fitted = fit_rect(wanted, available)
    if not fill and fitted == frame:
        return
    window.resize(max(1, fitted.width() - extra.width()), max(1, fitted.height() - extra.height()))
    window.move(fitted.topLeft())  # move() places the frame, resize() sizes the client area


def restore_or_fit(
    window: QWidget, settings: Settings, username: str, available: QRect | None = None
) -> bool:
    """Put the window where the user left it, fitted to today's screen, or fill the screen if
    nothing (or nothing usable) was saved. Returns whether it should open maximised."""
    saved = settings.window_geometry.get(username, "")
    restored = False
    if saved:
        try:
            restored = window.restoreGeometry(QByteArray.fromBase64(saved.encode("ascii")))
        except (UnicodeEncodeError, ValueError):
            restored = False
    fit_to_screen(window, fill=not restored, available=available)
    return restored and bool(settings.window_maximised.get(username, False))


def geometry_text(window: QWidget) -> str:
    """saveGeometry as base64 text, for settings.json."""
    return bytes(window.saveGeometry().toBase64().data()).decode("ascii")
