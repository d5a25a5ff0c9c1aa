"""Keys that belong to one panel and win over window-wide shortcuts while focus is inside it.

A QShortcut scoped to a panel is ambiguous with a window shortcut on the same key, and Qt then
fires neither. An advisor typing call notes who presses Ctrl+Enter means "save this call", not
the worklist's "work the selected referral", so the panel claims its keys on ShortcutOverride
(before the window's shortcut map sees them) and handles them on the key press that follows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class _Binding:
    combo: int
    action: Callable[[], object]
    only_in: QWidget | None  # the key works only while this widget has focus


def _combo(event: QKeyEvent) -> int:
    # The keypad's Enter arrives with KeypadModifier; Ctrl+Enter on either Enter key is the same.
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    return event.key() | mods.value


def _seq_combo(keys: str) -> int:
    return QKeySequence(keys)[0].toCombined()


class PanelKeys(QObject):
    def __init__(self, panel: QWidget) -> None:
        super().__init__(panel)
        self._panel = panel
        self._bindings: dict[int, list[_Binding]] = {}
        self._watched: set[int] = set()

    def add(self, keys: str, action: Callable[[], object], *, only_in: QWidget | None = None) -> None:
        binding = _Binding(_seq_combo(keys), action, only_in)
        self._bindings.setdefault(binding.combo, []).append(binding)

    def attach(self) -> None:
        """Watch the panel and every widget in it (call once the panel's widgets are built)."""
        for widget in [self._panel, *self._panel.findChildren(QWidget)]:
            if id(widget) not in self._watched:
                self._watched.add(id(widget))
                widget.installEventFilter(self)

    def _binding_for(self, watched: QObject, event: QKeyEvent) -> _Binding | None:
        candidates = self._bindings.get(_combo(event))
        if not candidates or not isinstance(watched, QWidget) or not self._panel.isEnabled():
            return None
        for b in candidates:
            if b.only_in is None or b.only_in is watched:
                return b
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        assert isinstance(event, QKeyEvent)
        binding = self._binding_for(watched, event)
        if binding is None:
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # ours: the window's shortcuts must not take it
            return True
        binding.action()
        return True
