"""The desk's look: one style sheet in resources/qss, and the colours the table model paints with."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QApplication, QWidget

from cras_desk.domain.rtt import RttBand
from cras_desk.paths import resources_dir

# Background / text per RTT band for the worklist cells (QSS cannot style model cells).
BAND_COLOURS: dict[RttBand, tuple[QColor | None, QColor]] = {
    RttBand.BREACHED: (QColor("#D5281B"), QColor("#FFFFFF")),
    RttBand.CRITICAL: (QColor("#FFB81C"), QColor("#212B32")),
    RttBand.WARNING: (QColor("#FFF2CC"), QColor("#212B32")),
    RttBand.OK: (None, QColor("#00401E")),
}
URGENT_TEXT = QColor("#D5281B")
CLAIMED_BY_OTHER = QColor("#E8EDEE")


def style_sheet() -> str:
    try:
        return (resources_dir() / "qss" / "desk.qss").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return ""  # a desk without its style sheet still works, in the platform's look


# Fusion draws the same on every OS, so the style sheet and screenshots match what advisors see.
STYLE = "Fusion"


def qt_arguments(argv: list[str]) -> list[str]:
    """The arguments to make the desk's QApplication with: the style is chosen by argument, because
    asking for it from Python (setStyle) costs PySide6 about 12 ms at start-up to wrap QStyle."""
    return [*argv, "-style", STYLE]


def apply(app: QApplication, *, style_chosen: bool = False) -> None:
    """style_chosen: the application was made with qt_arguments(), so its style is already Fusion."""
    if not style_chosen:
        app.setStyle(STYLE)
    font = QFont(app.font())
    font.setPointSize(max(font.pointSize(), 11))
    app.setFont(font)
    app.setStyleSheet(style_sheet())


def set_role(widget: QWidget, role: str, name: str = "role") -> None:
    """Set a QSS role property; re-polish a widget already styled so the new look shows at once.

    A widget not yet polished (not yet shown) takes the property into account when it is, so it
    is left alone: re-polishing from Python costs PySide6 about 40 ms the first time (wrapping the
    style and resolving QStyle.polish's overloads), which the desk's first screen need not pay.
    """
    widget.setProperty(name, role)
    if not widget.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
        return
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
