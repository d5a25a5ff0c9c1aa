"""What the seed layer's tests share: the seed's size, the sample by status, the actors."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from cras_desk.db.engine import Database
from cras_desk.db.models import ChoiceOffer, Letter, Referral, User
from cras_desk.demo.seed import seed_database
from cras_desk.domain.clock import today_london
from cras_desk.domain.enums import ReferralStatus, Role
from cras_desk.services.actor import Actor
from cras_desk.services.auth import actor_of

SEED = 11
# Enough that each status has a handful of referrals on any day (callbacks pending past the
# seed's midnight are the rarest, about 1 in 500), few enough to seed in seconds.
REFERRALS = 4_000
PER_STATUS = 6  # referrals sampled per status: half returning patients where the status has them
# Statuses the seed never produces. Empty: it produces every status; a test asserts exactly that.
NOT_SEEDED: frozenset[ReferralStatus] = frozenset()


@dataclass
class Seeded:
    """A clone of the seeded database, with what the tests need to pick and act."""

    db: Database
    today: date
    counts: Counter[ReferralStatus]
    sample: dict[ReferralStatus, list[int]]
    returning: set[int]  # referrals with an earlier choice offer
    actors: dict[str, Actor] = field(default_factory=dict)
    team_advisor: dict[int, str] = field(default_factory=dict)  # team id -> an advisor's username

    def advisor_for(self, referral_id: int) -> Actor:
        """An advisor of the referral's team: who would have it on their worklist."""
        with self.db.read() as s:
            team = s.scalar(select(Referral.team_id).where(Referral.id == referral_id))
        return self.actors[self.team_advisor[team]]


def seed_demo(db: Database) -> None:
    seed_database(db, referrals=REFERRALS, seed=SEED, today=today_london())


def load(db: Database, today: date) -> Seeded:
    with db.read() as s:
        rows = s.execute(
            select(Referral.id, Referral.status, Referral.patient_id).order_by(Referral.id)
        ).all()
        returning = set(s.scalars(select(ChoiceOffer.referral_id).distinct()))
        letters = Counter(
            dict(s.execute(select(Letter.referral_id, func.count()).group_by(Letter.referral_id)).all())
        )
        users = list(s.scalars(select(User).order_by(User.id)))
    counts = Counter(status for _, status, _ in rows)
    referrals_of = Counter(patient for _, _, patient in rows)
    by_status: dict[ReferralStatus, list[int]] = {}
    for rid, status, _ in rows:
        by_status.setdefault(status, []).append(rid)
    # The busiest referral of each status makes the history and letter paths do the most.
    busyness = {rid: (letters[rid], referrals_of[patient]) for rid, _, patient in rows}
    sample = {status: _pick(rids, returning, busyness) for status, rids in by_status.items()}
    actors = {u.username: actor_of(u) for u in users}
    team_advisor: dict[int, str] = {}
    for u in users:
        if u.role is Role.ADVISOR and u.team_id is not None:
            team_advisor.setdefault(u.team_id, u.username)
    return Seeded(db, today, counts, sample, returning, actors, team_advisor)


def _pick(rids: list[int], returning: set[int], busyness: dict[int, tuple[int, int]]) -> list[int]:
    """About PER_STATUS referrals spread over the seed's six months, half of them returning
    patients where the status has them, and the status's busiest referral."""

    def spread(pool: list[int], n: int) -> list[int]:
        if len(pool) <= n:
            return pool
        return [pool[i * len(pool) // n] for i in range(n)]

    back = [r for r in rids if r in returning]
    new = [r for r in rids if r not in returning]
    chosen = spread(back, PER_STATUS // 2 if new else PER_STATUS)
    chosen += spread(new, PER_STATUS - len(chosen))
    busiest = max(rids, key=lambda r: (busyness[r], -r))
    return chosen if busiest in chosen else [*chosen, busiest]
