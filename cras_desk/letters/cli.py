"""`cras-desk letters print-queue --url URL --out DIR`: print the letter queue to PDF files.

The run is recorded as done by a user like any desk action: the one named with --user, or else
the first active admin (by id), since an unattended nightly print run has nobody signed in.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import select

from cras_desk.db.engine import Database
from cras_desk.db.models import User
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import CrasError
from cras_desk.services.actor import Actor
from cras_desk.services.auth import actor_of
from cras_desk.services.letters import LetterService


def _actor(db: Database, username: str | None) -> Actor | None:
    with db.read() as s:
        if username:
            user = s.scalar(
                select(User).where(User.username == username.strip().lower(), User.active.is_(True))
            )
        else:
            user = s.scalar(
                select(User).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id).limit(1)
            )
        return actor_of(user) if user else None


def print_queue_command(db: Database, out_dir: Path, username: str | None) -> int:
    """Print every queued letter; returns the process exit code (0 done, 1 failed, 2 bad user)."""
    actor = _actor(db, username)
    if actor is None:
        who = f"user {username!r}" if username else "an active admin user"
        print(f"Cannot print the letter queue: no {who} in this database.", file=sys.stderr)
        return 2
    last_shown = -1

    def progress(done: int, total: int) -> bool:
        nonlocal last_shown
        if total and (done == total or done - last_shown >= 100):
            print(f"  {done} of {total} letters", file=sys.stderr)
            last_shown = done
        return True

    try:
        run = LetterService(db).print_queue(actor, out_dir, progress)
    except CrasError as exc:
        print(f"Printing stopped: {exc}", file=sys.stderr)
        return 1
    if run.count == 0:
        print("No letters are waiting to be printed.")
        return 0
    letters = f"{run.count} letter{'s' if run.count != 1 else ''}"
    print(
        f"Printed {letters} ({run.pages} pages) as {actor.username}.\n"
        f"For the printer: {run.combined_pdf}\n"
        f"One PDF per letter in: {out_dir}"
    )
    return 0
