"""The central settings window over cras_desk.services.central_settings: shows what the database
holds, saves an admin's change (audited, followed by every service), refuses out-of-range values
and a colleague's edit with a clear message and without losing the form; admins only; keyboard and
screen reader; 1366x768; the Admin menu opens it; the desk's idle lock follows a change."""

from __future__ import annotations

import pytest
from a11y_tree import problems
from admin_windows import shown
from desk_helpers import WAIT
from PySide6.QtCore import QPoint, Qt, QTime
from PySide6.QtWidgets import QAbstractScrollArea, QApplication
from sqlalchemy import select

from cras_desk.db.models import AuditEvent
from cras_desk.domain.central_settings import CentralSettings
from cras_desk.gui.admin.settings_screen import CentralSettingsScreen
from cras_desk.services.central_settings import CentralSettingsService


def _screen(qtbot, ctx) -> CentralSettingsScreen:
    return shown(qtbot, CentralSettingsScreen, ctx)


def _save(qtbot, screen: CentralSettingsScreen) -> str:
    with qtbot.waitSignal(screen.saved, timeout=WAIT) as said:
        qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    return said.args[0]


def test_shows_the_settings_the_database_holds(qtbot, world, make_ctx) -> None:
    screen = _screen(qtbot, make_ctx("root"))
    assert screen.form_settings() == CentralSettings()
    assert screen.fields["calling_opens"].time() == QTime(9, 0)
    assert screen.fields["claim_minutes"].text() == "20 minutes"
    assert screen.last_changed.text() == "The unit's settings have not been changed since they were set up."
    assert screen.announcer.text().startswith("Central settings loaded.")


def test_an_admin_saves_a_change_that_is_audited_and_in_force(qtbot, world, make_ctx) -> None:
    screen = _screen(qtbot, make_ctx("root"))
    screen.fields["claim_minutes"].setValue(45)
    screen.fields["calling_closes"].setTime(QTime(18, 30))
    screen.fields["require_distinct_times_of_day"].setChecked(False)
    said = _save(qtbot, screen)
    assert said == "Saved: 3 settings changed." == screen.announcer.text()
    assert screen.last_changed.text().startswith("Last changed by root on ")
    now = CentralSettingsService(world.db).current(world.actor("amy")).settings
    assert (now.claim_minutes, now.calling_closes, now.require_distinct_times_of_day) == (
        45,
        18 * 60 + 30,
        False,
    )
    with world.db.read() as s:
        detail = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "change_settings")).one()
    assert detail == {
        "changes": {
            "require_distinct_times_of_day": [True, False],
            "calling_closes": [1200, 1110],
            "claim_minutes": [20, 45],
        },
        "version": 2,
    }


def test_values_that_do_not_fit_together_are_refused_on_the_form(qtbot, world, make_ctx) -> None:
    ctx = make_ctx("root")
    screen = _screen(qtbot, ctx)
    screen.fields["calling_opens"].setTime(QTime(19, 0))
    screen.fields["calling_closes"].setTime(QTime(18, 0))
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert screen.announcer.text() == "Calling hours must open before they close."
    assert ctx.tasks.pending == 0
    assert screen.fields["calling_opens"].time() == QTime(19, 0)  # what was typed stays
    assert CentralSettingsService(world.db).current(world.actor("root")).version == 1


def test_a_colleagues_edit_in_between_is_reported_and_the_form_kept(qtbot, world, make_ctx) -> None:
    screen = _screen(qtbot, make_ctx("root"))
    service = CentralSettingsService(world.db)
    service.save(world.actor("root"), CentralSettings(claim_minutes=60), 1)  # another admin's desk
    screen.fields["claim_minutes"].setValue(30)
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "since you opened them" in screen.announcer.text(), timeout=WAIT)
    assert screen.fields["claim_minutes"].value() == 30
    assert service.current(world.actor("root")).settings.claim_minutes == 60
    with qtbot.waitSignal(screen.loaded, timeout=WAIT):
        qtbot.mouseClick(screen.revert_button, Qt.MouseButton.LeftButton)
    assert screen.fields["claim_minutes"].value() == 60


@pytest.mark.parametrize("who", ["amy", "lena"])
def test_anyone_but_an_admin_gets_nothing_to_change(qtbot, world, make_ctx, who: str) -> None:
    ctx = make_ctx(who)
    screen = _screen(qtbot, ctx)
    assert (
        screen.announcer.text() == "The central settings are changed by admins; you are not signed in as one."
    )
    assert not screen.save_button.isEnabled() and not any(f.isEnabled() for f in screen.fields.values())
    screen.save()
    screen.reload()
    assert ctx.tasks.pending == 0


def test_keyboard_and_screen_reader(qtbot, world, make_ctx) -> None:
    screen = _screen(qtbot, make_ctx("root"))
    assert problems(screen) == []
    first = screen.fields["max_failed_attempts"]
    first.setFocus()
    reached = [QApplication.focusWidget()]
    for _ in range(30):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if QApplication.focusWidget() is first:
            break
        reached.append(QApplication.focusWidget())
    # Tab steps through a time's hours and minutes first, as in every Qt time field.
    visited = [w for i, w in enumerate(reached) if i == 0 or w is not reached[i - 1]]
    assert visited == [*screen.fields.values(), screen.save_button, screen.revert_button, screen.close_button]
    assert screen.fields["claim_minutes"].accessibleName() == "A claim on a referral lasts, 10 to 240 minutes"
    assert screen.fields["calling_opens"].accessibleName() == "Calling hours open at (UK time)"


def test_fits_1366x768_without_sideways_scrolling(qtbot, world_sqlite, make_desk, desk_style) -> None:
    screen = _screen(qtbot, make_desk(world_sqlite, "root"))
    assert screen.minimumSizeHint().width() <= 1366 and screen.minimumSizeHint().height() <= 768 - 70
    assert screen.width() <= 1366 and screen.height() <= 768 - 70
    QApplication.processEvents()
    for area in screen.findChildren(QAbstractScrollArea):
        if area.isVisible():
            assert not area.horizontalScrollBar().isVisible(), area.accessibleName()
    for field in screen.fields.values():
        corner = field.mapTo(screen, QPoint(0, 0))
        assert corner.x() + field.width() <= screen.width() and corner.y() + field.height() <= screen.height()


def test_the_admin_menu_opens_it_and_the_desk_follows_a_saved_change(qtbot, world_sqlite, make_desk) -> None:
    from desk_window import open_window, poll_now

    window = open_window(qtbot, make_desk(world_sqlite, "root"))
    menu = window.findChild(type(window.ui.menuHelp), "menuAdmin")
    assert [a.text() for a in menu.actions()][:3] == ["&Users...", "&Audit trail...", "&Central settings..."]
    menu.actions()[2].trigger()
    screen = window.findChild(CentralSettingsScreen)
    assert screen is not None and screen.isWindow()
    qtbot.waitUntil(lambda: screen.version == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: window.lock.watcher.timeout_ms == 10 * 60_000, timeout=WAIT)
    screen.fields["idle_lock_max_minutes"].setValue(5)
    _save(qtbot, screen)
    # This desk's own change comes back through the change feed, as another desk's would.
    qtbot.waitUntil(lambda: window.isVisible() and window.ctx.unit is not None, timeout=WAIT)
    poll_now(qtbot, window)
    qtbot.waitUntil(lambda: window.ctx.unit.idle_lock_max_minutes == 5, timeout=WAIT)
    assert window.lock.watcher.timeout_ms == 5 * 60_000
