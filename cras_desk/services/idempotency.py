"""Exactly once: an advisor's action keyed when they pressed Save or Book, so a retry never repeats it.

A commit whose answer was lost (the connection dropped at COMMIT) leaves the desk not knowing
whether the action happened. The desk makes a key when the advisor acts and sends the same key
with every retry of that action; the service writes the key, in the action's own transaction,
before doing anything else, and the action's result beside it. So:

- the first try committed: the retry finds the key and returns the recorded result (the truth:
  "Booked: Tue 10 Mar 10:30 at Eastbourne Hub", not "slot just taken" for the patient's own slot);
- it did not: the key went with the rolled-back transaction and the retry does the action;
- two tries at once (a double press, a replay racing a retry): the second waits on the key's
  unique index until the first ends, then finds it.

A key belongs to one user and one kind of action; the same key for anything else is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cras_desk.db.engine import Database
from cras_desk.db.models import IdempotencyKey
from cras_desk.domain.errors import ValidationError
from cras_desk.services import access
from cras_desk.services.actor import Actor

T = TypeVar("T")


def new_key() -> str:
    """A key for one action of an advisor's, made when they press Save or Book."""
    return str(uuid.uuid4())


def _checked(key: str) -> str:
    try:
        return str(uuid.UUID(key))
    except (ValueError, AttributeError, TypeError):
        raise ValidationError("The request key is not valid.") from None


def recorded(session: Session, key: str, actor: Actor, action: str) -> dict[str, Any] | None:
    """The result recorded under key, or None if no action with this key has committed."""
    row = session.execute(
        select(IdempotencyKey.user_id, IdempotencyKey.action, IdempotencyKey.result).where(
            IdempotencyKey.key == _checked(key)
        )
    ).first()
    if row is None:
        return None
    if row.user_id != actor.user_id or row.action != action:
        raise ValidationError("This request key was used for another action; nothing was changed.")
    return dict(row.result or {})


def run_once(
    db: Database,
    actor: Actor,
    action: str,
    key: str | None,
    work: Callable[[Session], T],
    encode: Callable[[T], dict[str, Any]],
    decode: Callable[[Session, dict[str, Any]], T],
) -> T:
    """work(session) in one write transaction, at most once per key; a repeat returns decode(result).

    With no key the work simply runs (callers that cannot be retried blindly, e.g. scripts).
    """
    if key is None:
        with db.write() as s:
            return work(s)
    key = _checked(key)
    for attempt in (1, 2):
        with db.write() as s:
            done = recorded(s, key, actor, action)
            if done is not None:
                access.caller(s, actor)  # a deactivated user's retry is refused like their first try
                return decode(s, done)
            try:
                # Takes the key first: a concurrent try with it waits here, then fails.
                with s.begin_nested():
                    s.add(IdempotencyKey(key=key, user_id=actor.user_id, action=action, result=None))
            except IntegrityError:
                if attempt == 2:
                    raise
                continue  # the other try committed first: the next pass finds its result
            result = work(s)
            settled = update(IdempotencyKey).where(IdempotencyKey.key == key).values(result=encode(result))
            s.execute(settled)
            return result
    raise AssertionError("unreachable")  # pragma: no cover
