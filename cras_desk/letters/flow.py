"""Two small story items that set letter text several times faster than platypus' flowables.

Paragraph parses markup through an HTML parser and measures every fragment each time it wraps;
a letter run of a thousand letters spends most of its time there. Letter text needs only words,
**bold** and hard line breaks, left-aligned, so RichText breaks lines itself with word widths
cached across letters (the same words recur in every letter), and Grid draws a ruled table of
RichText cells without Table's general machinery. Both can split across pages.

Neither is a platypus Flowable: the letter layout (render.py) wraps, splits and draws them itself,
never through a Frame, so they only keep Flowable's method names (StoryItem) to read familiar.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from reportlab.lib.colors import Color, black
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

_WIDTHS: dict[tuple[str, str], float] = {}
_MAX_CACHED_WIDTHS = 200_000


def word_width(word: str, font: str, size: float) -> float:
    """Width of a word in points; TrueType widths scale linearly with size, so cache at 1 pt."""
    key = (word, font)
    unit = _WIDTHS.get(key)
    if unit is None:
        if len(_WIDTHS) > _MAX_CACHED_WIDTHS:
            _WIDTHS.clear()
        unit = _WIDTHS[key] = stringWidth(word, font, 1000.0) / 1000.0
    return unit * size


@dataclass(frozen=True)
class TextStyle:
    font: str
    bold_font: str
    size: float
    leading: float
    space_before: float = 0.0
    space_after: float = 0.0
    indent: float = 0.0  # left indent of every line (bulleted text)
    bullet: str | None = None
    bullet_indent: float = 0.0
    color: Color = black
    keep_with_next: bool = False
    all_bold: bool = False


class StoryItem(Protocol):
    """What the page layout asks of one item of a letter's story."""

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        """Lay out for the width; returns (width, height) in points."""
        ...

    def split(self, availWidth: float, availHeight: float) -> Sequence[StoryItem]:
        """Two items, the first fitting availHeight; [] when it cannot be split there."""
        ...

    def getSpaceBefore(self) -> float: ...

    def getSpaceAfter(self) -> float: ...

    def room_below(self) -> float:
        """Height of what follows that must share this item's page (a heading keeps two lines)."""
        ...

    def draw_at(self, canv: Canvas, x: float, y: float) -> None:
        """Draw with the bottom-left corner at (x, y)."""
        ...


Run = tuple[str, bool, bool]  # (word, bold, space before it); word "\n" is a hard break
Line = list[Run]

# Words are split at ordinary spaces only: a no-break space (U+00A0) keeps "999 000 0018" or
# "BN2 3EW" on one line, and reportlab prints it as a plain space.
_TOKENS = re.compile(r"\n|[^ \t\r\n]+")


def parse_rich(text: str, all_bold: bool = False) -> list[Run]:
    """Rich text to words: **...** toggles bold, a newline is a hard break.

    Each word remembers whether a space came before it, so "**01632 960 123**." keeps its full
    stop against the bold number.
    """
    runs: list[Run] = []
    spaced = False
    for i, segment in enumerate(text.split("**")):
        bold = all_bold or bool(i % 2)
        pos = 0
        for m in _TOKENS.finditer(segment):
            gap = m.start() > pos or (spaced and m.start() == 0 and i > 0)
            runs.append((m.group(), bold, gap))
            pos = m.end()
        spaced = pos < len(segment)
    return runs


def _break_long(word: str, font: str, size: float, width: float) -> list[str]:
    pieces, current = [], ""
    for ch in word:
        if current and word_width(current + ch, font, size) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    return [*pieces, current] if current else pieces


