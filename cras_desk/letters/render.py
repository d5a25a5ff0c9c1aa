"""Drawing letters onto A4 pages with reportlab: one letter per PDF, or many into one print file.

Layout is done here rather than by platypus' DocTemplate so that (1) many letters can share one
canvas (one combined file for the printer, each letter numbered "Page x of y" on its own), and
(2) "Page x of y" is exact text in one pass: every page of a letter is laid out first (wrap and
split only), then drawn knowing the page count.

Byte-identical reprints: reportlab's invariant mode removes the run-dependent parts of a PDF;
the creation date and the trailer /ID are then set from the letter's record (created_at,
document_id), so the same LetterSpec always gives the same bytes. The date goes in through the
canvas's date formatter; reportlab has no setting for the /ID, so the one it wrote (a digest) is
replaced in the finished file's trailer, which no cross-reference offset points past.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from cras_desk.domain.clock import utcnow
from cras_desk.letters import geometry as g
from cras_desk.letters.compose import Bullets, Heading, LetterContent, LetterSpec, Para, Table, compose
from cras_desk.letters.flow import Grid, GridStyle, RichText, StoryItem, TextStyle
from cras_desk.letters.fonts import BOLD, REGULAR, register_fonts
from cras_desk.private_files import create_private

# Large print follows RNIB's clear print guidance: at least 16 pt (we use 16 pt body, 18 pt
# headings); standard letters use 11 pt. The address in the envelope window stays at 11-14 pt:
# it is read by the postal service, and six lines at 16 pt would not fit the window.
BODY_PT = 11.0
LARGE_BODY_PT = 16.0
ADDRESS_PT = 11.0
LARGE_ADDRESS_PT = 14.0
MIN_ADDRESS_PT = 8.0
ADDRESS_LEADING = 1.22
GRID_GREY = colors.HexColor("#AEB7BD")  # NHS mid grey
HEADER_FILL = colors.HexColor("#E8EDEE")  # NHS pale grey
NHS_BLUE = colors.HexColor("#005EB8")
PDF_CREATOR = "CRAS Desk"

# Binary (Flate-only) streams: ASCII85 on top makes files 25% larger and costs a fifth of the
# render time, and no printer path here needs 7-bit-clean PDFs. Changing this changes every
# letter's bytes, so a reprint of a letter recorded before the change would no longer match.
rl_config.useA85 = 0

# reportlab keeps per-document font state and caches in module globals that are not documented as
# thread-safe; the desk renders previews on its database worker while a batch runs on another
# thread, so drawing is serialised (a letter takes milliseconds).
_RENDER_LOCK = threading.RLock()


@dataclass(frozen=True)
class Styles:
    body: TextStyle
    subject: TextStyle
    heading: TextStyle
    bullet: TextStyle
    cell: TextStyle
    cell_bold: TextStyle
    small: TextStyle  # sender block, references, continuation header
    grid: GridStyle
    footer_pt: float
    address_pt: float
    paragraph_gap: float


def _styles(large: bool) -> Styles:
    size = LARGE_BODY_PT if large else BODY_PT
    small = LARGE_BODY_PT if large else 9.0
    gap = size * 0.7
    body = TextStyle(REGULAR, BOLD, size, size * 1.32, space_after=gap)
    heading_size = size + 2 if large else size + 1.5
    cell = replace(body, space_after=0.0)
    return Styles(
        body=body,
        subject=replace(body, size=size + 1, leading=(size + 1) * 1.3, all_bold=True, space_after=gap * 1.4),
        heading=replace(
            body,
            size=heading_size,
            leading=heading_size * 1.25,
            all_bold=True,
            space_before=size * 0.5,
            space_after=size * 0.3,
            color=NHS_BLUE,
            keep_with_next=True,
        ),
        bullet=replace(body, indent=size * 1.6, bullet="•", bullet_indent=size * 0.4, space_after=size * 0.2),
        cell=cell,
        cell_bold=replace(cell, all_bold=True),
        small=TextStyle(REGULAR, BOLD, small, small * 1.3),
        grid=GridStyle(
            padding=size * 0.45,
            rule=GRID_GREY,
            rule_width=0.6,
            shade=HEADER_FILL,
            shade_header=False,
            space_after=gap,
        ),
        footer_pt=small if large else 8.5,
        address_pt=LARGE_ADDRESS_PT if large else ADDRESS_PT,
        paragraph_gap=gap,
    )


_STYLES: dict[bool, Styles] = {}


def styles(large: bool) -> Styles:
    if large not in _STYLES:
        register_fonts()
        _STYLES[large] = _styles(large)
    return _STYLES[large]


# --- flowables ----------------------------------------------------------------------------------


def _grid(block: Table, st: Styles, width: float) -> Grid:
    rows = []
    for i, row in enumerate(block.rows):
        style = st.cell_bold if (block.header and i == 0) else st.cell
        rows.append([RichText(cell, style) for cell in row])
    return Grid(rows, [width * w for w in block.widths], replace(st.grid, shade_header=block.header))


def _story(content: LetterContent, st: Styles, width: float) -> list[StoryItem]:
    story: list[StoryItem] = [RichText(content.subject, st.subject)]
    for block in content.blocks:
        if isinstance(block, Para):
            story.append(RichText(block.text, st.body))
        elif isinstance(block, Heading):
            story.append(RichText(block.text, st.heading))
        elif isinstance(block, Bullets):
            story.extend(RichText(item, st.bullet) for item in block.items[:-1])
            story.append(RichText(block.items[-1], replace(st.bullet, space_after=st.paragraph_gap)))
        elif isinstance(block, Table):
            story.append(_grid(block, st, width))
    # Closing and signature stay together (never split): a last page holding only the signature
    # looks like a mistake.
    story.append(_Whole(RichText(f"{content.closing}\n\n{content.signature}", st.body)))
    return story


class _Whole:
    """Wraps a story item so that it is never split across pages."""

    def __init__(self, inner: StoryItem) -> None:
        self.inner = inner
        self.width = self.height = 0.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width, self.height = self.inner.wrap(availWidth, availHeight)
        return self.width, self.height

    def getSpaceBefore(self) -> float:
        return self.inner.getSpaceBefore()

    # The last item of a letter: nothing follows it, so it asks for no space or room after it.
    def getSpaceAfter(self) -> float:
        return 0.0

    def room_below(self) -> float:
        return 0.0

    def split(self, availWidth: float, availHeight: float) -> list[StoryItem]:
        return []

    def draw_at(self, canv: Canvas, x: float, y: float) -> None:
        self.inner.draw_at(canv, x, y)


@dataclass
class _Placed:
    item: StoryItem
    y_top: float  # distance below the frame top, in points
    height: float


def _paginate(
    story: Sequence[StoryItem], width: float, first_height: float, next_height: float
) -> list[list[_Placed]]:
    """Split the story into pages (wrap and split only, nothing drawn)."""
    pages: list[list[_Placed]] = []
    pending = list(story)
    while pending:
        avail = first_height if not pages else next_height
        placed: list[_Placed] = []
        used = 0.0
        while pending:
            f = pending[0]
            before = f.getSpaceBefore() if placed else 0.0
            room = avail - used - before
            _w, h = f.wrap(width, room)
            need = h + f.room_below()
            if need <= room + 1e-6:
                placed.append(_Placed(f, used + before, h))
                used += before + h + f.getSpaceAfter()
                pending.pop(0)
                continue
            parts = f.split(width, room) if room > 0 else []
            if len(parts) >= 2:
                pending[0:1] = parts
                continue
            if not placed:  # taller than an empty page and unsplittable: place it and move on
                placed.append(_Placed(f, 0.0, h))
                pending.pop(0)
            break
        pages.append(placed)
    return pages


# --- drawing ------------------------------------------------------------------------------------


def _wrap_line(line: str, size: float, width: float) -> list[str]:
    words = line.split(" ")
    out = [words[0]]
    for word in words[1:]:
        candidate = f"{out[-1]} {word}"
        if stringWidth(candidate, REGULAR, size) <= width:
            out[-1] = candidate
        else:
            out.append(word)
    return out


def _fit_address(lines: tuple[str, ...], start_pt: float) -> tuple[float, list[str]]:
    """The largest size (from start_pt down) at which the address fits the window, and its lines.

    A line too wide even at the smallest size is wrapped at spaces (an over-long first line of a
    flat's address, say), as long as the lines still fit the window's height.
    """
    win = g.ADDRESS_WINDOW
    size = start_pt
    while True:
        fitted = [piece for line in lines for piece in _wrap_line(line, size, win.width_pt)]
        whole = len(fitted) == len(lines)
        fits_height = len(fitted) * size * ADDRESS_LEADING <= win.height_pt
        if (whole or size <= MIN_ADDRESS_PT) and fits_height:
            return size, fitted
        if size <= MIN_ADDRESS_PT:
            return size, fitted[: int(win.height_pt // (size * ADDRESS_LEADING))]
        size -= 0.5


def _draw_address(c: Canvas, content: LetterContent, st: Styles) -> None:
    win = g.ADDRESS_WINDOW
    size, lines = _fit_address(content.address, st.address_pt)
    text = c.beginText(win.x_pt, win.top_pt - size)
    text.setFont(REGULAR, size, size * ADDRESS_LEADING)
    for line in lines:
        text.textLine(line)
    c.drawText(text)


def _sender_block(content: LetterContent, st: Styles) -> RichText:
    sender = content.sender
    if content.large_print:
        # At 16 pt the postal address would push the letter a third of a page down; patients
        # reply by phone, so large print keeps the organisation and the phone number.
        sender = (*sender[:2], sender[-1])
    lines = [f"**{sender[0]}**", *sender[1:], ""]
    lines += [f"**{label}:** {value}" for label, value in content.meta]
    return RichText("\n".join(lines), st.small)


def _draw_header(c: Canvas, header: RichText) -> None:
    x = g.MARGIN_LEFT_MM * g.MM
    top = g.PAGE_HEIGHT - g.HEADER_TOP_MM * g.MM
    header.draw_at(c, x, top - header.height)
    rule = top - header.height - 2 * g.MM
    c.setStrokeColor(GRID_GREY)
    c.setLineWidth(0.6)
    c.line(x, rule, (g.PAGE_WIDTH_MM - g.MARGIN_RIGHT_MM) * g.MM, rule)


def _draw_footer(c: Canvas, content: LetterContent, st: Styles, page: int, pages: int) -> None:
    y = g.PAGE_HEIGHT - g.FOOTER_BASELINE_MM * g.MM
    c.setFillColor(colors.black)
    c.setFont(REGULAR, st.footer_pt)
    c.drawString(g.MARGIN_LEFT_MM * g.MM, y, content.reference)
    right = (g.PAGE_WIDTH_MM - g.MARGIN_RIGHT_MM) * g.MM
    c.drawRightString(right, y, content.page_label.format(page=page, pages=pages))


def draw_letter(c: Canvas, content: LetterContent) -> int:
    """Draw every page of one letter onto the canvas (ending each with showPage); returns the page count."""
    st = styles(content.large_print)
    width = g.BODY_WIDTH_MM * g.MM
    box = g.SENDER_BLOCK

    # The sender block and the continuation header grow with the print size: measure them first.
    sender = _sender_block(content, st)
    sender_h = sender.wrap(box.width_pt, g.PAGE_HEIGHT)[1]
    first_top = max(g.FIRST_PAGE_BODY_TOP_MM * g.MM, box.top * g.MM + sender_h + 5 * g.MM)
    header = RichText(content.identity, st.small)
    header_h = header.wrap(width, g.PAGE_HEIGHT)[1]
    next_top = max(g.NEXT_PAGE_BODY_TOP_MM * g.MM, g.HEADER_TOP_MM * g.MM + header_h + 8 * g.MM)
    bottom = g.BODY_BOTTOM_MM * g.MM - max(0.0, st.footer_pt - 8.5)

    pages = _paginate(_story(content, st, width), width, bottom - first_top, bottom - next_top)
    x = g.MARGIN_LEFT_MM * g.MM
    for number, placed in enumerate(pages, start=1):
        if number == 1:
            sender.draw_at(c, box.x_pt, box.top_pt - sender_h)
            _draw_address(c, content, st)
            top = first_top
        else:
            _draw_header(c, header)
            top = next_top
        for spot in placed:
            spot.item.draw_at(c, x, g.PAGE_HEIGHT - top - spot.y_top - spot.height)
        _draw_footer(c, content, st, number, len(pages))
        c.showPage()
    return len(pages)


# --- documents ----------------------------------------------------------------------------------


def _creation_date(moment: datetime) -> Callable[[int, int, int, int, int, int], str]:
    """A date formatter for Canvas.setDateFormatter that writes the given moment, in UTC.

    reportlab calls it with its own (invariant) timestamp's fields, which are ignored.
    """
    stamp = f"D:{moment.astimezone(UTC):%Y%m%d%H%M%S}+00'00'"

    def formatter(year: int, month: int, day: int, hour: int, minute: int, second: int) -> str:
        return stamp

    return formatter


def _new_canvas(out: IO[bytes], title: str, created: datetime) -> Canvas:
    register_fonts()
    c = Canvas(
        out,
        pagesize=(g.PAGE_WIDTH, g.PAGE_HEIGHT),
        invariant=1,
        pageCompression=1,
        # The stub types this as a float, but it is the name of the font each page starts in.
        initialFontName=REGULAR,  # type: ignore[arg-type]
    )
    c.setTitle(title)
    c.setCreator(PDF_CREATOR)
    c.setAuthor(PDF_CREATOR)
    c.setDateFormatter(_creation_date(created))
    return c


# The /ID reportlab writes in the trailer of an invariant document: a digest, twice, and a comment.
_DIGEST_ID = re.compile(
    rb"\ntrailer\n<<\n/ID (\n\[<[0-9a-f]{32}><[0-9a-f]{32}>\]\n% ReportLab generated PDF document -- "
    rb"digest \(opensource\)\n)\n"
)


def _with_document_id(pdf: bytes, document_id: str) -> bytes:
    """The PDF with the recorded id as its trailer /ID.

    reportlab's own /ID is a digest of the content; the recorded id is what identifies this
    letter's file, and what a reprint must carry again. The trailer follows the cross-reference
    table, so changing its length moves no object.
    """
    trailer = pdf.rindex(b"\ntrailer\n")
    found = _DIGEST_ID.match(pdf, trailer)
    if found is None:
        raise RuntimeError("the PDF trailer is not the one reportlab 5.1 writes; cannot set its /ID")
    hex_id = bytes.fromhex(document_id).hex().upper().encode("ascii")
    return pdf[: found.start(1)] + b"[<" + hex_id + b"> <" + hex_id + b">]" + pdf[found.end(1) :]


def render_pdf(spec: LetterSpec) -> bytes:
    """One letter as its own PDF. Pure: the same spec gives the same bytes."""
    content = compose(spec)
    out = io.BytesIO()
    with _RENDER_LOCK:
        c = _new_canvas(out, content.title, spec.created_at)
        draw_letter(c, content)
        c.save()
    return _with_document_id(out.getvalue(), spec.document_id)


class CombinedPdf:
    """Many letters in one file for the printer, each starting on a new page.

    duplex=True pads a letter with an odd page count with a blank page, so that on a two-sided
    printer no letter starts on the back of another patient's letter.
    """

    def __init__(self, target: Path | IO[bytes], title: str = "CRAS print run", duplex: bool = False) -> None:
        self.pages = 0
        self.letters = 0
        self.duplex = duplex
        self._file: IO[bytes] | None = None
        if isinstance(target, Path):
            self._file = create_private(target)
            target = self._file
        with _RENDER_LOCK:
            self._canvas = _new_canvas(target, title, utcnow())

    def add(self, spec: LetterSpec) -> int:
        return self.add_content(compose(spec))

    def add_content(self, content: LetterContent) -> int:
        with _RENDER_LOCK:
            pages = draw_letter(self._canvas, content)
            if self.duplex and pages % 2:
                self._canvas.showPage()
                self.pages += 1
        self.pages += pages
        self.letters += 1
        return pages

    def close(self) -> None:
        try:
            with _RENDER_LOCK:
                self._canvas.save()
        finally:
            if self._file is not None:
                self._file.close()


def render_combined(specs: Iterable[LetterSpec], duplex: bool = False) -> bytes:
    out = io.BytesIO()
    combined = CombinedPdf(out, duplex=duplex)
    for spec in specs:
        combined.add(spec)
    combined.close()
    return out.getvalue()
