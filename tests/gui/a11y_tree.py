"""The accessibility tree as a screen reader reads it, walked in-process through QAccessible.

Generic on purpose: it finds whatever controls a screen has today (other panels keep adding
them), by role, from the window's interface down, never from a list of widget names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QAccessible, QAccessibleInterface
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QTabBar, QWidget

from cras_desk.gui.widgets.accessible_names import label_text

R = QAccessible.Role
# What a user operates: each must have a name for the screen reader to say.
INTERACTIVE = {
    R.PushButton,
    R.CheckBox,
    R.RadioButton,
    R.ComboBox,
    R.EditableText,
    R.SpinBox,
    R.Table,
    R.List,
    R.Tree,
    R.Slider,
    R.ButtonMenu,
    R.ButtonDropDown,
    R.PageTab,
}
# Their children are cells, rows and headers, named by their content: not walked.
CONTAINERS_OF_ITEMS = {R.Table, R.List, R.Tree, R.TreeItem, R.ListItem, R.PageTabList}


@dataclass(frozen=True)
class Node:
    role: QAccessible.Role
    name: str
    description: str
    value: str
    widget: QObject | None
    depth: int

    def where(self) -> str:
        obj = self.widget
        if obj is None:
            return f"{self.role.name} (no object)"
        chain: list[str] = []
        current: QObject | None = obj
        while current is not None and len(chain) < 4:
            chain.append(current.objectName() or type(current).__name__)
            current = current.parent()
        return f"{self.role.name} {type(obj).__name__} <- " + " <- ".join(chain)


def _node(iface: QAccessibleInterface, depth: int) -> Node:
    return Node(
        role=iface.role(),
        name=iface.text(QAccessible.Text.Name) or "",
        description=iface.text(QAccessible.Text.Description) or "",
        value=iface.text(QAccessible.Text.Value) or "",
        widget=iface.object(),
        depth=depth,
    )


def walk(root: QObject, *, showing_only: bool = True, into_items: bool = False) -> Iterator[Node]:
    """Every interface under root (root included), depth first, as child(i) gives them."""
    iface = QAccessible.queryAccessibleInterface(root)
    if iface is None:
        return
    stack: list[tuple[QAccessibleInterface, int]] = [(iface, 0)]
    seen: set[int] = set()
    while stack:
        current, depth = stack.pop()
        if not current.isValid():
            continue
        uid = QAccessible.uniqueId(current)
        if uid in seen:
            continue
        seen.add(uid)
        if showing_only and current.state().invisible:
            continue
        node = _node(current, depth)
        yield node
        # Not into cells; the tab bar's tabs are the exception: each is a control with its own name.
        if node.role in CONTAINERS_OF_ITEMS and not into_items and node.role != R.PageTabList:
            continue
        children = [current.child(i) for i in range(current.childCount())]
        stack.extend((c, depth + 1) for c in reversed(children) if c is not None)


def _reached_by_tab(node: Node) -> bool:
    w = node.widget
    return isinstance(w, QWidget) and bool(w.focusPolicy().value & 0x1) and w.isEnabled()


def interactive(root: QObject) -> list[Node]:
    """Controls by role, and anything else Tab stops on (a read-only text, say)."""
    return [n for n in walk(root) if n.role in INTERACTIVE or _reached_by_tab(n)]


def problems(root: QObject) -> list[str]:
    """Controls a screen reader could not name, as Orca (Linux) and NVDA (Windows) look for names."""
    found = []
    for n in interactive(root):
        if not n.name.strip():
            found.append(f"no name: {n.where()}")
        elif n.role == R.ComboBox and isinstance(n.widget, QWidget):
            # On Linux a combo box's name is its current value: Orca needs the labelled-by relation
            # (a buddy label), NVDA the accessible name.
            if not label_text(n.widget):
                found.append(f"combo box without a label: {n.where()}")
            if not n.widget.accessibleName():
                found.append(f"combo box without an accessible name: {n.where()}")
    return found


def all_texts(root: QObject) -> list[str]:
    """Every name, description and value of every interface, items (cells) included."""
    return [
        t for n in walk(root, showing_only=False, into_items=True) for t in (n.name, n.description, n.value)
    ]


def tab_stops(root: QWidget) -> list[QWidget]:
    """The widgets Tab should reach under root: shown, enabled, taking focus by Tab."""
    stops = []
    for w in root.findChildren(QWidget):
        if not (w.isVisible() and w.isEnabled()):
            continue
        if not (w.focusPolicy().value & 0x1):  # Qt.TabFocus
            continue
        if w.focusProxy() is not None:
            continue  # Tab stops on its proxy
        parent = w.parentWidget()
        if isinstance(parent, QAbstractScrollArea) and w is parent.viewport():
            continue
        if isinstance(w, QTabBar) and w.count() < 2:
            continue
        stops.append(w)
    return stops


def focused() -> QWidget | None:
    return QApplication.focusWidget()
