"""Reading letters back: text with positions and sizes (pypdf's extract_text visitor)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader

from cras_desk.letters import geometry as g


@dataclass(frozen=True)
class Run:
    """One text-showing operation: where it starts (mm from the page's top-left) and its size."""

    page: int
    text: str
    x_mm: float
    baseline_mm: float
    size_pt: float


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in reader(pdf).pages]


def flat(text: str) -> str:
    """Whitespace folded, so a phrase split over lines still matches."""
    return " ".join(text.split())


def all_text(pdf: bytes) -> str:
    return flat(" ".join(page_texts(pdf)))


def runs(pdf: bytes) -> list[Run]:
    found: list[Run] = []
    for number, page in enumerate(reader(pdf).pages, start=1):

        def visit(
            text: str, cm: list[float], tm: list[float], _font: object, size: float, n: int = number
        ) -> None:
            if not text.strip():
                return
            # Position = text matrix then current transformation matrix; letters use no scaling.
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
            found.append(Run(n, text.strip(), x / g.MM, (g.PAGE_HEIGHT - y) / g.MM, size * scale))

        page.extract_text(visitor_text=visit)
    return found


def in_window(run: Run, width_mm: float) -> bool:
    """The whole line (cap height above the baseline to descenders below) inside the address window."""
    win = g.ADDRESS_WINDOW
    size_mm = run.size_pt / g.MM
    return win.contains(run.x_mm, run.baseline_mm - 0.8 * size_mm) and win.contains(
        run.x_mm + width_mm, run.baseline_mm + 0.25 * size_mm
    )


def window_lines(pdf: bytes) -> list[str]:
    """The lines that show through the envelope window on the first page, top to bottom."""
    first = [r for r in runs(pdf) if r.page == 1 and g.ADDRESS_WINDOW.contains(r.x_mm, r.baseline_mm)]
    return [r.text for r in sorted(first, key=lambda r: r.baseline_mm)]
