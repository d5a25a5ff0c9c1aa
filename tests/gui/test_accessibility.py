"""The desk as a screen-reader or keyboard-only advisor meets it, on the real widgets.

The accessibility tree is walked through QAccessible, the same interfaces Qt's AT-SPI bridge
(Orca) and UIA bridge (NVDA) read; the walk is generic, so controls added later are checked too.
What Orca 43 itself speaks is shown by scripts/orca_call_flow.py, which runs Orca on the desk.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from a11y_tree import all_texts, focused, interactive, problems, tab_stops, walk
from desk_helpers import WAIT, drain
from desk_window import activate, open_window
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QWidget

from cras_desk.domain.rtt import RttBand
from cras_desk.gui.main_window import MainWindow
from cras_desk.gui.sign_in.connection import embedded_target, target_from
from cras_desk.gui.sign_in.database_dialog import DatabaseConnectionDialog
from cras_desk.gui.sign_in.dialog import SignInDialog
from cras_desk.gui.tasks import TaskRunner
from cras_desk.gui.widgets.announcer import Announcer, NotificationAccessible
from cras_desk.gui.widgets.password_edit import PasswordAccessible, PasswordEdit
from cras_desk.gui.worklist.model import BAND_ROLE, COLUMN_INDEX
from cras_desk.services.worklist import Scope
from cras_desk.settings import Settings

SERVER = "postgresql+psycopg://cras_desk@db.example.invalid/cras"  # never reached: no password yet
SECRET = "Zq7#wX!9 pw"  # typed into every password field; no part of it may reach the tree
FLOW = ("outcome", "choice", "booking")


def open_desk(qtbot, world, make_desk, username: str = "lena") -> MainWindow:
    """A team lead's desk (every screen there is) with a patient open."""
    window = open_window(qtbot, make_desk(world, username))
    with qtbot.waitSignal(window.patient.loaded, timeout=WAIT):
        window.open_referral(world.referrals["Ó Súilleabháin"])
    drain(qtbot, window.ctx)
    return window


def every_screen(qtbot, window: MainWindow) -> Iterator[str]:
    """Show each call-flow tab and each further screen in turn, loaded; yields its name."""
    for key in FLOW:
        window.show_flow(key)
        drain(qtbot, window.ctx)
        qtbot.wait(50)  # a panel's second round trip (a search after its context) is queued now
        drain(qtbot, window.ctx)
        yield f"desk, {key}"
    screens = window.ui.screens
    for index in range(1, screens.count()):
        screens.setCurrentIndex(index)
        drain(qtbot, window.ctx)
        qtbot.wait(50)
        drain(qtbot, window.ctx)
        yield screens.tabText(index)
    window.show_desk()


# --- (a) every control is named --------------------------------------------------------------------


def test_every_control_on_every_screen_has_a_name(qtbot, world_sqlite, make_desk) -> None:
    window = open_desk(qtbot, world_sqlite, make_desk)
    found: dict[str, list[str]] = {}
    counted = 0
    for screen in every_screen(qtbot, window):
        controls = interactive(window)
        counted += len(controls)
        assert len(controls) > 8, f"{screen}: the walk found almost nothing ({len(controls)})"
        found[screen] = problems(window)
    window.lock.lock()
    found["lock screen"] = problems(window)
    assert [n for n in interactive(window) if n.widget is window.lock.screen.ui.password]
    window.lock.unlock()
    assert counted > 60
    assert {screen: p for screen, p in found.items() if p} == {}


def test_the_walk_finds_every_kind_of_control_the_desk_has(qtbot, world_sqlite, make_desk) -> None:
    """The walk is only worth something if it reaches the controls: each kind is met on the way."""
    window = open_desk(qtbot, world_sqlite, make_desk)
    roles: set[QAccessible.Role] = set()
    for _screen in every_screen(qtbot, window):
        roles |= {n.role for n in interactive(window)}
    r = QAccessible.Role
    wanted = {r.PushButton, r.RadioButton, r.CheckBox, r.ComboBox, r.EditableText, r.SpinBox, r.Table}
    assert wanted <= roles
    assert r.List in roles or r.Tree in roles


