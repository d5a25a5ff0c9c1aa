"""Deactivating a user: their next call is refused, and the referrals they held are free at once
for the rest of the team (a claim would otherwise keep the patient waiting until it ran out)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cras_desk.db.models import AuditEvent, Change, Referral
from cras_desk.domain.errors import PermissionDenied
from cras_desk.services.claims import ClaimService
from cras_desk.services.users import UserAdmin


def test_a_deactivated_users_claims_are_released_and_their_desk_refused(world) -> None:
    amy, ben, root = world.actor("amy"), world.actor("ben"), world.actor("root")
    rid = world.referrals["Ó Súilleabháin"]
    claims = ClaimService(world.db)
    claims.claim(amy, rid)
    with world.db.read() as s:
        seq = s.scalar(select(Change.seq).order_by(Change.seq.desc()).limit(1))
    UserAdmin(world.db).deactivate(root, amy.user_id)
    with world.db.read() as s:
        referral = s.get_one(Referral, rid)
        assert (referral.claimed_by, referral.claimed_until) == (None, None)
        detail = s.scalar(select(AuditEvent.detail).where(AuditEvent.action == "deactivate_user"))
        changed = s.scalars(
            select(Change.entity_id).where(Change.seq > seq, Change.entity == "referral")
        ).all()
    assert detail == {"claims_released": 1}
    assert changed == [rid]  # other desks see the referral free again
    assert claims.claim(ben, rid).referral_id == rid
    with pytest.raises(PermissionDenied, match="deactivated"):
        claims.claim(amy, rid)
