"""Recording call attempts and discharging, with the contact policy deciding what comes next.

Each call records one ContactAttempt, keeps the referral's denormalised contact columns in step and
asks domain.contact_policy what the advisor should do next. When the policy says the effort has
been fair, the unable-to-contact letter is queued in the same transaction, so an attempt is never
recorded without the letter it triggers (or the other way round).

Decisions worth knowing (the policy module leaves them to the service):
- The attempt's own time (`at`, default now) is the service's "today": a call keyed in after
  midnight for the evening before is judged, and its letter dated, by when the call happened.
  `at` may be in the past but not in the future, since a future date would let a caller skip the
  reply window.
- A patient who declined treatment may be discharged at once with a reason; the "never discharge
  without the unable-to-contact letter" rule protects patients who were never reached, not
  patients who said no. Which path applies is decided by the last time the patient was reached:
  if that was a DECLINED attempt, the declined path, otherwise the unable-to-contact path.
- The reply window runs from the day the letter is PRINTED, not queued: utc_letter_sent_on is set
  by the print (services/letter_posting.py). While the letter waits in the print queue the policy
  says so (AWAIT_PRINT), no second letter is queued and discharge is refused; a patient reached
  or booked meanwhile has the queued letter withdrawn (services/letter_lifecycle.py).
- After the letter the referral comes back on the worklist at 09:00 on the first working day after
  the reply-by date: the policy refuses discharge on the reply-by day itself (the patient may still
  phone), so showing it earlier would only hand an advisor work they cannot finish.
- failed_attempt_count counts every failed attempt of the referral (the policy's own count, of
  failures since the patient was last reached, is in NextStep.failed_attempts).
- A call on a booked referral (the patient rings about the appointment) is recorded and counted,
  and changes neither the booking nor the status; the unreachable-patient policy does not apply
  (an unanswered reminder never queues an unable-to-contact letter). A callback asked for on it
  becomes its next action, which is how F2 and the callbacks filter find it.
- A wrong number recorded against one of the patient's stored numbers marks that number
  (services.contact_details.mark_wrong_number) in the same transaction: never preferred, offered last.
- preview() and next_step() are not audited: they return the policy's advice (counts and dates),
  and opening the patient's record, which shows it, is audited by the service that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cras_desk.db.engine import Database
from cras_desk.db.models import ContactAttempt, Referral
from cras_desk.domain import input_rules
from cras_desk.domain.calling_hours import CallingHours
from cras_desk.domain.clock import LONDON, to_london, today_london, utcnow
from cras_desk.domain.contact_policy import (
    BOOKED_STEP_MESSAGE,
    AttemptFact,
    ContactPolicy,
    NextStep,
    NextStepKind,
)
from cras_desk.domain.enums import ContactChannel, ContactOutcome, LetterKind, ReferralStatus
from cras_desk.domain.errors import NotFound, StaleState, ValidationError
from cras_desk.domain.working_days import next_working_day
from cras_desk.services import access, audit, central_settings, claims, contact_details, idempotency
from cras_desk.services.actor import Actor
from cras_desk.services.letter_lifecycle import Supersession, queued_utc_letter_on, withdraw_superseded
from cras_desk.services.letter_queue import queue_letter

# Follow-ups (retry days, reply windows) fall due at the start of the centre's working morning.
FOLLOW_UP_TIME = time(9, 0)
# Desks and server agree on the clock only roughly; an `at` this far ahead is still "now".
_CLOCK_SLACK = timedelta(minutes=5)
NUMBER_USED_MAX = 24  # contact_attempts.number_used is VARCHAR(24)
# Text columns have no limit; these are longer than any call note or reason an advisor types.
NOTES_MAX = 4000
REASON_MAX = 2000


@dataclass(frozen=True)
class AttemptResult:
    attempt_id: int
    next_step: NextStep
    letter_ids: tuple[int, ...]
    status: ReferralStatus
    # A wrong number recorded on one of the patient's stored numbers marks it: that number, else None.
    phone_marked_wrong: str | None = None


def london_moment(day: date, at: time = FOLLOW_UP_TIME) -> datetime:
    """An aware UTC datetime for a London wall-clock time on day (DST handled by zoneinfo)."""
    return datetime.combine(day, at, LONDON).astimezone(UTC)


def discharge_due_at(respond_by: date) -> datetime:
    """When an unanswered unable-to-contact letter makes the referral due for discharge."""
    return london_moment(next_working_day(respond_by))


def _attempt_json(result: AttemptResult) -> dict[str, Any]:
    step = result.next_step
    return {
        "attempt_id": result.attempt_id,
        "letter_ids": list(result.letter_ids),
        "status": result.status.value,
        "phone_marked_wrong": result.phone_marked_wrong,
        "step": {
            "kind": step.kind.value,
            "message": step.message,
            "failed_attempts": step.failed_attempts,
            "respond_by": step.respond_by.isoformat() if step.respond_by else None,
            "earliest_next_attempt": (
                step.earliest_next_attempt.isoformat() if step.earliest_next_attempt else None
            ),
        },
    }


def _attempt_of(_s: Session, done: dict[str, Any]) -> AttemptResult:
    step = done["step"]
    return AttemptResult(
        attempt_id=int(done["attempt_id"]),
        next_step=NextStep(
            kind=NextStepKind(step["kind"]),
            message=str(step["message"]),
            failed_attempts=int(step["failed_attempts"]),
            respond_by=date.fromisoformat(step["respond_by"]) if step["respond_by"] else None,
            earliest_next_attempt=(
                date.fromisoformat(step["earliest_next_attempt"]) if step["earliest_next_attempt"] else None
            ),
        ),
        letter_ids=tuple(int(i) for i in done["letter_ids"]),
        status=ReferralStatus(done["status"]),
        phone_marked_wrong=done["phone_marked_wrong"],
    )


class ContactService:
    def __init__(
        self, db: Database, policy: ContactPolicy | None = None, hours: CallingHours | None = None
    ) -> None:
        """policy and hours fix the rules (tests, what-if tools); by default they are the unit's
        central settings, read in each call's own transaction so an admin's change applies to
        the next call recorded at any desk."""
        self.db = db
        self._policy = policy
        self._hours = hours

    def _rules(self, s: Session) -> tuple[ContactPolicy, CallingHours]:
        if self._policy is not None and self._hours is not None:
            return self._policy, self._hours
        unit = central_settings.read(s)
        return self._policy or unit.contact_policy(), self._hours or unit.calling_hours()

    # -- reads --------------------------------------------------------------------------------

    def preview(
        self, actor: Actor, referral_id: int, outcome: ContactOutcome, at: datetime | None = None
    ) -> NextStep:
        """What recording this outcome now would lead to, without recording anything."""
        outcome = ContactOutcome(outcome)
        at = _moment(at)
        with self.db.read() as s:
            access.for_referral(s, actor, referral_id)
            referral = _referral(s, referral_id)
            if referral.status is ReferralStatus.BOOKED:
                return _booked_step()
            facts = [*_facts(s, referral_id), AttemptFact(at, outcome)]
            queued = queued_utc_letter_on(s, referral_id)
            return self._rules(s)[0].next_step(
                facts, referral.utc_letter_sent_on, to_london(at).date(), queued
            )

    def next_step(self, actor: Actor, referral_id: int, *, at: datetime | None = None) -> NextStep:
        """The policy's advice for the referral as it stands (for the patient pane)."""
        today = to_london(_moment(at)).date() if at is not None else today_london()
        with self.db.read() as s:
            access.for_referral(s, actor, referral_id)
            referral = _referral(s, referral_id)
            if referral.status is ReferralStatus.BOOKED:
                return _booked_step()
            queued = queued_utc_letter_on(s, referral_id)
            return self._rules(s)[0].next_step(
                _facts(s, referral_id), referral.utc_letter_sent_on, today, queued
            )

    # -- changes ------------------------------------------------------------------------------

    def record_attempt(
        self,
        actor: Actor,
        referral_id: int,
        outcome: ContactOutcome,
        *,
        number_used: str | None = None,
        notes: str = "",
        callback_at: datetime | None = None,
        channel: ContactChannel = ContactChannel.PHONE,
        at: datetime | None = None,
        key: str | None = None,
    ) -> AttemptResult:
        """Record one attempt (claiming the referral) and act on the policy's verdict.

        A wrong number counts as a failed attempt like no answer: the policy must still be
        satisfied before discharge, and the advisor records which number was wrong in notes
        (and number_used) so the record can be corrected.

        key (services.idempotency): the same key again returns the first try's result instead
        of recording the call twice.
        """
        outcome = ContactOutcome(outcome)
        channel = ContactChannel(channel)
        at = _moment(at)
        if outcome is ContactOutcome.CALLBACK_REQUESTED:
            if callback_at is None:
                raise ValidationError(
                    "A callback needs a date and time: when did the patient ask to be called?"
                )
            input_rules.callback_time(callback_at, at)
        elif callback_at is not None:
            raise ValidationError("A callback time can only be given when the patient asked for a callback.")
        input_rules.check_optional_text(number_used, "The number used", max_length=NUMBER_USED_MAX)
        input_rules.check_text(notes, "Notes", multiline=True, max_length=NOTES_MAX)

        today = to_london(at).date()

        def work(s: Session) -> AttemptResult:
            s.info["user_id"] = actor.user_id
            who = access.for_referral(s, actor, referral_id)
            policy, hours = self._rules(s)
            if callback_at is not None:
                hours.ensure_open(callback_at)  # nobody would be at a desk to ring the patient
            claim = claims.ensure_claim(s, who, referral_id)
            referral = _referral(s, referral_id)
            if not referral.is_open:
                raise StaleState(
                    f"This referral is already closed ({_status_words(referral.status)}): "
                    "the call cannot be recorded against it."
                )
            attempt = ContactAttempt(
                referral_id=referral_id,
                at=at,
                user_id=actor.user_id,
                channel=channel,
                number_used=(number_used or "").strip() or None,
                outcome=outcome,
                callback_at=callback_at,
                notes=notes.strip() or None,
            )
            s.add(attempt)
            s.flush()
            marked = None
            if outcome is ContactOutcome.WRONG_NUMBER and attempt.number_used:
                marked = contact_details.mark_wrong_number(
                    s, actor, claim.patient_id, attempt.number_used, attempt.id
                )

            rows = _attempt_rows(s, referral_id)
            step = policy.next_step(
                [AttemptFact(r.at, r.outcome) for r in rows],
                referral.utc_letter_sent_on,
                today,
                queued_utc_letter_on(s, referral_id),
            )
            if not outcome.is_failed:  # reached: a queued unable-to-contact letter is no longer true
                withdraw_superseded(s, actor, referral_id, Supersession.REACHED, claim.patient_id)
            referral.attempt_count = len(rows)
            referral.failed_attempt_count = sum(1 for r in rows if r.outcome.is_failed)
            referral.last_attempt_at = max(r.at for r in rows)

            letter_ids: tuple[int, ...] = ()
            if referral.status is ReferralStatus.BOOKED:
                # The patient rang about the appointment, or a reminder went unanswered: the call is
                # history; the booking and the status stay. A callback asked for is the next action.
                step = _booked_step()
                referral.next_action_at = callback_at
            elif outcome is ContactOutcome.CALLBACK_REQUESTED:
                referral.status = ReferralStatus.CALLBACK
                referral.next_action_at = callback_at
            elif not outcome.is_failed:
                # Spoke or declined: the advisor carries on (choice and booking) or discharges.
                # A pending choice stays pending: talking to the patient does not decide it.
                if referral.status is not ReferralStatus.CHOICE_PENDING:
                    referral.status = ReferralStatus.CONTACTING
                    referral.next_action_at = None
            elif step.kind is NextStepKind.SEND_UTC_LETTER:
                assert step.respond_by is not None
                letter_id = queue_letter(
                    s,
                    actor,
                    referral_id,
                    LetterKind.UNABLE_TO_CONTACT,
                    # respond_by is provisional: the reply window runs from the day the letter is
                    # printed (services/letter_posting.py), which sets utc_letter_sent_on.
                    {
                        "respond_by": step.respond_by.isoformat(),
                        "respond_within_days": policy.respond_within_days,
                    },
                )
                letter_ids = (letter_id,)
                referral.status = ReferralStatus.UTC_LETTER_SENT
                referral.next_action_at = discharge_due_at(step.respond_by)
                audit.record(
                    s,
                    actor,
                    "queue_letter",
                    "letter",
                    letter_id,
                    claim.patient_id,
                    {"kind": LetterKind.UNABLE_TO_CONTACT.value, "respond_by": step.respond_by.isoformat()},
                )
            elif step.kind is NextStepKind.AWAIT_PRINT:
                # The letter is still in the print queue: its reply window has not begun.
                referral.status = ReferralStatus.UTC_LETTER_SENT
            elif step.kind in (NextStepKind.AWAIT_RESPONSE, NextStepKind.DISCHARGE):
                # A further failed call while the letter's reply window runs changes nothing.
                assert step.respond_by is not None
                referral.status = ReferralStatus.UTC_LETTER_SENT
                referral.next_action_at = discharge_due_at(step.respond_by)
            else:
                if referral.status is not ReferralStatus.CHOICE_PENDING:
                    referral.status = ReferralStatus.CONTACTING
                referral.next_action_at = (
                    london_moment(step.earliest_next_attempt) if step.earliest_next_attempt else None
                )
            referral.is_open = referral.status.is_open
            s.flush()

            audit.record(
                s,
                actor,
                "record_attempt",
                "contact_attempt",
                attempt.id,
                claim.patient_id,
                {
                    "referral_id": referral_id,
                    "outcome": outcome.value,
                    "channel": channel.value,
                    "next_step": step.kind.value,
                    "status": referral.status.value,
                    "letter_ids": list(letter_ids),
                },
            )
            return AttemptResult(attempt.id, step, letter_ids, referral.status, marked)

        return idempotency.run_once(self.db, actor, "record_attempt", key, work, _attempt_json, _attempt_of)

    def discharge(
        self, actor: Actor, referral_id: int, reason: str, *, at: datetime | None = None
    ) -> tuple[int, ...]:
        """Return the referral to the GP: a discharge letter to the patient and a copy to the GP.

        On the unable-to-contact path the policy must allow it (letter sent, reply window over,
        patient not reached since); a patient who declined may be discharged straight away.
        """
        reason = input_rules.check_text(reason, "The reason", multiline=True, max_length=REASON_MAX).strip()
        if not reason:
            raise ValidationError(
                "Give a reason for the discharge: it goes in the letters to the patient and GP."
            )
        at = _moment(at)
        today = to_london(at).date()
        with self.db.write() as s:
            s.info["user_id"] = actor.user_id
            actor = access.for_referral(s, actor, referral_id)
            claim = claims.ensure_claim(s, actor, referral_id)
            referral = _referral(s, referral_id)
            if not referral.is_open:
                raise StaleState(f"This referral is already closed ({_status_words(referral.status)}).")
            if referral.status is ReferralStatus.BOOKED:
                raise StaleState(
                    "This patient has an appointment booked: cancel it first (booking panel), then discharge."
                )
            rows = _attempt_rows(s, referral_id)
            reached = next((r for r in reversed(rows) if not r.outcome.is_failed), None)
            declined = reached is not None and reached.outcome is ContactOutcome.DECLINED
            if not declined:
                self._rules(s)[0].ensure_can_discharge(
                    referral.utc_letter_sent_on,
                    today,
                    [AttemptFact(r.at, r.outcome) for r in rows],
                    queued_utc_letter_on(s, referral_id),
                )
            path = "declined" if declined else "unable_to_contact"
            inputs = {"reason": reason, "discharge_path": path, "discharged_on": today.isoformat()}
            letter_ids = (
                queue_letter(s, actor, referral_id, LetterKind.DISCHARGE, inputs, recipient="patient"),
                queue_letter(s, actor, referral_id, LetterKind.DISCHARGE_GP_COPY, inputs, recipient="gp"),
            )
            referral.status = ReferralStatus.DISCHARGED
            referral.is_open = False
            referral.next_action_at = None
            # The work is finished: nobody needs to be kept out of a closed referral.
            referral.claimed_by = None
            referral.claimed_until = None
            s.flush()
            audit.record(
                s,
                actor,
                "discharge",
                "referral",
                referral_id,
                claim.patient_id,
                {"reason": reason, "path": path, "letter_ids": list(letter_ids)},
            )
            return letter_ids


