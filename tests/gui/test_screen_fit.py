"""The desk on the screens advisors have: 1366x768 laptops and 1920x1080 monitors.

The window is sized to what an advisor gets on each screen (a task bar and a title bar taken off),
in the desk's own style and font, and the whole call flow is walked through: nothing scrolls
sideways, the worklist keeps the columns an advisor reads a row by, and every confirmation and
result appears in view of the control just used, without the advisor scrolling.
"""

from __future__ import annotations

import stat
from datetime import datetime

import pytest
from desk_helpers import WAIT, drain
from desk_window import open_window
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QScrollArea, QTableView, QWidget
from sqlalchemy import select

from cras_desk.db.models import ContactAttempt
from cras_desk.domain.clock import LONDON
from cras_desk.domain.enums import ContactOutcome
from cras_desk.gui.main_window import MainWindow
from cras_desk.gui.worklist.model import COLUMN_INDEX, COLUMNS
from cras_desk.services.worklist import Scope
from cras_desk.settings import Settings

TASK_BAR, TITLE_BAR = 40, 30  # what the window manager takes off the screen's height
SCREENS = {
    "1366x768": (1366, 768 - TASK_BAR - TITLE_BAR),
    "1920x1080": (1920, 1080 - TASK_BAR - TITLE_BAR),
}
HEADER_PADDING = 2 * 6 + 1  # desk.qss: QHeaderView::section padding 6px a side, a 1px border
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture(params=sorted(SCREENS))
def screen_size(request: pytest.FixtureRequest) -> tuple[int, int]:
    return SCREENS[request.param]


# -- what "fits" means ------------------------------------------------------------------------------


def sideways_problems(window: MainWindow, size: tuple[int, int]) -> list[str]:
    """Everything on screen that scrolls, or would have to scroll, sideways."""
    problems = []
    if window.width() > size[0]:
        problems.append(f"the window grew to {window.width()} pixels wide")
    for area in window.findChildren(QAbstractScrollArea):
        if not area.isVisible():
            continue
        name = area.accessibleName() or area.objectName() or type(area).__name__
        if area.horizontalScrollBar().isVisible():
            problems.append(f"{name}: a horizontal scroll bar")
        inner = area.widget() if isinstance(area, QScrollArea) else None
        if inner is not None and inner.width() > area.viewport().width():
            problems.append(f"{name}: its content is wider than its view")
        if isinstance(area, QTableView):
            header = area.horizontalHeader()
            used = sum(header.sectionSize(i) for i in range(header.count()) if not header.isSectionHidden(i))
            if used > area.viewport().width():
                problems.append(f"{name}: columns {used} pixels wide in a {area.viewport().width()} view")
    return problems


def in_view(widget: QWidget, part: QRect | None = None) -> bool:
    """Shown, and (or part of it, in its own coordinates) inside every scroll area holding it and
    inside the window: seen without scrolling."""
    rect = part if part is not None else widget.rect()
    if not widget.isVisible() or rect.isEmpty():
        return False
    holder = widget.parentWidget()
    while holder is not None:
        if isinstance(holder, QScrollArea):
            view = holder.viewport()
            if not view.rect().contains(QRect(widget.mapTo(view, rect.topLeft()), rect.size())):
                return False
        holder = holder.parentWidget()
    window = widget.window()
    return window.rect().contains(QRect(widget.mapTo(window, rect.topLeft()), rect.size()))


def row_in_view(table: QTableView) -> bool:
    """The table's current row (what Return acts on) is in view."""
    index = table.currentIndex()
    return index.isValid() and in_view(table.viewport(), table.visualRect(index))


def open_at(qtbot, ctx, size: tuple[int, int]) -> MainWindow:
    window = open_window(qtbot, ctx, size=size)
    qtbot.waitUntil(lambda: window.ui.mainSplitter.sizes()[0] > 0, timeout=WAIT)
    return window


def flow_panel(qtbot, window: MainWindow, key: str) -> QWidget:
    window.show_flow(key)
    panel = window.flow[key].ready
    assert panel is not None
    drain(qtbot, window.ctx)
    return panel


