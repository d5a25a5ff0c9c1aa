"""`cras-desk letters print-queue` and `cras-desk letters reprint`, run as a signed-in user.

Whoever runs them signs in like at a desk: the user name from --user (or asked for), the password
asked for without echo (getpass), or read from standard input when that is not a terminal (a
scheduled run feeding it from a credential store). Never on the command line, where it would
sit in the shell history and the process list. The user recorded as printing (printed_by) and
in the audit trail is the one who signed in.
"""

from __future__ import annotations

import getpass
import re
import sys
from pathlib import Path
from typing import TextIO

from cras_desk.db.engine import Database
from cras_desk.domain.enums import Role
from cras_desk.domain.errors import AuthenticationFailed, CrasError
from cras_desk.private_files import write_private
from cras_desk.services.actor import Actor
from cras_desk.services.auth import AuthService
from cras_desk.services.letters import LetterService

_REFERENCE = re.compile(r"^\s*(?:CRAS/(\d+)/)?(\d+)\s*$", re.IGNORECASE)


def _line(stream: TextIO) -> str:
    return stream.readline().rstrip("\r\n")


def sign_in(db: Database, username: str | None, stdin: TextIO | None = None) -> Actor | None:
    """The signed-in user, or None after saying why on stderr."""
    stdin = stdin if stdin is not None else sys.stdin
    interactive = stdin.isatty()
    if not username:
        if interactive:
            print("User name: ", end="", file=sys.stderr, flush=True)
        username = _line(stdin).strip()
    if not username:
        print("Cannot sign in: no user name given (use --user).", file=sys.stderr)
        return None
    password = getpass.getpass(f"Password for {username}: ") if interactive else _line(stdin)
    try:
        return AuthService(db).sign_in(username, password)
    except AuthenticationFailed as exc:
        print(f"Cannot sign in: {exc}", file=sys.stderr)
        return None


def print_queue_command(
    db: Database, out_dir: Path, username: str | None, stdin: TextIO | None = None
) -> int:
    """Print every queued letter the user may print (an admin's: every team's; a lead's or an
    advisor's: their team's). Exit code 0 done, 1 failed, 2 not signed in."""
    actor = sign_in(db, username, stdin)
    if actor is None:
        return 2
    last_shown = -1

    def progress(done: int, total: int) -> bool:
        nonlocal last_shown
        if total and (done == total or done - last_shown >= 100):
            print(f"  {done} of {total} letters", file=sys.stderr)
            last_shown = done
        return True

    try:
        run = LetterService(db).print_queue(actor, out_dir, progress, all_teams=actor.role is Role.ADMIN)
    except CrasError as exc:
        print(f"Printing stopped: {exc}", file=sys.stderr)
        return 1
    for _letter_id, why in run.held:
        print(f"Not printed: {why}", file=sys.stderr)
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


def reprint_command(
    db: Database, letter: str, out: Path, username: str | None, stdin: TextIO | None = None
) -> int:
    """Write the exact recorded PDF of a printed letter (by its reference CRAS/<referral>/<letter>
    or its number) to out, after checking it against the recorded SHA-256. Exit code 0 written,
    1 refused (nothing written), 2 not signed in or a bad reference."""
    match = _REFERENCE.match(letter)
    if match is None:
        print(f"Not a letter reference: {letter!r} (expected e.g. CRAS/123/456).", file=sys.stderr)
        return 2
    actor = sign_in(db, username, stdin)
    if actor is None:
        return 2
    referral_id = int(match.group(1)) if match.group(1) else None
    letter_id = int(match.group(2))
    try:
        pdf = LetterService(db).reprint(actor, letter_id, referral_id=referral_id)
    except CrasError as exc:
        print(f"Not reprinted: {exc}", file=sys.stderr)
        return 1
    if out.is_dir():
        out = out / f"letter-{letter_id}-reprint.pdf"
    write_private(out, pdf)
    print(f"Reprinted letter {letter_id} as {actor.username}, identical to the record: {out}")
    return 0
