"""Sending a PDF to a printer through Qt: each page rendered by QtPdf and painted at its true size.

Letters must come out at 100%: a page shrunk to the printer's margins moves the address out of
the envelope window. So the printer is set to A4 with full-page painting, and each page is drawn
onto the whole sheet.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter

# Rendering at the printer's full resolution (1200 dpi) would take 500 MB per page; 300 dpi is
# sharp for 11 pt text on any office laser.
MAX_DPI = 300


def prepare_printer(printer: QPrinter) -> None:
    """A4 portrait, no scaling to margins: call before showing the print dialog."""
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)


class PrintFailed(RuntimeError):
    pass


def print_pdf(document: QPdfDocument, printer: QPrinter) -> int:
    """Paint every page of a loaded document onto the printer; returns the number of pages."""
    if document.status() != QPdfDocument.Status.Ready or document.pageCount() == 0:
        raise PrintFailed("The letter is not loaded yet.")
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintFailed("The printer could not be opened.")
    try:
        dpi = min(printer.resolution(), MAX_DPI)
        for number in range(document.pageCount()):
            if number:
                printer.newPage()
            size_pt = document.pagePointSize(number)
            pixels = QSize(round(size_pt.width() / 72 * dpi), round(size_pt.height() / 72 * dpi))
            page = document.render(number, pixels)
            # QtPdf leaves the background transparent; lay the page on white.
            sheet = QImage(page.size(), QImage.Format.Format_RGB32)
            sheet.fill(QColor("white"))
            p = QPainter(sheet)
            p.drawImage(0, 0, page)
            p.end()
            target = printer.paperRect(QPrinter.Unit.DevicePixel)
            painter.drawImage(QRectF(0, 0, target.width(), target.height()), sheet)
    finally:
        painter.end()
    return document.pageCount()


def print_pdf_bytes(pdf: bytes, printer: QPrinter) -> int:
    """print_pdf for exactly these bytes, in a document of their own (whatever a preview shows)."""
    data = QByteArray(pdf)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)  # a buffer in memory loads at once
    try:
        return print_pdf(document, printer)
    finally:
        document.close()
        buffer.close()
