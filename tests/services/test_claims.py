from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from cras_desk.db.models import AuditEvent, Change, Referral
from cras_desk.domain.clock import utcnow
from cras_desk.domain.errors import ClaimConflict, NotFound
from cras_desk.services.claims import ClaimService


def test_claim_is_exclusive_until_released(world) -> None:
    claims = ClaimService(world.db)
    rid = world.referrals["Nowak"]
    claim = claims.claim(world.actor("amy"), rid)
    assert claim.until > utcnow()
    with pytest.raises(ClaimConflict, match="Amy Advisor"):
        claims.claim(world.actor("ben"), rid)
    claims.claim(world.actor("amy"), rid)  # re-claiming your own extends it
    claims.release(world.actor("ben"), rid)  # not ben's to release: no effect
    with pytest.raises(ClaimConflict):
        claims.claim(world.actor("ben"), rid)
    claims.release(world.actor("amy"), rid)
    assert claims.claim(world.actor("ben"), rid).referral_id == rid


def test_expired_claim_can_be_taken(world) -> None:
    claims = ClaimService(world.db)
    rid = world.referrals["Nowak"]
    claims.claim(world.actor("amy"), rid)
    with world.db.write() as s:
        s.execute(
            update(Referral).where(Referral.id == rid).values(claimed_until=utcnow() - timedelta(seconds=1))
        )
    assert claims.claim(world.actor("ben"), rid).referral_id == rid


def test_claim_of_missing_referral(world) -> None:
    with pytest.raises(NotFound):
        ClaimService(world.db).claim(world.actor("amy"), 999_999)


def test_claims_are_audited_and_fed(world) -> None:
    rid = world.referrals["Smith"]
    ClaimService(world.db).claim(world.actor("ben"), rid)
    with world.db.read() as s:
        events = s.execute(
            select(AuditEvent.action, AuditEvent.patient_id).where(AuditEvent.entity_id == rid)
        ).all()
        changes = s.scalars(select(Change.entity).where(Change.entity_id == rid)).all()
    assert ("claim", world_patient(world, rid)) in events
    assert "referral" in changes


def world_patient(world, rid: int) -> int:
    with world.db.read() as s:
        return s.scalar(select(Referral.patient_id).where(Referral.id == rid))


def test_next_patient_takes_the_most_urgent_of_own_and_team_pool(world) -> None:
    claims = ClaimService(world.db)
    amy, ben = world.actor("amy"), world.actor("ben")
    first = claims.next_patient(amy)
    assert first is not None and first.referral_id == world.referrals["Ó Súilleabháin"]  # amy's own, urgent
    # Both of ben's candidates are routine: the team's unassigned one breaches first, so it goes
    # before his own (F2 order: callbacks due, then priority, then days to breach).
    assert claims.next_patient(ben).referral_id == world.referrals["Nowak"]
    assert claims.next_patient(amy) is None  # her own is hers already, Nowak is ben's, Smith is ben's
    assert claims.next_patient(ben).referral_id == world.referrals["Smith"]
    assert claims.next_patient(ben) is None  # everything callable is claimed now


def test_next_patient_skips_referrals_waiting_for_a_later_date(world) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    with world.db.write() as s:
        s.execute(
            update(Referral).where(Referral.id == rid).values(next_action_at=utcnow() + timedelta(days=3))
        )
    claim = ClaimService(world.db).next_patient(world.actor("amy"))
    assert claim is not None and claim.referral_id == world.referrals["Nowak"]


def test_release_all_on_sign_out(world) -> None:
    claims = ClaimService(world.db)
    amy = world.actor("amy")
    claims.claim(amy, world.referrals["Nowak"])
    claims.claim(amy, world.referrals["Ó Súilleabháin"])
    assert claims.release_all(amy) == 2
    with world.db.read() as s:
        assert s.scalars(select(Referral.id).where(Referral.claimed_by.is_not(None))).all() == []