def test_combo_boxes_are_labelled_for_orca_and_named_for_nvda(qtbot, world_sqlite, make_desk) -> None:
    window = open_desk(qtbot, world_sqlite, make_desk)
    outcome = window.flow["outcome"].ready
    assert outcome is not None
    combo = outcome.number_combo
    iface = QAccessible.queryAccessibleInterface(combo)
    labels = [i.text(QAccessible.Text.Name) for i, _ in iface.relations(QAccessible.RelationFlag.Label)]
    assert labels == ["Number used:"]  # the visible label, as Orca will say it
    line = QAccessible.queryAccessibleInterface(combo.lineEdit())
    assert line.text(QAccessible.Text.Name) == "Number used"  # the number-used edit itself
    scope = QAccessible.queryAccessibleInterface(window.worklist.scope)
    assert [i.text(QAccessible.Text.Name) for i, _ in scope.relations(QAccessible.RelationFlag.Label)] == [
        "Whose work"
    ]


def test_the_choice_script_is_readable_text_a_screen_reader_can_move_through(
    qtbot, world_sqlite, make_desk
) -> None:
    window = open_desk(qtbot, world_sqlite, make_desk)
    window.show_flow("choice")
    choice = window.flow["choice"].ready
    assert choice is not None
    qtbot.waitUntil(lambda: bool(choice.script_view.toPlainText()), timeout=WAIT)
    iface = QAccessible.queryAccessibleInterface(choice.script_view)
    assert iface.text(QAccessible.Text.Name) == "Choice script to read to the patient"
    assert iface.state().focusable
    text = iface.textInterface()
    assert text is not None and text.characterCount() > 200
    assert text.text(0, 40) == choice.script_view.toPlainText()[:40]
    # A caret the arrow keys move (what Orca reads line by line), not a page that only scrolls.
    choice.script_view.setFocus()
    before = text.cursorPosition()
    qtbot.keyClick(choice.script_view, Qt.Key.Key_Down)
    assert text.cursorPosition() > before


def test_sign_in_and_connection_dialogs_are_named(qtbot) -> None:
    dialog = SignInDialog(Settings(), TaskRunner(), target_from(SERVER, SERVER))
    qtbot.addWidget(dialog)
    dialog.show()
    assert problems(dialog) == []
    assert len(interactive(dialog)) >= 4
    connection = DatabaseConnectionDialog(embedded_target(), "")
    qtbot.addWidget(connection)
    connection.show()
    assert problems(connection) == []
    dialog.reject()


# --- (b) passwords never reach assistive technology ------------------------------------------------


def password_fields(root: QWidget) -> list[QLineEdit]:
    return [e for e in root.findChildren(QLineEdit) if e.echoMode() != QLineEdit.EchoMode.Normal]


def assert_secret_kept(root: QWidget, edits: list[QLineEdit]) -> None:
    texts = all_texts(root)
    parts = [SECRET, *(part for part in SECRET.split() if len(part) >= 4)]
    leaks = [t for t in texts if any(part in t for part in parts)]
    assert leaks == []
    for edit in edits:
        assert edit.text() == SECRET  # the field did get it
        iface = QAccessible.queryAccessibleInterface(edit)
        assert isinstance(iface, PasswordAccessible)
        assert iface.role() == QAccessible.Role.EditableText and iface.state().passwordEdit
        # No text interface: Qt's AT-SPI bridge sends text-changed events only for objects that
        # have one, so typing sends no characters (nor bullets counting them).
        assert iface.textInterface() is None and iface.editableTextInterface() is None
        assert iface.text(QAccessible.Text.Value) == ""
        assert iface.text(QAccessible.Text.Name)  # still named by its label


