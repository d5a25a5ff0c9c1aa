"""Every screen an advisor opens, over the real demo seed: a sample of every referral status.

For each sampled referral the paths the desk takes when it is opened are driven through the
services: the patient record and the patient's other referrals, the choice options and the last
offer, the live booking and the slot finder (as the booking panel asks), and a preview of each
of its letters, read back from the PDF. Any exception is a failure, listed with the referral and
the path; the refusals a status calls for (booking a discharged referral) must be the specific
domain errors the desk shows as a message.
"""

from __future__ import annotations

import io
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from pypdf import PdfReader
from seed_layer import NOT_SEEDED, PER_STATUS, Seeded
from sqlalchemy import select

from cras_desk.db.models import Booking, ChoiceOffer, Letter, Referral, Slot
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import BookingStatus, LetterKind, LetterStatus, ReferralStatus
from cras_desk.domain.errors import StaleState
from cras_desk.domain.offer_snapshot import read_offer
from cras_desk.letters.compose import reference
from cras_desk.services.booking import ALREADY_BOOKED, SlotQuery
from cras_desk.services.bundle import ServiceBundle
from cras_desk.services.choice import ChoiceOfferView, ChoiceOption, Decision

T = TypeVar("T")


def test_the_seed_produces_every_status_and_each_is_sampled(seeded: Seeded) -> None:
    missing = {status for status in ReferralStatus if seeded.counts[status] == 0}
    assert missing == NOT_SEEDED, f"the seed of {seeded.today} made no {sorted(missing)} referrals"
    for status in ReferralStatus:
        assert len(seeded.sample[status]) >= PER_STATUS or len(seeded.sample[status]) == seeded.counts[status]
    # Returning patients (an earlier offer on the referral) where the seed makes them: the case
    # that crashed the choice script and the booking panel.
    for status in (
        ReferralStatus.CHOICE_PENDING,
        ReferralStatus.BOOKED,
        ReferralStatus.COMPLETED,
        ReferralStatus.DISCHARGED,
    ):
        assert set(seeded.sample[status]) & seeded.returning, status


class Walk:
    """Runs each path, keeping every unexpected exception (with where it came from) as a failure."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def run(self, where: str, call: Callable[[], T]) -> T | None:
        try:
            return call()
        except Exception as exc:  # the point: no exception of any kind may escape unseen
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            self.failures.append(f"{where}: {type(exc).__name__}: {exc} (at {frame.filename}:{frame.lineno})")
            return None

    def check(self, where: str, ok: bool, why: str) -> None:
        if not ok:
            self.failures.append(f"{where}: {why}")


def _stored(seeded: Seeded, rid: int) -> dict[str, Any]:
    """What the database holds for the referral, to hold the services' answers against."""
    with seeded.db.read() as s:
        offers = list(
            s.scalars(
                select(ChoiceOffer)
                .where(ChoiceOffer.referral_id == rid)
                .order_by(ChoiceOffer.offered_at.desc(), ChoiceOffer.id.desc())
            )
        )
        live = s.scalar(
            select(Booking.id).where(Booking.referral_id == rid, Booking.status == BookingStatus.BOOKED)
        )
        letters = s.execute(
            select(Letter.id, Letter.kind, Letter.status).where(Letter.referral_id == rid).order_by(Letter.id)
        ).all()
    return {"offers": offers, "live": live, "letters": letters}


def walk_referral(
    walk: Walk, services: ServiceBundle, seeded: Seeded, rid: int, status: ReferralStatus
) -> None:
    actor = seeded.advisor_for(rid)
    stored = _stored(seeded, rid)
    here = f"{status.value} referral {rid}"

    record = walk.run(f"{here}, patient record", lambda: services.records.open(actor, rid))
    if record is not None:
        walk.check(here, record.status is status, f"record shows {record.status}")
        walk.check(here, bool(record.history), "empty history")
        walk.check(
            here, (record.live_booking is not None) == (stored["live"] is not None), "record's booking"
        )
        walk.run(
            f"{here}, other referrals", lambda: services.records.other_referrals(actor, record.patient_id)
        )

    options = walk.run(
        f"{here}, choice options",
        lambda: services.choice.options(actor, rid, only_meeting_adjustments=False),
    )
    last = walk.run(f"{here}, last offer", lambda: services.choice.last_offer(actor, rid))
    if options is not None:
        walk.check(here, len(options) >= 2, f"{len(options)} sites offered")
    if stored["offers"]:
        _check_last_offer(walk, here, last, stored["offers"][0])
    else:
        walk.check(here, last is None, "a last offer where none was made")

    live = walk.run(f"{here}, live booking", lambda: services.booking.live_booking(actor, rid))
    walk.check(here, (live.booking_id if live else None) == stored["live"], "live booking differs")
    walk.check(
        here,
        (stored["live"] is not None) == (status is ReferralStatus.BOOKED),
        "a booked referral holds exactly one live booking, others none",
    )
    walk.run(f"{here}, needs", lambda: services.booking.needs(actor, rid))
    if options is not None:
        _search_like_the_booking_panel(walk, services, actor, here, rid, options, last)

    for letter_id, kind, letter_status in stored["letters"]:
        _preview(
            walk, services, actor, f"{here}, {letter_status.value} {kind.value} letter", rid, letter_id, last
        )


def _check_last_offer(walk: Walk, here: str, last: ChoiceOfferView | None, newest: ChoiceOffer) -> None:
    if last is None:
        walk.failures.append(f"{here}: no last offer, though offer {newest.id} was made")
        return
    walk.check(here, last.offer_id == newest.id, "not the newest offer")
    walk.check(here, len(last.options) == len(newest.options), "sites lost from the offer")
    walk.check(here, last.options == read_offer(newest.options), "offer read differently")
    if last.decision is Decision.CHOSEN:
        walk.check(here, last.chosen is not None, "the chosen site is not among those offered")


