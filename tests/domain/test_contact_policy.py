from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cras_desk.domain.contact_policy import (
    AttemptFact,
    ContactPolicy,
    NextStepKind,
    format_date,
    ordinal,
)
from cras_desk.domain.enums import ContactOutcome, TimeOfDay
from cras_desk.domain.errors import PolicyViolation, ValidationError
from cras_desk.domain.working_days import is_working_day

POLICY = ContactPolicy()
NO_ANSWER = ContactOutcome.NO_ANSWER


def fail(day: date, hour: int, outcome: ContactOutcome = NO_ANSWER) -> AttemptFact:
    return AttemptFact(datetime(day.year, day.month, day.day, hour, 15), outcome)


TUE = date(2026, 12, 1)
WED = date(2026, 12, 2)
THU = date(2026, 12, 3)


def test_no_attempts_means_call_the_patient() -> None:
    step = POLICY.next_step([], None, TUE)
    assert step.kind is NextStepKind.KEEP_TRYING
    assert step.failed_attempts == 0
    assert step.message == "No contact attempts yet: call the patient."


def test_first_failure_suggests_another_day_and_the_missing_time_of_day() -> None:
    step = POLICY.next_step([fail(TUE, 9)], None, TUE)
    assert step.kind is NextStepKind.KEEP_TRYING
    assert step.failed_attempts == 1
    assert step.message == (
        "1st failed attempt. Try again on a different working day at a different time of day (try afternoon)."
    )
    assert step.earliest_next_attempt == WED


def test_afternoon_failure_suggests_morning() -> None:
    step = POLICY.next_step([fail(TUE, 14)], None, TUE)
    assert "(try morning)" in step.message


def test_three_failures_on_one_morning_name_the_missing_spread() -> None:
    attempts = [fail(TUE, 9), fail(TUE, 10), fail(TUE, 11)]
    step = POLICY.next_step(attempts, None, TUE)
    assert step.kind is NextStepKind.KEEP_TRYING
    assert step.failed_attempts == 3
    assert step.message.startswith("3 failed attempts, but the policy needs")
    assert "2 different working days (so far 1)" in step.message
    assert "2 different times of day (so far only morning)" in step.message
    assert "(try afternoon)" in step.message
    assert step.respond_by is None
    assert step.earliest_next_attempt == WED


def test_three_failures_on_one_day_at_two_times_only_need_another_day() -> None:
    attempts = [fail(TUE, 9), fail(TUE, 13), fail(TUE, 16)]
    step = POLICY.next_step(attempts, None, TUE)
    assert step.kind is NextStepKind.KEEP_TRYING
    assert "times of day" not in step.message
    assert step.message.endswith("Try again on a different working day.")


def test_three_failures_on_two_days_all_mornings_need_another_time() -> None:
    attempts = [fail(TUE, 9), fail(WED, 9), fail(WED, 11)]
    step = POLICY.next_step(attempts, None, WED)
    assert step.kind is NextStepKind.KEEP_TRYING
    assert "working days" not in step.message
    assert step.message.endswith("Try again at a different time of day (try afternoon).")
    assert step.earliest_next_attempt is None


def test_spread_reached_before_the_count_says_how_many_more() -> None:
    step = POLICY.next_step([fail(TUE, 9), fail(WED, 14)], None, WED)
    assert step.kind is NextStepKind.KEEP_TRYING
    assert step.message == (
        "2nd failed attempt. Try again (1 more failed attempt before an unable-to-contact letter)."
    )


def test_three_failures_over_two_days_and_two_times_queue_the_letter() -> None:
    attempts = [fail(TUE, 9), fail(TUE, 14), fail(WED, 10)]
    step = POLICY.next_step(attempts, None, WED)
    assert step.kind is NextStepKind.SEND_UTC_LETTER
    assert step.failed_attempts == 3
    assert step.respond_by == date(2026, 12, 16)
    assert step.message == (
        "3rd failed attempt: an unable-to-contact letter will be queued (reply by 16 Dec 2026)."
    )


