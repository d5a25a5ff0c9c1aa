"""Claims: one advisor works a referral at a time, and the database is what guarantees it.

A claim is taken by a single conditional UPDATE (free, mine already, or expired), so two advisors
racing for the same referral cannot both win on either backend. Claims expire, so a desk that
crashed or closed its lid does not lock a patient away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, bindparam, case, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cras_desk.db import change_feed
from cras_desk.db.engine import Database
from cras_desk.db.models import Referral, User
from cras_desk.db.tables import table_of
from cras_desk.domain import input_rules
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import ReferralStatus
from cras_desk.domain.errors import ClaimConflict, NotFound
from cras_desk.services import access, audit, central_settings
from cras_desk.services.actor import Actor


@dataclass(frozen=True)
class Claim:
    referral_id: int
    patient_id: int
    until: datetime


def take_claim(session: Session, actor: Actor, referral_id: int, minutes: int | None = None) -> Claim:
    """Claim or extend inside the caller's transaction; ClaimConflict if someone else holds it.

    A claim lasts the unit's claim_minutes (central settings) unless minutes says otherwise."""
    input_rules.record_id(referral_id, "referral")
    if minutes is None:
        minutes = central_settings.read(session).claim_minutes
    now = utcnow()
    until = now + timedelta(minutes=minutes)
    # Every change to a referral starts here, so this is a prebuilt Core UPDATE on the session's
    # connection, not an ORM-enabled one. Flushing first keeps what the ORM statement's autoflush
    # gave callers with pending changes (free when, as usual, there are none).
    session.flush()
    patient_id = (
        session.connection()
        .execute(
            _TAKE_CLAIM,
            {"c_referral": referral_id, "c_user": actor.user_id, "c_now": now, "c_until": until},
        )
        .scalar_one_or_none()
    )
    if patient_id is None:
        holder = session.execute(
            select(User.full_name, Referral.id)
            .select_from(Referral)
            .outerjoin(User, User.id == Referral.claimed_by)
            .where(Referral.id == referral_id)
        ).first()
        if holder is None:
            raise NotFound(f"Referral {referral_id} does not exist.")
        raise ClaimConflict(holder[0])
    change_feed.record(session, "referral", referral_id, "update", actor.user_id)
    return Claim(referral_id, patient_id, until)


_referrals = table_of(Referral)
_TAKE_CLAIM = (
    update(_referrals)
    .where(
        _referrals.c.id == bindparam("c_referral", type_=_referrals.c.id.type),
        or_(
            _referrals.c.claimed_by.is_(None),
            _referrals.c.claimed_by == bindparam("c_user", type_=_referrals.c.claimed_by.type),
            _referrals.c.claimed_until < bindparam("c_now", type_=_referrals.c.claimed_until.type),
        ),
    )
    .values(
        claimed_by=bindparam("c_user", type_=_referrals.c.claimed_by.type),
        claimed_until=bindparam("c_until", type_=_referrals.c.claimed_until.type),
    )
    .returning(_referrals.c.patient_id)
)


def ensure_claim(session: Session, actor: Actor, referral_id: int) -> Claim:
    """Every change to a referral goes through here: it must be (or become) the actor's."""
    return take_claim(session, actor, referral_id)


def callable_now(now: datetime) -> ColumnElement[bool]:
    """Open, not claimed by anyone live, and not waiting for a later follow-up date.

    A booked referral is open work but nobody needs to phone it, unless the patient asked to be
    called back about the appointment (then its next_action_at is set).
    """
    return and_(
        Referral.is_open.is_(True),
        or_(Referral.status != ReferralStatus.BOOKED, Referral.next_action_at.is_not(None)),
        or_(Referral.claimed_by.is_(None), Referral.claimed_until < now),
        or_(Referral.next_action_at.is_(None), Referral.next_action_at <= now),
    )