def _search_like_the_booking_panel(
    walk: Walk,
    services: ServiceBundle,
    actor: Any,
    here: str,
    rid: int,
    options: list[ChoiceOption],
    last: ChoiceOfferView | None,
) -> None:
    # The sites the booking panel ticks: the patient's choice, else every site that suits them.
    if last is not None and last.decision is Decision.CHOSEN and last.chosen_site_id:
        ticked = [last.chosen_site_id]
    else:
        ticked = [o.site_id for o in options if o.meets_adjustments]
    offered = {o.site_id for o in options}
    now = utcnow()
    for label, query in (
        ("slot finder", SlotQuery(site_ids=ticked)),
        ("slot finder, all availability", SlotQuery(ignore_availability=True)),
    ):
        found = walk.run(f"{here}, {label}", lambda q=query: services.booking.search_slots(actor, rid, q))
        if found is None:
            continue
        walk.check(here, all(slot.starts_at > now for slot in found.slots), f"{label}: a past slot")
        walk.check(here, {slot.site_id for slot in found.slots} <= offered, f"{label}: a site not offered")
        if query.site_ids:
            walk.check(here, {slot.site_id for slot in found.slots} <= set(ticked), f"{label}: unticked site")


def _preview(
    walk: Walk,
    services: ServiceBundle,
    actor: Any,
    where: str,
    rid: int,
    letter_id: int,
    last: ChoiceOfferView | None,
    kind: LetterKind | None = None,
) -> None:
    pdf = walk.run(where, lambda: services.letters.render(actor, letter_id))
    if pdf is None:
        return
    text = walk.run(f"{where}, read back", lambda: _text(pdf))
    if text is None:
        return
    walk.check(where, reference(rid, letter_id) in text, "the letter's reference is not printed")
    if kind is LetterKind.CHOICE and last is not None:
        missing = [o.site_name for o in last.options if o.site_name not in text]
        walk.check(where, not missing, f"the choice letter does not list {missing}")


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.mark.parametrize("status", list(ReferralStatus), ids=str)
def test_every_read_path_of_sampled_referrals(seeded: Seeded, status: ReferralStatus) -> None:
    services = ServiceBundle.build(seeded.db)
    walk = Walk()
    for rid in seeded.sample[status]:
        walk_referral(walk, services, seeded, rid, status)
    assert not walk.failures, "\n".join(walk.failures)


def test_every_kind_and_state_of_seeded_letter_previews(seeded: Seeded) -> None:
    """One letter of each (kind, state) the seed holds, wherever it falls in the sample."""
    with seeded.db.read() as s:
        rows = s.execute(
            select(Letter.kind, Letter.status, Letter.id, Letter.referral_id).order_by(Letter.id)
        ).all()
    first: dict[tuple[LetterKind, LetterStatus], tuple[int, int]] = {}
    for kind, status, letter_id, rid in rows:
        first.setdefault((kind, status), (letter_id, rid))
    # Every kind of letter has been printed; the last working day's are still in the queue.
    assert {kind for kind, state in first if state is LetterStatus.PRINTED} == set(LetterKind)
    assert any(state is LetterStatus.QUEUED for _, state in first)
    services = ServiceBundle.build(seeded.db)
    walk = Walk()
    for (kind, state), (letter_id, rid) in sorted(first.items()):
        actor = seeded.advisor_for(rid)
        last = walk.run(
            f"referral {rid}, last offer", lambda r=rid, a=actor: services.choice.last_offer(a, r)
        )
        _preview(
            walk,
            services,
            actor,
            f"{state.value} {kind.value} letter {letter_id}",
            rid,
            letter_id,
            last,
            kind,
        )
    assert not walk.failures, "\n".join(walk.failures)


# --- what a status refuses: the specific message, and nothing changed ---------------------------------

_REFUSALS = {
    ReferralStatus.BOOKED: ALREADY_BOOKED,
    ReferralStatus.DISCHARGED: "closed",
    ReferralStatus.COMPLETED: "closed",
}


@pytest.mark.parametrize("status", list(_REFUSALS), ids=str)
def test_booked_and_closed_referrals_refuse_a_booking_and_a_new_offer(
    seeded: Seeded, status: ReferralStatus
) -> None:
    services = ServiceBundle.build(seeded.db)
    for rid in seeded.sample[status][:2]:
        actor = seeded.advisor_for(rid)
        slots = services.booking.search_slots(actor, rid, SlotQuery(ignore_availability=True, limit=1)).slots
        assert slots, f"no future slot at all for referral {rid}'s service"
        before = _state(seeded, rid, slots[0].slot_id)
        with pytest.raises(StaleState, match=_REFUSALS[status]):
            services.booking.book(actor, rid, slots[0].slot_id)
        options = services.choice.options(actor, rid)
        with pytest.raises(StaleState, match="closed"):
            services.choice.record_offer(actor, rid, options, Decision.TIME_TO_THINK)
        assert _state(seeded, rid, slots[0].slot_id) == before  # no place taken, no claim left


def _state(seeded: Seeded, rid: int, slot_id: int) -> tuple[Any, ...]:
    with seeded.db.read() as s:
        ref = s.execute(
            select(Referral.status, Referral.is_open, Referral.claimed_by).where(Referral.id == rid)
        ).one()
        booked = s.scalar(select(Slot.booked_count).where(Slot.id == slot_id))
        offers = len(s.scalars(select(ChoiceOffer.id).where(ChoiceOffer.referral_id == rid)).all())
    return (*ref, booked, offers)
