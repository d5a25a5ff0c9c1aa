"""The seeded referrals as they arrive: when, for which patient and service, how urgent, from
whom, and what triage wrote about them.

Referrals arrive on working days over the last six months, a little more each month; about one
patient in nine has two. The referrer and triage note read as an MSK triage service's do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from cras_desk.demo.dice import Dice
from cras_desk.demo.organisation import SERVICE_MIX, Practice
from cras_desk.demo.seed_calendar import SeedCalendar
from cras_desk.domain.enums import Priority, ServiceCode

HISTORY_DAYS = 182  # referrals arrive over the last six months

_PRIORITIES = (Priority.URGENT, Priority.SOON, Priority.ROUTINE)
_PRIORITY_WEIGHTS = (10, 25, 65)

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


@dataclass(frozen=True, slots=True)
class Triage:
    referrer: str
    note: str
    triaged_by: str


def triage(dice: Dice, practice: Practice, service: ServiceCode) -> Triage:
    """Who referred the patient, and what the triaging clinician wrote."""
    roll = dice.random()
    if roll < 0.8:
        referrer = f"Dr {dice.pick(practice.doctors)}, {practice.name}"
    elif roll < 0.95:
        referrer = f"First Contact Physiotherapist, {practice.name}"
    else:
        referrer = "Urgent Treatment Centre"
    note = dice.pick(_TRIAGE_NOTES[service]).format(side=dice.pick(_SIDES), n=dice.between(2, 9))
    return Triage(referrer, note, dice.pick(_TRIAGERS))
