from __future__ import annotations

from sqlalchemy import func, select

from cras_desk.db.models import Referral, Slot
from cras_desk.domain.enums import Role


def test_world_is_built_on_each_backend(world) -> None:
    assert world.actor("lena").role is Role.TEAM_LEAD
    assert set(world.referrals) == {"Ó Súilleabháin", "Nowak", "Smith"}
    with world.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Slot)) == 61
        assert s.scalar(select(func.count()).select_from(Referral).where(Referral.is_open)) == 3
