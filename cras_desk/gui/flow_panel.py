"""What the main window asks of a call-flow panel (call outcome, choice script, booking).

The main window holds each panel through these and nothing else, so a panel can change freely
behind them and a new one needs only to provide FlowPanel (ReferralPanel, their common base, does).
Two panels hand the call on to each other: the choice script says which site the patient chose,
and the booking panel searches it. Those hooks have their own protocols, kept beside the rest.

The panels are imported only when first built (see features.py), so they are checked against these
at run time by the tests (runtime_checkable), and by mypy wherever a panel is passed as one.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from PySide6.QtCore import SignalInstance


@runtime_checkable
class FlowPanel(Protocol):
    @property
    def changed(self) -> SignalInstance:
        """Emits the referral id once the panel has saved a change to it."""
        ...

    def set_referral(self, referral_id: int | None) -> None:
        """Show this referral (None: nothing); the same id again reloads it, keeping what was typed."""
        ...


@runtime_checkable
class ChoiceFlowPanel(FlowPanel, Protocol):
    @property
    def site_chosen(self) -> SignalInstance:
        """Emits (referral id, site id) once the patient's choice of a site is recorded."""
        ...


@runtime_checkable
class BookingFlowPanel(FlowPanel, Protocol):
    def preselect_sites(self, site_ids: list[int]) -> None:
        """Search these sites (the patient's choice): now if loaded, else at the next load."""
        ...
