"""Colour contrast (WCAG 2.2 AA): text 4.5:1 against its background, the focus ring 3:1.

The ratios are computed from the colours the desk really uses: the style sheet in resources/qss,
the table model's band colours, and the inline style sheets the widgets set on themselves.
"""

from __future__ import annotations

import re

from desk_helpers import WAIT
from desk_window import open_window
from PySide6.QtWidgets import QWidget

from cras_desk.gui.style import BAND_COLOURS, CLAIMED_BY_OTHER, URGENT_TEXT, style_sheet
from cras_desk.gui.widgets.banner import Level

TEXT = 4.5
RING = 3.0
WHITE = "#FFFFFF"
HEX = re.compile(r"#[0-9A-Fa-f]{6}\b")


def luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def ratio(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_ratio_is_wcags() -> None:
    assert round(ratio("#000000", "#FFFFFF"), 1) == 21.0
    assert round(ratio("#777777", "#FFFFFF"), 2) == 4.48  # the classic just-fails grey
    assert round(ratio("#007F3B", "#E8EDEE"), 2) == 4.34  # "Database connected" as it was


def rules(sheet: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, {property: first colour in its value}) for every rule of a style sheet."""
    sheet = re.sub(r"/\*.*?\*/", "", sheet, flags=re.S)
    found = []
    for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", sheet):
        props: dict[str, str] = {}
        for decl in body.split(";"):
            if ":" not in decl:
                continue
            name, value = (p.strip() for p in decl.split(":", 1))
            colour = HEX.search(value)
            if colour:
                props[name] = colour.group(0).upper()
        found.append((" ".join(selector.split()), props))
    return found


DESK = rules(style_sheet())


def background_of(selector_part: str) -> str:
    for selector, props in DESK:
        if selector_part in [s.strip() for s in selector.split(",")] and "background" in props:
            return props["background"]
    raise AssertionError(f"no background for {selector_part} in desk.qss")


WINDOW = background_of("QMainWindow")
# Where a text colour without a background of its own is painted, by the selector it is under.
SURROUNDINGS = {
    "#lockPage": [background_of("QFrame#lockPage")],
    "#lockCard": [background_of("QFrame#lockCard")],
    "#signInBanner": [background_of("QFrame#signInBanner")],
    "[state=": [background_of("QStatusBar")],
    "QMenu": [background_of("QMenu")],
}


def backgrounds_for(selector: str, props: dict[str, str]) -> list[str]:
    if "background" in props:
        return [props["background"]]
    for key, colours in SURROUNDINGS.items():
        if key in selector:
            return colours
    return [WINDOW, WHITE]  # on the window, or on a white group box / card


def text_problems(sheet_rules: list[tuple[str, dict[str, str]]]) -> list[str]:
    problems = []
    for selector, props in sheet_rules:
        if "color" not in props or ":disabled" in selector:
            continue  # WCAG exempts disabled controls
        for bg in backgrounds_for(selector, props):
            r = ratio(props["color"], bg)
            if r < TEXT:
                problems.append(f"{selector}: {props['color']} on {bg} is {r:.2f}:1")
    return problems


def test_style_sheet_text_is_at_least_4_5_to_1() -> None:
    assert text_problems(DESK) == []


def test_database_connected_and_placeholders_are_readable() -> None:
    connected = dict(DESK)['QLabel[state="connected"]']["color"]
    assert ratio(connected, background_of("QStatusBar")) >= TEXT
    fields = [props for selector, props in DESK if selector.startswith("QLineEdit, QComboBox")]
    assert fields and "placeholder-text-color" in fields[0]
    assert ratio(fields[0]["placeholder-text-color"], fields[0]["background"]) >= TEXT


def test_the_focus_ring_stands_out_by_3_to_1() -> None:
    focus = [(selector, props) for selector, props in DESK if ":focus" in selector]
    assert len(focus) >= 3
    problems = []
    for selector, props in focus:
        ring = props["border"]
        around = [WINDOW, WHITE, props.get("background", WHITE)]
        problems += [f"{selector}: {ring} on {bg}" for bg in around if ratio(ring, bg) < RING]
        if "color" in props and "background" in props:
            assert ratio(props["color"], props["background"]) >= TEXT, selector
    assert problems == []


def test_worklist_cell_colours_are_readable() -> None:
    table = dict(DESK)["QTableView, QTreeView, QListView"]
    rows = [table["background"], table.get("alternate-background-color", table["background"])]
    for band, (background, foreground) in BAND_COLOURS.items():
        for bg in [background.name()] if background is not None else rows:
            assert ratio(foreground.name(), bg) >= TEXT, band
    for bg in rows:
        assert ratio(URGENT_TEXT.name(), bg) >= TEXT  # the priority column of urgent referrals
    # The "claimed by" column of someone else's claim: the table's own text on grey.
    assert ratio(dict(DESK)["QWidget"]["color"], CLAIMED_BY_OTHER.name()) >= TEXT


def test_inline_colours_of_the_real_desk_are_readable(qtbot, world_sqlite, make_desk) -> None:
    """Widgets that colour themselves (banners, confirm bars, previews) are checked as built."""
    window = open_window(qtbot, make_desk(world_sqlite, "lena"))
    with qtbot.waitSignal(window.patient.loaded, timeout=WAIT):
        window.open_referral(world_sqlite.referrals["Ó Súilleabháin"])
    for key in ("outcome", "choice", "booking"):
        window.show_flow(key)
    outcome = window.flow["outcome"].ready
    assert outcome is not None
    problems: list[str] = []
    styled = 0
    for level in Level:
        outcome.banner.show_message(level, "A message")
        problems += text_problems(rules(outcome.banner.styleSheet()))
        styled += 1
    for widget in window.findChildren(QWidget):
        sheet = widget.styleSheet()
        if sheet:
            styled += 1
            problems += [f"{type(widget).__name__}: {p}" for p in text_problems(rules(sheet))]
    assert styled > len(Level)
    assert problems == []