def break_lines(runs: Sequence[Run], style: TextStyle, width: float) -> list[Line]:
    size = style.size
    space = {False: word_width(" ", style.font, size), True: word_width(" ", style.bold_font, size)}
    lines: list[Line] = []
    line: Line = []
    used = 0.0
    for word, bold, spaced in runs:
        if word == "\n":
            lines.append(line)
            line, used = [], 0.0
            continue
        font = style.bold_font if bold else style.font
        w = word_width(word, font, size)
        if w > width:  # a word longer than the line (a long e-mail address): break it
            if line:
                lines.append(line)
            pieces = _break_long(word, font, size, width)
            lines.extend([(piece, bold, False)] for piece in pieces[:-1])
            line, used = [(pieces[-1], bold, False)], word_width(pieces[-1], font, size)
            continue
        gap = space[bold] if (line and spaced) else 0.0
        if line and spaced and used + gap + w > width:
            lines.append(line)
            line, used, gap = [], 0.0, 0.0
        line.append((word, bold, spaced and bool(line)))
        used += gap + w
    if line or not lines:
        lines.append(line)
    return lines


def _line_text(line: Line) -> list[tuple[str, bool]]:
    """A line as (text, bold) pieces, spaces kept where the source had them."""
    pieces: list[tuple[str, bool]] = []
    for word, bold, spaced in line:
        text = f" {word}" if spaced else word
        if pieces and pieces[-1][1] == bold:
            pieces[-1] = (pieces[-1][0] + text, bold)
        else:
            pieces.append((text, bold))
    return pieces


# Most of a letter is the same from patient to patient (headings, bullets, closing, labels): its
# words and line breaks are worked out once per run rather than once per letter.
_PARSED: dict[tuple[str, bool], list[Run]] = {}
_BROKEN: dict[tuple[str, str, str, float, float, bool, float], list[Line]] = {}
_MAX_CACHED_TEXTS = 20_000


def _cached_runs(text: str, all_bold: bool) -> list[Run]:
    key = (text, all_bold)
    runs = _PARSED.get(key)
    if runs is None:
        if len(_PARSED) > _MAX_CACHED_TEXTS:
            _PARSED.clear()
        runs = _PARSED[key] = parse_rich(text, all_bold)
    return runs


