"""The main window composed of the real feature widgets, on a real database."""

from __future__ import annotations

import shutil

from desk_helpers import WAIT, drain
from desk_window import activate, open_window, poll_now
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from sqlalchemy import select

from cras_desk.db.models import Referral, User
from cras_desk.gui import shortcuts
from cras_desk.gui.flow_panel import BookingFlowPanel, ChoiceFlowPanel, FlowPanel
from cras_desk.gui.worklist.model import COLUMN_INDEX
from cras_desk.services.worklist import Scope


def claimed_by(world, referral_id: int) -> str | None:
    with world.db.read() as s:
        return s.scalar(
            select(User.username)
            .join(Referral, Referral.claimed_by == User.id)
            .where(Referral.id == referral_id)
        )


def cell(window, referral_id: int, key: str) -> str:
    model = window.worklist.model
    row = model.row_of(referral_id)
    assert row is not None, "referral not in the worklist"
    return model.index(row, COLUMN_INDEX[key]).data()


def test_status_bar_shows_user_role_team_and_connection(qtbot, world, make_desk) -> None:
    ctx = make_desk(world, "amy")
    window = open_window(qtbot, ctx)
    poll_now(qtbot, window)
    assert window.status.user_label.text() == "Amy Advisor (amy)"
    assert window.status.role_label.text() == "Patient care advisor"
    assert window.status.team_label.text().startswith("Team: ")
    assert window.status.db_label.text() == "Database connected"
    assert window.status.db_label.property("state") == "connected"
    assert window.worklist.model.rowCount() == 1  # amy's own work


def test_next_patient_claims_opens_the_record_and_others_see_the_claim(qtbot, world, make_desk) -> None:
    amy = open_window(qtbot, make_desk(world, "amy"))
    ben = open_window(qtbot, make_desk(world, "ben"))
    with qtbot.waitSignal(ben.worklist.model.query_loaded, timeout=WAIT):
        ben.worklist.set_scope(Scope.TEAM)
    rid = world.referrals["Ó Súilleabháin"]
    assert cell(ben, rid, "claimed") == ""

    activate(qtbot, amy)
    with qtbot.waitSignal(amy.patient.loaded, timeout=WAIT):
        qtbot.keyClick(amy, Qt.Key.Key_F2)
    drain(qtbot, amy.ctx)
    assert amy.patient.record is not None and amy.patient.record.referral_id == rid
    assert amy.current_referral == rid and amy.claims.referral_id == rid
    assert claimed_by(world, rid) == "amy"  # in the database, not only on amy's screen
    assert amy.ui.flowTabs.isVisible()
    assert amy.patient.name.text() == "Ms Zoë Ó SÚILLEABHÁIN"
    assert cell(amy, rid, "claimed") == "You"

    poll_now(qtbot, ben)  # the change feed tells ben's desk
    drain(qtbot, ben.ctx)
    assert cell(ben, rid, "claimed") == "Amy Advisor"

    # Ben cannot take it while amy holds it.
    ben.worklist.select_referral(rid)
    ben.work_selected()
    drain(qtbot, ben.ctx)
    assert "being worked by Amy Advisor" in ben.announcer.text()
    assert claimed_by(world, rid) == "amy"

    # Amy releases it; ben's desk sees it free again.
    amy.claims.release()
    drain(qtbot, amy.ctx)
    assert claimed_by(world, rid) is None
    poll_now(qtbot, ben)
    drain(qtbot, ben.ctx)
    assert cell(ben, rid, "claimed") == ""


def test_advisors_have_no_team_screen_and_leads_do(qtbot, world, make_desk) -> None:
    amy = open_window(qtbot, make_desk(world, "amy"))
    tabs = [amy.ui.screens.tabText(i) for i in range(amy.ui.screens.count())]
    assert tabs == ["Desk", "Letters"]
    assert "view.team" not in amy.actions_by_id
    assert amy.worklist.scope.findData(Scope.ALL) == -1

    lena = open_window(qtbot, make_desk(world, "lena"))
    tabs = [lena.ui.screens.tabText(i) for i in range(lena.ui.screens.count())]
    assert tabs == ["Desk", "Team", "Dashboard", "Letters"]
    assert lena.team is not None and lena.team.ready is None  # built when first opened, not before
    qtbot.keyClick(lena, Qt.Key.Key_F9)
    assert lena.ui.screens.currentWidget() is lena.team
    assert lena.team.ready is not None


