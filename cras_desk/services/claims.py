"""Claims: one advisor works a referral at a time, and the database is what guarantees it.

A claim is taken by a single conditional UPDATE (free, mine already, or expired), so two advisors
racing for the same referral cannot both win on either backend. Claims expire, so a desk that
crashed or closed its lid does not lock a patient away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, Table, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cras_desk.db import change_feed
from cras_desk.db.engine import Database
from cras_desk.db.models import Referral, User
from cras_desk.domain.clock import utcnow
from cras_desk.domain.errors import ClaimConflict, NotFound
from cras_desk.services import audit
from cras_desk.services.actor import Actor

CLAIM_MINUTES = 20


@dataclass(frozen=True)
class Claim:
    referral_id: int
    patient_id: int
    until: datetime


def take_claim(session: Session, actor: Actor, referral_id: int, minutes: int = CLAIM_MINUTES) -> Claim:
    """Claim or extend inside the caller's transaction; ClaimConflict if someone else holds it."""
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


_referrals: Table = Referral.__table__  # type: ignore[assignment]
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
    """Open, not claimed by anyone live, and not waiting for a later follow-up date."""
    return and_(
        Referral.is_open.is_(True),
        or_(Referral.claimed_by.is_(None), Referral.claimed_until < now),
        or_(Referral.next_action_at.is_(None), Referral.next_action_at <= now),
    )


class ClaimService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, actor: Actor, referral_id: int) -> Claim:
        with self.db.write() as s:
            claim = take_claim(s, actor, referral_id)
            audit.record(s, actor, "claim", "referral", referral_id, claim.patient_id)
            return claim

    def release(self, actor: Actor, referral_id: int) -> None:
        with self.db.write() as s:
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
            ids = list(
                s.scalars(
                    update(Referral)
                    .where(Referral.claimed_by == actor.user_id)
                    .values(claimed_by=None, claimed_until=None)
                    .returning(Referral.id)
                )
            )
            change_feed.record(s, "referral", ids, "update", actor.user_id)
            return len(ids)

    def next_patient(self, actor: Actor) -> Claim | None:
        """Claim the most urgent callable referral: due callbacks first, then my work, then my team's
        unassigned work, each by priority and breach date."""
        now = utcnow()
        with self.db.write() as s:
            for query in self._candidates(actor, now):
                if s.get_bind().dialect.name == "postgresql":
                    # Desks pressing "next" together skip each other's candidates instead of queueing.
                    query = query.with_for_update(skip_locked=True, of=Referral)
                for referral_id in s.scalars(query.limit(5)):
                    try:
                        claim = take_claim(s, actor, referral_id)
                    except ClaimConflict:
                        continue
                    audit.record(s, actor, "next_patient", "referral", referral_id, claim.patient_id)
                    return claim
        return None

    @staticmethod
    def _candidates(actor: Actor, now: datetime) -> list[Select[tuple[int]]]:
        base = select(Referral.id).where(callable_now(now))
        due_callbacks = base.where(
            Referral.assigned_to == actor.user_id, Referral.next_action_at.is_not(None)
        ).order_by(Referral.next_action_at)
        mine = base.where(Referral.assigned_to == actor.user_id).order_by(
            Referral.priority_rank, Referral.breach_on, Referral.id
        )
        team_unassigned = base.where(
            Referral.team_id == actor.team_id, Referral.assigned_to.is_(None)
        ).order_by(Referral.priority_rank, Referral.breach_on, Referral.id)
        return [due_callbacks, mine, team_unassigned]
