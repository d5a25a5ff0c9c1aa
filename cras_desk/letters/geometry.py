"""Where things sit on an A4 letter, in millimetres from the page's top-left corner.

reportlab measures in points from the bottom-left; RectMm converts, so the constants read the way
a print supplier's envelope specification does.
"""

from __future__ import annotations

from dataclasses import dataclass

MM = 72 / 25.4  # points per millimetre
PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
PAGE_WIDTH = PAGE_WIDTH_MM * MM
PAGE_HEIGHT = PAGE_HEIGHT_MM * MM


@dataclass(frozen=True)
class RectMm:
    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def contains(self, x_mm: float, y_mm: float, tolerance: float = 0.01) -> bool:
        """True if the point (mm from the top-left) lies inside or on the edge (to 1/100 mm)."""
        t = tolerance
        return self.left - t <= x_mm <= self.right + t and self.top - t <= y_mm <= self.bottom + t

    # reportlab coordinates (points, origin bottom-left)
    @property
    def x_pt(self) -> float:
        return self.left * MM

    @property
    def top_pt(self) -> float:
        return PAGE_HEIGHT - self.top * MM

    @property
    def width_pt(self) -> float:
        return self.width * MM

    @property
    def height_pt(self) -> float:
        return self.height * MM


# The recipient's address, for a DL (220 x 110 mm) envelope with the common left window of
# 90 x 45 mm, 20 mm from the envelope's left edge and 15 mm from its bottom edge (so 50-95 mm
# below its top). A4 folded in three gives a 99 mm panel that can slide about 11 mm up and down
# and 10 mm sideways inside the envelope. The rectangle below is the part of the page that shows
# through the window wherever the letter settles: 50 mm (window top with the letter pushed up)
# to 84 mm (window bottom with the letter dropped to the fold), and 20-100 mm across (window
# 20-110 mm with the letter against the left side, 10-100 mm against the right), less 2 mm
# each side for the cut of the fold.
# Royal Mail asks that nothing but the address shows in the window; nothing else is drawn here.
ADDRESS_WINDOW = RectMm(left=22.0, top=50.0, width=76.0, height=34.0)

# The organisation's block (who we are, date, references) to the right of the window.
SENDER_BLOCK = RectMm(left=112.0, top=16.0, width=78.0, height=68.0)

MARGIN_LEFT_MM = 20.0
MARGIN_RIGHT_MM = 20.0
BODY_WIDTH_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM
FIRST_PAGE_BODY_TOP_MM = 92.0  # below the window (84 mm) with room for the eye to rest
NEXT_PAGE_BODY_TOP_MM = 26.0  # below the continuation header
BODY_BOTTOM_MM = 279.0  # above the footer, 18 mm clear of the bottom edge
FOOTER_BASELINE_MM = 287.0
HEADER_TOP_MM = 12.0  # continuation pages: who and which letter, above a rule
