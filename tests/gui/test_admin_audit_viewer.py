"""The audit trail window: searched and paged on the worker, the count spoken, refusals at their
field, CSV export, keyboard only, 1366x768 without sideways scrolling, and admins only."""

from __future__ import annotations

import csv
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from a11y_tree import problems, tab_stops
from desk_helpers import WAIT
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QTableView
from sqlalchemy import func, insert, select

from cras_desk.db.models import ROW_CHANGE_ACTIONS, AuditEvent, Patient
from cras_desk.domain.clock import today_london
from cras_desk.gui.admin.audit_viewer import AuditModel, AuditViewer, Column
from cras_desk.services import audit
from cras_desk.services.audit_log import PAGE_SIZE

WHEN = datetime.combine(today_london() - timedelta(days=5), datetime.min.time(), UTC).replace(hour=12)


def _fill(world, n_amy: int = 3) -> None:
    """n_amy views of Zoë's record by amy, one reassignment by lena, one failed sign-in."""
    with world.db.read() as s:
        zoe = s.scalar(select(Patient.id).where(Patient.nhs_number == "9990000018"))
    amy, lena = world.actor("amy").user_id, world.actor("lena").user_id
    rows = [audit.event_row(WHEN, amy, "view_record", "referral", i, zoe, {"i": i}) for i in range(n_amy)]
    rows += [
        audit.event_row(WHEN, lena, "reassign", "referral", 99, None, None),
        audit.event_row(WHEN, None, "sign_in_failed", "user", None, None, {"username": "nobody"}),
    ]
    with world.db.write() as s:
        s.execute(insert(AuditEvent), rows)


def _viewer(qtbot, ctx) -> AuditViewer:
    viewer = AuditViewer(ctx)
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitExposed(viewer)
    qtbot.waitUntil(lambda: ctx.tasks.pending == 0, timeout=WAIT)  # the action list is read
    return viewer


def _search(qtbot, viewer: AuditViewer) -> None:
    with qtbot.waitSignal(viewer.searched, timeout=WAIT):
        qtbot.keyClick(viewer.user_edit, Qt.Key.Key_Return)


def test_a_search_by_user_fills_the_table_and_says_how_many(qtbot, world, make_ctx) -> None:
    _fill(world)
    viewer = _viewer(qtbot, make_ctx("root"))
    offered = [viewer.action_combo.itemText(i) for i in range(viewer.action_combo.count())]
    # PostgreSQL's own triggers add their actions (db_insert, ...) as the world is made.
    assert [a for a in offered if a not in ROW_CHANGE_ACTIONS] == [
        "",
        "reassign",
        "sign_in_failed",
        "view_record",
    ]
    qtbot.keyClicks(viewer.user_edit, "amy")
    _search(qtbot, viewer)
    model = viewer.model
    assert model.rowCount() == 3
    assert [model.index(r, Column.RECORD).data() for r in range(3)] == [
        "referral 2",
        "referral 1",
        "referral 0",
    ]
    assert model.index(0, Column.USER).data() == "amy"
    assert model.index(0, Column.NHS).data() == "999 000 0018"
    assert model.index(0, Column.DETAIL).data() == "i: 2"
    assert viewer.announcer.text() == "3 events found."
    with world.db.read() as s:  # Return searched once, and that search is in the trail
        searches = list(s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "audit_search")))
    assert searches == [{"filters": {"user": "amy"}}]
    assert not viewer.older_button.isEnabled()
    # By action from the list, everyone's: the failed sign-in has nobody signed in.
    viewer.user_edit.clear()
    viewer.action_combo.setCurrentText("sign_in_failed")
    _search(qtbot, viewer)
    assert model.rowCount() == 1
    assert model.index(0, Column.USER).data() == "(nobody signed in)"
    assert viewer.announcer.text() == "1 event found."


def test_pages_follow_at_the_end_of_the_table(qtbot, world, make_ctx) -> None:
    _fill(world, n_amy=PAGE_SIZE + 30)
    viewer = _viewer(qtbot, make_ctx("root"))
    viewer.user_edit.setText("amy")
    _search(qtbot, viewer)
    assert viewer.model.rowCount() == PAGE_SIZE
    assert viewer.announcer.text() == (
        f"{PAGE_SIZE + 30} events found; the newest {PAGE_SIZE} shown. "
        "Older ones follow at the end of the table (Show older)."
    )
    assert viewer.older_button.isEnabled() and viewer.model.canFetchMore()
    viewer.table.setFocus()
    qtbot.keyClick(viewer.table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: viewer.model.rowCount() == PAGE_SIZE + 30, timeout=WAIT)
    records = [viewer.model.index(r, Column.RECORD).data() for r in range(viewer.model.rowCount())]
    assert records == [f"referral {i}" for i in range(PAGE_SIZE + 29, -1, -1)]
    assert viewer.announcer.text() == f"{PAGE_SIZE + 30} of {PAGE_SIZE + 30} events shown."
    assert not viewer.older_button.isEnabled() and not viewer.model.canFetchMore()


