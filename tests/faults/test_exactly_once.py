"""Exactly once: a call outcome saved again after an uncertain commit is recorded once, and the
retry says what the first save did.

The uncertain commit is real on PostgreSQL: a proxy passes the COMMIT to the server and drops
the connection before its answer reaches the desk (tests/commit_proxy.py). On SQLite,
where there is no connection to drop, the commit is followed by an error in the same call.
"""

from __future__ import annotations

import pytest
from commit_proxy import desk_whose_next_commit_is_uncertain
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from cras_desk.db.connection_errors import is_connection_error
from cras_desk.db.engine import Database
from cras_desk.db.models import ContactAttempt, IdempotencyKey
from cras_desk.domain.enums import ContactOutcome
from cras_desk.domain.errors import ValidationError
from cras_desk.services.contact import ContactService
from cras_desk.services.idempotency import new_key


def _attempts(db: Database, rid: int) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).where(ContactAttempt.referral_id == rid)) or 0)


def test_a_save_retried_after_an_uncertain_commit_records_the_call_once(world) -> None:
    amy, rid = world.actor("amy"), world.referrals["Smith"]
    key = new_key()
    with desk_whose_next_commit_is_uncertain(world.db) as desk:
        svc = ContactService(desk)
        with pytest.raises(OperationalError) as raised:
            svc.record_attempt(amy, rid, ContactOutcome.NO_ANSWER, notes="rang out", key=key)
        assert is_connection_error(raised.value)
        assert _attempts(world.db, rid) == 1  # it happened, though the desk was told otherwise
        again = svc.record_attempt(amy, rid, ContactOutcome.NO_ANSWER, notes="rang out", key=key)
    assert _attempts(world.db, rid) == 1
    with world.db.read() as s:
        first = s.scalars(select(ContactAttempt).where(ContactAttempt.referral_id == rid)).one()
        assert s.get_one(IdempotencyKey, key).result is not None
    assert again.attempt_id == first.id and again.next_step.message


def test_a_new_key_is_a_new_call_and_a_key_is_one_actions_alone(world) -> None:
    amy, ben, rid = world.actor("amy"), world.actor("ben"), world.referrals["Smith"]
    svc = ContactService(world.db)
    key = new_key()
    first = svc.record_attempt(amy, rid, ContactOutcome.NO_ANSWER, key=key)
    assert svc.record_attempt(amy, rid, ContactOutcome.NO_ANSWER, key=key) == first
    svc.record_attempt(amy, rid, ContactOutcome.VOICEMAIL, key=new_key())
    assert _attempts(world.db, rid) == 2
    with pytest.raises(ValidationError, match="another action"):
        svc.record_attempt(ben, rid, ContactOutcome.NO_ANSWER, key=key)
    with pytest.raises(ValidationError, match="not valid"):
        svc.record_attempt(amy, rid, ContactOutcome.NO_ANSWER, key="not-a-key")
    assert _attempts(world.db, rid) == 2
