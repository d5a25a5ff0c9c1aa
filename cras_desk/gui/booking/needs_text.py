"""The patient's appointment needs in the booking panel's words: its header, counts and confirmations."""

from __future__ import annotations

from cras_desk.domain.appointment_needs import AppointmentNeeds
from cras_desk.services.booking import SlotSearch


def interpreter_text(language: str | None) -> str:
    return f"Interpreter: {language}" if language else ""


def longer_text(needs: AppointmentNeeds) -> str:
    if needs.longer_minutes:
        return f"Longer appointment: {needs.longer_minutes} min"
    if needs.longer_not_offered:
        return "Longer appointment needed: this service has none, so tell the clinic"
    return ""


def needs_parts(needs: AppointmentNeeds) -> list[str]:
    """What the booking acts on, for the header above the slot list (empty: nothing to act on)."""
    parts = [interpreter_text(needs.interpreter_language), longer_text(needs)]
    described = needs.availability.describe()
    if described:
        parts.append(f"Can come: {described}")
    return [p for p in parts if p]


def confirm_needs(needs: AppointmentNeeds) -> str:
    """ " Interpreter: Turkish. Longer appointment: 60 min." for a confirmation, or ""."""
    parts = [interpreter_text(needs.interpreter_language)]
    if needs.longer_minutes:
        parts.append(longer_text(needs))
    return "".join(f" {p}." for p in parts if p)


def count_text(search: SlotSearch, limit: int) -> str:
    n = len(search.slots)
    if n:
        text = f"{n} free slot{'s' if n != 1 else ''}"
        if n >= limit:
            text += " (the first ones; narrow the dates to see others)"
    else:
        text = "No free slots"
    if search.needs.longer_minutes:
        text += f" of {search.needs.longer_minutes} minutes or more"
    hidden = search.hidden_by_availability
    if search.availability_applied:
        if hidden:
            text += f"; {hidden} more hidden by the patient's availability (Ctrl+Shift+I shows all slots)"
        else:
            text += " that fit the patient's availability"
    elif search.needs.availability.restricts:
        text += ", ignoring the patient's availability"
    return text + "."
