"""Tab order for a panel written as one list, the order an advisor moves through it by keyboard."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from PySide6.QtWidgets import QWidget


def set_tab_order(widgets: Sequence[QWidget]) -> None:
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)