def test_attempt_order_in_the_list_does_not_matter() -> None:
    attempts = [fail(WED, 10), fail(TUE, 14), fail(TUE, 9)]
    assert POLICY.next_step(attempts, None, WED).kind is NextStepKind.SEND_UTC_LETTER


def test_weekend_and_bank_holiday_attempts_do_not_count_as_working_days() -> None:
    saturday, christmas = date(2026, 12, 5), date(2026, 12, 25)
    attempts = [fail(saturday, 10), fail(christmas, 14), fail(TUE, 16)]
    step = POLICY.next_step(attempts, None, date(2026, 12, 29))
    assert step.kind is NextStepKind.KEEP_TRYING
    assert "2 different working days (so far 1)" in step.message
    assert step.earliest_next_attempt == date(2026, 12, 29)  # 28 Dec is the Boxing Day substitute
    # Once the next working day is past, suggest today rather than a date in the past.
    later = POLICY.next_step(attempts, None, date(2027, 1, 5))
    assert later.earliest_next_attempt == date(2027, 1, 5)


def test_wrong_number_and_voicemail_are_failures() -> None:
    attempts = [
        fail(TUE, 9, ContactOutcome.VOICEMAIL),
        fail(TUE, 14, ContactOutcome.BUSY),
        fail(WED, 10, ContactOutcome.WRONG_NUMBER),
    ]
    assert POLICY.next_step(attempts, None, WED).kind is NextStepKind.SEND_UTC_LETTER


@pytest.mark.parametrize(
    "outcome", [ContactOutcome.SPOKE, ContactOutcome.CALLBACK_REQUESTED, ContactOutcome.DECLINED]
)
def test_reaching_the_patient_after_failures_means_contacted(outcome: ContactOutcome) -> None:
    attempts = [fail(TUE, 9), fail(TUE, 14), fail(WED, 10), fail(THU, 11, outcome)]
    step = POLICY.next_step(attempts, date(2026, 12, 3), THU)
    assert step.kind is NextStepKind.CONTACTED
    assert step.failed_attempts == 0
    assert "3 Dec 2026" in step.message


def test_failures_after_a_callback_request_start_a_new_episode() -> None:
    attempts = [
        fail(TUE, 9),
        fail(TUE, 14),
        fail(WED, 9, ContactOutcome.CALLBACK_REQUESTED),
        fail(THU, 15),
    ]
    step = POLICY.next_step(attempts, None, THU)
    assert step.kind is NextStepKind.KEEP_TRYING
    assert step.failed_attempts == 1
    assert step.message.startswith("1st failed attempt.")


def test_letter_sent_before_the_patient_was_last_reached_does_not_count() -> None:
    old_letter = date(2026, 11, 2)
    attempts = [fail(date(2026, 11, 10), 10, ContactOutcome.SPOKE), fail(TUE, 9)]
    step = POLICY.next_step(attempts, old_letter, date(2026, 12, 20))
    assert step.kind is NextStepKind.KEEP_TRYING
    assert not POLICY.can_discharge(old_letter, date(2026, 12, 20), attempts)
    with pytest.raises(PolicyViolation, match="reached on 10 Nov 2026"):
        POLICY.ensure_can_discharge(old_letter, date(2026, 12, 20), attempts)


def test_letter_sent_ten_days_ago_means_await_response() -> None:
    today = date(2026, 12, 14)
    sent = today - timedelta(days=10)
    attempts = [fail(date(2026, 12, 1), 9), fail(date(2026, 12, 1), 14), fail(date(2026, 12, 2), 10)]
    step = POLICY.next_step(attempts, sent, today)
    assert step.kind is NextStepKind.AWAIT_RESPONSE
    assert step.respond_by == date(2026, 12, 18)
    assert step.failed_attempts == 3
    assert step.message == (
        "Unable-to-contact letter sent on 4 Dec 2026; "
        "the patient has until 18 Dec 2026 to reply (4 days left)."
    )


