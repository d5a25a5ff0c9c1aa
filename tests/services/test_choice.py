from __future__ import annotations

import json
from datetime import timedelta

import pytest
from booking_helpers import local, make_slot, move_slot, physio_slots
from sqlalchemy import event, select, update

from cras_desk.db.models import (
    AuditEvent,
    ChoiceOffer,
    Letter,
    Patient,
    Referral,
    Site,
    SiteService,
    Slot,
    WaitingTime,
)
from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import LetterKind, ReferralStatus, ServiceCode, SlotStatus
from cras_desk.domain.errors import ClaimConflict, NotFound, StaleState, UnreadableRecord, ValidationError
from cras_desk.domain.geo import haversine_km
from cras_desk.services.booking import BookingService
from cras_desk.services.choice import ChoiceOption, ChoiceService, Decision


def _patient(world, rid: int) -> Patient:
    with world.db.read() as s:
        return s.scalar(
            select(Patient).join(Referral, Referral.patient_id == Patient.id).where(Referral.id == rid)
        )


def _site(world, town: str) -> Site:
    with world.db.read() as s:
        return s.get(Site, world.sites[town])


def test_step_free_patient_is_shown_only_step_free_sites(world) -> None:
    rid = world.referrals["Nowak"]  # needs step-free access
    options = ChoiceService(world.db).options(world.actor("amy"), rid)
    assert [o.site_name for o in options] == ["Brighton General Hub"]
    [brighton] = options
    today = today_london()
    assert brighton.site_id == world.sites["Brighton"]
    assert brighton.provider_name == "Sussex MSK Partnership"
    assert brighton.address == "Elm Grove, Brighton"
    assert brighton.postcode == "BN2 3EW"
    assert (brighton.wait_weeks, brighton.wait_as_of) == (9, today)
    assert brighton.next_free_slot == local(today + timedelta(days=3), 9)
    assert (brighton.step_free, brighton.hearing_loop, brighton.parking) == (True, True, False)
    assert brighton.opening_hours == "Mon-Fri 08:00-18:00"
    assert brighton.meets_adjustments is True
    patient, site = _patient(world, rid), _site(world, "Brighton")
    expected = haversine_km(patient.latitude, patient.longitude, site.latitude, site.longitude)
    assert brighton.distance_km == pytest.approx(expected, abs=0.005)


def test_all_sites_on_request_ordered_by_wait_with_the_unsuitable_one_flagged(world) -> None:
    options = ChoiceService(world.db).options(
        world.actor("amy"), world.referrals["Nowak"], only_meeting_adjustments=False
    )
    assert [(o.site_name, o.wait_weeks, o.meets_adjustments) for o in options] == [
        ("Lewes Victoria Hub", 4, False),
        ("Brighton General Hub", 9, True),
    ]


def test_patient_without_adjustments_sees_every_site_shortest_wait_first(world) -> None:
    options = ChoiceService(world.db).options(world.actor("amy"), world.referrals["Ó Súilleabháin"])
    assert [(o.site_name, o.wait_weeks) for o in options] == [
        ("Lewes Victoria Hub", 4),
        ("Brighton General Hub", 9),
    ]
    assert all(o.meets_adjustments for o in options)
    # Pain management: the waits are the pain service's, not physio's.
    pain = ChoiceService(world.db).options(world.actor("ben"), world.referrals["Smith"])
    assert [(o.site_name, o.wait_weeks) for o in pain] == [
        ("Brighton General Hub", 12),
        ("Lewes Victoria Hub", 14),
    ]
    assert pain[0].next_free_slot is not None and pain[1].next_free_slot is None  # no pain slots at Lewes


def test_equal_waits_are_ordered_by_distance(world) -> None:
    today = today_london()
    with world.db.write() as s:
        s.execute(update(WaitingTime).where(WaitingTime.as_of == today).values(weeks=6))
    options = ChoiceService(world.db).options(world.actor("amy"), world.referrals["Ó Súilleabháin"])
    # The patient lives in Brighton (50.83, -0.13): Brighton's hub is nearer than Lewes's.
    assert [o.site_name for o in options] == ["Brighton General Hub", "Lewes Victoria Hub"]
    assert options[0].distance_km < options[1].distance_km