# -- no sideways scrolling --------------------------------------------------------------------------


def test_the_whole_call_flow_fits_without_sideways_scrolling(
    qtbot, world_sqlite, make_desk, desk_style, screen_size
) -> None:
    world = world_sqlite
    window = open_at(qtbot, make_desk(world, "lena"), screen_size)  # a lead: the team view too
    assert sideways_problems(window, screen_size) == []
    window.open_referral(world.referrals["Ó Súilleabháin"])
    qtbot.waitUntil(lambda: window.patient.record is not None, timeout=WAIT)
    outcome = flow_panel(qtbot, window, "outcome")
    qtbot.waitUntil(lambda: outcome.number_combo.count() > 0, timeout=WAIT)
    assert sideways_problems(window, screen_size) == []
    choice = flow_panel(qtbot, window, "choice")
    qtbot.waitUntil(lambda: choice.model.rowCount() > 0, timeout=WAIT)
    assert sideways_problems(window, screen_size) == []
    booking = flow_panel(qtbot, window, "booking")
    qtbot.waitUntil(lambda: booking.model.rowCount() > 0, timeout=WAIT)
    assert sideways_problems(window, screen_size) == []

    window.ui.screens.setCurrentWidget(window.letters)
    drain(qtbot, window.ctx)
    assert sideways_problems(window, screen_size) == []
    assert window.team is not None
    window.ui.screens.setCurrentWidget(window.team)
    drain(qtbot, window.ctx)
    qtbot.waitUntil(lambda: window.team.ready is not None, timeout=WAIT)
    drain(qtbot, window.ctx)
    assert sideways_problems(window, screen_size) == []


def test_the_worklist_shows_nhs_number_status_and_attempts_at_1366(
    qtbot, world_sqlite, make_desk, desk_style
) -> None:
    window = open_at(qtbot, make_desk(world_sqlite, "lena"), SCREENS["1366x768"])
    assert window.worklist.set_scope(Scope.TEAM)  # lena's team: referrals in every status
    drain(qtbot, window.ctx)
    table = window.worklist.table
    header = table.horizontalHeader()
    font = QFont(header.font())
    font.setBold(True)  # the style sheet's header font
    bold = QFontMetrics(font)
    assert window.worklist.model.rowCount() > 0
    for key in ("priority", "breach", "name", "nhs", "status", "attempts"):
        column = COLUMN_INDEX[key]
        assert not header.isSectionHidden(column), key
        right = header.sectionViewportPosition(column) + header.sectionSize(column)
        assert header.sectionViewportPosition(column) >= 0 and right <= table.viewport().width(), key
    for key in ("nhs", "status", "attempts"):
        column = COLUMN_INDEX[key]
        # Wide enough for what every row shows in it, measured the way the view paints it.
        assert table.sizeHintForColumn(column) <= header.sectionSize(column), key
        title = bold.horizontalAdvance(COLUMNS[column].title) + HEADER_PADDING
        assert title <= header.sectionSize(column), f"{key} title"


def test_hidden_worklist_columns_come_back_when_the_worklist_is_widened(
    qtbot, world_sqlite, make_desk, desk_style
) -> None:
    window = open_at(qtbot, make_desk(world_sqlite, "amy"), SCREENS["1366x768"])
    header = window.worklist.table.horizontalHeader()
    next_action = COLUMN_INDEX["next"]
    assert header.isSectionHidden(next_action)  # no room at 1366 beside the call flow
    window.resize(*SCREENS["1920x1080"])
    window.ui.mainSplitter.setSizes([1100, 800])
    qtbot.waitUntil(lambda: not header.isSectionHidden(next_action), timeout=WAIT)
    assert sideways_problems(window, SCREENS["1920x1080"]) == []


# -- confirmations and results where the advisor is looking ------------------------------------------


