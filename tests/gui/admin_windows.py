"""Opening an admin window in a test: shown, and for an admin, its first read delivered."""

from __future__ import annotations

from typing import TypeVar

from desk_helpers import WAIT
from PySide6.QtWidgets import QDialog

from cras_desk.domain.enums import Role
from cras_desk.gui.desk_context import DeskContext

W = TypeVar("W", bound=QDialog)


def shown(qtbot, window_class: type[W], ctx: DeskContext) -> W:
    """window_class(ctx), shown; an admin's waits for its `loaded` signal (anyone else's reads nothing)."""
    window = window_class(ctx)
    qtbot.addWidget(window)
    if ctx.actor.role is Role.ADMIN:
        with qtbot.waitSignal(window.loaded, timeout=WAIT):  # type: ignore[attr-defined]
            window.show()
    else:
        window.show()
    qtbot.waitExposed(window)
    return window
