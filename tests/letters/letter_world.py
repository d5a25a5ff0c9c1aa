"""Rows the letter tests need on top of tests/world.py: an offer, bookings, queued letters.

Written directly (not through the choice and booking services) so these tests exercise the letter
queue alone; the services' own tests cover their calls to queue_letter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from world import World

from cras_desk.db.models import Booking, ChoiceOffer, Site, Slot, WaitingTime
from cras_desk.domain.enums import BookingStatus, LetterKind, ServiceCode
from cras_desk.services.letter_queue import queue_letter


def make_offer(world: World, family: str, by: str = "amy") -> int:
    """A choice offer snapshot shaped as the choice service records it (ChoiceOption.as_snapshot)."""
    referral_id = world.referrals[family]
    with world.db.write() as s:
        options = []
        for site in s.scalars(select(Site).order_by(Site.id)):
            wait = s.scalars(
                select(WaitingTime).where(
                    WaitingTime.site_id == site.id,
                    WaitingTime.service_id == world.services[ServiceCode.PHYSIOTHERAPY],
                )
            ).first()
            options.append(
                {
                    "site_id": site.id,
                    "site_name": site.name,
                    "provider_name": "Sussex MSK Partnership",
                    "address": f"{site.address_line1}, {site.town}",
                    "postcode": site.postcode,
                    "wait_weeks": wait.weeks if wait else None,
                    "wait_as_of": wait.as_of.isoformat() if wait else None,
                    "next_free_slot": None,
                    "distance_km": 3.2,
                    "step_free": site.step_free,
                    "hearing_loop": site.hearing_loop,
                    "parking": site.parking,
                    "opening_hours": site.opening_hours,
                    "meets_adjustments": True,
                }
            )
        offer = ChoiceOffer(
            referral_id=referral_id,
            user_id=world.actor(by).user_id,
            options=options,
            decision="time_to_think",
            offered_at=datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
        )
        s.add(offer)
        s.flush()
        return offer.id


def make_booking(
    world: World,
    family: str,
    town: str = "Brighton",
    nth: int = 0,
    status: BookingStatus = BookingStatus.BOOKED,
    rebooked_from: int | None = None,
) -> int:
    referral_id = world.referrals[family]
    with world.db.write() as s:
        slot = s.scalars(
            select(Slot).where(Slot.site_id == world.sites[town], Slot.capacity == 1).order_by(Slot.starts_at)
        ).all()[nth]
        booking = Booking(
            referral_id=referral_id,
            slot_id=slot.id,
            status=status,
            booked_by=world.actor("amy").user_id,
            rebooked_from_id=rebooked_from,
        )
        s.add(booking)
        s.flush()
        return booking.id


def slot_start(world: World, booking_id: int) -> datetime:
    with world.db.read() as s:
        booking = s.get(Booking, booking_id)
        assert booking is not None
        slot = s.get(Slot, booking.slot_id)
        assert slot is not None
        return slot.starts_at


def queue(
    world: World,
    family: str,
    kind: LetterKind,
    extra: dict[str, Any] | None = None,
    by: str = "amy",
    recipient: str = "patient",
) -> int:
    with world.db.write() as s:
        return queue_letter(s, world.actor(by), world.referrals[family], kind, extra, recipient)


def queue_one_of_each(world: World) -> dict[LetterKind, int]:
    """One letter of every kind, for Ó Súilleabháin (standard print) unless said otherwise."""
    family = "Ó Súilleabháin"
    offer = make_offer(world, family)
    old = make_booking(world, family, "Brighton", 0, status=BookingStatus.REBOOKED)
    new = make_booking(world, family, "Lewes", 1, rebooked_from=old)
    cancelled = make_booking(world, "Smith", "Brighton", 2, status=BookingStatus.CANCELLED_PROVIDER)
    return {
        LetterKind.CHOICE: queue(world, family, LetterKind.CHOICE, {"choice_offer_id": offer}),
        LetterKind.APPOINTMENT: queue(world, family, LetterKind.APPOINTMENT, {"booking_id": new}),
        LetterKind.REBOOKED: queue(
            world, family, LetterKind.REBOOKED, {"booking_id": new, "previous_booking_id": old}
        ),
        LetterKind.CANCELLED: queue(
            world, "Smith", LetterKind.CANCELLED, {"booking_id": cancelled, "by_patient": False}
        ),
        LetterKind.UNABLE_TO_CONTACT: queue(
            world, "Nowak", LetterKind.UNABLE_TO_CONTACT, {"respond_by": "2026-03-16"}
        ),
        LetterKind.DISCHARGE: queue(
            world,
            "Nowak",
            LetterKind.DISCHARGE,
            {"reason": "No reply to calls or letter", "discharge_path": "unable_to_contact"},
        ),
        LetterKind.DISCHARGE_GP_COPY: queue(
            world,
            "Nowak",
            LetterKind.DISCHARGE_GP_COPY,
            {"reason": "No reply to calls or letter", "discharge_path": "unable_to_contact"},
            recipient="gp",
        ),
    }
