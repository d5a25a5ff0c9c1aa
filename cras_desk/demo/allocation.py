"""Who holds a seeded referral when: allocation after triage, a move between advisors, a return.

Most referrals go to an advisor of the patient's team soon after triage; a few move to another
advisor later (leave, workload) or go back to the team queue, where whoever takes them works them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cras_desk.demo.dice import Dice
from cras_desk.demo.organisation import TEAM_ADVISORS, TEAM_LEADS

ALLOCATED = "Allocated after triage."
_MOVE_REASONS = ("Rebalancing workload.", "Advisor on leave.", "Patient asked for the same advisor.")


class Owners:
    """Who held the referral when: the advisor doing each call, offer, booking and letter."""

    def __init__(self, segments: list[tuple[datetime, int]], final: int) -> None:
        self.segments = segments  # (until, user) in time order
        self.final = final

    def at(self, t: datetime) -> int:
        for until, user in self.segments:
            if t < until:
                return user
        return self.final


@dataclass(frozen=True, slots=True)
class Move:
    """One assignment row: from whom to whom (None: the team queue), by whom, when and why."""

    from_user: int | None
    to_user: int | None
    by: int
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Allocation:
    owners: Owners
    assigned_to: int | None  # as the referral stands at the seed's now
    moves: list[Move]


def allocate(dice: Dice, triage_at: datetime, team: int, now: datetime) -> Allocation:
    """The referral's allocation history from triage to `now`."""
    advisors = TEAM_ADVISORS[team]
    lead = TEAM_LEADS[team]
    allocated_at = triage_at + timedelta(minutes=dice.between(10, 90))
    span = max(0.0, (now - allocated_at).total_seconds())
    queue_picker = dice.pick(advisors)  # who takes it from the team queue when unassigned
    roll = dice.random()
    if roll < 0.86:
        owner = dice.pick(advisors)
        allocated = Move(None, owner, lead, allocated_at, ALLOCATED)
        if dice.chance(0.08) and span > 3600:
            moved_at = allocated_at + timedelta(seconds=span * dice.uniform(0.2, 0.9))
            new = dice.pick([a for a in advisors if a != owner])
            moved = Move(owner, new, lead, moved_at, dice.pick(_MOVE_REASONS))
            return Allocation(Owners([(moved_at, owner)], new), new, [allocated, moved])
        return Allocation(Owners([], owner), owner, [allocated])
    if roll < 0.90 and span > 3600:
        owner = dice.pick(advisors)
        returned_at = allocated_at + timedelta(seconds=span * dice.uniform(0.2, 0.9))
        moves = [
            Move(None, owner, lead, allocated_at, ALLOCATED),
            Move(owner, None, lead, returned_at, "Returned to the team queue."),
        ]
        return Allocation(Owners([(returned_at, owner)], queue_picker), None, moves)
    return Allocation(Owners([], queue_picker), None, [])
