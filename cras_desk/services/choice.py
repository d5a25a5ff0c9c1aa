"""Choice of provider: the eligible sites with their current waits, and the record of what was offered.

The NHS Choice Framework gives the patient a legal right to choose where they are seen, so the
offer is stored exactly as the advisor saw it (a snapshot of sites, waits and next free slots),
not as a reference to rows that will change tomorrow. The snapshot's shape, its versions and its
checks live in cras_desk/domain/offer_snapshot.py, shared with the demo seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from cras_desk.db.engine import Database
from cras_desk.db.models import (
    ChoiceOffer,
    Patient,
    Provider,
    Referral,
    Site,
    SiteService,
    Slot,
    User,
    WaitingTime,
)
from cras_desk.domain import input_rules
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import AdjustmentFlag, LetterKind, ReferralStatus, Role, SlotStatus
from cras_desk.domain.errors import NotFound, StaleState, UnreadableRecord, ValidationError
from cras_desk.domain.geo import haversine_km
from cras_desk.domain.offer_snapshot import ChoiceOption, read_offer, site_address
from cras_desk.services import access, audit, idempotency
from cras_desk.services.actor import Actor
from cras_desk.services.claims import ensure_claim
from cras_desk.services.letter_queue import queue_letter

# A patient who wants time to think gets a follow-up call after this long (and the choice letter).
THINKING_DAYS = 7

# Which site facility each reasonable adjustment needs. Adjustments not listed (large print,
# interpreter, ...) are met by the letter or the clinic, not by the choice of site.
_SITE_FACILITY: dict[str, str] = {
    AdjustmentFlag.STEP_FREE.value: "step_free",
    AdjustmentFlag.HEARING_LOOP.value: "hearing_loop",
    AdjustmentFlag.PARKING.value: "parking",
}

_ROLES = (Role.ADVISOR, Role.TEAM_LEAD)
SDM_NOTES_MAX = 4000  # choice_offers.sdm_notes is TEXT: longer than any note typed on a call

__all__ = ["THINKING_DAYS", "ChoiceOfferView", "ChoiceOption", "ChoiceService", "Decision"]


class Decision(StrEnum):
    CHOSEN = "chosen"
    TIME_TO_THINK = "time_to_think"
    DECLINED = "declined"


@dataclass(frozen=True)
class ChoiceOfferView:
    """A recorded offer: what was shown (as it was then) and what the patient decided."""

    offer_id: int
    referral_id: int
    offered_at: datetime
    offered_by: str
    decision: Decision
    chosen_site_id: int | None
    sdm_notes: str
    options: tuple[ChoiceOption, ...]

    @property
    def chosen(self) -> ChoiceOption | None:
        return next((o for o in self.options if o.site_id == self.chosen_site_id), None)


def _meets(needs: set[str], step_free: bool, hearing_loop: bool, parking: bool) -> bool:
    has = {"step_free": step_free, "hearing_loop": hearing_loop, "parking": parking}
    return all(has[_SITE_FACILITY[n]] for n in needs if n in _SITE_FACILITY)


def _offer_json(offer_id: int) -> dict[str, Any]:
    return {"choice_offer_id": offer_id}


def _offer_of(_s: Session, done: dict[str, Any]) -> int:
    return int(done["choice_offer_id"])


class ChoiceService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def options(
        self, actor: Actor, referral_id: int, *, only_meeting_adjustments: bool = True
    ) -> list[ChoiceOption]:
        """Eligible sites for the referral's service, shortest wait first, then nearest.

        Reads the patient's location and adjustments, so it is audited as a view of the record.
        """
        actor.require(*_ROLES, action="offer a choice of provider")
        with self.db.write() as s:
            actor = access.for_referral(s, actor, referral_id)
            row = s.execute(
                select(
                    Referral.service_id,
                    Patient.id,
                    Patient.latitude,
                    Patient.longitude,
                    Patient.adjustments,
                )
                .join(Patient, Patient.id == Referral.patient_id)
                .where(Referral.id == referral_id)
            ).first()
            if row is None:
                raise NotFound(f"Referral {referral_id} does not exist.")
            service_id, patient_id, lat, lon, adjustments = row
            needs = set(adjustments or [])
            shown: list[ChoiceOption] = []
            for site in s.execute(self._sites_query(service_id, utcnow())):
                distance = None
                if lat is not None and lon is not None:
                    distance = round(haversine_km(lat, lon, site.latitude, site.longitude), 2)
                meets = _meets(needs, site.step_free, site.hearing_loop, site.parking)
                if only_meeting_adjustments and not meets:
                    continue
                shown.append(
                    ChoiceOption(
                        site_id=site.id,
                        site_name=site.name,
                        provider_name=site.provider_name,
                        address=site_address(site.address_line1, site.address_line2, site.town),
                        postcode=site.postcode,
                        wait_weeks=site.weeks,
                        wait_as_of=site.as_of,
                        next_free_slot=site.next_free,
                        distance_km=distance,
                        step_free=site.step_free,
                        hearing_loop=site.hearing_loop,
                        parking=site.parking,
                        opening_hours=site.opening_hours,
                        meets_adjustments=meets,
                    )
                )
            shown.sort(
                key=lambda o: (
                    o.wait_weeks is None,
                    o.wait_weeks or 0,
                    o.distance_km is None,
                    o.distance_km or 0.0,
                    o.site_name,
                    o.site_id,
                )
            )
            audit.record(
                s,
                actor,
                "choice_options",
                "referral",
                referral_id,
                patient_id,
                {
                    "site_ids": [o.site_id for o in shown],
                    "only_meeting_adjustments": only_meeting_adjustments,
                },
            )
        return shown

    @staticmethod
    def _sites_query(service_id: int, now: datetime) -> Select[*tuple[Any, ...]]:
        """One statement: sites offering the service, each with its latest wait and next open place."""
        latest = (
            select(WaitingTime.site_id, func.max(WaitingTime.as_of).label("as_of"))
            .where(WaitingTime.service_id == service_id)
            .group_by(WaitingTime.site_id)
            .subquery("latest")
        )
        next_free = (
            select(Slot.site_id, func.min(Slot.starts_at).label("next_free"))
            .where(
                Slot.service_id == service_id,
                Slot.status == SlotStatus.OPEN,
                Slot.booked_count < Slot.capacity,
                Slot.starts_at > now,
            )
            .group_by(Slot.site_id)
            .subquery("next_free")
        )
        return (
            select(
                Site.id,
                Site.name,
                Site.address_line1,
                Site.address_line2,
                Site.town,
                Site.postcode,
                Site.latitude,
                Site.longitude,
                Site.step_free,
                Site.hearing_loop,
                Site.parking,
                Site.opening_hours,
                Provider.name.label("provider_name"),
                WaitingTime.weeks,
                WaitingTime.as_of,
                next_free.c.next_free,
            )
            .join(SiteService, and_(SiteService.site_id == Site.id, SiteService.service_id == service_id))
            .join(Provider, Provider.id == Site.provider_id)
            .outerjoin(latest, latest.c.site_id == Site.id)
            .outerjoin(
                WaitingTime,
                and_(
                    WaitingTime.site_id == Site.id,
                    WaitingTime.service_id == service_id,
                    WaitingTime.as_of == latest.c.as_of,
                ),
            )
            .outerjoin(next_free, next_free.c.site_id == Site.id)
        )

    def record_offer(
        self,
        actor: Actor,
        referral_id: int,
        shown: Sequence[ChoiceOption],
        decision: Decision,
        chosen_site_id: int | None = None,
        sdm_notes: str = "",
        *,
        key: str | None = None,
    ) -> int:
        """Store the offer exactly as shown and act on the decision; returns the ChoiceOffer id.

        key (services.idempotency): a retry with it returns the first try's offer.

        Offers are recorded on open referrals only: a booked patient who wants another provider is
        cancelled (which reopens the referral) or rebooked, so the offer always precedes a booking.
        """
        actor.require(*_ROLES, action="record a choice of provider")
        input_rules.check_text(
            sdm_notes, "Shared decision-making notes", multiline=True, max_length=SDM_NOTES_MAX
        )
        decision = Decision(decision)
        if not shown:
            raise ValidationError("Show the patient at least one provider before recording the choice.")
        shown_ids = {o.site_id for o in shown}
        if decision is Decision.CHOSEN:
            if chosen_site_id is None or chosen_site_id not in shown_ids:
                raise ValidationError("Pick the provider the patient chose from the ones offered.")
        elif chosen_site_id is not None:
            raise ValidationError("A provider can only be recorded as chosen when the patient chose one.")
        snapshot = [o.as_snapshot() for o in shown]

        def work(s: Session) -> int:
            s.info["user_id"] = actor.user_id
            claim = ensure_claim(s, access.for_referral(s, actor, referral_id), referral_id)
            referral = self._referral(s, referral_id)
            # Booked is open work but its choice is made: a new choice goes through a rebooking.
            if not referral.is_open or referral.status is ReferralStatus.BOOKED:
                raise StaleState(
                    "This referral is closed (booked, discharged or completed); "
                    "cancel or rebook the appointment instead of offering choice again."
                )
            offer = ChoiceOffer(
                referral_id=referral_id,
                user_id=actor.user_id,
                options=snapshot,
                decision=decision.value,
                chosen_site_id=chosen_site_id,
                sdm_notes=sdm_notes or None,
            )
            s.add(offer)
            s.flush()
            letter_id = None
            if decision is Decision.TIME_TO_THINK:
                referral.status = ReferralStatus.CHOICE_PENDING
                referral.is_open = ReferralStatus.CHOICE_PENDING.is_open
                referral.next_action_at = utcnow() + timedelta(days=THINKING_DAYS)
                letter_id = queue_letter(
                    s, actor, referral_id, LetterKind.CHOICE, {"choice_offer_id": offer.id}
                )
            audit.record(
                s,
                actor,
                "record_choice",
                "choice_offer",
                offer.id,
                claim.patient_id,
                {
                    "referral_id": referral_id,
                    "decision": decision.value,
                    "chosen_site_id": chosen_site_id,
                    "site_ids": [o.site_id for o in shown],
                    "letter_id": letter_id,
                },
            )
            return offer.id

        return idempotency.run_once(self.db, actor, "record_choice", key, work, _offer_json, _offer_of)

    @staticmethod
    def _referral(s: Session, referral_id: int) -> Referral:
        referral = s.get(Referral, referral_id)
        if referral is None:
            raise NotFound(f"Referral {referral_id} does not exist.")
        return referral

    def last_offer(self, actor: Actor, referral_id: int) -> ChoiceOfferView | None:
        """The most recent offer on the referral, or None if choice has not been offered yet."""
        actor.require(*_ROLES, action="read a choice offer")
        with self.db.write() as s:
            actor = access.for_referral(s, actor, referral_id)
            row = s.execute(
                select(ChoiceOffer, User.full_name, Referral.patient_id)
                .join(User, User.id == ChoiceOffer.user_id)
                .join(Referral, Referral.id == ChoiceOffer.referral_id)
                .where(ChoiceOffer.referral_id == referral_id)
                .order_by(ChoiceOffer.offered_at.desc(), ChoiceOffer.id.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            offer, offered_by, patient_id = row
            # The sites offered and the shared-decision notes are part of the patient's record.
            audit.record(
                s, actor, "view_choice", "choice_offer", offer.id, patient_id, {"referral_id": referral_id}
            )
        try:
            options = read_offer(offer.options)
        except UnreadableRecord as exc:
            # Which offer, so IT can find the row; the sites and waits are not patient data.
            raise UnreadableRecord(f"Choice offer {offer.id} cannot be read. {exc}") from exc
        return ChoiceOfferView(
            offer_id=offer.id,
            referral_id=offer.referral_id,
            offered_at=offer.offered_at,
            offered_by=offered_by,
            decision=Decision(offer.decision),
            chosen_site_id=offer.chosen_site_id,
            sdm_notes=offer.sdm_notes or "",
            options=options,
        )