def test_outcome_result_and_callback_problem_appear_in_view(
    qtbot, world_sqlite, make_desk, desk_style, screen_size
) -> None:
    world = world_sqlite
    rid = world.referrals["Ó Súilleabháin"]
    window = open_at(qtbot, make_desk(world, "amy"), screen_size)
    window.open_referral(rid)
    outcome = flow_panel(qtbot, window, "outcome")
    qtbot.waitUntil(lambda: outcome.number_combo.count() > 0, timeout=WAIT)

    # Callback asked for, no time given: nothing saved, the problem is said at the field.
    qtbot.keyClick(outcome.notes_edit, Qt.Key.Key_6, ALT)
    assert outcome.callback_at() is None  # never pre-filled
    qtbot.keyClick(outcome.notes_edit, Qt.Key.Key_Return, CTRL)
    assert "Choose when to call the patient back" in outcome.callback_problem_text()
    assert QApplication.focusWidget() is outcome.callback_edit
    qtbot.waitUntil(
        lambda: in_view(outcome.callback_problem) and in_view(outcome.callback_edit), timeout=WAIT
    )
    drain(qtbot, window.ctx)
    with world.db.read() as s:
        assert s.scalars(select(ContactAttempt).where(ContactAttempt.referral_id == rid)).all() == []

    qtbot.keyClick(outcome.notes_edit, Qt.Key.Key_2, ALT)  # no answer after all
    assert outcome.callback_problem_text() == ""
    with qtbot.waitSignal(outcome.changed, timeout=WAIT):
        qtbot.keyClick(outcome.notes_edit, Qt.Key.Key_Return, CTRL)
    assert outcome.banner.level == "success"
    qtbot.waitUntil(lambda: in_view(outcome.banner), timeout=WAIT)
    assert in_view(outcome.save_button)


def test_booking_confirm_result_and_slot_taken_appear_in_view(
    qtbot, world_sqlite, make_desk, desk_style, screen_size
) -> None:
    world = world_sqlite
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_desk(world, "amy")
    window = open_at(qtbot, ctx, screen_size)
    window.open_referral(rid)
    booking = flow_panel(qtbot, window, "booking")
    qtbot.waitUntil(lambda: booking.selected_slot() is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: row_in_view(booking.table), timeout=WAIT)  # the slot Return books

    wanted = booking.selected_slot()
    ctx.services.booking.book(world.actor("ben"), world.referrals["Nowak"], wanted.slot_id)
    qtbot.keyClick(booking.table, Qt.Key.Key_Return)
    assert booking.confirm.pending
    qtbot.waitUntil(lambda: in_view(booking.confirm), timeout=WAIT)
    qtbot.keyClick(booking.confirm.yes_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: booking.banner.level == "error", timeout=WAIT)
    assert booking.banner.text().startswith("Slot just taken")
    qtbot.waitUntil(lambda: in_view(booking.banner), timeout=WAIT)

    qtbot.waitUntil(lambda: wanted.slot_id not in booking.model.slot_ids(), timeout=WAIT)
    with qtbot.waitSignal(booking.changed, timeout=WAIT):
        qtbot.keyClick(booking.table, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: in_view(booking.confirm), timeout=WAIT)
        qtbot.keyClick(booking.confirm.yes_button, Qt.Key.Key_Return)
    assert booking.banner.level == "success"
    qtbot.waitUntil(lambda: in_view(booking.banner), timeout=WAIT)
    assert sideways_problems(window, screen_size) == []


def test_choice_confirmation_appears_in_view(qtbot, world_sqlite, make_desk, desk_style, screen_size) -> None:
    world = world_sqlite
    window = open_at(qtbot, make_desk(world, "amy"), screen_size)
    window.open_referral(world.referrals["Ó Súilleabháin"])
    choice = flow_panel(qtbot, window, "choice")
    qtbot.waitUntil(lambda: choice.selected_option() is not None, timeout=WAIT)
    qtbot.keyClick(choice.table, Qt.Key.Key_Return, CTRL)
    assert choice.confirm.pending
    qtbot.waitUntil(lambda: in_view(choice.confirm), timeout=WAIT)
    qtbot.keyClick(choice.confirm.no_button, Qt.Key.Key_Escape)
    assert not choice.confirm.pending


# -- the "N changed" notice ---------------------------------------------------------------------------


