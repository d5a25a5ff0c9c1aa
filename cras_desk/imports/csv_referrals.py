"""Triaged referrals from a CSV file, one referral a row (columns: docs/imports.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from cras_desk.imports.csv_reading import read_rows
from cras_desk.imports.outcome import RowError
from cras_desk.imports.referral_record import OPTIONAL, REQUIRED, ReferralRecord, check


def read_referrals(path: Path, today: date, errors: list[RowError]) -> Iterator[ReferralRecord | None]:
    """Each row's record, or None for a row refused (its problems put to `errors`).

    One item per row, so the caller counts rows and reports progress as it goes.
    FileRefused (csv_reading) when the file itself is unusable.
    """
    for where, raw in read_rows(path, REQUIRED, OPTIONAL, errors):
        if raw is None:
            yield None
            continue
        record, problems = check(raw, where, today)
        errors.extend(problems)
        yield record
