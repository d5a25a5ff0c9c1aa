"""What a worklist view asks for and what each of its rows holds: the filter, the sort, the row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from cras_desk.domain.enums import Priority, ReferralStatus, ServiceCode

MAX_PAGE = 1000


class Scope(StrEnum):
    MINE = "mine"
    TEAM = "team"
    ALL = "all"  # team leads and admins only


class SortKey(StrEnum):
    URGENCY = "urgency"  # priority, then breach date
    BREACH = "breach"
    NAME = "name"  # family name, then given name
    RECEIVED = "received"
    STATUS = "status"  # in workflow order, then urgency
    ATTEMPTS = "attempts"  # then urgency
    NEXT_ACTION = "next_action"  # referrals without one sort last (first when descending)
    SERVICE = "service"  # service name, then urgency
    NHS = "nhs"


@dataclass(frozen=True)
class WorklistFilter:
    scope: Scope = Scope.MINE
    advisor_id: int | None = None  # team leads: one advisor's work (within the scope)
    service: ServiceCode | None = None
    priority: Priority | None = None
    # None: every open status (and closed ones too with include_closed). A status given is
    # shown whether open or closed: asking for "booked" means wanting to see booked referrals.
    status: ReferralStatus | None = None
    include_closed: bool = False
    # With no status and no search: leave out booked referrals, which need no call (the advisor's
    # to-do list). A search still finds them: the patient who rings in about an appointment.
    to_do: bool = False
    breach_within_days: int | None = None  # breach date on or before today + n (includes breached)
    callbacks_due: bool = False  # open, next_action_at <= now
    search: str = ""  # interpreted by domain.search_terms.classify


@dataclass(frozen=True)
class WorklistRow:
    referral_id: int
    patient_id: int
    priority: Priority
    received_on: date
    breach_on: date
    patient_name: str  # "NOWAK, Łukasz"
    nhs_number: str  # 10 digits; the GUI formats it 3-3-4
    service: ServiceCode
    service_name: str
    status: ReferralStatus
    attempt_count: int
    next_action_at: datetime | None
    claimed_by_name: str | None  # only while the claim is live
    claimed_until: datetime | None  # likewise
    assigned_to_name: str | None
    postcode: str

    def weeks_waited(self, today: date) -> int:
        """Completed weeks since the referral was received (the RTT reporting unit)."""
        return (today - self.received_on).days // 7

    def days_to_breach(self, today: date) -> int:
        """0 on the breach date, negative once breached."""
        return (self.breach_on - today).days


def display_name(family_name: str, given_name: str) -> str:
    """NHS style "NOWAK, Łukasz": the family name stands out when read aloud over the phone."""
    return f"{family_name.upper()}, {given_name}"
