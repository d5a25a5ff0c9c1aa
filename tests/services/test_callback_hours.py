"""The contact service refuses a callback the centre could not make: outside calling hours."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from sqlalchemy import select

from cras_desk.db.models import ContactAttempt, Referral
from cras_desk.domain.calling_hours import CallingHours
from cras_desk.domain.clock import LONDON
from cras_desk.domain.enums import ContactOutcome, ReferralStatus
from cras_desk.domain.errors import ValidationError
from cras_desk.services.contact import ContactService

CALL = datetime(2026, 10, 20, 10, 0, tzinfo=LONDON)  # a Tuesday morning


def saved(world, rid: int) -> tuple[list[ContactAttempt], Referral]:
    with world.db.read() as s:
        rows = list(s.scalars(select(ContactAttempt).where(ContactAttempt.referral_id == rid)))
        return rows, s.get(Referral, rid)


@pytest.mark.parametrize(
    ("callback", "why"),
    [
        (datetime(2026, 10, 20, 20, 45, tzinfo=LONDON), "20:45 is outside calling hours"),
        (datetime(2026, 10, 24, 11, 0, tzinfo=LONDON), "Saturday is not a working day"),
        (datetime(2026, 12, 25, 10, 0, tzinfo=LONDON), "bank holiday"),
    ],
)
def test_a_callback_outside_calling_hours_is_refused_and_nothing_saved(world, callback, why) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    with pytest.raises(ValidationError, match=why):
        svc.record_attempt(amy, rid, ContactOutcome.CALLBACK_REQUESTED, at=CALL, callback_at=callback)
    rows, ref = saved(world, rid)
    assert rows == [] and ref.status is ReferralStatus.AWAITING_CONTACT


def test_a_callback_in_hours_is_kept_and_other_hours_can_be_configured(world) -> None:
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    evening = datetime(2026, 10, 20, 19, 45, tzinfo=LONDON)
    ContactService(world.db).record_attempt(
        amy, rid, ContactOutcome.CALLBACK_REQUESTED, at=CALL, callback_at=evening
    )
    rows, ref = saved(world, rid)
    assert [r.callback_at for r in rows] == [evening] and ref.next_action_at == evening

    mornings_only = ContactService(world.db, hours=CallingHours(opens=time(9), closes=time(12)))
    with pytest.raises(ValidationError, match="09:00 to 12:00"):
        mornings_only.record_attempt(
            amy, rid, ContactOutcome.CALLBACK_REQUESTED, at=CALL, callback_at=evening
        )
    assert len(saved(world, rid)[0]) == 1
