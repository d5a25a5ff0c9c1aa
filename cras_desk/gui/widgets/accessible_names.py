"""Names for combo boxes as each screen reader looks for them.

On Linux Qt gives a combo box no name of its own (its "name" is its current value): Orca says what
labels it through the labelled-by relation, which exists only when a QLabel next to it has it as
its buddy. On Windows NVDA reads the accessible name. So every combo box needs both: a buddy label
(the visible one where there is one; otherwise a hidden one carrying the accessible name) and an
accessible name (the visible label's text where none was given). An editable combo's line edit
is a control of its own in the tree and is named after the combo box too.
"""

from __future__ import annotations

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

HIDDEN_LABEL = "a11yComboLabel"


def label_text(widget: QWidget) -> str:
    """The text of the label(s) that name the widget, as a screen reader reads it."""
    iface = QAccessible.queryAccessibleInterface(widget)
    if iface is None:
        return ""
    labels = iface.relations(QAccessible.RelationFlag.Label)
    texts = [label.text(QAccessible.Text.Name) for label, _ in labels]
    return " ".join(t.replace("&", "").strip().rstrip(":") for t in texts if t and t.strip())


def name_combo(combo: QComboBox, name: str = "") -> None:
    """Make sure both Orca and NVDA can tell what the combo box is for."""
    name = name or combo.accessibleName() or label_text(combo)
    if not name:
        return  # nothing to go on: the accessibility test names the culprit
    if not combo.accessibleName():
        combo.setAccessibleName(name)
    parent = combo.parentWidget()
    if not label_text(combo) and parent is not None:
        label = QLabel(name, parent)
        label.setObjectName(HIDDEN_LABEL)
        label.setBuddy(combo)
        label.hide()  # the screen's layout has no room for it: Orca reads it through the relation
    line = combo.lineEdit()
    if line is not None and not line.accessibleName():
        line.setAccessibleName(name)


def name_combos(root: QWidget) -> None:
    """name_combo() for every combo box under root (call once a panel is built)."""
    for combo in root.findChildren(QComboBox):
        name_combo(combo)
