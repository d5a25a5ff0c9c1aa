"""Referrals and their histories, made by playing each one forward from the day it was received.

Each referral is walked through the real workflow (calls at varied times of day, the contact
policy's unable-to-contact letter, choice offers, bookings on real slots, cancellations,
attendance) until the seed's "now" (midnight at the start of `today`, London time). Whatever was
pending then decides its status. So old referrals are mostly finished, recent ones are being
worked, and every denormalised column is computed from the rows written beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from math import asin, cos, radians, sin, sqrt
from typing import Any

from cras_desk.demo.dice import Dice
from cras_desk.demo.geography import HUBS, PROVIDERS, Hub
from cras_desk.demo.organisation import (
    DEMO_USERS,
    SERVICE_IDS,
    SERVICE_MIX,
    TEAM_ADVISORS,
    TEAM_LEADS,
    Practice,
    sites_offering,
)
from cras_desk.demo.patients import PatientFacts
from cras_desk.demo.schedule import SlotBook, Waits
from cras_desk.demo.seed_calendar import SeedCalendar
from cras_desk.domain import rtt
from cras_desk.domain.clock import LONDON
from cras_desk.domain.contact_policy import AttemptFact, ContactPolicy, NextStepKind
from cras_desk.domain.enums import (
    BookingStatus,
    ContactChannel,
    ContactOutcome,
    LetterKind,
    LetterStatus,
    Priority,
    ReferralStatus,
    ServiceCode,
    SlotKind,
    TimeOfDay,
)
from cras_desk.domain.geo import EARTH_RADIUS_KM, KM_PER_MILE
from cras_desk.domain.letter_supersession import OVERTAKES, Supersession, withdrawal_reason
from cras_desk.domain.offer_snapshot import entry as offer_entry
from cras_desk.domain.offer_snapshot import for_patient, site_address

HISTORY_DAYS = 182  # referrals arrive over the last six months
_DAY = timedelta(days=1)
# Ending a booking this way withdraws the referral's letters still in the print queue that it
# overtakes (services/letter_lifecycle.py); the seed's history does the same.
_SUPERSEDED_BY = {
    BookingStatus.REBOOKED: Supersession.REBOOKED,
    BookingStatus.CANCELLED_PATIENT: Supersession.CANCELLED,
    BookingStatus.CANCELLED_PROVIDER: Supersession.CANCELLED,
}
_FULL_NAMES = {user_id: u.full_name for user_id, u in enumerate(DEMO_USERS, start=1)}  # as USER_IDS

_PRIORITIES = (Priority.URGENT, Priority.SOON, Priority.ROUTINE)
_PRIORITY_WEIGHTS = (10, 25, 65)
_FIRST_CALL_DELAY = {Priority.URGENT: (0, 1), Priority.SOON: (0, 3), Priority.ROUTINE: (1, 15)}

_OUTCOMES = (
    ContactOutcome.SPOKE,
    ContactOutcome.NO_ANSWER,
    ContactOutcome.VOICEMAIL,
    ContactOutcome.BUSY,
    ContactOutcome.WRONG_NUMBER,
    ContactOutcome.CALLBACK_REQUESTED,
    ContactOutcome.DECLINED,
)
_OUTCOME_CUM = list(accumulate((46, 28, 14, 3, 2, 6, 1)))
_SEVEN = range(7)
_NOTES: dict[ContactOutcome, tuple[str | None, ...]] = {
    ContactOutcome.SPOKE: (
        None,
        None,
        "Choice discussed with the patient.",
        "Spoke to the patient's daughter.",
    ),
    ContactOutcome.NO_ANSWER: (None, None, "Rang out, no voicemail."),
    ContactOutcome.VOICEMAIL: ("Left a voicemail asking the patient to call the centre.", None),
    ContactOutcome.BUSY: ("Engaged.", None),
    ContactOutcome.WRONG_NUMBER: ("Number not recognised by the person who answered.",),
    ContactOutcome.CALLBACK_REQUESTED: (
        "Patient at work; asked to be called back.",
        "Driving; call back later.",
    ),
    ContactOutcome.DECLINED: ("Feels better and does not want an appointment.",),
}
# Local minutes of the day a call may be made in, by time of day.
_CALL_HOURS = {
    TimeOfDay.MORNING: (9 * 60, 11 * 60 + 55),
    TimeOfDay.AFTERNOON: (12 * 60, 16 * 60 + 55),
    TimeOfDay.EVENING: (17 * 60, 19 * 60 + 25),
}
_PARTS = (TimeOfDay.MORNING, TimeOfDay.AFTERNOON, TimeOfDay.EVENING)
_PART_CUM = (45, 85, 100)

_SIDES = ("Left", "Right", "Bilateral")
_TRIAGE_NOTES: dict[ServiceCode, tuple[str, ...]] = {
    ServiceCode.PHYSIOTHERAPY: (
        "{side} knee pain for {n} months, worse on stairs. No red flags.",
        "Low back pain with {side} leg referral for {n} weeks. Neurology intact.",
        "{side} shoulder pain, painful arc, {n} months.",
        "Neck pain and stiffness since a fall {n} weeks ago.",
        "{side} ankle sprain {n} weeks ago, still giving way.",
    ),
    ServiceCode.MSK_MDT: (
        "{side} hip OA on X-ray, night pain; considering surgery.",
        "{side} knee OA, failed physiotherapy; BMI 31.",
        "Persistent {side} shoulder pain; query rotator cuff tear.",
        "Symptoms of lumbar spinal stenosis; walks {n}00 m before stopping.",
    ),
    ServiceCode.PAIN: (
        "Chronic widespread pain for {n} years; poor sleep.",
        "Persistent low back pain over 2 years; keen on a group programme.",
        "Fibromyalgia diagnosed {n} years ago; struggling at work.",
    ),
    ServiceCode.RHEUMATOLOGY: (
        "Early morning stiffness over an hour, swollen MCP joints; CRP raised.",
        "Query polymyalgia rheumatica; ESR {n}8.",
        "Psoriasis with a newly swollen {side} knee.",
    ),
    ServiceCode.PODIATRY: (
        "{side} heel pain, worst first thing; query plantar fasciitis.",
        "Painful bunion, {side} foot; footwear advice needed.",
        "Diabetic with callus on the {side} forefoot; low-risk foot.",
    ),
    ServiceCode.ORTHOTICS: (
        "{side} foot drop after a stroke; AFO assessment.",
        "Flat feet with {side} knee pain; insoles requested.",
        "Leg length difference of {n} cm after hip replacement.",
    ),
}
_TRIAGERS = (
    "Dr Anna Patel, MSK triage",
    "Mark Hollis, advanced practitioner",
    "Jo Baxter, advanced practitioner",
    "Dr Femi Adeyemi, MSK triage",
    "Ruth Kendall, clinical lead",
)


@dataclass(frozen=True, slots=True)
class Skeleton:
    received_on: date
    patient: int  # index into the patient facts (id - 1)
    service: ServiceCode
    priority: Priority


def plan_referrals(dice: Dice, cal: SeedCalendar, today: date, n: int) -> tuple[list[Skeleton], list[date]]:
    """Referrals in order of receipt, and each patient's first referral date (patient id = index + 1).

    About one patient in nine has two referrals. Demand grows a little over the six months.
    """
    days = cal.working_days_in(today - timedelta(days=HISTORY_DAYS), today)
    cum = list(accumulate(1.0 + 0.35 * i / len(days) for i in range(len(days))))
    rng = dice.rng  # choices(k=n) draws in bulk: fast enough, and one call
    received = rng.choices(days, cum_weights=cum, k=n)
    patient_count = round(n / 1.12) if n else 0
    owners = list(range(patient_count)) + [rng.randrange(patient_count) for _ in range(n - patient_count)]
    rng.shuffle(owners)
    services = rng.choices(list(SERVICE_MIX), weights=list(SERVICE_MIX.values()), k=n)
    priorities = rng.choices(_PRIORITIES, weights=_PRIORITY_WEIGHTS, k=n)
    order = sorted(range(n), key=lambda i: (received[i], i))
    skeletons = [Skeleton(received[i], owners[i], services[i], priorities[i]) for i in order]
    first_seen: list[date | None] = [None] * patient_count
    for s in skeletons:
        if first_seen[s.patient] is None:
            first_seen[s.patient] = s.received_on
    return skeletons, [d for d in first_seen if d is not None]


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
class _Booking:
    row: dict[str, Any]
    slot_id: int
    site_id: int
    kind: SlotKind
    starts_at: datetime
    minutes: int


class _Owners:
    """Who held the referral when: the advisor doing each call, offer, booking and letter."""

    def __init__(self, segments: list[tuple[datetime, int]], final: int) -> None:
        self.segments = segments  # (until, user) in time order
        self.final = final

    def at(self, t: datetime) -> int:
        for until, user in self.segments:
            if t < until:
                return user
        return self.final


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
        # Letters made on the last working day are still in the print queue; older ones printed.
        self.print_cutoff = cal.at(cal.days[cal.days.index(cal.shift(today, 0)) - 1], 0)
        self.waits = waits
        self.book = book
        self.facts = facts
        self.practices = {p.id: p for p in practices}
        self.policy = ContactPolicy()
        self.blocked_slots: list[int] = []  # 1:1 slots the provider cancelled after they were booked
        self.ids = {"attempt": 0, "offer": 0, "booking": 0, "letter": 0, "assignment": 0}
        self.sites = {code: sites_offering(code) for code in ServiceCode}
        self.site_facts = {i: _SiteFacts.of(hub) for i, hub in enumerate(HUBS, start=1)}
        self.site_entries: dict[tuple[int, int, date], dict[str, Any]] = {}
        self.hub_radians = {
            i: (radians(h.latitude), radians(h.longitude), cos(radians(h.latitude)))
            for i, h in enumerate(HUBS, start=1)
        }
        self.rows = Rows()

    def take_rows(self) -> Rows:
        rows, self.rows = self.rows, Rows()
        return rows

    def _next_id(self, name: str) -> int:
        self.ids[name] += 1
        return self.ids[name]

    # -- one referral ------------------------------------------------------------------------

    def run(self, referral_id: int, sk: Skeleton) -> None:
        dice, cal = self.dice, self.cal
        p = self.facts[sk.patient]
        self.state = _State(referral_id, p, sk, SERVICE_IDS[sk.service])
        st = self.state
        triaged_on = cal.shift(sk.received_on, dice.pick((0, 0, 1, 1, 2)))
        if triaged_on >= self.today:
            triaged_on = sk.received_on
        triage_minute = dice.between(8 * 60 + 30, 16 * 60)
        triage_at = cal.at(triaged_on, triage_minute)
        st.touch(triage_at)
        self.owners = self._assign(triage_at, p.team)

        lo, hi = _FIRST_CALL_DELAY[sk.priority]
        roll = dice.random()
        if roll < 0.01:  # lost in the system: the breaches a team lead's early warning must catch
            lo, hi = 90, 125
        elif roll < 0.10 and sk.priority is not Priority.URGENT:  # the backlog of a busy month
            lo, hi = 20, 70
        day = cal.shift(triaged_on, dice.between(lo, hi))
        minute = self._call_minute(None)
        if day == triaged_on and minute <= triage_minute:
            minute = min(triage_minute + dice.between(20, 120), _CALL_HOURS[TimeOfDay.EVENING][1])
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
                self._attempt(
                    t, ContactOutcome.SPOKE, "Patient phoned in after the unable-to-contact letter."
                )
                outcome = ContactOutcome.SPOKE
            else:
                outcome = _OUTCOMES[dice.weighted(_SEVEN, _OUTCOME_CUM)]
                callback_at = None
                if outcome is ContactOutcome.CALLBACK_REQUESTED:
                    day, minute = self._callback_time(day, minute)
                    callback_at = cal.at(day, minute)
                self._attempt(t, outcome, dice.pick(_NOTES[outcome]), callback_at)
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
                    printed_on = self._letter(LetterKind.UNABLE_TO_CONTACT, t + timedelta(minutes=3))
                    st.utc_letter_sent_on = printed_on
                    respond_by = self.policy.respond_by(printed_on or day)
                    if dice.chance(0.3):
                        kind = "reply"
                        day = min(cal.shift(day, dice.between(2, 8)), respond_by)
                        day = cal.shift(day, 0)
                        minute = self._call_minute(None)
                    else:
                        kind = "utc_discharge"
                        day = cal.shift(respond_by, dice.between(1, 3))
                        minute = dice.between(9 * 60, 16 * 60)
                else:
                    kind = "call"
                    day, minute = self._retry_time(day, minute)
                continue
            st.since_contact.clear()
            if outcome is ContactOutcome.DECLINED:
                self._letter(LetterKind.DISCHARGE_GP_COPY, t + timedelta(minutes=5), recipient="gp")
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
        self._write_referral(sk, triaged_on, triage_at, status, next_action)

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
        options, miles = self._options(day)
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
        st.offers += 1
        self.rows.choice_offers.append(
            {
                "id": self._next_id("offer"),
                "referral_id": st.id,
                "offered_at": offered_at,
                "user_id": self.owners.at(offered_at),
                "options": sorted(options, key=_as_listed),
                "decision": decision,
                "chosen_site_id": chosen["site_id"] if decision == "chosen" else None,
                "sdm_notes": notes,
            }
        )
        st.touch(offered_at)
        if decision == "declined":
            self._letter(LetterKind.DISCHARGE_GP_COPY, offered_at + timedelta(minutes=3), recipient="gp")
            return ReferralStatus.COMPLETED
        if decision == "time_to_think":
            self._letter(LetterKind.CHOICE, offered_at + timedelta(minutes=3))
            return "think", self.cal.shift(day, dice.between(3, 7)), self._call_minute(None)
        assert booking is not None
        return self._follow_booking(booking)

    def _site_on(self, site_id: int, service_id: int, day: date) -> dict[str, Any]:
        """The offer entry of a site's service as any patient was shown it on `day` (made once).

        The next free place is looked up from the day after, as the simulation stood when the
        site was first offered that day: a seeded history is simulated referral by referral, not
        in time order, so the slot book never holds the exact state of a past day anyway, and
        starting the next day keeps the place after every offer made that day.
        """
        key = (site_id, service_id, day)
        found = self.site_entries.get(key)
        if found is None:
            site = self.site_facts[site_id]
            found = self.site_entries[key] = offer_entry(
                site_id=site_id,
                site_name=site.name,
                provider_name=site.provider_name,
                address=site.address,
                postcode=site.postcode,
                wait_weeks=self.waits.on(site_id, service_id, day),
                wait_as_of=self.waits.as_of_on(day),
                next_free_slot=self.book.next_free(site_id, service_id, self.cal.at(day + _DAY, 0)),
                distance_km=None,
                step_free=site.step_free,
                hearing_loop=site.hearing_loop,
                parking=site.parking,
                opening_hours=site.opening_hours,
                meets_adjustments=None,
            )
        return found

    def _options(self, day: date) -> tuple[list[dict[str, Any]], list[float]]:
        """The offer's entries (offer_snapshot's shape, as the choice screen showed them on `day`),
        nearest first, and each one's distance in miles (what the patient weighs)."""
        st = self.state
        p = st.patient
        needs = p.needs
        lat, lon = radians(p.latitude), radians(p.longitude)
        cos_lat = cos(lat)
        found = []
        for site_id in self.sites[st.sk.service]:
            hub_lat, hub_lon, hub_cos = self.hub_radians[site_id]
            # domain.geo.haversine_km inlined: it validates its inputs, which costs more than the sum.
            h = sin((hub_lat - lat) / 2) ** 2 + cos_lat * hub_cos * sin((hub_lon - lon) / 2) ** 2
            km = 2 * EARTH_RADIUS_KM * asin(sqrt(min(1.0, h)))
            facilities = self.site_facts[site_id].facilities
            option = for_patient(
                self._site_on(site_id, st.service_id, day),
                distance_km=round(km, 2),
                meets_adjustments=not needs or all(facilities[need] for need in needs),
            )
            found.append((round(km / KM_PER_MILE, 1), site_id, option))
        found.sort()  # (miles, site_id): site ids are unique, so entries are never compared
        return [f[2] for f in found], [f[0] for f in found]

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
            "interpreter_language": self.facts[st.sk.patient].interpreter,
        }
        self.rows.bookings.append(row)
        st.touch(at)
        self._letter(
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
                by = self.owners.at(change_at)
                if roll < 0.06:  # the patient asks for another date
                    self._attempt(change_at, ContactOutcome.SPOKE, "Patient rang to change the appointment.")
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
                    self._attempt(
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
                    self._letter(LetterKind.CANCELLED, change_at + timedelta(minutes=3))
                    self._discharge(change_at + timedelta(minutes=5))
                    return ReferralStatus.DISCHARGED
                if new is None:  # nowhere to move it to: back on the worklist to call again
                    return "call", self.cal.shift(_day_of(change_at), 1), self._call_minute(None)
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
                return "call", self.cal.shift(day, 1), self._call_minute(None)
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
        booking.row.update(status=status, ended_at=at, ended_by=by, reason=reason)
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

    def _discharge(self, at: datetime) -> None:
        self._letter(LetterKind.DISCHARGE, at + timedelta(minutes=2))
        self._letter(LetterKind.DISCHARGE_GP_COPY, at + timedelta(minutes=2), recipient="gp")
        self.state.touch(at)

    def _attempt(
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

    def _letter(self, kind: LetterKind, at: datetime, recipient: str = "patient") -> date | None:
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

    def _assign(self, triage_at: datetime, team: int) -> _Owners:
        """Allocation history: most referrals go to an advisor of the patient's team after triage."""
        dice = self.dice
        advisors = TEAM_ADVISORS[team]
        lead = TEAM_LEADS[team]
        allocated_at = triage_at + timedelta(minutes=dice.between(10, 90))
        span = max(0.0, (self.now - allocated_at).total_seconds())
        queue_picker = dice.pick(advisors)  # who takes it from the team queue when unassigned
        roll = dice.random()
        if roll < 0.86:
            owner = dice.pick(advisors)
            self._assignment(None, owner, lead, allocated_at, "Allocated after triage.")
            self.state.assigned_to = owner
            if dice.chance(0.08) and span > 3600:
                moved_at = allocated_at + timedelta(seconds=span * dice.uniform(0.2, 0.9))
                new = dice.pick([a for a in advisors if a != owner])
                reason = dice.pick(
                    ("Rebalancing workload.", "Advisor on leave.", "Patient asked for the same advisor.")
                )
                self._assignment(owner, new, lead, moved_at, reason)
                self.state.assigned_to = new
                return _Owners([(moved_at, owner)], new)
            return _Owners([], owner)
        if roll < 0.90 and span > 3600:
            owner = dice.pick(advisors)
            returned_at = allocated_at + timedelta(seconds=span * dice.uniform(0.2, 0.9))
            self._assignment(None, owner, lead, allocated_at, "Allocated after triage.")
            self._assignment(owner, None, lead, returned_at, "Returned to the team queue.")
            return _Owners([(returned_at, owner)], queue_picker)
        return _Owners([], queue_picker)

    def _assignment(
        self, from_user: int | None, to_user: int | None, by: int, at: datetime, reason: str
    ) -> None:
        self.rows.assignments.append(
            {
                "id": self._next_id("assignment"),
                "referral_id": self.state.id,
                "from_user_id": from_user,
                "to_user_id": to_user,
                "by_user_id": by,
                "at": at,
                "reason": reason,
            }
        )

    # -- times -----------------------------------------------------------------------------------

    def _call_minute(self, avoid: TimeOfDay | None) -> int:
        dice = self.dice
        part = dice.weighted(_PARTS, _PART_CUM)
        if part is avoid and dice.chance(0.7):
            part = dice.pick([p for p in _PARTS if p is not avoid])
        lo, hi = _CALL_HOURS[part]
        return dice.between(lo, hi)

    def _retry_time(self, day: date, minute: int) -> tuple[date, int]:
        """Next call after a failed one: usually another working day, at another time of day."""
        dice = self.dice
        part = TimeOfDay.of_hour(minute // 60)
        if minute < 16 * 60 and dice.chance(0.2):
            later = [p for p in _PARTS if _CALL_HOURS[p][0] > minute + 90]
            if later:
                lo, hi = _CALL_HOURS[dice.pick(later)]
                return day, dice.between(lo, hi)
        return self.cal.shift(day, dice.pick((1, 1, 1, 2, 2, 3))), self._call_minute(part)

    def _callback_time(self, day: date, minute: int) -> tuple[date, int]:
        dice = self.dice
        if minute < 15 * 60 and dice.chance(0.4):
            return day, dice.between(minute + 60, 19 * 60) // 15 * 15
        return self.cal.shift(day, dice.pick((1, 1, 2, 3))), dice.between(9 * 4, 19 * 4) * 15

    # -- the referral row --------------------------------------------------------------------------

    def _write_referral(
        self,
        sk: Skeleton,
        triaged_on: date,
        triage_at: datetime,
        status: ReferralStatus,
        next_action: datetime | None,
    ) -> None:
        dice, st = self.dice, self.state
        practice = self.practices[st.patient.practice_id]
        roll = dice.random()
        if roll < 0.8:
            referrer = f"Dr {dice.pick(practice.doctors)}, {practice.name}"
        elif roll < 0.95:
            referrer = f"First Contact Physiotherapist, {practice.name}"
        else:
            referrer = "Urgent Treatment Centre"
        note = dice.pick(_TRIAGE_NOTES[sk.service]).format(side=dice.pick(_SIDES), n=dice.between(2, 9))
        self.rows.referrals.append(
            {
                "id": st.id,
                "patient_id": sk.patient + 1,
                "service_id": st.service_id,
                "received_on": sk.received_on,
                "priority": sk.priority,
                "priority_rank": sk.priority.rank,
                "breach_on": rtt.breach_date(sk.received_on, sk.priority),
                "referrer": referrer,
                "triage_notes": note,
                "triaged_by": dice.pick(_TRIAGERS),
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


@dataclass
class _State:
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


@dataclass(frozen=True, slots=True)
class _SiteFacts:
    """What an offer says about a hub that does not change from one offer to the next."""

    name: str
    provider_name: str
    address: str
    postcode: str
    opening_hours: str
    step_free: bool
    hearing_loop: bool
    parking: bool
    facilities: dict[str, bool]  # by patient need (PatientFacts.needs)

    @classmethod
    def of(cls, hub: Hub) -> _SiteFacts:
        return cls(
            name=hub.name,
            provider_name=PROVIDERS[hub.provider][0],
            address=site_address(hub.address_line1, hub.address_line2, hub.town),
            postcode=hub.postcode,
            opening_hours=hub.opening_hours,
            step_free=hub.step_free,
            hearing_loop=hub.hearing_loop,
            parking=hub.parking,
            facilities={"step_free": hub.step_free, "hearing_loop": hub.hearing_loop, "parking": hub.parking},
        )


def _as_listed(option: dict[str, Any]) -> tuple[int, float, str, int]:
    # The order ChoiceService.options lists sites in: shortest wait, then nearest (seeded waits
    # are never missing).
    return option["wait_weeks"], option["distance_km"], option["site_name"], option["site_id"]


def _naive_local(day: date, minute: int) -> datetime:
    # The contact policy reads naive datetimes as UK local time: no zone conversion per call.
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60)


def _day_of(t: datetime) -> date:
    """The London date of a UTC instant."""
    return t.astimezone(LONDON).date()
