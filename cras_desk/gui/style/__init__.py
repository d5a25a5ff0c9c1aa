"""The desk's look: one style sheet in resources/qss, and the colours the table model paints with."""

from __future__ import annotations

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


def apply(app: QApplication) -> None:
    # Fusion draws the same on every OS, so the style sheet and screenshots match what advisors see.
    app.setStyle("Fusion")
    font = QFont(app.font())
    font.setPointSize(max(font.pointSize(), 11))
    app.setFont(font)
    app.setStyleSheet(style_sheet())


def set_role(widget: QWidget, role: str, name: str = "role") -> None:
    """Set a QSS role property and re-polish so the new look shows at once."""
    widget.setProperty(name, role)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
