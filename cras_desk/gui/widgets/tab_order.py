"""Keyboard order for a panel: its Tab order written as one list, and where focusing it lands.

A panel that is given focus (F6/F7/F8 focus the call-flow panels) puts the advisor on one control,
say the site table. That is done here with a focus event filter, not QWidget.setFocusProxy: a panel
with a focus proxy makes Qt's Tab jump from whatever comes before the panel straight to the proxy,
so every control placed before the proxy in the panel's own Tab order (the booking filters, the
choice script) could never be reached by Tab.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QWidget


def set_tab_order(widgets: Sequence[QWidget]) -> None:
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)


class _Entry(QObject):
    def __init__(self, widget: QWidget, control: QWidget) -> None:
        super().__init__(widget)
        self.control = control
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and isinstance(event, QFocusEvent):
            self.control.setFocus(event.reason())
        return False


def set_entry(widget: QWidget, control: QWidget) -> None:
    """widget.setFocus() puts the focus on `control`; Tab order stays as set_tab_order left it."""
    widget.setFocusProxy(None)
    existing = widget.findChild(_Entry, "", Qt.FindChildOption.FindDirectChildrenOnly)
    if existing is not None:
        existing.control = control
        return
    _Entry(widget, control)
