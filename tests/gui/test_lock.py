"""The idle lock: the desk hides after no input, unlocks only with the password, loses nothing."""

from __future__ import annotations

from desk_helpers import WAIT, drain
from desk_window import open_window
from PySide6.QtCore import Qt

PASSWORD = "correct horse 1"


def test_idle_desk_locks_and_unlocks_with_the_password_keeping_what_was_typed(
    qtbot, world_sqlite, make_desk
) -> None:
    ctx = make_desk(world_sqlite, "amy")
    window = open_window(qtbot, ctx)
    qtbot.keyClicks(window.worklist.search, "half-typed search")
    drain(qtbot, ctx)
    assert window.worklist.search.hasFocus()

    window.lock.watcher.set_timeout_ms(300)
    window.lock.watcher.reset()
    qtbot.waitUntil(lambda: window.lock.is_locked, timeout=WAIT)  # nobody touched anything
    assert not window.ui.deskPage.isVisible()  # no patient data on an unattended screen
    assert all(not a.isEnabled() for a in window.actions_by_id.values())
    qtbot.keyClick(window.lock.screen.ui.password, Qt.Key.Key_F2)  # shortcuts are off while locked
    assert window.current_referral is None

    qtbot.keyClicks(window.lock.screen.ui.password, "not my password")
    qtbot.keyClick(window.lock.screen.ui.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.lock.screen.ui.errorLabel.isVisible(), timeout=WAIT)
    assert window.lock.is_locked
    assert window.lock.screen.ui.errorLabel.text() == "That password is not right."

    with qtbot.waitSignal(window.lock.unlocked, timeout=WAIT):
        qtbot.keyClicks(window.lock.screen.ui.password, PASSWORD)
        qtbot.keyClick(window.lock.screen.ui.password, Qt.Key.Key_Return)
    assert window.ui.deskPage.isVisible()
    assert window.worklist.search.text() == "half-typed search"
    assert window.worklist.search.hasFocus()  # back where the advisor was
    assert all(a.isEnabled() for a in window.actions_by_id.values())


def test_input_keeps_the_desk_unlocked(qtbot, world_sqlite, make_desk) -> None:
    window = open_window(qtbot, make_desk(world_sqlite, "amy"))
    window.lock.watcher.set_timeout_ms(400)
    window.lock.watcher.reset()
    for _ in range(8):  # 8 x 100 ms of typing: twice the limit in all, never 400 ms idle
        qtbot.keyClick(window.worklist.search, Qt.Key.Key_A)
        qtbot.wait(100)
    assert not window.lock.is_locked
    qtbot.waitUntil(lambda: window.lock.is_locked, timeout=WAIT)  # and then the advisor walks away


def test_ctrl_l_locks_at_once(qtbot, world_sqlite, make_desk) -> None:
    window = open_window(qtbot, make_desk(world_sqlite, "amy"))
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.lock.is_locked
    assert window.lock.screen.ui.password.hasFocus()
    assert "Amy Advisor" in window.lock.screen.ui.who.text()


def test_an_account_locked_at_the_lock_screen_says_so(qtbot, world_sqlite, make_desk) -> None:
    """Wrong passwords at the idle lock count towards the lockout; once locked, even the right
    password gets the locked message, not "not right", and the way out is named."""
    from cras_desk.domain.central_settings import CentralSettings
    from cras_desk.services.central_settings import CentralSettingsService

    central = CentralSettingsService(world_sqlite.db)
    central.save(world_sqlite.actor("root"), CentralSettings(lockout_failures=3), 1)
    window = open_window(qtbot, make_desk(world_sqlite, "amy"))
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    password, error = window.lock.screen.ui.password, window.lock.screen.ui.errorLabel
    said: list[str] = []
    for typed in ("wrong one", "wrong two", "wrong three", PASSWORD):
        qtbot.keyClicks(password, typed)
        qtbot.keyClick(password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: error.isVisible() and not window.lock._checking, timeout=WAIT)
        drain(qtbot, window.ctx)
        said.append(error.text())
    assert said[:2] == ["That password is not right."] * 2
    assert said[2] == said[3]
    assert said[3].startswith("This account is locked after too many wrong passwords. Try again after ")
    assert said[3].endswith(
        "or ask an admin to unlock it. Or sign out, so that someone else can use this desk."
    )
    assert window.lock.is_locked and password.text() == ""