def test_the_latest_published_wait_is_the_current_one(world) -> None:
    today = today_london()
    physio = world.services[ServiceCode.PHYSIOTHERAPY]
    with world.db.write() as s:
        s.add_all(
            [
                WaitingTime(
                    site_id=world.sites["Lewes"], service_id=physio, weeks=2, as_of=today - timedelta(7)
                ),
                WaitingTime(
                    site_id=world.sites["Lewes"], service_id=physio, weeks=11, as_of=today + timedelta(1)
                ),
                WaitingTime(
                    site_id=world.sites["Brighton"], service_id=physio, weeks=1, as_of=today - timedelta(14)
                ),
            ]
        )
    options = ChoiceService(world.db).options(world.actor("amy"), world.referrals["Ó Súilleabháin"])
    assert [(o.site_name, o.wait_weeks, o.wait_as_of) for o in options] == [
        ("Brighton General Hub", 9, today),
        ("Lewes Victoria Hub", 11, today + timedelta(1)),
    ]


def test_site_without_a_published_wait_comes_last(world) -> None:
    with world.db.write() as s:
        s.execute(
            update(WaitingTime)
            .where(WaitingTime.site_id == world.sites["Lewes"])
            .values(site_id=world.sites["Brighton"], as_of=today_london() - timedelta(days=400))
        )
    options = ChoiceService(world.db).options(world.actor("amy"), world.referrals["Ó Súilleabháin"])
    assert [(o.site_name, o.wait_weeks, o.wait_as_of) for o in options] == [
        ("Brighton General Hub", 9, today_london()),
        ("Lewes Victoria Hub", None, None),
    ]


def test_next_free_slot_skips_full_past_and_blocked_slots(world) -> None:
    today = today_london()
    brighton = world.sites["Brighton"]
    first, second, third, fourth = physio_slots(world.db, brighton)[:4]
    BookingService(world.db).book(world.actor("amy"), world.referrals["Ó Súilleabháin"], first)
    move_slot(world.db, second, utcnow() - timedelta(hours=1))
    with world.db.write() as s:
        s.execute(update(Slot).where(Slot.id == third).values(status=SlotStatus.BLOCKED))
    options = ChoiceService(world.db).options(world.actor("lena"), world.referrals["Nowak"])
    # first (09:00) is full, second moved to the past, third (14:00) blocked: day 4 at 09:00 is next.
    assert options[0].next_free_slot == local(today + timedelta(days=4), 9)
    # An earlier slot for another service at the same site does not count.
    make_slot(world.db, brighton, ServiceCode.PAIN, utcnow() + timedelta(hours=3), capacity=5)
    options = ChoiceService(world.db).options(world.actor("lena"), world.referrals["Nowak"])
    assert options[0].next_free_slot == local(today + timedelta(days=4), 9)
    assert fourth  # day 4 09:00 is the fourth Brighton slot
    with world.db.read() as s:
        assert s.scalar(select(Slot.starts_at).where(Slot.id == fourth)) == local(
            today + timedelta(days=4), 9
        )


def test_options_are_audited_as_a_view_of_the_record(world) -> None:
    rid = world.referrals["Nowak"]
    ChoiceService(world.db).options(world.actor("amy"), rid)
    with world.db.read() as s:
        event_row = s.execute(
            select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.patient_id, AuditEvent.detail).where(
                AuditEvent.action == "choice_options"
            )
        ).one()
    assert event_row[:3] == ("choice_options", rid, _patient(world, rid).id)
    assert event_row[3] == {"site_ids": [world.sites["Brighton"]], "only_meeting_adjustments": True}


def test_options_take_two_selects_however_many_sites(world) -> None:
    selects: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    with world.db.write() as s:
        for i in range(8):
            site = Site(
                provider_id=s.scalar(select(Site.provider_id).limit(1)),
                name=f"Extra hub {i}",
                address_line1="1 Road",
                town=f"Town {i}",
                postcode="BN1 1AA",
                latitude=50.8 + i / 100,
                longitude=-0.1,
                step_free=True,
                opening_hours="Mon-Fri",
            )
            s.add(site)
            s.flush()
            s.add(SiteService(site_id=site.id, service_id=world.services[ServiceCode.PHYSIOTHERAPY]))
    event.listen(world.db.engine, "before_cursor_execute", count)
    try:
        options = ChoiceService(world.db).options(world.actor("amy"), world.referrals["Nowak"])
    finally:
        event.remove(world.db.engine, "before_cursor_execute", count)
    assert len(options) == 9
    assert [o.wait_weeks for o in options][:1] == [9]  # the new hubs publish no wait: they come last
    assert len(selects) == 3  # the caller checked with the referral's scope, then two reads
    assert selects[0].lstrip().upper().startswith("SELECT USERS.ID")