class ClaimService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, actor: Actor, referral_id: int) -> Claim:
        with self.db.write() as s:
            actor = access.for_referral(s, actor, referral_id)
            claim = take_claim(s, actor, referral_id)
            audit.record(s, actor, "claim", "referral", referral_id, claim.patient_id)
            return claim

    def release(self, actor: Actor, referral_id: int) -> None:
        with self.db.write() as s:
            actor = access.caller(s, actor)
            result = s.execute(
                update(Referral)
                .where(Referral.id == referral_id, Referral.claimed_by == actor.user_id)
                .values(claimed_by=None, claimed_until=None)
                .returning(Referral.patient_id)
            )
            patient_id = result.scalar_one_or_none()
            if patient_id is not None:
                change_feed.record(s, "referral", referral_id, "update", actor.user_id)
                audit.record(s, actor, "release", "referral", referral_id, patient_id)

    def release_all(self, actor: Actor) -> int:
        """On sign-out: give back everything this desk held."""
        with self.db.write() as s:
            actor = access.caller(s, actor)
            ids = list(
                s.scalars(
                    update(Referral)
                    .where(Referral.claimed_by == actor.user_id)
                    .values(claimed_by=None, claimed_until=None)
                    .returning(Referral.id)
                )
            )
            change_feed.record(s, "referral", ids, "update", actor.user_id)
            # One row for the whole sign-out: which referrals this user gave back, and when.
            audit.record(s, actor, "release_all", "referral", None, None, {"referral_ids": ids})
            return len(ids)

    def next_patient(self, actor: Actor) -> Claim | None:
        """Claim the next patient to call, in NEXT_PATIENT_ORDER (said in F1 help and the README)."""
        now = utcnow()
        with self.db.write() as s:
            actor = access.caller(s, actor)
            lock = s.get_bind().dialect.name == "postgresql"
            for query in candidate_queries(actor, now):
                tried: list[int] = []
                for _ in range(NEXT_PATIENT_TRIES):
                    step = query.where(Referral.id.not_in(tried)) if tried else query
                    if lock:
                        # Desks pressing F2 together skip each other's candidate instead of queueing,
                        # and each locks only the one row it is about to claim, so a small pool is
                        # shared out rather than hidden behind rows another desk will not take.
                        step = step.with_for_update(skip_locked=True, of=Referral)
                    referral_id = s.scalar(step.limit(1))
                    if referral_id is None:
                        break
                    try:
                        claim = take_claim(s, actor, referral_id)
                    except ClaimConflict:
                        tried.append(referral_id)
                        continue
                    audit.record(s, actor, "next_patient", "referral", referral_id, claim.patient_id)
                    return claim
        return None


NEXT_PATIENT_TRIES = 5  # candidates tried per step before the next step (claims lost to a race)

# Said to the advisor in F1 help and the README: keep these words and candidate_queries together.
NEXT_PATIENT_ORDER: tuple[str, ...] = (
    "Callbacks the patient asked for, once their time has come (the earliest callback time first).",
    "Then clinical priority: urgent, then soon, then routine.",
    "Then days to breach: the earliest breach date first, so referrals past breach come first.",
)
NEXT_PATIENT_SCOPE = (
    "It takes from the referrals assigned to you and your team's unassigned ones (yours first when "
    "all else is equal), never one another advisor is working on, nor one waiting for a later "
    "date (a callback not yet due, a day between call attempts, a letter's reply window)."
)


def candidate_queries(actor: Actor, now: datetime) -> list[Select[int]]:
    """The steps of F2, in order; each selects referral ids, best first.

    Candidates: callable now (open, no live claim by anyone, follow-up date reached or none) and
    assigned to the actor or unassigned in the actor's team. Ownership is only a tie-break: a
    routine referral of mine must not come before an urgent one, past breach, in my team's queue.
    """
    pool: ColumnElement[bool] = Referral.assigned_to == actor.user_id
    if actor.team_id is not None:  # an admin without a team has only their own
        pool = or_(pool, and_(Referral.team_id == actor.team_id, Referral.assigned_to.is_(None)))
    base = select(Referral.id).where(callable_now(now), pool)
    not_mine_last = case((Referral.assigned_to == actor.user_id, 0), else_=1)
    # Only a callback the patient asked for jumps the queue. Other follow-up dates (a retry day,
    # the end of a reply window, time to think) only say when a referral may be called again.
    # A booked referral has a follow-up date only when its patient asked to be called back about
    # the appointment (contact.record_attempt). `next_action_at <= now` again (callable_now also
    # lets NULL through): a range on the callbacks index (is_open, next_action_at) in time order.
    callbacks_due = base.where(
        Referral.status.in_((ReferralStatus.CALLBACK, ReferralStatus.BOOKED)),
        Referral.next_action_at <= now,
    ).order_by(
        Referral.next_action_at, Referral.priority_rank, Referral.breach_on, not_mine_last, Referral.id
    )
    by_urgency = base.order_by(Referral.priority_rank, Referral.breach_on, not_mine_last, Referral.id)
    return [callbacks_due, by_urgency]