def test_a_wrong_date_or_nhs_number_is_said_at_its_field(qtbot, world, make_ctx) -> None:
    viewer = _viewer(qtbot, make_ctx("root"))
    viewer.from_edit.setText("31/02/2026")
    viewer.search()
    assert viewer.announcer.text() == "Date from: 31/02/2026 is not a date on the calendar."
    assert QApplication.focusWidget() is viewer.from_edit
    viewer.from_edit.clear()
    viewer.nhs_edit.setText("999 000 0019")
    viewer.user_edit.setFocus()
    qtbot.keyClick(viewer.user_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: viewer.announcer.text().startswith("NHS number: "), timeout=WAIT)
    assert QApplication.focusWidget() is viewer.nhs_edit
    viewer.nhs_edit.clear()
    viewer.user_edit.setText("nobody")
    viewer.search()
    qtbot.waitUntil(lambda: viewer.announcer.text().startswith("User: "), timeout=WAIT)
    assert QApplication.focusWidget() is viewer.user_edit


def test_export_writes_what_the_filters_match(qtbot, world, make_ctx, tmp_path: Path) -> None:
    _fill(world)
    viewer = _viewer(qtbot, make_ctx("root"))
    path = tmp_path / "trail.csv"
    viewer.choose_export_path = lambda: path
    viewer.action_combo.setCurrentText("view_record")
    with qtbot.waitSignal(viewer.exported, timeout=WAIT) as written:
        qtbot.keyClick(viewer.export_button, Qt.Key.Key_Space)
    assert written.args == [3]
    assert viewer.announcer.text() == "Exported 3 events to trail.csv (readable by you only)."
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert [r[3] for r in rows[1:]] == ["view_record"] * 3
    with world.db.read() as s:
        exports = list(s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "audit_export")))
    assert exports == [{"filters": {"action": "view_record"}}]


def test_an_advisor_gets_no_trail(qtbot, world, make_ctx) -> None:
    _fill(world)
    ctx = make_ctx("amy")
    viewer = _viewer(qtbot, ctx)
    assert viewer.announcer.text() == "The audit trail is for admins; you are not signed in as one."
    assert not viewer.search_button.isEnabled() and not viewer.export_button.isEnabled()
    viewer.search()
    assert ctx.tasks.pending == 0 and viewer.model.rowCount() == 0


def test_keyboard_reaches_every_control_in_order_and_every_control_is_named(
    qtbot, world_sqlite, make_desk
) -> None:
    _fill(world_sqlite)
    viewer = _viewer(qtbot, make_desk(world_sqlite, "root"))
    _search(qtbot, viewer)
    assert problems(viewer) == []
    viewer.user_edit.setFocus()
    reached = [QApplication.focusWidget()]
    for _ in range(20):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if QApplication.focusWidget() is viewer.user_edit:
            break
        reached.append(QApplication.focusWidget())
    expected = [
        viewer.user_edit,
        viewer.nhs_edit,
        viewer.from_edit,
        viewer.to_edit,
        viewer.action_combo,  # its line edit takes the keys typed
        viewer.search_button,
        viewer.clear_button,
        viewer.export_button,  # "Show older" is disabled: every event is on show
        viewer.table,
        viewer.close_button,
    ]
    assert reached == expected
    assert set(tab_stops(viewer)) <= set(expected)
    # Alt+letter reaches each filter through its label.
    qtbot.keyClick(viewer, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is viewer.nhs_edit


def test_fits_1366x768_without_sideways_scrolling(qtbot, world_sqlite, make_desk, desk_style) -> None:
    _fill(world_sqlite, n_amy=40)
    viewer = _viewer(qtbot, make_desk(world_sqlite, "root"))
    assert viewer.minimumSizeHint().width() <= 1366
    viewer.resize(1366 - 10, 768 - 70)  # less a window frame, a title bar and a task bar
    _search(qtbot, viewer)
    qtbot.waitUntil(lambda: viewer.table.horizontalHeader().count() == len(Column), timeout=WAIT)
    QApplication.processEvents()
    assert viewer.width() <= 1366
    for area in viewer.findChildren(QAbstractScrollArea):
        if area.isVisible():
            assert not area.horizontalScrollBar().isVisible(), area.accessibleName()
    table: QTableView = viewer.table
    header = table.horizontalHeader()
    used = sum(header.sectionSize(i) for i in range(header.count()) if not header.isSectionHidden(i))
    assert used <= table.viewport().width()


def test_the_model_passes_qtmodeltester(qtmodeltester, qtbot, world_sqlite, make_desk) -> None:
    _fill(world_sqlite)
    viewer = _viewer(qtbot, make_desk(world_sqlite, "root"))
    _search(qtbot, viewer)
    model: AuditModel = viewer.model
    assert model.rowCount() == 5
    qtmodeltester.check(model, force_py=True)


def test_the_admin_menu_is_an_admins_and_opens_the_audit_trail(qtbot, world_sqlite, make_desk) -> None:
    from desk_window import open_window
    from PySide6.QtWidgets import QMenu

    advisor = open_window(qtbot, make_desk(world_sqlite, "amy"))
    assert advisor.findChild(QMenu, "menuAdmin") is None
    window = open_window(qtbot, make_desk(world_sqlite, "root"))
    menu = window.findChild(QMenu, "menuAdmin")
    assert menu is not None and menu.title() == "&Admin"
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("&Admin") == titles.index("&Help") - 1
    audit_entry = next(a for a in menu.actions() if a.text() == "&Audit trail...")
    audit_entry.trigger()
    viewer = window.findChild(AuditViewer)
    assert viewer is not None and viewer.isVisible() and viewer.isWindow()
    audit_entry.trigger()  # the same window, raised again
    assert window.findChildren(AuditViewer) == [viewer]
    qtbot.waitUntil(lambda: window.ctx.tasks.pending == 0, timeout=WAIT)
    with world_sqlite.db.read() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    _search(qtbot, viewer)
    assert viewer.model.rowCount() == before