def test_options_of_missing_referral(world) -> None:
    with pytest.raises(NotFound):
        ChoiceService(world.db).options(world.actor("amy"), 987654)


# --- recording the offer ---------------------------------------------------------------------------


def test_snapshot_is_json_safe_and_round_trips_exactly(world) -> None:
    svc = ChoiceService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Ó Súilleabháin"]
    shown = svc.options(amy, rid)
    for option in shown:
        assert ChoiceOption.from_snapshot(json.loads(json.dumps(option.as_snapshot()))) == option
    offer_id = svc.record_offer(
        amy, rid, shown, Decision.CHOSEN, chosen_site_id=shown[1].site_id, sdm_notes="Near her daughter"
    )
    with world.db.read() as s:
        stored = s.get(ChoiceOffer, offer_id)
    assert stored.options == [o.as_snapshot() for o in shown]
    assert (stored.decision, stored.chosen_site_id, stored.sdm_notes) == (
        "chosen",
        shown[1].site_id,
        "Near her daughter",
    )

    last = svc.last_offer(amy, rid)
    assert last is not None
    assert last.offer_id == offer_id
    assert last.options == tuple(shown)
    assert last.decision is Decision.CHOSEN
    assert last.chosen == shown[1]
    assert last.offered_by == "Amy Advisor"
    assert last.sdm_notes == "Near her daughter"
    # A chosen offer leaves the referral where it was: booking comes next.
    assert _status(world, rid) == (ReferralStatus.AWAITING_CONTACT, True, None)


def test_the_snapshot_keeps_what_was_shown_after_waits_change(world) -> None:
    svc = ChoiceService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Ó Súilleabháin"]
    shown = svc.options(amy, rid)
    svc.record_offer(amy, rid, shown, Decision.DECLINED, sdm_notes="Wants private care")
    with world.db.write() as s:
        s.execute(update(WaitingTime).values(weeks=30))
    last = svc.last_offer(amy, rid)
    assert [o.wait_weeks for o in last.options] == [4, 9]
    assert last.decision is Decision.DECLINED
    assert _status(world, rid)[0] is ReferralStatus.AWAITING_CONTACT  # discharge is the contact service's


def test_last_offer_is_the_newest(world) -> None:
    svc = ChoiceService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Ó Súilleabháin"]
    assert svc.last_offer(amy, rid) is None
    shown = svc.options(amy, rid)
    svc.record_offer(amy, rid, shown, Decision.TIME_TO_THINK)
    second = svc.record_offer(amy, rid, shown[:1], Decision.CHOSEN, chosen_site_id=shown[0].site_id)
    last = svc.last_offer(world.actor("ben"), rid)
    assert (last.offer_id, len(last.options)) == (second, 1)


def test_time_to_think_queues_a_choice_letter_and_waits_a_week(world) -> None:
    svc = ChoiceService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    shown = svc.options(amy, rid)
    before = utcnow()
    offer_id = svc.record_offer(amy, rid, shown, Decision.TIME_TO_THINK, sdm_notes="Will talk to family")
    status, is_open, next_action_at = _status(world, rid)
    assert (status, is_open) == (ReferralStatus.CHOICE_PENDING, True)
    assert before + timedelta(days=7) <= next_action_at <= utcnow() + timedelta(days=7)
    with world.db.read() as s:
        letters = s.execute(
            select(Letter.kind, Letter.inputs, Letter.large_print).where(Letter.referral_id == rid)
        ).all()
        audit_row = s.execute(
            select(AuditEvent.entity, AuditEvent.entity_id, AuditEvent.detail).where(
                AuditEvent.action == "record_choice"
            )
        ).one()
    [(kind, inputs, large_print)] = letters
    assert (kind, inputs["referral_id"], inputs["choice_offer_id"], large_print) == (
        LetterKind.CHOICE,
        rid,
        offer_id,
        True,
    )
    # The letter lists the options from the recorded snapshot.
    assert [o["site_name"] for o in inputs["choice_offer"]["options"]] == [o.site_name for o in shown]
    assert audit_row[:2] == ("choice_offer", offer_id)
    assert audit_row[2]["decision"] == "time_to_think"