def test_letters_screen_is_built_only_when_opened(qtbot, world, make_desk) -> None:
    amy = open_window(qtbot, make_desk(world, "amy"))
    assert amy.letters.ready is None
    qtbot.keyClick(amy, Qt.Key.Key_F10)
    assert amy.ui.screens.currentWidget() is amy.letters
    assert amy.letters.ready is not None
    qtbot.keyClick(amy, Qt.Key.Key_F12)
    assert amy.ui.screens.currentWidget() is amy.ui.deskTab


def test_each_call_flow_panel_provides_the_main_windows_protocol(qtbot, world_sqlite, make_desk) -> None:
    amy = open_window(qtbot, make_desk(world_sqlite, "amy"))
    built = {key: slot.widget() for key, slot in amy.flow.items()}
    assert set(built) == {"outcome", "choice", "booking"}
    assert all(isinstance(panel, FlowPanel) for panel in built.values())
    assert isinstance(built["choice"], ChoiceFlowPanel)
    assert isinstance(built["booking"], BookingFlowPanel)
    assert amy.panels == built  # the window holds each one it built, and only through these


def test_phone_and_nhs_number_copy_with_a_key(qtbot, world, make_desk) -> None:
    amy = open_window(qtbot, make_desk(world, "amy"))
    with qtbot.waitSignal(amy.patient.loaded, timeout=WAIT):
        amy.open_referral(world.referrals["Ó Súilleabháin"])
    qtbot.keyClick(amy, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().text() == "07700 900120"
    qtbot.keyClick(amy, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().text() == "9990000018"


def test_adjustments_are_shown_prominently(qtbot, world, make_desk) -> None:
    amy = open_window(qtbot, make_desk(world, "amy"))
    with qtbot.waitSignal(amy.patient.loaded, timeout=WAIT):
        amy.open_referral(world.referrals["Nowak"])
    chips = [w.text() for w in amy.patient.alerts.findChildren(type(amy.patient.name)) if w.isVisible()]
    assert chips == ["Needs step-free access", "Large print letters"]
    assert amy.patient.history.topLevelItemCount() >= 1
    assert amy.patient.history.topLevelItem(0).text(1).startswith("Referral received")


def test_a_dropped_database_shows_in_the_status_bar_and_recovers(qtbot, world_sqlite, make_desk) -> None:
    ctx = make_desk(world_sqlite, "amy")
    amy = open_window(qtbot, ctx)
    poll_now(qtbot, amy)
    assert amy.status.db_label.text() == "Database connected"
    qtbot.keyClicks(amy.worklist.search, "typed while the database is away")

    path = str(world_sqlite.db.url.database)
    drain(qtbot, ctx)
    world_sqlite.db.dispose()  # checkpointed and closed: the next connection finds no database file
    shutil.move(path, path + ".away")
    poll_now(qtbot, amy)
    assert amy.status.db_label.property("state") == "disconnected"
    assert "unreachable" in amy.status.db_label.text()
    assert amy.worklist.search.text() == "typed while the database is away"

    world_sqlite.db.dispose()
    shutil.move(path + ".away", path)
    poll_now(qtbot, amy)
    assert amy.status.db_label.text() == "Database connected"


def test_every_declared_shortcut_is_unique_and_listed(qtbot, world_sqlite, make_desk) -> None:
    assert shortcuts.duplicates() == []
    amy = open_window(qtbot, make_desk(world_sqlite, "amy"))
    dialog = shortcuts.ShortcutsDialog(amy)
    qtbot.addWidget(dialog)
    listed = {dialog.table.item(r, 2).text() for r in range(dialog.table.rowCount())}
    for act in amy.actions_by_id.values():
        assert act.text() in listed
        assert not act.shortcut().isEmpty()
    groups = {dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())}
    assert {"Call outcome panel", "Choice script panel", "Booking panel"} <= groups
