"""ContactService: call attempts, the contact policy end to end, callbacks, discharge, claims.

Calls are recorded at explicit past London times on working days (no bank holidays near them):
Tue 20 and Wed 21 Oct 2026 are in British Summer Time, the reply window runs into GMT, so the
London/UTC conversion is exercised both ways.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from booking_helpers import physio_slots
from sqlalchemy import func, select, update

from cras_desk.db.models import AuditEvent, Booking, Change, ContactAttempt, Letter, PatientPhone, Referral
from cras_desk.domain.clock import utcnow
from cras_desk.domain.contact_policy import ContactPolicy, NextStepKind
from cras_desk.domain.enums import (
    BookingStatus,
    ContactChannel,
    ContactOutcome,
    LetterKind,
    LetterStatus,
    PhoneStatus,
    ReferralStatus,
)
from cras_desk.domain.errors import ClaimConflict, PolicyViolation, StaleState, ValidationError
from cras_desk.services.booking import BookingService
from cras_desk.services.claims import ClaimService
from cras_desk.services.contact import ContactService
from cras_desk.services.contact_details import ContactDetailsService
from cras_desk.services.letters import LetterService
from cras_desk.services.patient_record import PatientRecordService

LONDON = ZoneInfo("Europe/London")
NO_ANSWER = ContactOutcome.NO_ANSWER


def london(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=LONDON).astimezone(UTC)


TUE_0900 = london(2026, 10, 20, 9)
TUE_1000 = london(2026, 10, 20, 10)
TUE_1100 = london(2026, 10, 20, 11)
WED_1500 = london(2026, 10, 21, 15)
LETTER_DAY = date(2026, 10, 21)
RESPOND_BY = date(2026, 11, 4)  # 14 calendar days after the letter; a Wednesday
DISCHARGE_DUE = london(2026, 11, 5, 9)  # first working day after the reply-by date, 09:00 (GMT)


def referral(world, rid: int) -> Referral:
    with world.db.read() as s:
        return s.get_one(Referral, rid)


def letters(world, rid: int) -> list[Letter]:
    with world.db.read() as s:
        return list(s.scalars(select(Letter).where(Letter.referral_id == rid).order_by(Letter.id)))


def attempts(world, rid: int) -> list[ContactAttempt]:
    with world.db.read() as s:
        return list(
            s.scalars(
                select(ContactAttempt).where(ContactAttempt.referral_id == rid).order_by(ContactAttempt.id)
            )
        )


def audit_actions(world, entity: str | None = None) -> list[str]:
    with world.db.read() as s:
        query = select(AuditEvent.action).order_by(AuditEvent.id)
        if entity:
            query = query.where(AuditEvent.entity == entity)
        return list(s.scalars(query))


def print_utc_letter(world, rid: int, at: datetime) -> None:
    """Print the referral's queued unable-to-contact letter as if at `at`: its reply window runs
    from the day it is printed (services/letter_posting.py), not the day it was queued."""
    with world.db.read() as s:
        letter_id = s.scalars(
            select(Letter.id).where(
                Letter.referral_id == rid,
                Letter.kind == LetterKind.UNABLE_TO_CONTACT,
                Letter.status == LetterStatus.QUEUED,
            )
        ).one()
    with patch("cras_desk.services.letters.utcnow", return_value=at):
        LetterService(world.db).print_letter(world.actor("amy"), letter_id, None)


def fail_until_letter(world, svc: ContactService, rid: int) -> None:
    amy = world.actor("amy")
    for at in (TUE_0900, TUE_1000, TUE_1100, WED_1500):
        svc.record_attempt(amy, rid, NO_ANSWER, at=at)
    print_utc_letter(world, rid, WED_1500 + timedelta(hours=1))


# -- the policy flow end to end ------------------------------------------------------------------


def test_three_failures_on_one_morning_queue_no_letter_and_say_what_is_missing(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]

    first = svc.record_attempt(amy, rid, NO_ANSWER, at=TUE_0900, number_used="07700 900120", notes="rang out")
    assert first.next_step.kind is NextStepKind.KEEP_TRYING
    assert first.status is ReferralStatus.CONTACTING
    svc.record_attempt(amy, rid, ContactOutcome.VOICEMAIL, at=TUE_1000)
    third = svc.record_attempt(amy, rid, ContactOutcome.BUSY, at=TUE_1100)

    assert third.next_step.kind is NextStepKind.KEEP_TRYING
    assert third.letter_ids == ()
    assert third.next_step.message == (
        "3 failed attempts, but the policy needs attempts on 2 different working days (so far 1) and "
        "attempts at 2 different times of day (so far only morning). Try again on a different working "
        "day at a different time of day (try afternoon)."
    )
    assert third.next_step.earliest_next_attempt == date(2026, 10, 21)
    ref = referral(world, rid)
    assert ref.status is ReferralStatus.CONTACTING
    assert ref.is_open is True
    assert (ref.attempt_count, ref.failed_attempt_count) == (3, 3)
    assert ref.last_attempt_at == TUE_1100
    assert ref.next_action_at == london(2026, 10, 21, 9)  # not worth calling again before Wednesday
    assert ref.utc_letter_sent_on is None
    assert letters(world, rid) == []
    rows = attempts(world, rid)
    assert [(r.outcome, r.at, r.user_id) for r in rows] == [
        (NO_ANSWER, TUE_0900, amy.user_id),
        (ContactOutcome.VOICEMAIL, TUE_1000, amy.user_id),
        (ContactOutcome.BUSY, TUE_1100, amy.user_id),
    ]
    assert (rows[0].number_used, rows[0].notes, rows[0].channel) == (
        "07700 900120",
        "rang out",
        ContactChannel.PHONE,
    )
    assert audit_actions(world, "contact_attempt") == ["record_attempt"] * 3


def test_failure_on_another_day_and_time_queues_the_unable_to_contact_letter(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    for at in (TUE_0900, TUE_1000, TUE_1100):
        svc.record_attempt(amy, rid, NO_ANSWER, at=at)

    fourth = svc.record_attempt(amy, rid, ContactOutcome.WRONG_NUMBER, at=WED_1500, notes="number not his")

    assert fourth.next_step.kind is NextStepKind.SEND_UTC_LETTER
    assert fourth.next_step.respond_by == RESPOND_BY
    assert fourth.next_step.message.startswith(
        "4th failed attempt: an unable-to-contact letter will be queued"
    )
    assert fourth.status is ReferralStatus.UTC_LETTER_SENT
    assert len(fourth.letter_ids) == 1
    (letter,) = letters(world, rid)
    assert letter.id == fourth.letter_ids[0]
    assert (letter.kind, letter.status, letter.recipient) == (
        LetterKind.UNABLE_TO_CONTACT,
        LetterStatus.QUEUED,
        "patient",
    )
    assert (letter.inputs["referral_id"], letter.inputs["respond_by"]) == (rid, "2026-11-04")
    assert letter.created_by == amy.user_id
    ref = referral(world, rid)
    assert ref.status is ReferralStatus.UTC_LETTER_SENT
    assert ref.utc_letter_sent_on is None  # the reply window starts when the letter is printed
    assert ref.next_action_at == DISCHARGE_DUE
    print_utc_letter(world, rid, WED_1500 + timedelta(hours=1))
    ref = referral(world, rid)
    assert ref.utc_letter_sent_on == LETTER_DAY
    assert ref.next_action_at == DISCHARGE_DUE
    assert (ref.attempt_count, ref.failed_attempt_count, ref.last_attempt_at) == (4, 4, WED_1500)
    assert "queue_letter" in audit_actions(world, "letter")


def test_discharge_before_the_reply_by_date_is_refused_and_changes_nothing(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    fail_until_letter(world, svc, rid)
    audit_before = audit_actions(world)

    for at in (london(2026, 10, 22, 10), london(2026, 11, 4, 16)):  # the reply-by day is the patient's
        with pytest.raises(PolicyViolation, match="has until 4 Nov 2026 to reply"):
            svc.discharge(amy, rid, "No reply to letter", at=at)

    ref = referral(world, rid)
    assert (ref.status, ref.is_open, ref.next_action_at) == (
        ReferralStatus.UTC_LETTER_SENT,
        True,
        DISCHARGE_DUE,
    )
    assert [x.kind for x in letters(world, rid)] == [LetterKind.UNABLE_TO_CONTACT]
    assert audit_actions(world) == audit_before


def test_discharge_after_the_reply_by_date_queues_patient_letter_and_gp_copy(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    fail_until_letter(world, svc, rid)
    assert svc.next_step(amy, rid, at=london(2026, 11, 5, 10)).kind is NextStepKind.DISCHARGE

    letter_ids = svc.discharge(amy, rid, "No reply to unable-to-contact letter", at=london(2026, 11, 5, 10))

    assert len(letter_ids) == 2
    discharge_letters = [x for x in letters(world, rid) if x.id in letter_ids]
    assert [(x.kind, x.recipient, x.status) for x in discharge_letters] == [
        (LetterKind.DISCHARGE, "patient", LetterStatus.QUEUED),
        (LetterKind.DISCHARGE_GP_COPY, "gp", LetterStatus.QUEUED),
    ]
    expected = {
        "referral_id": rid,
        "reason": "No reply to unable-to-contact letter",
        "discharge_path": "unable_to_contact",
        "discharged_on": "2026-11-05",
    }
    assert {k: discharge_letters[0].inputs[k] for k in expected} == expected
    ref = referral(world, rid)
    assert (ref.status, ref.is_open, ref.next_action_at) == (ReferralStatus.DISCHARGED, False, None)
    assert (ref.claimed_by, ref.claimed_until) == (None, None)
    assert audit_actions(world, "referral")[-1] == "discharge"

    with pytest.raises(StaleState):
        svc.record_attempt(amy, rid, NO_ANSWER)
    with pytest.raises(StaleState):
        svc.discharge(amy, rid, "again")


def test_discharge_with_the_letter_date_moved_back_and_the_real_clock(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    fail_until_letter(world, svc, rid)
    with world.db.write() as s:
        s.execute(update(Referral).where(Referral.id == rid).values(utc_letter_sent_on=date(2026, 1, 5)))
    assert len(svc.discharge(amy, rid, "No reply")) == 2
    assert referral(world, rid).status is ReferralStatus.DISCHARGED


def test_a_further_failure_during_the_reply_window_queues_no_second_letter(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    fail_until_letter(world, svc, rid)
    result = svc.record_attempt(amy, rid, NO_ANSWER, at=london(2026, 10, 23, 18))
    assert result.next_step.kind is NextStepKind.AWAIT_RESPONSE
    assert result.letter_ids == ()
    assert result.status is ReferralStatus.UTC_LETTER_SENT
    ref = referral(world, rid)
    assert (ref.utc_letter_sent_on, ref.next_action_at, ref.failed_attempt_count) == (
        LETTER_DAY,
        DISCHARGE_DUE,
        5,
    )
    assert len(letters(world, rid)) == 1


def test_patient_reached_after_the_letter_cannot_be_discharged_as_unable_to_contact(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    fail_until_letter(world, svc, rid)
    spoke = svc.record_attempt(amy, rid, ContactOutcome.SPOKE, at=london(2026, 10, 22, 12))
    assert spoke.next_step.kind is NextStepKind.CONTACTED
    assert spoke.status is ReferralStatus.CONTACTING
    ref = referral(world, rid)
    assert (ref.status, ref.next_action_at, ref.attempt_count, ref.failed_attempt_count) == (
        ReferralStatus.CONTACTING,
        None,
        5,
        4,
    )
    with pytest.raises(PolicyViolation, match="the patient was reached on 22 Oct 2026"):
        svc.discharge(amy, rid, "No reply", at=london(2026, 11, 6, 10))
    assert referral(world, rid).is_open is True


def test_discharge_without_any_letter_is_refused(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    with pytest.raises(PolicyViolation, match="no unable-to-contact letter has been sent"):
        svc.discharge(amy, rid, "Cannot reach")
    svc.record_attempt(amy, rid, NO_ANSWER, at=TUE_0900)
    with pytest.raises(PolicyViolation, match="no unable-to-contact letter has been sent"):
        svc.discharge(amy, rid, "Cannot reach")
    assert letters(world, rid) == []
    assert referral(world, rid).is_open is True


def test_patient_who_declined_is_discharged_at_once_with_a_reason(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    svc.record_attempt(amy, rid, NO_ANSWER, at=TUE_0900)
    declined = svc.record_attempt(amy, rid, ContactOutcome.DECLINED, at=TUE_1100, notes="feels better")
    assert declined.next_step.kind is NextStepKind.CONTACTED
    assert declined.status is ReferralStatus.CONTACTING

    with pytest.raises(ValidationError, match="reason"):
        svc.discharge(amy, rid, "   ")
    ids = svc.discharge(amy, rid, "Patient declined treatment", at=london(2026, 10, 20, 11, 5))

    got = [(x.kind, x.recipient, x.inputs["discharge_path"]) for x in letters(world, rid)]
    assert got == [
        (LetterKind.DISCHARGE, "patient", "declined"),
        (LetterKind.DISCHARGE_GP_COPY, "gp", "declined"),
    ]
    assert [x.id for x in letters(world, rid)] == list(ids)
    assert referral(world, rid).status is ReferralStatus.DISCHARGED


def test_letters_follow_the_patients_large_print_need(world) -> None:
    svc = ContactService(world.db)
    rid = world.referrals["Nowak"]  # large print
    fail_until_letter(world, svc, rid)
    (letter,) = letters(world, rid)
    assert letter.large_print is True


# -- callbacks -----------------------------------------------------------------------------------


def test_callback_needs_a_time_later_than_the_call(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    with pytest.raises(ValidationError, match="callback needs a date and time"):
        svc.record_attempt(amy, rid, ContactOutcome.CALLBACK_REQUESTED, at=TUE_1000)
    with pytest.raises(ValidationError, match="later than the call"):
        svc.record_attempt(
            amy,
            rid,
            ContactOutcome.CALLBACK_REQUESTED,
            at=TUE_1000,
            callback_at=TUE_1000 - timedelta(hours=1),
        )
    with pytest.raises(ValidationError, match="time zone"):
        svc.record_attempt(
            amy, rid, ContactOutcome.CALLBACK_REQUESTED, at=TUE_1000, callback_at=datetime(2026, 10, 21, 18)
        )
    with pytest.raises(ValidationError, match="only be given when the patient asked"):
        svc.record_attempt(amy, rid, NO_ANSWER, at=TUE_1000, callback_at=WED_1500)
    assert attempts(world, rid) == []
    ref = referral(world, rid)
    assert (ref.status, ref.attempt_count) == (ReferralStatus.AWAITING_CONTACT, 0)


def test_callback_with_a_time_sets_status_and_next_action(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    svc.record_attempt(amy, rid, NO_ANSWER, at=TUE_0900)
    callback_at = london(2026, 10, 21, 18, 30)
    result = svc.record_attempt(
        amy, rid, ContactOutcome.CALLBACK_REQUESTED, at=TUE_1000, callback_at=callback_at
    )
    assert result.status is ReferralStatus.CALLBACK
    assert result.next_step.kind is NextStepKind.CONTACTED
    ref = referral(world, rid)
    assert (ref.status, ref.next_action_at) == (ReferralStatus.CALLBACK, callback_at)
    assert (ref.attempt_count, ref.failed_attempt_count) == (2, 1)
    assert attempts(world, rid)[-1].callback_at == callback_at

    # The callback call fails: a fresh episode starts, counted from the callback request.
    again = svc.record_attempt(amy, rid, NO_ANSWER, at=callback_at)
    assert again.status is ReferralStatus.CONTACTING
    assert again.next_step.failed_attempts == 1
    assert referral(world, rid).failed_attempt_count == 2


# -- claims, preview, configuration, validation ---------------------------------------------------


def test_advisor_without_the_claim_gets_claim_conflict_and_nothing_is_written(world) -> None:
    svc = ContactService(world.db)
    rid = world.referrals["Ó Súilleabháin"]
    ClaimService(world.db).claim(world.actor("ben"), rid)
    with world.db.read() as s:
        changes_before = s.scalar(select(func.count()).select_from(Change))
    audit_before = audit_actions(world)

    with pytest.raises(ClaimConflict, match="Ben Advisor") as err:
        svc.record_attempt(world.actor("amy"), rid, NO_ANSWER, at=TUE_0900)
    assert err.value.claimed_by == "Ben Advisor"
    with pytest.raises(ClaimConflict):
        svc.discharge(world.actor("amy"), rid, "Patient declined")

    assert attempts(world, rid) == []
    ref = referral(world, rid)
    assert (ref.attempt_count, ref.status, ref.claimed_by) == (
        0,
        ReferralStatus.AWAITING_CONTACT,
        world.actor("ben").user_id,
    )
    assert audit_actions(world) == audit_before
    with world.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Change)) == changes_before


def test_preview_matches_what_record_attempt_then_does_and_writes_nothing(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    calls = [
        (NO_ANSWER, TUE_0900),
        (ContactOutcome.VOICEMAIL, TUE_1000),
        (NO_ANSWER, TUE_1100),
        (NO_ANSWER, WED_1500),
        (NO_ANSWER, london(2026, 10, 22, 9)),
    ]
    for n, (outcome, at) in enumerate(calls, start=1):
        preview = svc.preview(amy, rid, outcome, at=at)
        assert len(attempts(world, rid)) == n - 1
        assert svc.record_attempt(amy, rid, outcome, at=at).next_step == preview
    assert svc.preview(amy, rid, ContactOutcome.SPOKE).kind is NextStepKind.CONTACTED
    assert len(letters(world, rid)) == 1


def test_next_step_reports_the_current_state(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Smith"]
    assert svc.next_step(amy, rid).message == "No contact attempts yet: call the patient."
    fail_until_letter(world, svc, rid)
    step = svc.next_step(amy, rid, at=london(2026, 10, 30, 10))
    assert (step.kind, step.respond_by) == (NextStepKind.AWAIT_RESPONSE, RESPOND_BY)
    assert "5 days left" in step.message


def test_policy_is_configurable(world) -> None:
    policy = ContactPolicy.from_mapping(
        {"max_failed_attempts": "2", "min_distinct_days": "1", "require_distinct_times_of_day": "false"}
    )
    svc = ContactService(world.db, policy)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    assert svc.record_attempt(amy, rid, NO_ANSWER, at=TUE_0900).letter_ids == ()
    second = svc.record_attempt(amy, rid, NO_ANSWER, at=TUE_1000)
    assert second.next_step.kind is NextStepKind.SEND_UTC_LETTER
    assert second.status is ReferralStatus.UTC_LETTER_SENT
    assert referral(world, rid).utc_letter_sent_on is None
    print_utc_letter(world, rid, TUE_1100)
    assert referral(world, rid).utc_letter_sent_on == date(2026, 10, 20)


def test_call_times_must_be_aware_and_not_in_the_future(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    with pytest.raises(ValidationError, match="future"):
        svc.record_attempt(amy, rid, NO_ANSWER, at=utcnow() + timedelta(hours=1))
    with pytest.raises(ValidationError, match="future"):  # would skip the reply window
        svc.discharge(amy, rid, "No reply", at=utcnow() + timedelta(days=60))
    with pytest.raises(ValidationError, match="time zone"):
        svc.record_attempt(amy, rid, NO_ANSWER, at=datetime(2026, 10, 20, 9))
    assert attempts(world, rid) == []


def test_default_time_is_now_and_the_change_feed_sees_the_attempt(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    before = utcnow()
    result = svc.record_attempt(amy, rid, ContactOutcome.SPOKE, channel=ContactChannel.PHONE)
    (row,) = attempts(world, rid)
    assert before <= row.at <= utcnow()
    assert referral(world, rid).last_attempt_at == row.at
    with world.db.read() as s:
        feed = set(s.execute(select(Change.entity, Change.entity_id, Change.op, Change.user_id)))
    assert ("contact_attempt", result.attempt_id, "insert", amy.user_id) in feed
    assert ("referral", rid, "update", amy.user_id) in feed


# -- a wrong number marks the number; calls on a booked referral ------------------------------------


def _phones(world, rid: int) -> list[tuple[str, PhoneStatus, bool]]:
    with world.db.read() as s:
        patient_id = s.get_one(Referral, rid).patient_id
        return [
            (p.number, p.status, p.is_preferred)
            for p in s.scalars(
                select(PatientPhone).where(PatientPhone.patient_id == patient_id).order_by(PatientPhone.id)
            )
        ]


def test_a_wrong_number_call_marks_that_number_so_it_is_not_offered_first(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    ContactDetailsService(world.db).add_phone(amy, rid, "home", "01632 960111")
    wrong = ContactOutcome.WRONG_NUMBER
    result = svc.record_attempt(amy, rid, wrong, number_used="07700 900120", at=TUE_0900)
    assert result.phone_marked_wrong == "07700 900120"
    assert _phones(world, rid) == [
        ("07700 900120", PhoneStatus.WRONG_NUMBER, False),
        ("01632 960111", PhoneStatus.ACTIVE, False),
    ]
    record = PatientRecordService(world.db).open(amy, rid)
    assert [(p.number, p.status) for p in record.phones] == [
        ("01632 960111", PhoneStatus.ACTIVE),
        ("07700 900120", PhoneStatus.WRONG_NUMBER),
    ]
    with world.db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "set_phone_status")).one()
    assert (event.user_id, event.detail["attempt_id"], event.detail["to"]) == (
        amy.user_id,
        result.attempt_id,
        "wrong_number",
    )
    # Still a failed attempt for the contact policy.
    assert referral(world, rid).failed_attempt_count == 1


def test_a_wrong_number_typed_by_hand_or_another_outcome_marks_nothing(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    before = _phones(world, rid)
    typed = svc.record_attempt(amy, rid, ContactOutcome.WRONG_NUMBER, number_used="01632 960999", at=TUE_0900)
    assert typed.phone_marked_wrong is None
    svc.record_attempt(amy, rid, NO_ANSWER, number_used="07700 900120", at=TUE_1000)
    assert _phones(world, rid) == before


def _book(world, rid: int) -> int:
    slot = physio_slots(world.db, world.sites["Brighton"])[0]
    return BookingService(world.db).book(world.actor("amy"), rid, slot)


def test_a_call_on_a_booked_referral_is_recorded_and_changes_no_booking_or_status(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    booking_id = _book(world, rid)
    letters_before = len(letters(world, rid))

    spoke = svc.record_attempt(amy, rid, ContactOutcome.SPOKE, notes="Asked about parking.", at=TUE_0900)
    assert (spoke.status, spoke.next_step.kind, spoke.letter_ids) == (
        ReferralStatus.BOOKED,
        NextStepKind.BOOKED,
        (),
    )
    # Unanswered reminder calls on several days never add up to an unable-to-contact letter.
    for at in (TUE_1000, TUE_1100, WED_1500, london(2026, 10, 22, 18)):
        result = svc.record_attempt(amy, rid, NO_ANSWER, at=at)
        assert (result.status, result.next_step.kind, result.letter_ids) == (
            ReferralStatus.BOOKED,
            NextStepKind.BOOKED,
            (),
        )
    ref = referral(world, rid)
    assert (ref.status, ref.is_open, ref.next_action_at, ref.utc_letter_sent_on) == (
        ReferralStatus.BOOKED,
        True,
        None,
        None,
    )
    assert (ref.attempt_count, ref.failed_attempt_count) == (5, 4)
    with world.db.read() as s:
        assert s.get_one(Booking, booking_id).status is BookingStatus.BOOKED
    assert len(letters(world, rid)) == letters_before
    assert svc.preview(amy, rid, NO_ANSWER).kind is NextStepKind.BOOKED
    assert svc.next_step(amy, rid).kind is NextStepKind.BOOKED
    history = PatientRecordService(world.db).open(amy, rid).history
    assert "Phone call: spoke to the patient - Asked about parking." in [h.summary for h in history]
    assert "record_attempt" in audit_actions(world, "contact_attempt")


def test_a_callback_asked_for_on_a_booked_referral_is_its_next_action_and_f2_finds_it(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    _book(world, rid)
    claims = ClaimService(world.db)
    claims.release(amy, rid)
    # Booked and nothing asked for: F2 does not hand it out (amy's next is the team's Nowak).
    claim = claims.next_patient(amy)
    assert claim is not None and claim.referral_id != rid
    claims.release(amy, claim.referral_id)

    asked = TUE_1100  # within calling hours, and already past: due now
    result = svc.record_attempt(amy, rid, ContactOutcome.CALLBACK_REQUESTED, callback_at=asked, at=TUE_0900)
    assert result.status is ReferralStatus.BOOKED
    assert referral(world, rid).next_action_at == asked
    claims.release(amy, rid)
    claim = claims.next_patient(amy)
    assert claim is not None and claim.referral_id == rid


def test_a_booked_referral_cannot_be_discharged_before_the_booking_is_cancelled(world) -> None:
    svc = ContactService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    _book(world, rid)
    svc.record_attempt(amy, rid, ContactOutcome.DECLINED, at=TUE_0900)
    with pytest.raises(StaleState, match="appointment booked: cancel it first"):
        svc.discharge(amy, rid, "Patient no longer wants treatment")
    assert referral(world, rid).status is ReferralStatus.BOOKED
