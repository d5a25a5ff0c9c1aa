"""Accessible interfaces of our own for the few widgets whose stock Qt interface fails a screen reader.

A widget is given one by kind (`assign(widget, kind)`): the kind is kept in a dynamic property,
which the one factory installed here reads when Qt first asks for the widget's interface. Qt
caches an interface per object, so `assign` also drops a stock interface made before the kind was
set, and the next query builds ours. Qt only consults factories installed once the QApplication
exists (installed earlier, they are never used), so `install()` runs from `assign`, i.e. from the
widgets' constructors, and from the desk's start-up.
"""

from __future__ import annotations

from PySide6.QtGui import QAccessible, QAccessibleInterface
from PySide6.QtWidgets import QAccessibleWidget, QApplication, QLineEdit, QWidget

KIND_PROPERTY = "crasAccessibleKind"
PASSWORD_FIELD = "password"  # the kind of field, not a credential
NOTIFICATION = "notification"

_classes: dict[str, type[QAccessibleWidget]] = {}
# The interfaces made here, held until their widget goes: Qt owns and deletes them with the widget,
# and a Python reference keeps the Python half (the overrides) alive as long as Qt may call it.
_alive: dict[int, QAccessibleInterface] = {}
_installed = False


def register(kind: str, interface: type[QAccessibleWidget]) -> None:
    """interface(widget) makes the accessible interface for a widget of this kind."""
    _classes[kind] = interface


def kind_of(widget: QWidget) -> str | None:
    kind = widget.property(KIND_PROPERTY)
    if isinstance(kind, str):
        return kind
    # Any password field counts, even one nobody marked: its characters must never reach the AT.
    if isinstance(widget, QLineEdit) and widget.echoMode() != QLineEdit.EchoMode.Normal:
        return PASSWORD_FIELD
    return None


def _factory(_class_name: str, obj: object) -> QAccessibleInterface | None:
    if not isinstance(obj, QWidget):
        return None
    kind = kind_of(obj)
    interface = _classes.get(kind) if kind is not None else None
    if interface is None:
        return None
    made = interface(obj)
    key = id(obj)
    _alive[key] = made
    obj.destroyed.connect(lambda _obj=None, key=key: _alive.pop(key, None))
    return made


def install() -> None:
    """Install the factory: once, and only once a QApplication exists."""
    global _installed
    if _installed or QApplication.instance() is None:
        return
    QAccessible.installFactory(_factory)
    _installed = True


def assign(widget: QWidget, kind: str) -> None:
    """From now on the widget's accessible interface is the one registered for `kind`."""
    install()
    widget.setProperty(KIND_PROPERTY, kind)
    existing = QAccessible.queryAccessibleInterface(widget)
    wanted = _classes.get(kind)
    if existing is not None and wanted is not None and not isinstance(existing, wanted):
        QAccessible.deleteAccessibleInterface(QAccessible.uniqueId(existing))