def test_letter_sent_fifteen_days_ago_means_discharge() -> None:
    today = date(2026, 12, 19)
    sent = today - timedelta(days=15)
    step = POLICY.next_step([fail(TUE, 9), fail(TUE, 14), fail(WED, 10)], sent, today)
    assert step.kind is NextStepKind.DISCHARGE
    assert step.respond_by == date(2026, 12, 18)
    assert "discharge to the GP" in step.message


def test_reply_by_day_itself_is_still_awaiting() -> None:
    sent = date(2026, 12, 4)
    assert POLICY.next_step([], sent, date(2026, 12, 18)).kind is NextStepKind.AWAIT_RESPONSE
    assert not POLICY.can_discharge(sent, date(2026, 12, 18))
    assert POLICY.next_step([], sent, date(2026, 12, 19)).kind is NextStepKind.DISCHARGE
    assert POLICY.can_discharge(sent, date(2026, 12, 19))


def test_reply_by_date_on_a_bank_holiday_moves_to_the_next_working_day() -> None:
    # 11 Dec + 14 days is Christmas Day; 28 Dec is the Boxing Day substitute.
    assert POLICY.respond_by(date(2026, 12, 11)) == date(2026, 12, 29)
    step = POLICY.next_step(
        [fail(date(2026, 12, 10), 9), fail(date(2026, 12, 10), 14), fail(date(2026, 12, 11), 10)],
        None,
        date(2026, 12, 11),
    )
    assert step.respond_by == date(2026, 12, 29)


def test_ensure_can_discharge_refuses_without_a_letter() -> None:
    with pytest.raises(PolicyViolation, match="no unable-to-contact letter has been sent"):
        POLICY.ensure_can_discharge(None, date(2027, 6, 1))
    assert not POLICY.can_discharge(None, date(2027, 6, 1))


def test_ensure_can_discharge_refuses_during_the_reply_period() -> None:
    with pytest.raises(PolicyViolation, match="has until 18 Dec 2026 to reply"):
        POLICY.ensure_can_discharge(date(2026, 12, 4), date(2026, 12, 10))
    POLICY.ensure_can_discharge(date(2026, 12, 4), date(2026, 12, 21))  # allowed: does not raise


def test_aware_times_are_judged_in_uk_local_time() -> None:
    # 11:30 UTC in July is 12:30 BST: afternoon for the patient.
    attempt = AttemptFact(datetime(2026, 7, 1, 11, 30, tzinfo=UTC), NO_ANSWER)
    assert attempt.time_of_day is TimeOfDay.AFTERNOON
    # 23:30 UTC on 30 June is 00:30 on 1 July in London: a different day.
    late = AttemptFact(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), NO_ANSWER)
    assert late.day == date(2026, 7, 1)


def test_outcome_strings_from_the_database_are_coerced() -> None:
    fact = AttemptFact(datetime(2026, 12, 1, 9), "no_answer")  # type: ignore[arg-type]
    assert fact.outcome is ContactOutcome.NO_ANSWER


def test_from_mapping_reads_json_and_settings_values() -> None:
    assert ContactPolicy.from_mapping({}) == ContactPolicy()
    policy = ContactPolicy.from_mapping(
        {"max_failed_attempts": "4", "min_distinct_days": 3, "require_distinct_times_of_day": "false"}
    )
    assert policy == ContactPolicy(4, 3, False, 14)
    assert ContactPolicy.from_mapping(policy.to_mapping()) == policy


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"max_failed_attempt": 3}, "Unknown contact policy setting"),
        ({"max_failed_attempts": "three"}, "must be a whole number"),
        ({"max_failed_attempts": 0}, "at least 1"),
        ({"respond_within_days": True}, "must be a whole number"),
        ({"require_distinct_times_of_day": "maybe"}, "true or false"),
    ],
)
def test_from_mapping_refuses_bad_settings(mapping: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ContactPolicy.from_mapping(mapping)


def test_configured_policy_changes_the_threshold() -> None:
    lenient = ContactPolicy(
        max_failed_attempts=2, min_distinct_days=1, require_distinct_times_of_day=False, respond_within_days=7
    )
    step = lenient.next_step([fail(TUE, 9), fail(TUE, 10)], None, TUE)
    assert step.kind is NextStepKind.SEND_UTC_LETTER
    assert step.respond_by == date(2026, 12, 8)


def test_helpers() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
        "111th",
    ]
    assert format_date(date(2026, 12, 4)) == "4 Dec 2026"


