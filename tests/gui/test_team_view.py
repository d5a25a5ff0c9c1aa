"""The team-lead view against a real database: refusal for advisors, workload, bulk reassignment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from sqlalchemy import select

from cras_desk.db.models import Assignment, Patient, Referral, User
from cras_desk.domain import rtt
from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import Priority, ReferralStatus
from cras_desk.domain.errors import PermissionDenied
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.team.models import AdvisorReferralsModel, LoadColumn, WorkloadModel
from cras_desk.gui.team.view import SHORTCUTS, TeamLeadView
from cras_desk.services.worklist import Scope, WorklistFilter

WAIT = 10_000
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def give_amy_more_work(world, n: int) -> list[int]:
    """n more open routine referrals for Amy (the Smith patient's, physiotherapy)."""
    amy = world.actor("amy")
    ids = []
    with world.db.write() as s:
        patient_id = s.scalar(select(Patient.id).where(Patient.family_name == "Smith"))
        for i in range(n):
            received = today_london() - timedelta(days=20 + i)
            referral = Referral(
                patient_id=patient_id,
                service_id=world.services["physio"],
                received_on=received,
                priority=Priority.ROUTINE,
                priority_rank=Priority.ROUTINE.rank,
                breach_on=rtt.breach_date(received, Priority.ROUTINE),
                status=ReferralStatus.AWAITING_CONTACT,
                is_open=True,
                team_id=amy.team_id,
                assigned_to=amy.user_id,
            )
            s.add(referral)
            s.flush()
            ids.append(referral.id)
    return ids


def open_view(qtbot, ctx: DeskContext) -> TeamLeadView:
    view = TeamLeadView(ctx)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    return view


def loaded(qtbot, view: TeamLeadView, advisor: str) -> None:
    """Wait for the workload, choose the advisor, wait for their referrals."""
    qtbot.waitUntil(lambda: view.workload_model.rowCount() > 0, timeout=WAIT)
    row = next(
        i for i in range(view.workload_model.rowCount()) if view.workload_model.load(i).name == advisor
    )
    view.choose_advisor(view.workload_model.load(row).user_id)
    qtbot.waitUntil(
        lambda: ":" in view.referrals_label.text() and "loading" not in view.referrals_label.text(),
        timeout=WAIT,
    )


def owners(world, ids: list[int]) -> list[str | None]:
    with world.db.read() as s:
        rows = dict(
            s.execute(
                select(Referral.id, User.username)
                .outerjoin(User, User.id == Referral.assigned_to)
                .where(Referral.id.in_(ids))
            ).all()
        )
    return [rows[i] for i in ids]


def load_of(view: TeamLeadView, name: str) -> tuple[int, int, int, int]:
    m = view.workload_model
    for i in range(m.rowCount()):
        r = m.load(i)
        if r.name == name:
            return r.open, r.due_today, r.breaching_2w, r.claimed_now
    raise AssertionError(name)


def test_an_advisor_is_refused_by_the_view_and_by_the_service(qtbot, world, make_ctx) -> None:
    ctx = make_ctx("amy")
    view = TeamLeadView(ctx)
    qtbot.addWidget(view)
    assert "for team leads" in view.refusal_label.text()  # before any database work
    view.show()
    # The service's own refusal replaces it once the first refresh comes back.
    qtbot.waitUntil(
        lambda: view.refusal_text() == "Only a team lead may see the team's workload.", timeout=WAIT
    )
    assert not view.content.isVisible()
    assert view.workload_model.rowCount() == 0
    assert not view.move_selected_button.isEnabled() and not view.move_all_button.isEnabled()
    qtbot.keyClick(view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # keys do nothing
    assert not view.confirm.isVisible()

    amy = world.actor("amy")
    with pytest.raises(PermissionDenied):
        ctx.services.assignment.workload(amy)
    with pytest.raises(PermissionDenied):
        ctx.services.assignment.reassign(amy, [world.referrals["Nowak"]], amy.user_id)
    with pytest.raises(PermissionDenied):
        ctx.services.assignment.reassign_all(amy, world.actor("ben").user_id, [amy.user_id], "")


def test_lead_sees_workload_per_advisor(qtbot, world, make_ctx) -> None:
    view = open_view(qtbot, make_ctx("lena"))
    loaded(qtbot, view, "Amy Advisor")
    m = view.workload_model
    assert [m.load(i).name for i in range(m.rowCount())] == [
        "Unassigned",
        "Amy Advisor",
        "Ben Advisor",
        "Lena Lead",
    ]
    # Amy's urgent referral breaches within 2 weeks; Nowak (routine, 100 days) in the pool too.
    assert load_of(view, "Amy Advisor") == (1, 0, 1, 0)
    assert load_of(view, "Unassigned")[0] == 1
    assert load_of(view, "Ben Advisor")[0] == 1
    assert m.data(m.index(1, LoadColumn.BREACHING)) == "1"
    assert view.referrals_model.rowCount() == 1
    assert view.referrals_model.referral(0).referral_id == world.referrals["Ó Súilleabháin"]
    assert view.referrals_label.text() == "Open referrals of Amy Advisor: 1"

    view.choose_advisor(0)  # the unassigned pool
    qtbot.waitUntil(lambda: view.referrals_model.referral_ids() == [world.referrals["Nowak"]], timeout=WAIT)
    assert not view.move_all_button.isEnabled()  # the pool is not an absent advisor


def test_bulk_reassign_of_selected_referrals(qtbot, world, make_ctx) -> None:
    extra = give_amy_more_work(world, 2)
    ctx = make_ctx("lena")
    view = open_view(qtbot, ctx)
    loaded(qtbot, view, "Amy Advisor")
    assert view.referrals_model.rowCount() == 3
    ids = view.referrals_model.referral_ids()
    assert ids[0] == world.referrals["Ó Súilleabháin"]  # the urgent one first
    # Keyboard: first row, then Shift+Down adds the second.
    view.referrals_table.setFocus()
    view.referrals_table.selectionModel().setCurrentIndex(
        view.referrals_model.index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    qtbot.keyClick(view.referrals_table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_referral_ids() == ids[:2]
    view.target_combo.setCurrentIndex(view.target_combo.findText("Ben Advisor"))
    view.reason_edit.setText("Amy on leave")

    qtbot.keyClick(view.referrals_table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert view.confirm.question() == "Give 2 referrals of Amy Advisor to Ben Advisor?"
    with qtbot.waitSignal(view.reassigned, timeout=WAIT) as moved:
        qtbot.keyClick(view.confirm.yes_button, Qt.Key.Key_Return)
    assert moved.args == [2]
    assert owners(world, ids) == ["ben", "ben", "amy"]
    with world.db.read() as s:
        history = s.execute(
            select(Assignment.referral_id, Assignment.reason).where(Assignment.referral_id.in_(ids))
        ).all()
    assert sorted(history) == sorted([(ids[0], "Amy on leave"), (ids[1], "Amy on leave")])
    assert "Moved 2 referrals." in view.banner.text()
    qtbot.waitUntil(lambda: load_of(view, "Amy Advisor")[0] == 1, timeout=WAIT)
    assert load_of(view, "Ben Advisor")[0] == 3
    assert set(ids[1:]) == set(extra)


def test_reassign_all_of_an_absent_advisor_spread_across_the_team(qtbot, world, make_ctx) -> None:
    give_amy_more_work(world, 2)
    view = open_view(qtbot, make_ctx("lena"))
    loaded(qtbot, view, "Amy Advisor")
    view.spread_check.setChecked(True)
    view.reason_edit.setText("Sick leave")
    qtbot.keyClick(view.workload_table, Qt.Key.Key_E, CTRL_SHIFT)
    assert view.confirm.question() == (
        "Move all 3 open referrals of Amy Advisor spread evenly across 2 team members?"
    )
    with qtbot.waitSignal(view.reassigned, timeout=WAIT) as moved:
        qtbot.keyClick(view.confirm.yes_button, Qt.Key.Key_Return)
    assert moved.args == [3]
    qtbot.waitUntil(lambda: load_of(view, "Amy Advisor")[0] == 0, timeout=WAIT)
    # Round robin, most urgent first: Ben gets the 1st and 3rd, Lena the 2nd.
    assert load_of(view, "Ben Advisor")[0] == 1 + 2
    assert load_of(view, "Lena Lead")[0] == 1


def test_reassign_all_to_one_advisor_and_escape_cancels(qtbot, world, make_ctx) -> None:
    view = open_view(qtbot, make_ctx("lena"))
    loaded(qtbot, view, "Amy Advisor")
    view.target_combo.setCurrentIndex(view.target_combo.findText("Lena Lead"))
    qtbot.keyClick(view.workload_table, Qt.Key.Key_E, CTRL_SHIFT)
    qtbot.keyClick(view.confirm.yes_button, Qt.Key.Key_Escape)
    assert owners(world, [world.referrals["Ó Súilleabháin"]]) == ["amy"]
    qtbot.keyClick(view.workload_table, Qt.Key.Key_E, CTRL_SHIFT)
    with qtbot.waitSignal(view.reassigned, timeout=WAIT):
        qtbot.keyClick(view.confirm.yes_button, Qt.Key.Key_Return)
    assert owners(world, [world.referrals["Ó Súilleabháin"]]) == ["lena"]


def test_refresh_with_f5_shows_changes_from_elsewhere(qtbot, world, make_ctx) -> None:
    ctx = make_ctx("lena")
    view = open_view(qtbot, ctx)
    loaded(qtbot, view, "Amy Advisor")
    ctx.services.assignment.reassign(
        world.actor("lena"), [world.referrals["Nowak"]], world.actor("amy").user_id
    )
    qtbot.keyClick(view.workload_table, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: load_of(view, "Amy Advisor")[0] == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: view.referrals_model.rowCount() == 2, timeout=WAIT)  # still on Amy


def test_workload_model_passes_qtmodeltester(qtmodeltester, world, make_ctx) -> None:
    ctx = make_ctx("lena")
    model = WorkloadModel()
    model.set_loads(ctx.services.assignment.workload(world.actor("lena")))
    assert model.rowCount() == 4
    qtmodeltester.check(model, force_py=True)
    model.set_loads([])


def test_referrals_model_passes_qtmodeltester(qtmodeltester, world, make_ctx) -> None:
    ctx = make_ctx("lena")
    rows = ctx.services.worklist.page(world.actor("lena"), WorklistFilter(scope=Scope.TEAM))
    model = AdvisorReferralsModel()
    model.set_rows(rows)
    assert model.rowCount() == 3
    assert model.data(model.index(0, 1)) == "999 000 0018"
    qtmodeltester.check(model, force_py=True)
    model.set_rows([])


def test_accessible_names_and_shortcuts(qtbot, world, make_ctx) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QTableView

    view = TeamLeadView(make_ctx("lena"))
    qtbot.addWidget(view)
    controls: list = []
    for kind in (QAbstractButton, QComboBox, QTableView):
        controls += view.findChildren(kind)
    controls += [e for e in view.findChildren(QLineEdit) if not isinstance(e.parent(), QComboBox)]
    assert [type(c).__name__ for c in controls if not c.accessibleName()] == []
    assert ("F5", "Refresh the team's workload") in SHORTCUTS


def test_a_refused_move_is_an_error_on_the_move_not_a_refusal_of_the_view(qtbot, world, make_ctx) -> None:
    ctx = make_ctx("lena")
    view = open_view(qtbot, ctx)
    loaded(qtbot, view, "Amy Advisor")
    rid = world.referrals["Ó Súilleabháin"]
    # Meanwhile an admin moves the referral to Cara, in the West team.
    ctx.services.assignment.reassign(world.actor("root"), [rid], world.actor("cara").user_id)
    view.referrals_table.selectAll()
    view.target_combo.setCurrentIndex(view.target_combo.findText("Ben Advisor"))
    qtbot.keyClick(view.referrals_table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view.confirm.yes_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.banner.level == "error", timeout=WAIT)
    assert "another team" in view.banner.text()
    assert view.content.isVisible() and view.refusal_text() == ""
    assert owners(world, [rid]) == ["cara"]
    qtbot.waitUntil(lambda: load_of(view, "Amy Advisor")[0] == 0, timeout=WAIT)  # refreshed
