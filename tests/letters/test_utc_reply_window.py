"""The unable-to-contact reply window runs from the day the letter is PRINTED: a letter still in
the print queue blocks discharge, printing starts the window (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from letter_pdf import all_text
from sqlalchemy import select, update

from cras_desk.db.models import Letter, Referral
from cras_desk.domain.clock import today_london
from cras_desk.domain.contact_policy import AttemptFact, ContactPolicy, NextStepKind
from cras_desk.domain.enums import ContactOutcome, LetterKind, LetterStatus, ReferralStatus
from cras_desk.domain.errors import PolicyViolation
from cras_desk.letters.formatting import long_date
from cras_desk.services.contact import ContactService, discharge_due_at
from cras_desk.services.letters import LetterService

LONDON = ZoneInfo("Europe/London")
NO_ANSWER = ContactOutcome.NO_ANSWER
CALLS = [
    datetime(2026, 10, d, h, tzinfo=LONDON).astimezone(UTC)
    for d, h in ((20, 9), (20, 11), (20, 15), (21, 17))
]


def _referral(world, rid: int) -> Referral:
    with world.db.read() as s:
        return s.get_one(Referral, rid)


def _utc_letters(world, rid: int) -> list[Letter]:
    with world.db.read() as s:
        return list(
            s.scalars(
                select(Letter).where(Letter.referral_id == rid, Letter.kind == LetterKind.UNABLE_TO_CONTACT)
            )
        )


def test_a_queued_letter_blocks_discharge_and_printing_starts_the_window(world, tmp_path: Path) -> None:
    amy, rid = world.actor("amy"), world.referrals["Smith"]
    contact = ContactService(world.db)
    results = [contact.record_attempt(amy, rid, NO_ANSWER, at=at) for at in CALLS]
    assert results[-1].next_step.kind is NextStepKind.SEND_UTC_LETTER
    (letter,) = _utc_letters(world, rid)
    assert letter.status is LetterStatus.QUEUED
    ref = _referral(world, rid)
    assert ref.status is ReferralStatus.UTC_LETTER_SENT
    assert ref.utc_letter_sent_on is None  # queued is not sent: the window has not begun

    step = contact.next_step(amy, rid)
    assert step.kind is NextStepKind.AWAIT_PRINT
    assert "waiting to be printed" in step.message
    # Weeks later the letter is still unprinted: discharge is refused, whatever the date.
    with pytest.raises(PolicyViolation, match="has not been printed yet"):
        contact.discharge(amy, rid, "No reply")
    again = contact.record_attempt(amy, rid, NO_ANSWER)
    assert again.next_step.kind is NextStepKind.AWAIT_PRINT and again.letter_ids == ()
    assert len(_utc_letters(world, rid)) == 1  # no second letter
    assert _referral(world, rid).is_open

    run = LetterService(world.db).print_queue(amy, tmp_path)
    assert run.letter_ids == [letter.id]
    today = today_london()
    respond_by = ContactPolicy().respond_by(today)
    ref = _referral(world, rid)
    assert ref.utc_letter_sent_on == today
    assert ref.next_action_at == discharge_due_at(respond_by)
    (printed,) = _utc_letters(world, rid)
    assert printed.inputs["respond_by"] == respond_by.isoformat()
    assert long_date(respond_by) in all_text(run.files[0].read_bytes())  # what the patient reads

    step = contact.next_step(amy, rid)
    assert (step.kind, step.respond_by) == (NextStepKind.AWAIT_RESPONSE, respond_by)
    with pytest.raises(PolicyViolation, match=f"has until {respond_by.day} "):
        contact.discharge(amy, rid, "No reply")

    # Once the window (from the print day) is over, the discharge letters quote its reply date.
    with world.db.write() as s:
        s.execute(update(Referral).where(Referral.id == rid).values(utc_letter_sent_on=date(2026, 10, 22)))
    letter_ids = contact.discharge(amy, rid, "No reply to the letter")
    with world.db.read() as s:
        discharge = s.get_one(Letter, letter_ids[0])
    assert discharge.inputs["discharge"]["respond_by"] == respond_by.isoformat()


def test_the_policy_waits_for_the_print() -> None:
    policy = ContactPolicy()
    failures = [AttemptFact(at, NO_ANSWER) for at in CALLS]
    queued = date(2026, 10, 21)
    step = policy.next_step(failures, None, date(2026, 12, 1), queued)
    assert step.kind is NextStepKind.AWAIT_PRINT and step.respond_by is None
    assert "queued on 21 Oct 2026" in step.message
    assert not policy.can_discharge(None, date(2026, 12, 1), failures, queued)
    with pytest.raises(PolicyViolation, match="queued on 21 Oct 2026 has not been printed yet"):
        policy.ensure_can_discharge(date(2026, 10, 1), date(2026, 12, 1), failures, queued)
    # A letter queued before the patient was last reached belongs to an earlier episode.
    reached = [*failures, AttemptFact(datetime(2026, 10, 22, 10, tzinfo=UTC), ContactOutcome.SPOKE)]
    later = [*reached, AttemptFact(datetime(2026, 10, 23, 10, tzinfo=UTC), NO_ANSWER)]
    assert policy.next_step(later, None, date(2026, 10, 23), queued).kind is NextStepKind.KEEP_TRYING
