"""The embedded TrueType fonts letters are set in.

PDF's built-in Helvetica has no glyphs beyond Latin-1: "Łukasz" would print as a black box.
DejaVu Sans covers every name we meet; it is shipped in resources/fonts so every desk, and every
reprint years later, uses the same glyphs (a system font could change and break byte-identical
reprints).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from cras_desk.paths import resources_dir

if TYPE_CHECKING:
    from reportlab.pdfbase.pdfdoc import PDFDocument
    from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FAMILY = "DejaVuSans"

_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_lock = threading.Lock()
_registered = False


def font_dir() -> Path:
    return resources_dir() / "fonts"


def _memo_font_class() -> type[TTFont]:
    from reportlab.pdfbase.ttfonts import TTFont

    class MemoTTFont(TTFont):
        """TTFont that remembers, per document, how each string maps onto the font subsets.

        reportlab maps every character of every string drawn through a Python loop; a print run
        draws the same phrases in every letter. The mapping of a string never changes within a
        document once made (codes are only ever added), so remembering it changes no byte. The
        memo is keyed weakly by document, as reportlab keys the font's own per-document state.
        """

        def __init__(self, name: str, filename: str) -> None:
            super().__init__(name, filename)
            self.memos: WeakKeyDictionary[PDFDocument, dict[str, list[tuple[int, bytes]]]]
            self.memos = WeakKeyDictionary()

        def splitString(
            self, text: str, doc: PDFDocument, encoding: str = "utf-8"
        ) -> list[tuple[int, bytes]]:
            memo = self.memos.get(doc)
            if memo is None:
                memo = self.memos[doc] = {}
            hit = memo.get(text)
            if hit is None:
                hit = memo[text] = super().splitString(text, doc, encoding)
            return hit

    return MemoTTFont


def register_fonts() -> None:
    """Register the fonts with reportlab once per process (safe from any thread)."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics

        for name, filename in _FILES.items():
            pdfmetrics.registerFont(_memo_font_class()(name, str(font_dir() / filename)))
        # <b> inside a Paragraph picks the bold face through this family mapping.
        addMapping(FAMILY, 0, 0, REGULAR)
        addMapping(FAMILY, 1, 0, BOLD)
        addMapping(FAMILY, 0, 1, REGULAR)
        addMapping(FAMILY, 1, 1, BOLD)
        _registered = True
