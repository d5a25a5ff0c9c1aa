"""F2, the next patient: who it offers, in which order, and that racing desks never share one.

The order (README, F1 help): callbacks the patient asked for whose time has come; then clinical
priority (urgent, soon, routine); then days to breach. Candidates are the advisor's own referrals
and their team's unassigned ones, callable now. The referrals here are made inside each test on
top of the small world, so the world's ids and counts stay as other tests know them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from booking_helpers import make_advisors
from racing import race, racing_database
from sqlalchemy import func, select, update

from cras_desk.db.engine import Database
from cras_desk.db.models import AuditEvent, Change, Patient, Referral, Service, Team, User
from cras_desk.domain import nhs_number, rtt
from cras_desk.domain.calling_hours import CallingHours
from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import ContactOutcome, Priority, ReferralStatus, ServiceCode
from cras_desk.domain.search_terms import name_key
from cras_desk.services.actor import Actor
from cras_desk.services.claims import NEXT_PATIENT_ORDER, ClaimService
from cras_desk.services.contact import ContactService


@dataclass(frozen=True)
class Made:
    """One referral to add: its priority and age, whose it is, and what it is waiting for."""

    name: str
    priority: Priority
    days_ago: int
    owner: str | None = "amy"  # a username; None: the team's unassigned queue
    team: str = "East"
    status: ReferralStatus = ReferralStatus.AWAITING_CONTACT
    next_action: timedelta | None = None  # from now: negative has lapsed, positive is to come
    claimed_by: str | None = None
    claim_left: timedelta = timedelta(minutes=10)  # negative: an expired claim


def make(db: Database, *cases: Made) -> dict[str, int]:
    """Add the referrals (one new patient each, from the 999 test range); their ids by name."""
    now, today = utcnow(), today_london()
    with db.read() as s:
        taken = set(s.scalars(select(Patient.nhs_number)))
    numbers = (n for n in nhs_number.iter_test_numbers(random.Random(len(cases))) if n not in taken)
    ids: dict[str, int] = {}
    with db.write() as s:
        users = {u.username: u.id for u in s.scalars(select(User))}
        teams = {t.name: t.id for t in s.scalars(select(Team))}
        physio = s.scalar(select(Service.id).where(Service.code == ServiceCode.PHYSIOTHERAPY))
        for i, c in enumerate(cases):
            patient = Patient(
                nhs_number=next(numbers),
                given_name="Test",
                family_name=c.name,
                family_key=name_key(c.name),
                given_key="test",
                date_of_birth=date(1960, 1, 1) + timedelta(days=i),
                sex="female",
                address_line1=f"{i} Queue Road",
                town="Brighton",
                postcode="BN1 1AA",
                postcode_key="BN11AA",
                latitude=50.83,
                longitude=-0.13,
                adjustments=[],
            )
            s.add(patient)
            s.flush()
            received = today - timedelta(days=c.days_ago)
            referral = Referral(
                patient_id=patient.id,
                service_id=physio,
                received_on=received,
                priority=c.priority,
                priority_rank=c.priority.rank,
                breach_on=rtt.breach_date(received, c.priority),
                status=c.status,
                is_open=c.status.is_open,
                team_id=teams[c.team],
                assigned_to=users[c.owner] if c.owner else None,
                next_action_at=None if c.next_action is None else now + c.next_action,
                claimed_by=users[c.claimed_by] if c.claimed_by else None,
                claimed_until=now + c.claim_left if c.claimed_by else None,
            )
            s.add(referral)
            s.flush()
            ids[c.name] = referral.id
    return ids


def presses(claims: ClaimService, actor: Actor, limit: int = 40) -> list[int]:
    """Press F2 until it finds nobody; each claim is kept, as on a desk working through calls."""
    taken: list[int] = []
    while (claim := claims.next_patient(actor)) is not None:
        taken.append(claim.referral_id)
        assert len(taken) <= limit, "F2 offered the same referrals again"
    return taken


HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
U, S, R = Priority.URGENT, Priority.SOON, Priority.ROUTINE


def test_f2_order_callbacks_due_then_priority_then_days_to_breach(world) -> None:
    made = make(
        world.db,
        # The reported fault: a routine referral's lapsed retry day put it ahead of urgent ones.
        Made("RoutineRetryLapsed", R, 30, status=ReferralStatus.CONTACTING, next_action=-HOUR),
        Made("UrgentQueueBreached", U, 20, owner=None),  # breached 6 days ago, nobody's yet
        Made("UrgentMine", U, 10),  # breaches in 4 days
        Made("SoonMine", S, 10),
        Made("CallbackDue", R, 50, status=ReferralStatus.CALLBACK, next_action=-HOUR / 2),
        Made("CallbackDueQueue", R, 60, owner=None, status=ReferralStatus.CALLBACK, next_action=-2 * HOUR),
        # Booked, and the patient rang about the appointment and asked to be called back.
        Made("BookedCallbackDue", R, 70, status=ReferralStatus.BOOKED, next_action=-HOUR),
        Made("UrgentBenClaimExpired", U, 9, owner=None, claimed_by="ben", claim_left=-timedelta(minutes=1)),
        Made("SoonTieQueue", S, 20, owner=None),  # same breach date as SoonTieMine: mine first
        Made("SoonTieMine", S, 20),
        # Never offered to Amy now:
        Made("CallbackLater", U, 3, status=ReferralStatus.CALLBACK, next_action=2 * HOUR),
        Made("UrgentReplyWindow", U, 12, status=ReferralStatus.UTC_LETTER_SENT, next_action=5 * DAY),
        Made("UrgentThinking", U, 12, status=ReferralStatus.CHOICE_PENDING, next_action=3 * DAY),
        Made("UrgentHeldByBen", U, 25, owner=None, claimed_by="ben"),
        Made("UrgentBens", U, 30, owner="ben"),
        Made("UrgentWestQueue", U, 30, owner=None, team="West"),
        Made("UrgentBooked", U, 30, status=ReferralStatus.BOOKED),
    )
    claims, amy = ClaimService(world.db), world.actor("amy")

    order = [
        made["CallbackDueQueue"],  # callbacks first, the earliest callback time first, routine or not
        made["BookedCallbackDue"],
        made["CallbackDue"],
        made["UrgentQueueBreached"],  # urgent by days to breach: -6
        made["UrgentMine"],  # +4
        made["UrgentBenClaimExpired"],  # +5: an expired claim holds nobody
        world.referrals["Ó Súilleabháin"],  # +9
        made["SoonTieMine"],  # soon, +22: Amy's own before the queue's on the same day
        made["SoonTieQueue"],
        made["SoonMine"],  # +32
        world.referrals["Nowak"],  # routine, +26
        made["RoutineRetryLapsed"],  # routine, +96
    ]
    assert presses(claims, amy) == order

    # The callback's time comes: it is next, ahead of anything else still waiting.
    with world.db.write() as s:
        s.execute(
            update(Referral)
            .where(Referral.id == made["CallbackLater"])
            .values(next_action_at=utcnow() - timedelta(seconds=1))
        )
    made_more = make(world.db, Made("UrgentQueueBreachedLate", U, 30, owner=None))
    assert presses(claims, amy) == [made["CallbackLater"], made_more["UrgentQueueBreachedLate"]]

    with world.db.read() as s:
        audited = s.scalars(
            select(AuditEvent.entity_id).where(AuditEvent.action == "next_patient").order_by(AuditEvent.id)
        ).all()
        fed = set(s.scalars(select(Change.entity_id).where(Change.entity == "referral")))
        held = set(s.scalars(select(Referral.id).where(Referral.claimed_by == amy.user_id)))
    assert audited == [*order, made["CallbackLater"], made_more["UrgentQueueBreachedLate"]]
    assert set(audited) <= fed and set(audited) <= held


def test_lapsed_follow_up_of_a_routine_referral_does_not_jump_an_urgent_one_past_breach(world) -> None:
    made = make(
        world.db,
        Made("RoutineRetryDue", R, 10, status=ReferralStatus.CONTACTING, next_action=-DAY),
        Made("RoutineThinkingOver", R, 11, status=ReferralStatus.CHOICE_PENDING, next_action=-DAY),
        Made("RoutineReplyWindowOver", R, 12, status=ReferralStatus.UTC_LETTER_SENT, next_action=-DAY),
        Made("UrgentBreached", U, 16, owner=None),
    )
    claim = ClaimService(world.db).next_patient(world.actor("amy"))
    assert claim is not None and claim.referral_id == made["UrgentBreached"]


def test_a_callback_booked_through_the_call_outcome_waits_for_its_time_then_comes_first(world) -> None:
    rid = world.referrals["Nowak"]  # routine, in the team queue
    made = make(world.db, Made("UrgentQueueBreached", U, 20, owner=None))
    amy, ben = world.actor("amy"), world.actor("ben")
    contact, claims = ContactService(world.db), ClaimService(world.db)
    at = utcnow()
    callback_at = CallingHours().next_open(at + HOUR)  # the earliest time the centre will be calling
    contact.record_attempt(
        amy, rid, ContactOutcome.CALLBACK_REQUESTED, callback_at=callback_at, notes="After lunch", at=at
    )
    claims.release(amy, rid)

    first = claims.next_patient(ben)
    assert first is not None and first.referral_id == made["UrgentQueueBreached"]  # not the callback yet
    claims.release(ben, first.referral_id)
    assert rid not in presses(claims, ben)  # not before its time, however long F2 is pressed
    claims.release_all(ben)

    with world.db.write() as s:
        s.execute(
            update(Referral).where(Referral.id == rid).values(next_action_at=utcnow() - timedelta(seconds=1))
        )
    due = claims.next_patient(ben)
    assert due is not None and due.referral_id == rid


def test_an_advisor_without_a_team_is_offered_only_their_own(world) -> None:
    root = world.actor("root")  # the admin has no team
    assert root.team_id is None
    make(world.db, Made("NoTeamQueue", U, 20, owner=None))  # East's queue, not the admin's
    assert ClaimService(world.db).next_patient(root) is None


def test_the_order_is_written_for_advisors() -> None:
    words = " ".join(NEXT_PATIENT_ORDER).lower()
    assert words.index("callback") < words.index("urgent") < words.index("soon") < words.index("routine")
    assert words.index("routine") < words.index("breach")


# --- desks pressing F2 at the same moment ---------------------------------------------------------------

THREADS = 32


@pytest.fixture
def racing_db(world) -> Iterator[tuple[Any, Database]]:
    """A Database on the world whose pool holds a connection for every racing desk, filled first."""
    db = racing_database(world.db.url, THREADS)
    yield world, db
    db.dispose()


@pytest.mark.slow
def test_32_desks_press_f2_together_and_each_gets_a_different_patient_best_first(racing_db) -> None:
    world, db = racing_db
    desks = make_advisors(db, THREADS)  # East advisors with nothing of their own: the team queue
    urgent = make(db, *(Made(f"RaceUrgent{i}", U, 10 + i, owner=None) for i in range(8)))
    soon = make(db, *(Made(f"RaceSoon{i}", S, 10 + i, owner=None) for i in range(8)))
    routine = make(db, *(Made(f"RaceRoutine{i}", R, 10 + i, owner=None) for i in range(24)))
    claims = ClaimService(db)

    results = race(THREADS, lambda i: claims.next_patient(desks[i]))

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert all(r is not None for r in results), "a desk was told nobody is waiting while patients were"
    taken = [r.referral_id for r in results]
    assert len(set(taken)) == THREADS  # one advisor per referral
    # 41 waiting (40 here and the world's Nowak): the 32 taken are the most urgent ones, and the
    # 9 left are the routine ones furthest from breach (received most recently).
    assert set(urgent.values()) | set(soon.values()) | {world.referrals["Nowak"]} <= set(taken)
    assert set(routine.values()) - set(taken) == {routine[f"RaceRoutine{i}"] for i in range(9)}
    with db.read() as s:
        holders = dict(
            s.execute(select(Referral.id, Referral.claimed_by).where(Referral.id.in_(taken))).all()
        )
        audited = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "next_patient")
        )
    assert holders == {r.referral_id: desks[i].user_id for i, r in enumerate(results)}
    assert audited == THREADS
