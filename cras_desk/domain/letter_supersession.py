"""Which queued letters an event makes untrue, and how the reason for withdrawing them reads.

Pure rules, shared by the services (services/letter_lifecycle.py withdraws the letters) and the
demo seed (whose history must look like the services made it).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from cras_desk.domain.enums import LetterKind


class Supersession(StrEnum):
    """What happened to make a queued letter untrue."""

    REBOOKED = "rebooked"
    CANCELLED = "cancelled"
    BOOKED = "booked"
    REACHED = "reached"


_APPOINTMENT_LETTERS = (LetterKind.APPOINTMENT, LetterKind.REBOOKED)

# With one live booking per referral, every queued appointment or "changed" letter of a referral
# is about its live booking (or an earlier one already ended), so when that booking ends they are
# all overtaken. An unable-to-contact letter is overtaken once the patient is reached or booked.
OVERTAKES: dict[Supersession, tuple[LetterKind, ...]] = {
    Supersession.REBOOKED: _APPOINTMENT_LETTERS,
    Supersession.CANCELLED: _APPOINTMENT_LETTERS,
    Supersession.BOOKED: (LetterKind.UNABLE_TO_CONTACT,),
    Supersession.REACHED: (LetterKind.UNABLE_TO_CONTACT,),
}

_WORDS: dict[Supersession, str] = {
    Supersession.REBOOKED: "Appointment rebooked",
    Supersession.CANCELLED: "Appointment cancelled",
    Supersession.BOOKED: "Patient booked an appointment",
    Supersession.REACHED: "Patient reached",
}

REASON_LENGTH = 200  # Letter.withdrawn_reason


def withdrawal_reason(event: Supersession, by: str, on: date) -> str:
    """ "Appointment rebooked on 04/12/2026 by Amy Advisor": what the queue screen shows."""
    return f"{_WORDS[Supersession(event)]} on {on:%d/%m/%Y} by {by}"[:REASON_LENGTH]
