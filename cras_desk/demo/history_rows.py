"""The rows a seeded referral's history leaves, shaped as the services write them.

demo/referrals.py decides what happens to a referral; this writes each event down: the call
attempt, the choice offer, the booking and its end, the letters (printed in the next working
morning's run, or still in the queue), allocation moves, and finally the referral row, whose
denormalised columns (attempt counts, last attempt, reply window) are those of the rows beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cras_desk.demo.allocation import Allocation, Owners
from cras_desk.demo.arrivals import Skeleton, triage
from cras_desk.demo.dice import Dice
from cras_desk.demo.organisation import DEMO_USERS, TEAM_LEADS, Practice
from cras_desk.demo.patients import PatientFacts
from cras_desk.demo.seed_calendar import SeedCalendar
from cras_desk.domain import rtt
from cras_desk.domain.clock import LONDON
from cras_desk.domain.contact_policy import AttemptFact
from cras_desk.domain.enums import (
    BookingStatus,
    ContactChannel,
    ContactOutcome,
    LetterKind,
    LetterStatus,
    ReferralStatus,
)
from cras_desk.domain.letter_supersession import OVERTAKES, Supersession, withdrawal_reason

# Ending a booking this way withdraws the referral's letters still in the print queue that it
# overtakes (services/letter_lifecycle.py); the seed's history does the same.
_SUPERSEDED_BY = {
    BookingStatus.REBOOKED: Supersession.REBOOKED,
    BookingStatus.CANCELLED_PATIENT: Supersession.CANCELLED,
    BookingStatus.CANCELLED_PROVIDER: Supersession.CANCELLED,
}
_FULL_NAMES = {user_id: u.full_name for user_id, u in enumerate(DEMO_USERS, start=1)}  # as USER_IDS


@dataclass
class Rows:
    """Rows of one batch of referrals, ready for bulk insert in this (foreign key) order."""

    referrals: list[dict[str, Any]] = field(default_factory=list)
    contact_attempts: list[dict[str, Any]] = field(default_factory=list)
    choice_offers: list[dict[str, Any]] = field(default_factory=list)
    bookings: list[dict[str, Any]] = field(default_factory=list)
    letters: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReferralState:
    """The referral being played, as its row will say."""

    id: int
    patient: PatientFacts
    sk: Skeleton
    service_id: int
    assigned_to: int | None = None
    attempts: int = 0
    since_contact: list[AttemptFact] = field(default_factory=list)
    last_attempt_at: datetime | None = None
    last_outcome: ContactOutcome | None = None
    utc_letter_sent_on: date | None = None
    offers: int = 0
    updated_at: datetime | None = None

    def touch(self, t: datetime) -> None:
        if self.updated_at is None or t > self.updated_at:
            self.updated_at = t


class HistoryRows:
    """Writes the events of one referral at a time (begin, then each event) into Rows."""

    def __init__(
        self, dice: Dice, cal: SeedCalendar, print_cutoff: datetime, practices: dict[int, Practice]
    ) -> None:
        self.dice = dice
        self.cal = cal
        self.print_cutoff = print_cutoff  # letters made before it were printed, later ones queued
        self.practices = practices
        self.ids = {"attempt": 0, "offer": 0, "booking": 0, "letter": 0, "assignment": 0}
        self.rows = Rows()

    def take_rows(self) -> Rows:
        rows, self.rows = self.rows, Rows()
        return rows

    def _next_id(self, name: str) -> int:
        self.ids[name] += 1
        return self.ids[name]

    def begin(self, state: ReferralState, allocation: Allocation) -> None:
        """Start the referral's history: who holds it when, and the allocation moves' rows."""
        self.state = state
        self.owners: Owners = allocation.owners
        state.assigned_to = allocation.assigned_to
        for move in allocation.moves:
            self.rows.assignments.append(
                {
                    "id": self._next_id("assignment"),
                    "referral_id": state.id,
                    "from_user_id": move.from_user,
                    "to_user_id": move.to_user,
                    "by_user_id": move.by,
                    "at": move.at,
                    "reason": move.reason,
                }
            )

    def attempt(
        self, at: datetime, outcome: ContactOutcome, notes: str | None, callback_at: datetime | None = None
    ) -> None:
        st, dice = self.state, self.dice
        phones = st.patient.phones
        number = phones[0]
        if len(phones) > 1 and (st.last_outcome is ContactOutcome.WRONG_NUMBER or dice.chance(0.25)):
            number = phones[1]
        self.rows.contact_attempts.append(
            {
                "id": self._next_id("attempt"),
                "referral_id": st.id,
                "at": at,
                "user_id": self.owners.at(at),
                "channel": ContactChannel.PHONE,
                "number_used": number,
                "outcome": outcome,
                "callback_at": callback_at,
                "notes": notes,
            }
        )
        st.attempts += 1
        st.last_attempt_at = at
        st.last_outcome = outcome
        st.touch(at)

    def offer(
        self,
        offered_at: datetime,
        options: list[dict[str, Any]],
        decision: str,
        chosen_site_id: int | None,
        notes: str | None,
    ) -> None:
        st = self.state
        st.offers += 1
        self.rows.choice_offers.append(
            {
                "id": self._next_id("offer"),
                "referral_id": st.id,
                "offered_at": offered_at,
                "user_id": self.owners.at(offered_at),
                "options": options,
                "decision": decision,
                "chosen_site_id": chosen_site_id,
                "sdm_notes": notes,
            }
        )
        st.touch(offered_at)

    def booking(self, at: datetime, slot_id: int, rebooked_from: int | None) -> dict[str, Any]:
        """A live booking's row (end_booking changes it in place when it ends)."""
        st = self.state
        row = {
            "id": self._next_id("booking"),
            "referral_id": st.id,
            "slot_id": slot_id,
            "status": BookingStatus.BOOKED,
            "booked_at": at,
            "booked_by": self.owners.at(at),
            "ended_at": None,
            "ended_by": None,
            "reason": None,
            "rebooked_from_id": rebooked_from,
            "interpreter_language": st.patient.interpreter,
        }
        self.rows.bookings.append(row)
        st.touch(at)
        return row

    def end_booking(
        self, row: dict[str, Any], status: BookingStatus, at: datetime, by: int | None, reason: str | None
    ) -> None:
        row.update(status=status, ended_at=at, ended_by=by, reason=reason)
        event = _SUPERSEDED_BY.get(status)
        if event is not None and by is not None:
            self._withdraw(event, at, by)
        self.state.touch(at)

    def _withdraw(self, event: Supersession, at: datetime, by: int) -> None:
        """As the booking service does: the referral's queued letters the change overtakes leave
        the queue, with the reason the queue screen shows."""
        kinds = OVERTAKES[event]
        reason = withdrawal_reason(event, _FULL_NAMES[by], _day_of(at))
        for letter in reversed(self.rows.letters):
            if letter["referral_id"] != self.state.id:
                break  # this referral's letters are the last ones written
            if letter["status"] is LetterStatus.QUEUED and letter["kind"] in kinds:
                letter.update(status=LetterStatus.WITHDRAWN, withdrawn_at=at, withdrawn_reason=reason)

    def letter(self, kind: LetterKind, at: datetime, recipient: str = "patient") -> date | None:
        """Write a letter; returns the day it was printed (None: still in the print queue)."""
        st, dice = self.state, self.dice
        printed = at < self.print_cutoff
        printed_on = self.cal.shift(_day_of(at), 1) if printed else None
        by = self.owners.at(at)
        self.rows.letters.append(
            {
                "id": self._next_id("letter"),
                "referral_id": st.id,
                "kind": kind,
                "status": LetterStatus.PRINTED if printed else LetterStatus.QUEUED,
                "recipient": recipient,
                "large_print": st.patient.large_print and recipient == "patient",
                "inputs": {"referral_id": st.id},
                "created_at": at,
                "created_by": by,
                "document_id": None,
                "sha256": None,
                "rendered_at": None,
                # Printed in the next working morning's run.
                "printed_at": self.cal.at(printed_on, dice.between(510, 630)) if printed_on else None,
                "printed_by": (by if dice.chance(0.7) else TEAM_LEADS[st.patient.team]) if printed else None,
                "withdrawn_at": None,
                "withdrawn_reason": None,
            }
        )
        return printed_on

    def referral(
        self,
        triaged_on: date,
        triage_at: datetime,
        status: ReferralStatus,
        next_action: datetime | None,
    ) -> None:
        """The referral's own row, last: its counters are those of the rows written before it."""
        st = self.state
        sk = st.sk
        triaged = triage(self.dice, self.practices[st.patient.practice_id], sk.service)
        self.rows.referrals.append(
            {
                "id": st.id,
                "patient_id": sk.patient + 1,
                "service_id": st.service_id,
                "received_on": sk.received_on,
                "priority": sk.priority,
                "priority_rank": sk.priority.rank,
                "breach_on": rtt.breach_date(sk.received_on, sk.priority),
                "referrer": triaged.referrer,
                "triage_notes": triaged.note,
                "triaged_by": triaged.triaged_by,
                "triaged_on": triaged_on,
                "status": status,
                "is_open": status.is_open,
                "team_id": st.patient.team + 1,
                "assigned_to": st.assigned_to,
                "claimed_by": None,
                "claimed_until": None,
                "attempt_count": st.attempts,
                "failed_attempt_count": len(st.since_contact),
                "last_attempt_at": st.last_attempt_at,
                "next_action_at": next_action,
                "utc_letter_sent_on": st.utc_letter_sent_on,
                "created_at": triage_at,
                "updated_at": st.updated_at,
            }
        )


def _day_of(t: datetime) -> date:
    """The London date of a UTC instant."""
    return t.astimezone(LONDON).date()