def test_changed_elsewhere_notice_does_not_move_the_rows(qtbot, world_sqlite, make_desk, desk_style) -> None:
    window = open_at(qtbot, make_desk(world_sqlite, "amy"), SCREENS["1366x768"])
    worklist = window.worklist
    view = worklist.table.viewport()
    before = QRect(view.mapTo(window, QPoint(0, 0)), view.size())
    first_row = worklist.table.visualRect(worklist.model.index(0, 0))
    not_loaded = max(worklist.model.loaded_ids()) + 10_000
    worklist.apply_changes({not_loaded})
    qtbot.waitUntil(lambda: worklist.pending_label.isVisible(), timeout=WAIT)
    assert "1 other referral changed" in worklist.pending_label.text()
    QApplication.processEvents()
    assert QRect(view.mapTo(window, QPoint(0, 0)), view.size()) == before
    assert worklist.table.visualRect(worklist.model.index(0, 0)) == first_row
    assert in_view(worklist.pending_label)
    worklist.refresh()
    assert not worklist.pending_label.isVisible()
    QApplication.processEvents()
    assert QRect(view.mapTo(window, QPoint(0, 0)), view.size()) == before


# -- the window on the screen -------------------------------------------------------------------------
# The offscreen test platform has one 800x800 screen; the desk's screens are laptops and monitors, so
# their free areas (a task bar off the bottom) are handed to show_on_screen in their place.
LAPTOP = QRect(0, 0, 1366, 768 - TASK_BAR)
MONITOR = QRect(0, 0, 1920, 1080 - TASK_BAR)


def desk_window(qtbot, world, make_desk, username: str, settings: Settings, area: QRect) -> MainWindow:
    window = MainWindow(make_desk(world, username, settings=settings), database_text="test database")
    qtbot.addWidget(window)
    window.show_on_screen(area)
    qtbot.waitExposed(window)
    return window


def saved_geometry(qtbot, world, make_desk, rect: QRect) -> str:
    """What a desk left at `rect` keeps in settings.json."""
    window = MainWindow(make_desk(world, "amy"), database_text="test database")
    qtbot.addWidget(window)
    window.setGeometry(rect)
    text = bytes(window.saveGeometry().toBase64().data()).decode("ascii")
    window.shutdown()
    return text


@pytest.mark.parametrize("area", [LAPTOP, MONITOR], ids=["1366x768", "1920x1080"])
def test_a_first_start_fills_the_free_screen_and_no_more(qtbot, world_sqlite, make_desk, area) -> None:
    window = desk_window(qtbot, world_sqlite, make_desk, "amy", Settings(), area)
    qtbot.wait(50)  # the second fit, once framed
    assert window.frameGeometry() == area
    window.close()


def test_a_saved_geometry_larger_than_the_screen_is_fitted(qtbot, world_sqlite, make_desk) -> None:
    settings = Settings()  # yesterday, on a 1920x1080 monitor; today, a 1366x768 laptop
    settings.window_geometry["amy"] = saved_geometry(
        qtbot, world_sqlite, make_desk, QRect(150, 60, 1760, 990)
    )
    window = desk_window(qtbot, world_sqlite, make_desk, "amy", settings, LAPTOP)
    qtbot.wait(50)
    assert LAPTOP.contains(window.frameGeometry()), window.frameGeometry()
    window.close()