# -- helpers ------------------------------------------------------------------------------------


def _moment(at: datetime | None) -> datetime:
    if at is None:
        return utcnow()
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise ValidationError("The time of the call must include its time zone.")
    if at > utcnow() + _CLOCK_SLACK:
        raise ValidationError("A call cannot be recorded with a time in the future.")
    input_rules.call_moment(at, utcnow())
    return at.astimezone(UTC)


def _referral(s: Session, referral_id: int) -> Referral:
    referral = s.get(Referral, referral_id)
    if referral is None:
        raise NotFound(f"Referral {referral_id} does not exist.")
    return referral


def _attempt_rows(s: Session, referral_id: int) -> list[ContactAttempt]:
    # Ordered by time then id, so calls keyed in with the same time keep their keyed-in order.
    return list(
        s.scalars(
            select(ContactAttempt)
            .where(ContactAttempt.referral_id == referral_id)
            .order_by(ContactAttempt.at, ContactAttempt.id)
        )
    )


def _facts(s: Session, referral_id: int) -> list[AttemptFact]:
    rows = s.execute(
        select(ContactAttempt.at, ContactAttempt.outcome)
        .where(ContactAttempt.referral_id == referral_id)
        .order_by(ContactAttempt.at, ContactAttempt.id)
    )
    return [AttemptFact(at, outcome) for at, outcome in rows]


def _booked_step() -> NextStep:
    return NextStep(NextStepKind.BOOKED, BOOKED_STEP_MESSAGE, failed_attempts=0)


def _status_words(status: ReferralStatus) -> str:
    return status.value.replace("_", " ")