def type_secret(qtbot, edits: list[QLineEdit]) -> None:
    for edit in edits:
        edit.setEnabled(True)
        edit.show()
        edit.setFocus()
        qtbot.keyClicks(edit, SECRET)


def test_sign_in_password_is_never_exposed(qtbot) -> None:
    dialog = SignInDialog(Settings(), TaskRunner(), target_from(SERVER, SERVER))
    qtbot.addWidget(dialog)
    dialog.show()
    edits = password_fields(dialog)
    assert {e.objectName() for e in edits} == {"password", "dbPassword"}
    type_secret(qtbot, edits)
    assert_secret_kept(dialog, edits)
    dialog.reject()


def test_connection_dialog_password_is_never_exposed(qtbot) -> None:
    dialog = DatabaseConnectionDialog(embedded_target(), "")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.ui.url, "postgresql://cras_desk@db.example.invalid/cras")
    edits = password_fields(dialog)
    assert edits == [dialog.ui.password]
    type_secret(qtbot, edits)
    assert_secret_kept(dialog, edits)


def test_unlock_password_is_never_exposed(qtbot, world_sqlite, make_desk) -> None:
    window = open_window(qtbot, make_desk(world_sqlite, "amy"))
    window.lock.lock()
    edits = password_fields(window)
    assert edits == [window.lock.screen.ui.password]
    type_secret(qtbot, edits)
    assert_secret_kept(window, edits)


def test_any_password_field_is_protected_even_unmarked(qtbot) -> None:
    """A password field someone adds later, plain QLineEdit in Password mode, is covered too."""
    host = QWidget()
    qtbot.addWidget(host)
    plain = QLineEdit(host)
    plain.setEchoMode(QLineEdit.EchoMode.Password)
    plain.setAccessibleName("New password")
    ours = PasswordEdit(host)
    ours.setAccessibleName("Repeat it")
    host.show()
    type_secret(qtbot, [plain, ours])
    assert_secret_kept(host, [plain, ours])


# --- (c) every status message reaches assistive technology -----------------------------------------


