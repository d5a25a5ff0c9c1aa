"""A scroll area that scrolls up and down only, and reveals messages that appear inside it.

The call-flow panels sit in one each: on a short screen a tall panel scrolls rather than squashing
its parts, but it never scrolls sideways. Instead the area asks for the panel's minimum width (so
the splitter cannot make it narrower than the panel can be laid out in), and the panel's rows
wrap or squeeze to whatever width is left.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView, QAbstractScrollArea, QFrame, QScrollArea, QWidget

REVEAL_MARGIN = 12  # pixels shown around a revealed widget, so its edges are not on the fold


class VerticalScrollArea(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustIgnored)

    def setWidget(self, widget: QWidget) -> None:
        super().setWidget(widget)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the panel's minimum width may have changed
        return super().eventFilter(watched, event)

    def minimumSizeHint(self) -> QSize:
        base = super().minimumSizeHint()
        inner = self.widget()
        if inner is None:
            return base
        bar = self.verticalScrollBar().sizeHint().width()
        width = inner.minimumSizeHint().width() + bar + 2 * self.frameWidth()
        return QSize(max(base.width(), width), base.height())


def reveal(widget: QWidget, part: QRect | None = None) -> None:
    """Scroll every scroll area holding widget so that it (or part of it, in its own coordinates)
    is in view, once it is laid out; a part taller than the view shows from its top.

    For the confirm bars and result messages of the panels: they appear where the advisor is
    looking, not below the fold of a 768-pixel screen.
    """

    def now() -> None:
        if not widget.isVisible():
            return
        chain: list[QWidget] = []
        parent = widget.parentWidget()
        while parent is not None:
            chain.append(parent)
            parent = parent.parentWidget()
        for holder in reversed(chain):  # outermost first: positions are settled top-down
            layout = holder.layout()
            if layout is not None:
                layout.activate()
        rect = part if part is not None else widget.rect()
        for holder in chain:
            inner = holder.widget() if isinstance(holder, QScrollArea) else None
            if inner is None or not inner.isAncestorOf(widget):
                continue
            centre = widget.mapTo(inner, rect.center())
            holder.ensureVisible(
                centre.x(), centre.y(), rect.width() // 2 + REVEAL_MARGIN, rect.height() // 2 + REVEAL_MARGIN
            )

    QTimer.singleShot(0, widget, now)


def reveal_current(widget: QWidget) -> None:
    """reveal() for the widget that has the focus: for a list or table, its current row."""
    if isinstance(widget, QAbstractItemView) and widget.currentIndex().isValid():
        reveal(widget.viewport(), widget.visualRect(widget.currentIndex()))
    else:
        reveal(widget)