class RichText:
    """Left-aligned text with bold words and hard breaks; splits between lines."""

    def __init__(self, text: str | None, style: TextStyle, *, _runs: list[Run] | None = None) -> None:
        self.style = style
        self.text = text
        self.runs = _runs if _runs is not None else _cached_runs(text or "", style.all_bold)
        self.lines: list[Line] = []
        self._wrapped_for: float | None = None
        self.width = 0.0
        self.height = 0.0

    def getSpaceBefore(self) -> float:
        return self.style.space_before

    def getSpaceAfter(self) -> float:
        return self.style.space_after

    def room_below(self) -> float:
        return 2 * self.style.leading if self.style.keep_with_next else 0.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if self._wrapped_for != availWidth:
            self.lines = self._break(availWidth - self.style.indent)
            self._wrapped_for = availWidth
        self.width = availWidth
        self.height = len(self.lines) * self.style.leading
        return self.width, self.height

    def _break(self, width: float) -> list[Line]:
        if self.text is None:  # a split half: its runs are its own
            return break_lines(self.runs, self.style, width)
        st = self.style
        key = (self.text, st.font, st.bold_font, st.size, st.indent, st.all_bold, width)
        lines = _BROKEN.get(key)
        if lines is None:
            if len(_BROKEN) > _MAX_CACHED_TEXTS:
                _BROKEN.clear()
            lines = _BROKEN[key] = break_lines(self.runs, st, width)
        return lines

    def split(self, availWidth: float, availHeight: float) -> list[RichText]:
        self.wrap(availWidth, availHeight)
        fit = int(availHeight // self.style.leading)
        if fit <= 0 or fit >= len(self.lines):
            return []
        head_runs = [run for line in self.lines[:fit] for run in (*line, ("\n", False, False))][:-1]
        tail_runs = [run for line in self.lines[fit:] for run in (*line, ("\n", False, False))][:-1]
        # A continued paragraph keeps no bullet and no space between its halves.
        head = RichText(None, replace(self.style, space_after=0.0), _runs=head_runs)
        tail = RichText(None, replace(self.style, space_before=0.0, bullet=None), _runs=tail_runs)
        return [head, tail]

    def draw_at(self, canv: Canvas, x: float, y: float) -> None:
        """Draw with the bottom-left corner at (x, y), without a saveState/translate per flowable."""
        st = self.style
        # First baseline one ascent (about 0.93 em for DejaVu) below the top, centred in the leading.
        baseline = y + self.height - (st.leading - st.size) / 2 - st.size * 0.93
        if st.bullet:
            canv.setFillColor(st.color)
            canv.setFont(st.font, st.size)
            canv.drawString(x + st.bullet_indent, baseline, st.bullet)
        text = canv.beginText()
        text.setFillColor(st.color)
        current: str | None = None
        left = x + st.indent
        for i, line in enumerate(self.lines):
            text.setTextOrigin(left, baseline - i * st.leading)
            for piece, bold in _line_text(line):
                font = st.bold_font if bold else st.font
                if font != current:
                    text.setFont(font, st.size, st.leading)
                    current = font
                text.textOut(piece)
        canv.drawText(text)


@dataclass(frozen=True)
class GridStyle:
    padding: float
    rule: Color
    rule_width: float
    shade: Color
    shade_header: bool  # True: first row shaded (a header); False: first column shaded (labels)
    space_after: float


class Grid:
    """A ruled table of RichText cells with fixed column widths; splits between rows."""

    def __init__(
        self, rows: Sequence[Sequence[RichText]], col_widths: Sequence[float], style: GridStyle
    ) -> None:
        self.rows = [list(r) for r in rows]
        self.col_widths = list(col_widths)
        self.style = style
        self.row_heights: list[float] = []
        self.width = sum(col_widths)
        self.height = 0.0

    def getSpaceBefore(self) -> float:
        return 0.0

    def getSpaceAfter(self) -> float:
        return self.style.space_after

    def room_below(self) -> float:
        return 0.0

    def _measure(self) -> None:
        if self.row_heights:
            return
        pad = self.style.padding
        for row in self.rows:
            h = max(cell.wrap(w - 2 * pad, 1e6)[1] for cell, w in zip(row, self.col_widths, strict=True))
            self.row_heights.append(h + 1.7 * pad)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self._measure()
        self.height = sum(self.row_heights)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Grid]:
        self._measure()
        header = 1 if self.style.shade_header else 0
        used, fit = 0.0, 0
        for h in self.row_heights:
            if used + h > availHeight:
                break
            used += h
            fit += 1
        if fit <= header or fit >= len(self.rows):
            return []
        head = Grid(self.rows[:fit], self.col_widths, replace(self.style, space_after=0.0))
        tail = Grid(self.rows[:header] + self.rows[fit:], self.col_widths, self.style)  # header repeats
        return [head, tail]

    def draw_at(self, canv: Canvas, x0: float, y0: float) -> None:
        st = self.style
        pad = st.padding
        canv.setFillColor(st.shade)
        if st.shade_header:
            canv.rect(x0, y0 + self.height - self.row_heights[0], self.width, self.row_heights[0], 0, 1)
        else:
            canv.rect(x0, y0, self.col_widths[0], self.height, stroke=0, fill=1)
        canv.setStrokeColor(st.rule)
        canv.setLineWidth(st.rule_width)
        xs = [x0]
        for w in self.col_widths:
            xs.append(xs[-1] + w)
        top = y0 + self.height
        lines = []
        for row, h in zip(self.rows, self.row_heights, strict=True):
            for cell, x, w in zip(row, xs[:-1], self.col_widths, strict=True):
                cell.wrap(w - 2 * pad, 1e6)
                cell.draw_at(canv, x + pad, top - 0.7 * pad - cell.height)
            lines.append((x0, top, x0 + self.width, top))
            top -= h
        lines.append((x0, y0, x0 + self.width, y0))
        lines.extend((x, y0, x, y0 + self.height) for x in xs)
        canv.lines(lines)