class ShowCounter(QObject):
    """Counts Show events of a widget: each message must show the notice anew (Orca 43 speaks that)."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.shows = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            self.shows += 1
        return False


@pytest.fixture
def announcements(monkeypatch) -> list[str]:
    """The QAccessibleAnnouncementEvents posted (the UIA notification NVDA speaks), in order."""
    posted: list[str] = []
    original = QAccessible.updateAccessibility

    def record(event) -> None:
        if event.type() == QAccessible.Event.Announcement:
            posted.append(event.message())
        original(event)

    monkeypatch.setattr(QAccessible, "updateAccessibility", staticmethod(record))
    return posted


def assert_spoken(qtbot, announcer: Announcer, counter: ShowCounter, shows_before: int, text: str) -> None:
    notice = announcer.notice
    qtbot.waitUntil(lambda: counter.shows > shows_before, timeout=WAIT)  # after SHOW_DELAY_MS
    assert notice.isVisible()
    iface = QAccessible.queryAccessibleInterface(notice)
    assert isinstance(iface, NotificationAccessible)
    assert iface.role() == QAccessible.Role.Notification
    assert text in iface.text(QAccessible.Text.Name)


def test_every_kind_of_status_message_is_spoken_without_moving_focus(
    qtbot, world_sqlite, make_desk, announcements
) -> None:
    window = open_desk(qtbot, world_sqlite, make_desk, "amy")
    announcer = window.announcer
    counter = ShowCounter(announcer.notice)
    assert announcer.notice.parentWidget() is window.statusBar()  # spoken without "notification"
    outcome = window.flow["outcome"].ready
    assert outcome is not None
    window.show_flow("outcome")
    activate(qtbot, window)

    def check(action, text: str, *, keeps_focus: bool = True) -> None:
        shows, posted = counter.shows, len(announcements)
        before = focused()
        action()
        drain(qtbot, window.ctx)
        assert_spoken(qtbot, announcer, counter, shows, text)
        assert any(text in message for message in announcements[posted:])
        if keeps_focus:
            assert focused() is before

    # The main window's own messages (once the status bar's showMessage, which nobody hears).
    check(lambda: window.patient.message.emit("Copied NHS number 999 000 0001"), "Copied NHS number")
    window.claims.release()
    # A panel's result and error banners.
    check(lambda: outcome.banner.success("Saved."), "Done: Saved.")
    check(lambda: outcome.banner.error("The database cannot be reached"), "Problem: The database")
    # The same message twice is spoken twice: hidden and shown again each time.
    check(lambda: outcome.banner.error("The database cannot be reached"), "Problem: The database")
    # Saving with no outcome chosen: a warning from the panel itself.
    # (The panel then puts the advisor on the outcome list, on purpose.)
    check(outcome.save, "keys 1 to 7", keeps_focus=False)
    # A confirm bar moves focus to its Yes button on purpose: Orca says the bar's description (the
    # question) as focus enters it, so no notification repeats it.
    outcome.confirm.ask("Discharge Ms Test?", "Discharge", lambda: None)
    assert focused() is outcome.confirm.yes_button
    bar = QAccessible.queryAccessibleInterface(outcome.confirm)
    assert bar.text(QAccessible.Text.Description) == "Discharge Ms Test?"
    assert bar.text(QAccessible.Text.Name) == "Confirmation"
    outcome.confirm.reject()
    # The live connection going and coming back. The desk's own heartbeat is stopped first: on a
    # busy machine it could find the (healthy) database between the "lost" message and its delayed
    # showing, and replace it with "Database connected" before anyone heard it.
    window.live.stop()
    drain(qtbot, window.ctx)  # and a poll already on the worker delivers before the messages
    check(lambda: window._connection_changed(False, "Database connection lost"), "connection lost")
    check(lambda: window._connection_changed(True, "Database connected"), "Database connected")


def test_a_problem_is_also_said_through_the_focused_control(qtbot, world_sqlite, make_desk) -> None:
    """Orca drops notifications while flooded (a panel loading); the focused control's description
    change it speaks even then. The control gets its own description back once focus moves on."""
    window = open_desk(qtbot, world_sqlite, make_desk, "amy")
    activate(qtbot, window)
    search = window.worklist.search
    search.setFocus()
    own = search.accessibleDescription()
    assert own
    outcome = window.flow["outcome"].ready
    assert outcome is not None
    outcome.banner.error("Slot just taken")
    assert search.accessibleDescription() == "Problem: Slot just taken"
    outcome.banner.error("Slot just taken")  # again: still a change, so spoken again
    assert search.accessibleDescription().strip() == "Problem: Slot just taken"
    assert search.accessibleDescription() != "Problem: Slot just taken"
    outcome.banner.success("Booked")  # a result: the notification only
    assert search.accessibleDescription().strip() == "Problem: Slot just taken"
    qtbot.keyClick(search, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: search.accessibleDescription() == own, timeout=WAIT)


def test_a_wrong_unlock_password_is_spoken_on_the_lock_screen(
    qtbot, world_sqlite, make_desk, announcements
) -> None:
    window = open_window(qtbot, make_desk(world_sqlite, "amy"))
    window.lock.lock()
    screen = window.lock.screen
    counter = ShowCounter(screen.ui.errorLabel)
    qtbot.keyClicks(screen.ui.password, "not my password")
    qtbot.keyClick(screen.ui.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.ui.errorLabel.isVisible(), timeout=WAIT)
    assert_spoken(qtbot, screen.announcer, counter, 0, "That password is not right.")
    assert "That password is not right." in announcements
    assert screen.ui.password.hasFocus()


def test_a_sign_in_problem_is_spoken(qtbot, announcements) -> None:
    dialog = SignInDialog(Settings(), TaskRunner(), target_from(SERVER, SERVER))
    qtbot.addWidget(dialog)
    dialog.show()
    counter = ShowCounter(dialog.ui.errorLabel)
    dialog.sign_in()  # nothing typed
    assert_spoken(qtbot, dialog.announcer, counter, 0, "Enter your user name and password.")
    assert announcements[-1] == "Enter your user name and password."
    dialog.reject()


def test_no_status_message_bypasses_the_announcer() -> None:
    """QStatusBar.showMessage is silent for Orca 43: no desk code may use it."""
    gui = Path(__file__).resolve().parents[2] / "cras_desk" / "gui"
    users = [
        str(p.relative_to(gui))
        for p in gui.rglob("*.py")
        if "generated" not in p.parts and "showMessage(" in p.read_text(encoding="utf-8")
    ]
    assert users == []


# --- (d) the keyboard reaches everything and nothing traps it -------------------------------------


def tab_round(qtbot, window: MainWindow, start: QWidget, presses: int) -> list[QWidget]:
    start.setFocus(Qt.FocusReason.TabFocusReason)
    seen: list[QWidget] = [start]
    for _ in range(presses):
        current = focused()
        assert current is not None, f"focus lost after {[type(w).__name__ for w in seen[-3:]]}"
        qtbot.keyClick(current, Qt.Key.Key_Tab)
        now = focused()
        assert now is not None
        seen.append(now)
    return seen


def describe(widget: QWidget) -> str:
    name = widget.accessibleName() or widget.objectName()
    return f"{type(widget).__name__} {name!r}"


def test_forward_tab_reaches_every_control_and_leaves_every_table(qtbot, world_sqlite, make_desk) -> None:
    window = open_desk(qtbot, world_sqlite, make_desk)
    for screen in every_screen(qtbot, window):
        activate(qtbot, window)
        stops = tab_stops(window)
        assert len(stops) >= 3, screen
        start = window.worklist.search if window.ui.deskTab.isVisible() else stops[0]
        seen = tab_round(qtbot, window, start, 2 * len(stops) + 10)
        missed = [describe(w) for w in stops if w not in seen]
        assert missed == [], f"{screen}: Tab never reaches {missed}"
        for here, after in itertools.pairwise(seen):
            if isinstance(here, QAbstractItemView):
                assert after is not here, f"{screen}: Tab is trapped in {describe(here)}"
                assert not here.isAncestorOf(after)


def test_tables_let_tab_leave(qtbot, world_sqlite, make_desk) -> None:
    """Arrow keys move inside a table; Tab always leaves it (the letters table had 300 cells)."""
    window = open_desk(qtbot, world_sqlite, make_desk)
    tables: list[QAbstractItemView] = []
    for _screen in every_screen(qtbot, window):
        tables += [
            n.widget
            for n in walk(window)
            if isinstance(n.widget, QAbstractItemView) and n.widget not in tables
        ]
    assert len(tables) >= 5
    assert [describe(t) for t in tables if t.tabKeyNavigation()] == []


# --- colour is never the only signal ---------------------------------------------------------------


def test_rtt_bands_are_written_not_only_coloured(qtbot, world_sqlite, make_desk) -> None:
    window = open_desk(qtbot, world_sqlite, make_desk, "amy")
    with qtbot.waitSignal(window.worklist.model.query_loaded, timeout=WAIT):
        window.worklist.set_scope(Scope.TEAM)
    assert window.worklist.model.rowCount() >= 3
    words = {RttBand.BREACHED: " over", RttBand.CRITICAL: "<2wk", RttBand.WARNING: "<4wk"}
    model, column = window.worklist.model, COLUMN_INDEX["breach"]
    bands = set()
    for row in range(model.rowCount()):
        index = model.index(row, column)
        band = RttBand(index.data(BAND_ROLE))
        bands.add(band)
        text = index.data()
        if band in words:
            assert words[band] in text, (band, text)
        else:
            assert text.lstrip("-").isdigit(), (band, text)
    assert RttBand.CRITICAL in bands  # the open patient (urgent, 9 days left)
    assert "< 2 weeks" in window.patient.breach.text()
