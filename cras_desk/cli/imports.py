"""`cras-desk import referrals|waits` and `cras-desk export waiting-list`, run as a signed-in user.

Signing in is as for the letters commands (cli/letters.py): --user or asked for, the password
asked for without echo or read from standard input. Each refused row is printed on a line of its
own ("line 7: postcode: ..."), progress goes to standard error, and the last line on standard
output is one JSON object: {"rows", "imported", "updated", "skipped", "errors"}. Exit status 0 when
every row was good, 1 when any was refused (or the file could not be read), 2 when nobody signed in.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from cras_desk.cli.letters import sign_in
from cras_desk.db.engine import Database
from cras_desk.domain.errors import CrasError
from cras_desk.imports.outcome import ImportSummary, RowError
from cras_desk.imports.service import ImportService


def _progress(stage: str, done: int, total: int) -> None:
    shown = f"{done:,} of {total:,}" if total else f"{done:,}"
    print(f"  {stage} {shown}", file=sys.stderr, flush=True)


def _report(summary: ImportSummary) -> int:
    for error in summary.errors:
        print(error)
    if summary.dry_run:
        print("Dry run: nothing was written.", file=sys.stderr)
    print(summary.as_json())
    return 0 if summary.ok else 1


def _refused(message: str) -> int:
    print(message, file=sys.stderr)
    print(ImportSummary(errors=[RowError("file", "file", message)]).as_json())
    return 1


def import_command(
    db: Database,
    what: str,
    path: Path,
    username: str | None,
    *,
    dry_run: bool = False,
    stdin: TextIO | None = None,
) -> int:
    """what: "referrals" (CSV or FHIR JSON) or "waits" (CSV)."""
    if not path.is_file():
        return _refused(f"No such file: {path}")
    actor = sign_in(db, username, stdin)
    if actor is None:
        return 2
    service = ImportService(db)
    run = service.import_referrals if what == "referrals" else service.import_waits
    try:
        summary = run(actor, path, dry_run=dry_run, progress=_progress)
    except CrasError as exc:
        return _refused(f"Not imported: {exc}")
    return _report(summary)


def export_command(db: Database, out: Path, username: str | None, stdin: TextIO | None = None) -> int:
    """The open waiting list as CSV; prints {"rows": n, "out": path} last. 0 written, 1 refused."""
    actor = sign_in(db, username, stdin)
    if actor is None:
        return 2
    try:
        n = ImportService(db).export_waiting_list(actor, out)
    except (CrasError, OSError) as exc:
        print(f"Not exported: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"rows": n, "out": str(out)}))
    return 0
