"""Referrals and their histories, made by playing each one forward from the day it was received.

Each referral is walked through the real workflow (calls at varied times of day, the contact
policy's unable-to-contact letter, choice offers, bookings on real slots, cancellations,
attendance) until the seed's "now" (midnight at the start of `today`, London time). Whatever was
pending then decides its status. So old referrals are mostly finished, recent ones are being
worked, and every denormalised column is computed from the rows written beside it.

This module decides what happens, step by step. What arrives is planned in demo/arrivals.py,
who holds a referral when in demo/allocation.py, when calls are made and what they come to in
demo/calls.py, what a choice offer lists in demo/offers.py, and each event is written down as
the services would write it in demo/history_rows.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any

from cras_desk.demo.allocation import allocate
from cras_desk.demo.arrivals import Skeleton
from cras_desk.demo.calls import LAST_CALL_MINUTE, Calls
from cras_desk.demo.dice import Dice
from cras_desk.demo.history_rows import HistoryRows, ReferralState, Rows
from cras_desk.demo.offers import OfferSites, as_listed
from cras_desk.demo.organisation import SERVICE_IDS, Practice
from cras_desk.demo.patients import PatientFacts
from cras_desk.demo.schedule import SlotBook, Waits
from cras_desk.demo.seed_calendar import SeedCalendar
from cras_desk.domain.clock import LONDON
from cras_desk.domain.contact_policy import AttemptFact, ContactPolicy, NextStepKind
from cras_desk.domain.enums import (
    BookingStatus,
    ContactOutcome,
    LetterKind,
    Priority,
    ReferralStatus,
    ServiceCode,
    SlotKind,
)

_FIRST_CALL_DELAY = {Priority.URGENT: (0, 1), Priority.SOON: (0, 3), Priority.ROUTINE: (1, 15)}


@dataclass
class _Booking:
    row: dict[str, Any]
    slot_id: int
    site_id: int
    kind: SlotKind
    starts_at: datetime
    minutes: int


class ReferralSimulator:
    def __init__(
        self,
        dice: Dice,
        cal: SeedCalendar,
        today: date,
        waits: Waits,
        book: SlotBook,
        facts: list[PatientFacts],
        practices: list[Practice],
    ) -> None:
        self.dice = dice
        self.cal = cal
        self.today = today
        self.now = cal.at(today, 0)
        self.waits = waits
        self.book = book
        self.facts = facts
        self.policy = ContactPolicy()
        self.blocked_slots: list[int] = []  # 1:1 slots the provider cancelled after they were booked
        self.calls = Calls(dice, cal)
        self.offer_sites = OfferSites(cal, waits, book)
        # Letters made on the last working day are still in the print queue; older ones printed.
        print_cutoff = cal.at(cal.days[cal.days.index(cal.shift(today, 0)) - 1], 0)
        self.out = HistoryRows(dice, cal, print_cutoff, {p.id: p for p in practices})

    def take_rows(self) -> Rows:
        return self.out.take_rows()

    # -- one referral ------------------------------------------------------------------------

    def run(self, referral_id: int, sk: Skeleton) -> None:
        dice, cal = self.dice, self.cal
        p = self.facts[sk.patient]
        self.state = ReferralState(referral_id, p, sk, SERVICE_IDS[sk.service])
        st = self.state
        triaged_on = cal.shift(sk.received_on, dice.pick((0, 0, 1, 1, 2)))
        if triaged_on >= self.today:
            triaged_on = sk.received_on
        triage_minute = dice.between(8 * 60 + 30, 16 * 60)
        triage_at = cal.at(triaged_on, triage_minute)
        st.touch(triage_at)
        self.out.begin(st, allocate(dice, triage_at, p.team, self.now))

        lo, hi = _FIRST_CALL_DELAY[sk.priority]
        roll = dice.random()
        if roll < 0.01:  # lost in the system: the breaches a team lead's early warning must catch
            lo, hi = 90, 125
        elif roll < 0.10 and sk.priority is not Priority.URGENT:  # the backlog of a busy month
            lo, hi = 20, 70
        day = cal.shift(triaged_on, dice.between(lo, hi))
        minute = self.calls.minute(None)
        if day == triaged_on and minute <= triage_minute:
            minute = min(triage_minute + dice.between(20, 120), LAST_CALL_MINUTE)
        kind = "call"
        respond_by: date | None = None
        status: ReferralStatus | None = None
        next_action: datetime | None = None

        for _ in range(40):
            t = cal.at(day, minute)
            if t >= self.now:
                status, next_action = self._pending(kind, t, respond_by)
                break
            if kind in ("utc_discharge", "dna_discharge"):
                self._discharge(t)
                status = ReferralStatus.DISCHARGED
                break
            if kind == "reply":
                self.out.attempt(
                    t, ContactOutcome.SPOKE, "Patient phoned in after the unable-to-contact letter."
                )
                outcome = ContactOutcome.SPOKE
            else:
                outcome = self.calls.outcome()
                callback_at = None
                if outcome is ContactOutcome.CALLBACK_REQUESTED:
                    day, minute = self.calls.callback(day, minute)
                    callback_at = cal.at(day, minute)
                self.out.attempt(t, outcome, self.calls.note(outcome), callback_at)
                if outcome is ContactOutcome.CALLBACK_REQUESTED:
                    st.since_contact.clear()
                    kind = "callback"
                    continue
            if outcome.is_failed:
                st.since_contact.append(AttemptFact(_naive_local(day, minute), outcome))
                # The policy never asks for the letter before its minimum of failed attempts.
                enough = len(st.since_contact) >= self.policy.max_failed_attempts
                if (
                    enough
                    and self.policy.next_step(st.since_contact, None, day).kind
                    is NextStepKind.SEND_UTC_LETTER
                ):
                    # The reply window runs from the day the letter is printed; one still in the
                    # print queue has not started it (utc_letter_sent_on stays empty).
                    printed_on = self.out.letter(LetterKind.UNABLE_TO_CONTACT, t + timedelta(minutes=3))
                    st.utc_letter_sent_on = printed_on
                    respond_by = self.policy.respond_by(printed_on or day)
                    if dice.chance(0.3):
                        kind = "reply"
                        day = min(cal.shift(day, dice.between(2, 8)), respond_by)
                        day = cal.shift(day, 0)
                        minute = self.calls.minute(None)
                    else:
                        kind = "utc_discharge"
                        day = cal.shift(respond_by, dice.between(1, 3))
                        minute = dice.between(9 * 60, 16 * 60)
                else:
                    kind = "call"
                    day, minute = self.calls.retry(day, minute)
                continue
            st.since_contact.clear()
            if outcome is ContactOutcome.DECLINED:
                self.out.letter(LetterKind.DISCHARGE_GP_COPY, t + timedelta(minutes=5), recipient="gp")
                status = ReferralStatus.COMPLETED
                break
            # Spoke: offer choice and book, or give the patient time to think.
            result = self._choose(t)
            if isinstance(result, ReferralStatus):
                status = result
                break
            kind, day, minute = result
        else:  # a history that ran out of steps is left mid-contact; never seen in practice
            status = ReferralStatus.CONTACTING

        assert status is not None
        self.out.referral(triaged_on, triage_at, status, next_action)

    # -- steps ---------------------------------------------------------------------------------

    def _pending(
        self, kind: str, t: datetime, respond_by: date | None
    ) -> tuple[ReferralStatus, datetime | None]:
        """The status of a referral whose next step falls after the seed's now."""
        if kind == "callback":
            return ReferralStatus.CALLBACK, t
        if kind == "think":
            return ReferralStatus.CHOICE_PENDING, t
        if kind in ("reply", "utc_discharge"):
            assert respond_by is not None
            # Nobody should chase until the reply period is over; then it is due for discharge.
            return ReferralStatus.UTC_LETTER_SENT, self.cal.at(self.cal.shift(respond_by, 1), 9 * 60)
        if self.state.since_contact:
            return ReferralStatus.CONTACTING, None
        return ReferralStatus.AWAITING_CONTACT, None

    def _choose(self, t: datetime) -> ReferralStatus | tuple[str, date, int]:
        """Offer choice at t; book, or plan the follow-up call. Returns a final status or the next step."""
        dice, st = self.dice, self.state
        offered_at = t + timedelta(minutes=dice.between(2, 6))
        day = _day_of(offered_at)
        options, miles = self.offer_sites.options(st.patient, st.sk.service, st.service_id, day)
        suitable = [i for i, o in enumerate(options) if o["meets_adjustments"]] or range(len(options))
        weights = [1.0 / (1.0 + miles[i] / 4 + options[i]["wait_weeks"] / 5) ** 2 for i in suitable]
        chosen = options[dice.weighted(suitable, list(accumulate(weights)))]
        roll = dice.random()
        repeat = st.offers > 0
        decision = (
            "chosen" if roll < (0.85 if repeat else 0.8) else "declined" if roll > 0.96 else "time_to_think"
        )
        notes = None
        booking = None
        if decision == "chosen":
            booking = self._book(offered_at + timedelta(minutes=2), chosen["site_id"], None)
            if booking is None:
                decision = "time_to_think"
                notes = "No appointment free at the chosen site; patient to be called when clinics open."
        elif decision == "time_to_think":
            notes = dice.pick(("Wants to discuss with family.", "Checking work rota first.", None))
        else:
            notes = "Declined treatment after discussing options."
        chosen_site_id = chosen["site_id"] if decision == "chosen" else None
        self.out.offer(offered_at, sorted(options, key=as_listed), decision, chosen_site_id, notes)
        if decision == "declined":
            self.out.letter(LetterKind.DISCHARGE_GP_COPY, offered_at + timedelta(minutes=3), recipient="gp")
            return ReferralStatus.COMPLETED
        if decision == "time_to_think":
            self.out.letter(LetterKind.CHOICE, offered_at + timedelta(minutes=3))
            return "think", self.cal.shift(day, dice.between(3, 7)), self.calls.minute(None)
        assert booking is not None
        return self._follow_booking(booking)

    def _book(
        self, at: datetime, site_id: int, rebooked_from: int | None, not_before: datetime | None = None
    ) -> _Booking | None:
        dice, st = self.dice, self.state
        if not_before is None:
            wait = self.waits.on(site_id, st.service_id, _day_of(at))
            if st.sk.priority is Priority.URGENT:
                days = dice.between(2, 10)
            elif st.sk.priority is Priority.SOON:
                days = dice.between(7, max(8, min(35, wait * 7)))
            else:
                days = int(wait * 7 * dice.uniform(0.6, 1.05))
            not_before = at + timedelta(days=max(1, days))
        kinds = [SlotKind.ONE_TO_ONE]
        if st.sk.service is ServiceCode.PAIN:
            kinds = (
                [SlotKind.GROUP, SlotKind.ONE_TO_ONE]
                if dice.chance(0.7)
                else [SlotKind.ONE_TO_ONE, SlotKind.GROUP]
            )
        slot_id = None
        for kind in kinds:
            for moment in (not_before, at + timedelta(days=1)):
                slot_id = self.book.take(site_id, st.service_id, kind, moment)
                if slot_id is not None:
                    break
            if slot_id is not None:
                break
        if slot_id is None:
            return None
        starts_at, minutes = self.book.info[slot_id]
        row = self.out.booking(at, slot_id, rebooked_from)
        self.out.letter(
            LetterKind.APPOINTMENT if rebooked_from is None else LetterKind.REBOOKED,
            at + timedelta(minutes=2),
        )
        return _Booking(row, slot_id, site_id, kind, starts_at, minutes)

    def _follow_booking(self, booking: _Booking) -> ReferralStatus | tuple[str, date, int]:
        """What became of a booking (and its rebookings) by now."""
        dice = self.dice
        for _ in range(4):
            change_at = self._change_time(booking)
            roll = dice.random()
            if roll < 0.10 and change_at is not None:
                by = self.out.owners.at(change_at)
                if roll < 0.06:  # the patient asks for another date
                    self.out.attempt(
                        change_at, ContactOutcome.SPOKE, "Patient rang to change the appointment."
                    )
                    self._end(
                        booking, BookingStatus.REBOOKED, change_at, by, "Patient asked for a different date."
                    )
                    later = booking.starts_at + timedelta(days=dice.between(3, 21))
                    new = self._book(
                        change_at + timedelta(minutes=4), booking.site_id, booking.row["id"], later
                    )
                elif roll < 0.08 and booking.kind is SlotKind.ONE_TO_ONE:  # the clinic is cancelled
                    self.blocked_slots.append(booking.slot_id)
                    self._end(
                        booking,
                        BookingStatus.CANCELLED_PROVIDER,
                        change_at,
                        by,
                        "Clinic cancelled by the provider.",
                    )
                    self.out.attempt(
                        change_at + timedelta(minutes=30),
                        ContactOutcome.SPOKE,
                        "Told the patient the clinic was cancelled; rebooked.",
                    )
                    new = self._book(
                        change_at + timedelta(minutes=35),
                        booking.site_id,
                        booking.row["id"],
                        booking.starts_at,
                    )
                else:  # the patient cancels and wants no treatment
                    self._end(
                        booking,
                        BookingStatus.CANCELLED_PATIENT,
                        change_at,
                        by,
                        "Patient no longer wants treatment.",
                    )
                    self.out.letter(LetterKind.CANCELLED, change_at + timedelta(minutes=3))
                    self._discharge(change_at + timedelta(minutes=5))
                    return ReferralStatus.DISCHARGED
                if new is None:  # nowhere to move it to: back on the worklist to call again
                    return "call", self.cal.shift(_day_of(change_at), 1), self.calls.minute(None)
                booking = new
                continue
            if booking.starts_at >= self.now:
                return ReferralStatus.BOOKED
            ended = booking.starts_at + timedelta(minutes=booking.minutes)
            if dice.chance(0.88):
                self._end(booking, BookingStatus.ATTENDED, ended, None, None)
                return ReferralStatus.COMPLETED
            self._end(booking, BookingStatus.DNA, ended, None, "Did not attend.")
            day = _day_of(ended)
            if dice.chance(0.55):  # call the patient to rebook
                return "call", self.cal.shift(day, 1), self.calls.minute(None)
            return "dna_discharge", day, 20 * 60
        # Four changes to one appointment: keep the last booking as it stands.
        if booking.starts_at >= self.now:
            return ReferralStatus.BOOKED
        self._end(
            booking,
            BookingStatus.ATTENDED,
            booking.starts_at + timedelta(minutes=booking.minutes),
            None,
            None,
        )
        return ReferralStatus.COMPLETED

    def _change_time(self, booking: _Booking) -> datetime | None:
        """A working-hours moment between booking and appointment, if one passed before now."""
        dice = self.dice
        booked_at = booking.row["booked_at"]
        raw = booked_at + (booking.starts_at - booked_at) * dice.uniform(0.1, 0.9)
        at = self.cal.at(self.cal.shift(_day_of(raw), 0), dice.between(9 * 60, 17 * 60))
        if at <= booked_at:
            at = booked_at + timedelta(minutes=30)
        if at >= booking.starts_at - timedelta(hours=2) or at >= self.now:
            return None
        return at

    def _end(
        self, booking: _Booking, status: BookingStatus, at: datetime, by: int | None, reason: str | None
    ) -> None:
        self.out.end_booking(booking.row, status, at, by, reason)

    def _discharge(self, at: datetime) -> None:
        self.out.letter(LetterKind.DISCHARGE, at + timedelta(minutes=2))
        self.out.letter(LetterKind.DISCHARGE_GP_COPY, at + timedelta(minutes=2), recipient="gp")
        self.state.touch(at)


def _naive_local(day: date, minute: int) -> datetime:
    # The contact policy reads naive datetimes as UK local time: no zone conversion per call.
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60)


def _day_of(t: datetime) -> date:
    """The London date of a UTC instant."""
    return t.astimezone(LONDON).date()
