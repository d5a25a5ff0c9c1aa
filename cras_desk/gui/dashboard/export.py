"""Writing a figure out: its table as CSV, its chart as PNG, each to a file only its owner can read.

The figures are about patients waiting (counts, not names, but the early-warning lists carry NHS
numbers), so an export is made 0600 like every other file the desk writes (cras_desk.private_files,
replaced whole, never half-written); what the lead does with it afterwards is theirs to decide.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from cras_desk.gui.dashboard.figure_table import FigureTable
from cras_desk.gui.widgets.banner import MessageBanner
from cras_desk.private_files import write_private

FILTERS = {".csv": "CSV files (*.csv)", ".png": "PNG images (*.png)"}


def csv_bytes(table: FigureTable) -> bytes:
    """UTF-8 with a byte-order mark: Excel, which most NHS desks open CSV in, then reads names right."""
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\r\n").writerows(table.csv_rows())
    return text.getvalue().encode("utf-8-sig")


def png_bytes(widget: QWidget) -> bytes:
    """The widget as it is painted now, as a PNG image."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not widget.grab().save(buffer, "PNG"):
        raise OSError("the chart could not be turned into a PNG image")
    buffer.close()
    return bytes(data.data())


def with_suffix(path: str, suffix: str) -> Path:
    """The chosen file name, given the suffix if the lead typed none."""
    chosen = Path(path)
    return chosen if chosen.suffix.lower() == suffix else chosen.with_name(chosen.name + suffix)


def ask_path(parent: QWidget, caption: str, key: str, suffix: str) -> Path | None:
    """The file the lead chooses in the save dialog (None if they cancel), given `suffix` if typed without."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    suggested = Path(folder or Path.home()) / f"cras-dashboard-{key}-{date.today():%Y-%m-%d}{suffix}"
    path, _ = QFileDialog.getSaveFileName(parent, caption, str(suggested), FILTERS[suffix])
    return with_suffix(path, suffix) if path else None


def save(banner: MessageBanner, path: Path, data: Callable[[], bytes], what: str) -> bool:
    """Write data() privately to path and say how it went in the banner (which also speaks it)."""
    try:
        write_private(path, data())
    except OSError as exc:
        banner.error(f"The {what} could not be saved to {path}: {exc.strerror or exc}.")
        return False
    banner.success(f"{what[:1].upper()}{what[1:]} saved to {path}.")
    return True
