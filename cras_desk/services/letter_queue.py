"""Queueing a letter from a workflow (booking, choice, contact policy) inside its transaction.

What the letter will say is snapshotted now (services/letter_inputs.py) and stored with it.
Queueing runs inside every booking, so it is plain Core on the session's connection: one joined
SELECT reads the referral with its patient, GP practice, service and the bookings the letter is
about (slot and site included), and one INSERT ... RETURNING stores the letter (the statements
are in services/letter_statements.py). No ORM objects are loaded or flushed; the change-feed row
for the letter is recorded explicitly. On PostgreSQL a booking's INSERT reads what its letter
says in the same round trip (insert_reading_letter).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert, Row, Select, select
from sqlalchemy.orm import Session

from cras_desk.db import change_feed
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import LetterKind, LetterStatus
from cras_desk.services import letter_statements as sql
from cras_desk.services.actor import Actor
from cras_desk.services.letter_inputs import GP, PATIENT, jsonable, snapshot_from_rows, take_snapshot


def queue_letter(
    session: Session,
    actor: Actor,
    referral_id: int,
    kind: LetterKind,
    extra: dict[str, Any] | None = None,
    recipient: str = PATIENT,
) -> int:
    """Queue one letter for printing; returns its id. The caller audits its own action."""
    kind = LetterKind(kind)
    if kind is LetterKind.DISCHARGE_GP_COPY:
        recipient = GP
    inputs, wants_large_print = take_snapshot(session, referral_id, kind, extra, recipient)
    return _store(session, actor, referral_id, kind, recipient, inputs, wants_large_print)


def insert_reading_letter(insert_booking: Insert) -> Select[Any]:
    """PostgreSQL only: a statement that runs insert_booking (an INSERT of one booking) and reads,
    in the same round trip, everything that booking's letter will say, as queue_booking_letter
    takes it. The booking's id is the row's b_id; no row means nothing was inserted."""
    new = insert_booking.returning(
        sql.bookings.c.id,
        sql.bookings.c.referral_id,
        sql.bookings.c.slot_id,
        sql.bookings.c.status,
        sql.bookings.c.rebooked_from_id,
        sql.bookings.c.interpreter_language,
    ).cte("new_booking")
    return select(
        *sql.ABOUT_COLUMNS,
        new.c.id.label("b_id"),
        new.c.status.label("b_status"),
        new.c.rebooked_from_id.label("b_rebooked_from_id"),
        new.c.interpreter_language.label("b_interpreter_language"),
        *sql.SLOT_SITE_COLUMNS,
    ).select_from(
        new.join(sql.referrals, sql.referrals.c.id == new.c.referral_id)
        .join(sql.patients, sql.patients.c.id == sql.referrals.c.patient_id)
        .join(sql.services, sql.services.c.id == sql.referrals.c.service_id)
        .outerjoin(sql.gps, sql.gps.c.id == sql.patients.c.gp_practice_id)
        .join(sql.slots, sql.slots.c.id == new.c.slot_id)
        .join(sql.sites, sql.sites.c.id == sql.slots.c.site_id)
    )


def queue_booking_letter(
    session: Session, actor: Actor, booked: Row[Any], kind: LetterKind, extra: dict[str, Any] | None = None
) -> int:
    """queue_letter to the patient about a booking inserted by an insert_reading_letter() statement:
    the same letter, from what came back with the booking instead of a SELECT of its own (so the
    records it says were read when the booking was inserted, after the workflow's earlier writes)."""
    kind = LetterKind(kind)
    inputs, wants_large_print = snapshot_from_rows(
        session.connection(), booked, {booked.b_id: booked}, kind, jsonable(dict(extra or {})), PATIENT
    )
    return _store(session, actor, booked.r_id, kind, PATIENT, inputs, wants_large_print)


def _store(
    session: Session,
    actor: Actor,
    referral_id: int,
    kind: LetterKind,
    recipient: str,
    inputs: dict[str, Any],
    wants_large_print: bool,
) -> int:
    letter_id: int = (
        session.connection()
        .execute(
            sql.INSERT_LETTER,
            {
                "referral_id": referral_id,
                "kind": kind,
                "status": LetterStatus.QUEUED,
                "recipient": recipient,
                "large_print": recipient == PATIENT and wants_large_print,
                "inputs": inputs,
                "created_at": utcnow(),
                "created_by": actor.user_id,
            },
        )
        .scalar_one()
    )
    change_feed.record(session, "letter", letter_id, "insert", actor.user_id)
    return letter_id