def test_layout_and_maximised_are_kept_per_user_in_a_private_file(qtbot, world_sqlite, make_desk) -> None:
    first = desk_window(qtbot, world_sqlite, make_desk, "amy", Settings.load(), LAPTOP)
    qtbot.wait(50)
    assert first.frameGeometry() == LAPTOP
    narrower = QRect(20, 10, first.minimumSizeHint().width() + 10, 600)  # amy makes room for a phone app
    first.setGeometry(narrower)
    qtbot.wait(50)
    first.close()  # closing keeps amy's layout in settings.json
    assert stat.S_IMODE(Settings.path().stat().st_mode) == 0o600
    stored = Settings.load()
    assert set(stored.window_geometry) == {"amy"} and stored.window_maximised == {"amy": False}

    # Qt fits a restored geometry to the test platform's own (800x800) screen first, then the desk
    # to the free area: what comes back is amy's narrower window, not the full-screen default.
    again = desk_window(qtbot, world_sqlite, make_desk, "amy", Settings.load(), LAPTOP)
    qtbot.wait(50)
    assert again.width() < LAPTOP.width() and LAPTOP.contains(again.frameGeometry())
    again.showMaximized()
    qtbot.waitUntil(again.isMaximized, timeout=WAIT)
    again.close()
    assert Settings.load().window_maximised["amy"] is True

    maximised = desk_window(qtbot, world_sqlite, make_desk, "amy", Settings.load(), LAPTOP)
    qtbot.waitUntil(maximised.isMaximized, timeout=WAIT)
    maximised.close()

    ben = desk_window(qtbot, world_sqlite, make_desk, "ben", Settings.load(), LAPTOP)  # nothing saved
    qtbot.wait(50)
    assert ben.frameGeometry() == LAPTOP and not ben.isMaximized()
    ben.close()
    assert set(Settings.load().window_geometry) == {"amy", "ben"}


def test_unreadable_saved_state_is_not_trusted(qtbot, world_sqlite, make_desk) -> None:
    Settings.path().write_text(
        '{"window_geometry": {"amy": "not a geometry!"}, "window_maximised": {"amy": "yes"},'
        ' "splitter_states": [1, 2], "idle_lock_minutes": "ten", "last_username": "amy"}',
        encoding="utf-8",
    )
    settings = Settings.load()
    assert settings.window_maximised == {} and settings.splitter_states == {}  # wrong shapes dropped
    assert settings.idle_lock_minutes == Settings().idle_lock_minutes and settings.last_username == "amy"
    window = desk_window(qtbot, world_sqlite, make_desk, "amy", settings, LAPTOP)
    qtbot.wait(50)
    assert window.frameGeometry() == LAPTOP and not window.isMaximized()
    window.close()


def test_callback_outcome_names_the_calling_hours_rule_at_the_field(
    qtbot, world_sqlite, make_desk, desk_style
) -> None:
    world = world_sqlite
    window = open_at(qtbot, make_desk(world, "amy"), SCREENS["1366x768"])
    window.open_referral(world.referrals["Ó Súilleabháin"])
    outcome = flow_panel(qtbot, window, "outcome")
    qtbot.waitUntil(lambda: outcome.number_combo.count() > 0, timeout=WAIT)
    qtbot.keyClick(outcome.notes_edit, Qt.Key.Key_6, ALT)
    outcome.set_callback_at(datetime(2030, 1, 5, 11, 0, tzinfo=LONDON))  # a Saturday
    qtbot.keyClick(outcome.notes_edit, Qt.Key.Key_Return, CTRL)
    assert "Saturday is not a working day" in outcome.callback_problem_text()
    assert outcome.callback_edit.accessibleDescription() == outcome.callback_problem_text()
    qtbot.waitUntil(lambda: in_view(outcome.callback_problem), timeout=WAIT)
    assert outcome.outcome() is ContactOutcome.CALLBACK_REQUESTED  # nothing the advisor did is lost


def test_the_empty_callback_field_steps_from_now(qtbot, world_sqlite, make_desk) -> None:
    world = world_sqlite
    window = open_at(qtbot, make_desk(world, "amy"), SCREENS["1920x1080"])
    window.open_referral(world.referrals["Ó Súilleabháin"])
    outcome = flow_panel(qtbot, window, "outcome")
    qtbot.keyClick(outcome.notes_edit, Qt.Key.Key_6, ALT)
    assert outcome.callback_edit.text() == "Not chosen yet" and outcome.callback_at() is None
    outcome.callback_edit.setFocus()
    qtbot.keyClick(outcome.callback_edit, Qt.Key.Key_Up)  # one step on from now, in the day section
    chosen = outcome.callback_at()
    assert chosen is not None and chosen > datetime.now(LONDON)
    assert outcome.callback_edit.text() != "Not chosen yet"