def test_chosen_needs_a_site_among_those_shown(world) -> None:
    svc = ChoiceService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    shown = svc.options(amy, rid)  # Brighton only
    with pytest.raises(ValidationError, match="Pick the provider"):
        svc.record_offer(amy, rid, shown, Decision.CHOSEN)
    with pytest.raises(ValidationError, match="Pick the provider"):
        svc.record_offer(amy, rid, shown, Decision.CHOSEN, chosen_site_id=world.sites["Lewes"])
    with pytest.raises(ValidationError, match="only be recorded as chosen"):
        svc.record_offer(amy, rid, shown, Decision.DECLINED, chosen_site_id=world.sites["Brighton"])
    with pytest.raises(ValidationError, match="at least one"):
        svc.record_offer(amy, rid, [], Decision.DECLINED)
    with world.db.read() as s:
        assert s.scalars(select(ChoiceOffer.id)).all() == []


def test_recording_an_offer_needs_the_claim(world) -> None:
    svc = ChoiceService(world.db)
    rid = world.referrals["Ó Súilleabháin"]
    shown = svc.options(world.actor("amy"), rid)
    svc.record_offer(world.actor("amy"), rid, shown, Decision.DECLINED)
    with pytest.raises(ClaimConflict, match="Amy Advisor"):
        svc.record_offer(world.actor("ben"), rid, shown, Decision.TIME_TO_THINK)
    assert _status(world, rid)[0] is ReferralStatus.AWAITING_CONTACT


def test_no_offer_on_a_booked_referral(world) -> None:
    amy = world.actor("amy")
    rid = world.referrals["Nowak"]
    shown = ChoiceService(world.db).options(amy, rid)
    BookingService(world.db).book(amy, rid, physio_slots(world.db, world.sites["Brighton"])[0])
    with pytest.raises(StaleState, match="closed"):
        ChoiceService(world.db).record_offer(amy, rid, shown, Decision.TIME_TO_THINK)
    assert _status(world, rid)[0] is ReferralStatus.BOOKED


def _status(world, rid: int):
    with world.db.read() as s:
        return s.execute(
            select(Referral.status, Referral.is_open, Referral.next_action_at).where(Referral.id == rid)
        ).one()


# --- offers stored in older shapes (demo databases seeded before the schema was versioned) -----------


def _store_raw_offer(world, rid: int, options: object) -> int:
    with world.db.write() as s:
        offer = ChoiceOffer(
            referral_id=rid,
            user_id=world.actor("amy").user_id,
            options=options,
            decision="chosen",
            chosen_site_id=world.sites["Brighton"],
        )
        s.add(offer)
        s.flush()
        return offer.id


def test_last_offer_reads_the_old_seed_and_the_old_service_shapes(world) -> None:
    svc = ChoiceService(world.db)
    amy = world.actor("amy")
    rid = world.referrals["Ó Súilleabháin"]
    [first, second] = svc.options(amy, rid)
    version_less = {k: v for k, v in first.as_snapshot().items() if k != "schema"}
    early_seed = {
        "site_id": second.site_id,
        "site_name": second.site_name,
        "town": "Brighton",
        "wait_weeks": 9,
        "distance_miles": 1.5,
        "step_free": True,
        "hearing_loop": True,
        "parking": False,
    }
    _store_raw_offer(world, rid, [version_less, early_seed])
    last = svc.last_offer(amy, rid)
    assert last is not None
    assert last.options[0] == first
    old = last.options[1]
    assert (old.site_id, old.site_name, old.address, old.wait_weeks) == (
        second.site_id,
        second.site_name,
        "Brighton",
        9,
    )
    assert (old.provider_name, old.postcode, old.next_free_slot, old.meets_adjustments) == (None,) * 4
    assert last.chosen == (first if first.site_id == world.sites["Brighton"] else old)


def test_an_unreadable_offer_is_a_clear_error_naming_the_offer(world) -> None:
    svc = ChoiceService(world.db)
    rid = world.referrals["Ó Súilleabháin"]
    offer_id = _store_raw_offer(world, rid, [{"site_id": 1, "name": "Brighton"}])
    with pytest.raises(UnreadableRecord, match=rf"Choice offer {offer_id} cannot be read\. Site 1 "):
        svc.last_offer(world.actor("amy"), rid)