# -- properties over random attempt histories --------------------------------------------------

attempt_facts = st.builds(
    AttemptFact,
    at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 3, 31, 23, 59)),
    outcome=st.sampled_from(list(ContactOutcome)),
)
histories = st.lists(attempt_facts, max_size=12)
todays = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 6, 30))
policies = st.builds(
    ContactPolicy,
    max_failed_attempts=st.integers(1, 6),
    min_distinct_days=st.integers(1, 4),
    require_distinct_times_of_day=st.booleans(),
    respond_within_days=st.integers(1, 30),
)


@given(policies, histories, todays)
def test_never_discharge_without_a_letter(
    policy: ContactPolicy, attempts: list[AttemptFact], today: date
) -> None:
    step = policy.next_step(attempts, None, today)
    assert step.kind is not NextStepKind.DISCHARGE
    assert step.kind is not NextStepKind.AWAIT_RESPONSE
    assert not policy.can_discharge(None, today, attempts)


@given(policies, histories, todays)
def test_letter_is_only_queued_when_the_policy_is_met(
    policy: ContactPolicy, attempts: list[AttemptFact], today: date
) -> None:
    step = policy.next_step(attempts, None, today)
    if step.kind is not NextStepKind.SEND_UTC_LETTER:
        return
    ordered = sorted(attempts, key=lambda a: a.at)
    assert ordered[-1].outcome.is_failed
    reached = [i for i, a in enumerate(ordered) if not a.outcome.is_failed]
    episode = ordered[reached[-1] + 1 :] if reached else ordered
    assert step.failed_attempts == len(episode) >= policy.max_failed_attempts
    assert len({a.at.date() for a in episode if is_working_day(a.at.date())}) >= policy.min_distinct_days
    if policy.require_distinct_times_of_day:
        assert len({TimeOfDay.of_hour(a.at.hour) for a in episode}) >= 2
    assert step.respond_by is not None
    assert step.respond_by >= today + timedelta(days=policy.respond_within_days)


@given(policies, histories, st.dates(min_value=date(2026, 4, 1), max_value=date(2026, 6, 30)), todays)
def test_discharge_exactly_when_the_reply_period_has_passed(
    policy: ContactPolicy, attempts: list[AttemptFact], letter: date, today: date
) -> None:
    # Letters here postdate every attempt, so only the reply period decides.
    step = policy.next_step([a for a in attempts if a.outcome.is_failed], letter, today)
    passed = today > policy.respond_by(letter)
    assert (step.kind is NextStepKind.DISCHARGE) == passed
    assert (step.kind is NextStepKind.AWAIT_RESPONSE) == (not passed)
    assert policy.can_discharge(letter, today) == passed


@given(
    policies,
    histories,
    todays,
    st.sampled_from([ContactOutcome.SPOKE, ContactOutcome.CALLBACK_REQUESTED, ContactOutcome.DECLINED]),
)
def test_last_attempt_reaching_the_patient_is_always_contacted(
    policy: ContactPolicy, attempts: list[AttemptFact], today: date, outcome: ContactOutcome
) -> None:
    last = AttemptFact(datetime(2026, 4, 1, 10), outcome)  # after every generated attempt
    step = policy.next_step([*attempts, last], date(2026, 3, 1), today)
    assert step.kind is NextStepKind.CONTACTED
