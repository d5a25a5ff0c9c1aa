"""Domain errors: raised by rules and services, turned into messages by the GUI or CLI."""

from __future__ import annotations


class CrasError(Exception):
    """Base of every error an advisor may see; the message is written for them."""


class ValidationError(CrasError, ValueError):
    """Input that breaks a rule (an NHS number, a postcode, a date)."""


class InvalidNhsNumber(ValidationError):
    pass


class InvalidPostcode(ValidationError):
    pass


class PermissionDenied(CrasError):
    """The signed-in role may not do this; enforced in the services layer."""


class AuthenticationFailed(CrasError):
    pass


class NotFound(CrasError):
    pass


class SlotTaken(CrasError):
    """Another advisor booked the slot (or the group filled) first."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or "Slot just taken by another advisor. The list has been refreshed.")


class ClaimConflict(CrasError):
    """Another advisor holds the referral right now."""

    def __init__(self, claimed_by: str | None = None, message: str | None = None) -> None:
        self.claimed_by = claimed_by
        super().__init__(message or f"This referral is being worked by {claimed_by or 'another advisor'}.")


class StaleState(CrasError):
    """The record changed under the caller (e.g. a booking already cancelled)."""


class UnreadableRecord(CrasError):
    """A stored record (a choice offer's snapshot, say) in no shape this desk knows; nothing is guessed."""


class PolicyViolation(CrasError):
    """A step the contact policy forbids, e.g. discharge before the unable-to-contact letter."""
