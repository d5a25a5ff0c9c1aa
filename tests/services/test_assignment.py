"""AssignmentService: the team lead's workload view and bulk reassignment."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update

from cras_desk.db.models import Assignment, AuditEvent, Change, Referral, Team, User
from cras_desk.domain import rtt
from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import Priority, ReferralStatus, Role
from cras_desk.domain.errors import NotFound, PermissionDenied, ValidationError
from cras_desk.services.assignment import UNASSIGNED_ID, AdvisorLoad, AssignmentService
from cras_desk.services.claims import ClaimService

LONDON = ZoneInfo("Europe/London")


def team_id(world, name: str) -> int:
    with world.db.read() as s:
        return s.scalar(select(Team.id).where(Team.name == name))


def add_referrals(
    world, n: int, *, assignee: str | None, team: str = "East", priorities: list[Priority] | None = None
) -> list[int]:
    """n more open referrals (all for Nowak's patient: only the referral rows matter here)."""
    today = today_london()
    with world.db.write() as s:
        template = s.get_one(Referral, world.referrals["Nowak"])
        tid = team_id(world, team)
        rows = []
        for i in range(n):
            prio = priorities[i % len(priorities)] if priorities else Priority.ROUTINE
            received = today - timedelta(days=i % 90)
            rows.append(
                {
                    "patient_id": template.patient_id,
                    "service_id": template.service_id,
                    "received_on": received,
                    "priority": prio,
                    "priority_rank": prio.rank,
                    "breach_on": rtt.breach_date(received, prio),
                    "status": ReferralStatus.AWAITING_CONTACT,
                    "is_open": True,
                    "team_id": tid,
                    "assigned_to": world.actor(assignee).user_id if assignee else None,
                }
            )
        return list(s.scalars(insert(Referral).returning(Referral.id), rows))


def assigned(world, ids) -> dict[int, int | None]:
    with world.db.read() as s:
        return dict(
            s.execute(select(Referral.id, Referral.assigned_to).where(Referral.id.in_(list(ids)))).all()
        )


def history(world) -> list[tuple[int, int | None, int | None, int, str | None]]:
    with world.db.read() as s:
        return [
            tuple(r)
            for r in s.execute(
                select(
                    Assignment.referral_id,
                    Assignment.from_user_id,
                    Assignment.to_user_id,
                    Assignment.by_user_id,
                    Assignment.reason,
                ).order_by(Assignment.id)
            )
        ]


def by_user(loads: list[AdvisorLoad]) -> dict[int, AdvisorLoad]:
    return {row.user_id: row for row in loads}


# -- workload ------------------------------------------------------------------------------------


def test_workload_counts_the_world_for_the_east_lead(world) -> None:
    svc = AssignmentService(world.db)
    lena = world.actor("lena")
    east = team_id(world, "East")
    ids = {u: world.actor(u).user_id for u in ("amy", "ben", "lena")}

    loads = svc.workload(lena)

    assert [r.name for r in loads] == ["Unassigned", "Amy Advisor", "Ben Advisor", "Lena Lead"]
    assert loads[0] == AdvisorLoad(UNASSIGNED_ID, "Unassigned", east, 1, 0, 0, 0)  # Nowak
    rows = by_user(loads)
    # Ó Súilleabháin is urgent, received 5 days ago: breaches in 9 days.
    assert rows[ids["amy"]] == AdvisorLoad(ids["amy"], "Amy Advisor", east, 1, 0, 1, 0)
    assert rows[ids["ben"]] == AdvisorLoad(ids["ben"], "Ben Advisor", east, 1, 0, 0, 0)
    assert rows[ids["lena"]] == AdvisorLoad(ids["lena"], "Lena Lead", east, 0, 0, 0, 0)
    assert world.actor("cara").user_id not in rows  # West


def test_workload_due_today_claimed_now_and_closed_work(world) -> None:
    svc = AssignmentService(world.db)
    today = today_london()
    late_tonight = datetime.combine(today, clock_time(23, 30), LONDON).astimezone(UTC)
    tomorrow = datetime.combine(today + timedelta(days=1), clock_time(0, 30), LONDON).astimezone(UTC)
    extra = add_referrals(world, 3, assignee="ben")
    with world.db.write() as s:
        s.execute(
            update(Referral).where(Referral.id == world.referrals["Smith"]).values(next_action_at=utcnow())
        )
        s.execute(update(Referral).where(Referral.id == extra[0]).values(next_action_at=late_tonight))
        s.execute(update(Referral).where(Referral.id == extra[1]).values(next_action_at=tomorrow))
        s.execute(
            update(Referral)
            .where(Referral.id == extra[2])
            .values(is_open=False, status=ReferralStatus.DISCHARGED, next_action_at=utcnow())
        )
        # An expired claim is not a claim.
        s.execute(
            update(Referral)
            .where(Referral.id == world.referrals["Ó Súilleabháin"])
            .values(claimed_by=world.actor("amy").user_id, claimed_until=utcnow() - timedelta(minutes=1))
        )
    ClaimService(world.db).claim(world.actor("amy"), world.referrals["Smith"])  # amy calls ben's patient
    ClaimService(world.db).claim(world.actor("ben"), world.referrals["Nowak"])

    rows = by_user(svc.workload(world.actor("lena")))

    ben = rows[world.actor("ben").user_id]
    assert (ben.open, ben.due_today, ben.breaching_2w, ben.claimed_now) == (3, 2, 0, 1)
    amy = rows[world.actor("amy").user_id]
    assert (amy.open, amy.due_today, amy.claimed_now) == (1, 0, 0)
    assert rows[UNASSIGNED_ID].claimed_now == 1


def test_admin_sees_any_team_or_all_and_holders_who_left_the_team(world) -> None:
    svc = AssignmentService(world.db)
    root = world.actor("root")
    west = team_id(world, "West")
    add_referrals(world, 2, assignee="cara", team="West")
    # Ben moved to West but still holds East work: East must still see it to move it.
    with world.db.write() as s:
        s.execute(update(User).where(User.username == "ben").values(team_id=west))

    west_rows = svc.workload(root, west)
    assert [(r.name, r.open) for r in west_rows] == [
        ("Unassigned", 0),
        ("Ben Advisor", 0),
        ("Cara Advisor", 2),
    ]
    all_rows = by_user(svc.workload(root))
    assert all_rows[UNASSIGNED_ID].open == 1
    assert all_rows[world.actor("cara").user_id].open == 2
    assert all_rows[world.actor("amy").user_id].open == 1
    east_rows = by_user(svc.workload(world.actor("lena")))
    assert east_rows[world.actor("ben").user_id].open == 1
    assert east_rows[world.actor("ben").user_id].team_id == west


def test_advisors_lists_active_advisors_and_leads_of_the_team(world) -> None:
    svc = AssignmentService(world.db)
    ids = {u: world.actor(u).user_id for u in ("amy", "ben", "cara", "lena")}
    assert svc.advisors(world.actor("lena")) == [
        (ids["amy"], "Amy Advisor"),
        (ids["ben"], "Ben Advisor"),
        (ids["lena"], "Lena Lead"),
    ]
    with world.db.write() as s:
        s.execute(update(User).where(User.username == "ben").values(active=False))
    assert [uid for uid, _ in svc.advisors(world.actor("lena"))] == [ids["amy"], ids["lena"]]
    assert svc.advisors(world.actor("root"), team_id(world, "West")) == [(ids["cara"], "Cara Advisor")]


# -- permissions ---------------------------------------------------------------------------------


def test_advisors_are_refused_every_assignment_call(world) -> None:
    svc = AssignmentService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Smith"]
    with pytest.raises(PermissionDenied):
        svc.workload(amy)
    with pytest.raises(PermissionDenied):
        svc.advisors(amy)
    with pytest.raises(PermissionDenied):
        svc.reassign(amy, [rid], amy.user_id)
    with pytest.raises(PermissionDenied):
        svc.reassign_all(amy, world.actor("ben").user_id, [amy.user_id], "holiday")
    assert assigned(world, [rid]) == {rid: world.actor("ben").user_id}
    assert history(world) == []


def test_a_lead_sees_only_their_own_team(world) -> None:
    svc = AssignmentService(world.db)
    with pytest.raises(PermissionDenied):
        svc.workload(world.actor("lena"), team_id(world, "West"))
    with pytest.raises(PermissionDenied):
        svc.advisors(world.actor("lena"), team_id(world, "West"))


def test_east_lead_cannot_reassign_wests_referral(world) -> None:
    svc = AssignmentService(world.db)
    (west_rid,) = add_referrals(world, 1, assignee="cara", team="West")
    east_rid = world.referrals["Nowak"]
    with pytest.raises(PermissionDenied, match="another team"):
        svc.reassign(world.actor("lena"), [east_rid, west_rid], world.actor("amy").user_id)
    # All or nothing: the East referral in the same call did not move either.
    assert assigned(world, [east_rid, west_rid]) == {east_rid: None, west_rid: world.actor("cara").user_id}
    with pytest.raises(PermissionDenied, match="not in your team"):
        svc.reassign_all(world.actor("lena"), world.actor("cara").user_id, None, "leaving")
    assert history(world) == []


def test_reassigning_to_an_advisor_of_another_team_is_refused(world) -> None:
    svc = AssignmentService(world.db)
    rid = world.referrals["Nowak"]
    with pytest.raises(PermissionDenied, match="Cara Advisor is not in your team"):
        svc.reassign(world.actor("lena"), [rid], world.actor("cara").user_id)
    with pytest.raises(PermissionDenied, match="Cara Advisor is not in your team"):
        svc.reassign_all(
            world.actor("lena"),
            world.actor("amy").user_id,
            [world.actor("ben").user_id, world.actor("cara").user_id],
            "",
        )
    assert assigned(world, [rid, world.referrals["Ó Súilleabháin"]]) == {
        rid: None,
        world.referrals["Ó Súilleabháin"]: world.actor("amy").user_id,
    }
    assert history(world) == []


def test_targets_must_be_active_advisors_or_leads(world) -> None:
    svc = AssignmentService(world.db)
    lena, rid = world.actor("lena"), world.referrals["Nowak"]
    with pytest.raises(ValidationError, match="not an advisor or team lead"):
        svc.reassign(world.actor("root"), [rid], world.actor("root").user_id)
    with world.db.write() as s:
        s.execute(update(User).where(User.username == "ben").values(active=False))
    with pytest.raises(ValidationError, match="inactive"):
        svc.reassign(lena, [rid], world.actor("ben").user_id)
    with pytest.raises(NotFound):
        svc.reassign(lena, [rid], 9999)
    with pytest.raises(NotFound):
        svc.reassign(lena, [rid, 999_999], world.actor("amy").user_id)
    with pytest.raises(ValidationError, match="too long"):
        svc.reassign(lena, [rid], world.actor("amy").user_id, "x" * 201)
    assert history(world) == []


# -- reassign ------------------------------------------------------------------------------------


def test_bulk_reassign_moves_work_and_writes_history_feed_and_audit(world) -> None:
    svc = AssignmentService(world.db)
    lena = world.actor("lena")
    amy_id, ben_id = world.actor("amy").user_id, world.actor("ben").user_id
    extra = add_referrals(world, 40, assignee="amy")
    nowak, smith = world.referrals["Nowak"], world.referrals["Smith"]
    ids = [*extra, nowak, smith, extra[0]]  # a duplicate is moved once
    with world.db.read() as s:
        seq = s.scalar(select(func.max(Change.seq))) or 0

    moved = svc.reassign(lena, ids, ben_id, "  Amy on leave  ")

    assert moved == 41  # Smith was ben's already: nothing to move, no history row
    assert set(assigned(world, [*extra, nowak, smith]).values()) == {ben_id}
    rows = history(world)
    assert len(rows) == 41
    assert {(r[0], r[1], r[2], r[3], r[4]) for r in rows} == {
        *((rid, amy_id, ben_id, lena.user_id, "Amy on leave") for rid in extra),
        (nowak, None, ben_id, lena.user_id, "Amy on leave"),
    }
    with world.db.read() as s:
        audits = list(
            s.execute(
                select(AuditEvent.entity_id, AuditEvent.entity, AuditEvent.user_id, AuditEvent.detail).where(
                    AuditEvent.action == "reassign"
                )
            )
        )
        fed = set(s.scalars(select(Change.entity_id).where(Change.seq > seq, Change.entity == "referral")))
        team = s.scalar(select(func.count()).select_from(Referral).where(Referral.team_id != lena.team_id))
    assert sorted(a[0] for a in audits) == sorted([*extra, nowak])
    assert {(a[1], a[2]) for a in audits} == {("referral", lena.user_id)}
    assert next(a[3] for a in audits if a[0] == nowak) == {
        "from_user_id": None,
        "to_user_id": ben_id,
        "reason": "Amy on leave",
    }
    assert fed == {*extra, nowak}
    assert team == 0

    # Back to the team pool.
    assert svc.reassign(lena, [nowak], None) == 1
    assert assigned(world, [nowak]) == {nowak: None}
    assert history(world)[-1] == (nowak, ben_id, None, lena.user_id, None)
    assert svc.reassign(lena, [], ben_id) == 0


def test_reassign_does_not_break_an_active_claim(world) -> None:
    svc = AssignmentService(world.db)
    rid = world.referrals["Smith"]
    claim = ClaimService(world.db).claim(world.actor("ben"), rid)
    assert svc.reassign(world.actor("lena"), [rid], world.actor("amy").user_id) == 1
    with world.db.read() as s:
        ref = s.get_one(Referral, rid)
    assert ref.assigned_to == world.actor("amy").user_id
    assert (ref.claimed_by, ref.claimed_until) == (world.actor("ben").user_id, claim.until)


def test_admin_moving_work_across_teams_moves_its_team(world) -> None:
    svc = AssignmentService(world.db)
    rid = world.referrals["Ó Súilleabháin"]
    west = team_id(world, "West")
    assert svc.reassign(world.actor("root"), [rid], world.actor("cara").user_id, "West has capacity") == 1
    with world.db.read() as s:
        ref = s.get_one(Referral, rid)
        detail = s.scalar(select(AuditEvent.detail).where(AuditEvent.action == "reassign"))
    assert (ref.assigned_to, ref.team_id) == (world.actor("cara").user_id, west)
    assert detail["to_team_id"] == west and detail["from_team_id"] == team_id(world, "East")
    # Now West's: the East lead can no longer move it.
    with pytest.raises(PermissionDenied):
        svc.reassign(world.actor("lena"), [rid], None)


def test_a_lead_may_give_work_to_themselves(world) -> None:
    svc = AssignmentService(world.db)
    lena = world.actor("lena")
    assert svc.reassign(lena, [world.referrals["Nowak"]], lena.user_id) == 1
    assert by_user(svc.workload(lena))[lena.user_id].open == 1


# -- reassign_all --------------------------------------------------------------------------------


def test_reassign_all_spreads_round_robin_most_urgent_first(world) -> None:
    svc = AssignmentService(world.db)
    lena = world.actor("lena")
    amy_id, ben_id = world.actor("amy").user_id, world.actor("ben").user_id
    extra = add_referrals(
        world, 6, assignee="amy", priorities=[Priority.ROUTINE, Priority.SOON, Priority.URGENT]
    )
    with world.db.write() as s:  # closed work is history and stays with amy
        s.execute(
            update(Referral)
            .where(Referral.id == extra[0])
            .values(is_open=False, status=ReferralStatus.DISCHARGED)
        )
    with world.db.read() as s:
        urgency = list(
            s.scalars(
                select(Referral.id)
                .where(Referral.assigned_to == amy_id, Referral.is_open.is_(True))
                .order_by(Referral.priority_rank, Referral.breach_on, Referral.id)
            )
        )
    assert len(urgency) == 6

    moved = svc.reassign_all(lena, amy_id, [ben_id, lena.user_id, ben_id], "Amy off sick")

    assert moved == 6
    expected = {rid: (ben_id if i % 2 == 0 else lena.user_id) for i, rid in enumerate(urgency)}
    assert assigned(world, urgency) == expected
    assert assigned(world, [extra[0]]) == {extra[0]: amy_id}
    assert {r[4] for r in history(world)} == {"Amy off sick"}
    rows = by_user(svc.workload(lena))
    assert rows[amy_id].open == 0
    assert rows[ben_id].open == 1 + 3
    assert rows[lena.user_id].open == 3


def test_reassign_all_to_one_advisor_or_to_the_pool(world) -> None:
    svc = AssignmentService(world.db)
    lena = world.actor("lena")
    amy_id, ben_id = world.actor("amy").user_id, world.actor("ben").user_id
    extra = add_referrals(world, 3, assignee="ben")
    assert svc.reassign_all(lena, ben_id, [amy_id], "Ben left") == 4
    assert set(assigned(world, [*extra, world.referrals["Smith"]]).values()) == {amy_id}
    assert svc.reassign_all(lena, amy_id, None, "Amy left") == 5
    assert by_user(svc.workload(lena))[UNASSIGNED_ID].open == 6
    assert svc.reassign_all(lena, amy_id, None, "nothing left") == 0
    with pytest.raises(ValidationError):
        svc.reassign_all(lena, amy_id, [], "")
    with pytest.raises(ValidationError):
        svc.reassign_all(lena, amy_id, [amy_id], "")


def test_two_thousand_referrals_move_in_one_call(world) -> None:
    svc = AssignmentService(world.db)
    lena = world.actor("lena")
    ids = add_referrals(world, 2000, assignee="amy")
    started = time.perf_counter()
    moved = svc.reassign(lena, ids, world.actor("ben").user_id, "bulk")
    elapsed = time.perf_counter() - started
    assert moved == 2000
    assert set(assigned(world, ids).values()) == {world.actor("ben").user_id}
    assert len(history(world)) == 2000
    with world.db.read() as s:
        assert (
            s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "reassign"))
            == 2000
        )
    assert elapsed < 10, f"moving 2,000 referrals took {elapsed:.1f} s"


def test_role_of_the_world_users(world) -> None:
    # Guards the assumptions above: a changed world would make the counts meaningless.
    assert world.actor("lena").role is Role.TEAM_LEAD
    assert world.actor("root").role is Role.ADMIN
    assert world.actor("amy").team_id == world.actor("lena").team_id != world.actor("cara").team_id
