"""The team-lead view follows the team's work live: a claim or a move made at another desk shows
without a key pressed, in place (the advisor chosen, the referrals selected and the focus stay),
and a change that moves no workload reads nothing."""

from __future__ import annotations

from desk_helpers import WAIT, drain
from live_helpers import change_watch, count_calls, note_elsewhere, other_desk, seen_by
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from cras_desk.db import change_feed
from cras_desk.db.models import Patient, Referral
from cras_desk.domain import rtt
from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import Priority, ReferralStatus
from cras_desk.gui.team.view import TeamLeadView

LEAD = "lena"


def more_work_for_amy(world, n: int) -> list[int]:
    amy = world.actor("amy")
    ids = []
    with world.db.write() as s:
        patient_id = s.scalar(select(Patient.id).where(Patient.family_name == "Smith"))
        for _ in range(n):
            received = today_london()
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


def open_on_amy(qtbot, ctx) -> TeamLeadView:
    view = TeamLeadView(ctx)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    qtbot.waitUntil(lambda: view.workload_model.rowCount() > 0, timeout=WAIT)
    return view


def load_of(view: TeamLeadView, name: str):
    row = next(i for i in range(view.workload_model.rowCount()) if view.workload_model.load(i).name == name)
    return view.workload_model.load(row)


def choose(qtbot, view: TeamLeadView, user_id: int) -> None:
    assert view.choose_advisor(user_id)
    qtbot.waitUntil(
        lambda: ":" in view.referrals_label.text() and "loading" not in view.referrals_label.text(),
        timeout=WAIT,
    )


def select_rows(view: TeamLeadView, rows: list[int]) -> None:
    sel = view.referrals_table.selectionModel()
    sel.clearSelection()
    for r in rows:
        sel.select(
            view.referrals_model.index(r, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def test_a_claim_at_another_desk_shows_in_the_workload_unasked(qtbot, world, make_desk) -> None:
    more_work_for_amy(world, 3)
    ctx = make_desk(world, LEAD)
    amy, ben = world.actor("amy"), world.actor("ben")
    view = open_on_amy(qtbot, ctx)
    choose(qtbot, view, amy.user_id)
    select_rows(view, [1, 2])
    chosen_ids = view.selected_referral_ids()
    view.referrals_table.setFocus()
    focused = QApplication.focusWidget()
    assert load_of(view, "Ben Advisor").claimed_now == 0
    with change_watch(qtbot, ctx) as live:
        view.follow(live.changes_seen)
        with other_desk(world) as desk_b:
            desk_b.claims.claim(ben, world.referrals["Smith"])
        qtbot.waitUntil(lambda: load_of(view, "Ben Advisor").claimed_now == 1, timeout=WAIT)
        drain(qtbot, ctx)
    # In place: Amy still chosen, the same referrals selected, focus where it was, nothing said.
    assert view.chosen_advisor().user_id == amy.user_id
    assert view.selected_referral_ids() == chosen_ids
    assert QApplication.focusWidget() is focused
    assert view.banner.text() == ""


def test_a_selected_referral_moved_away_elsewhere_is_said(qtbot, world, make_desk) -> None:
    extra = more_work_for_amy(world, 2)
    ctx = make_desk(world, LEAD)
    amy, ben = world.actor("amy"), world.actor("ben")
    view = open_on_amy(qtbot, ctx)
    choose(qtbot, view, amy.user_id)
    row = view.referrals_model.referral_ids().index(extra[0])
    select_rows(view, [row])
    before_open = load_of(view, "Amy Advisor").open
    with change_watch(qtbot, ctx) as live:
        view.follow(live.changes_seen)
        with other_desk(world) as desk_b:  # the admin, at another desk, gives it to Ben
            desk_b.assignment.reassign(world.actor("root"), [extra[0]], ben.user_id, "cover")
        qtbot.waitUntil(lambda: extra[0] not in view.referrals_model.referral_ids(), timeout=WAIT)
        drain(qtbot, ctx)
    assert load_of(view, "Amy Advisor").open == before_open - 1
    assert view.chosen_advisor().user_id == amy.user_id
    assert view.banner.text() == (
        f"A referral you selected was just moved off this list at desk {change_feed.DESK} by Ada Admin."
    )


def test_a_burst_of_changes_is_one_refresh_and_unrelated_ones_none(
    qtbot, world, make_desk, monkeypatch
) -> None:
    ids = more_work_for_amy(world, 4)
    ctx = make_desk(world, LEAD)
    amy, ben = world.actor("amy"), world.actor("ben")
    view = open_on_amy(qtbot, ctx)
    choose(qtbot, view, amy.user_id)
    drain(qtbot, ctx)
    reads = count_calls(monkeypatch, ctx.services.assignment, "workload")
    with change_watch(qtbot, ctx) as live, other_desk(world) as desk_b:
        view.follow(live.changes_seen)
        # A note moves nobody's workload: read by the change watch, not by the team view.
        unrelated = seen_by(qtbot, live, ctx, "referral_note")
        note_elsewhere(desk_b, ids[0], ben.user_id)
        unrelated()
        assert reads == []
        # Four referrals moved in one bulk move: one refresh.
        desk_b.assignment.reassign(world.actor("root"), ids, ben.user_id, "leave")
        qtbot.waitUntil(lambda: load_of(view, "Ben Advisor").open >= 5, timeout=WAIT)
        drain(qtbot, ctx)
    assert len(reads) == 1
