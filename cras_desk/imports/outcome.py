"""What an import found: per-row problems naming where and which field, and the counts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RowError:
    """One refused value: `where` is "line 7" (CSV) or "ServiceRequest/sr-12" (FHIR), or "file"."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


@dataclass
class ImportSummary:
    """rows: rows (or referrals) read. imported: new referrals (or waiting times) written.
    updated: patients already held whose details changed (waits: published waits corrected).
    skipped: rows already held, or repeated in the file. errors: the problems of the rows refused."""

    rows: int = 0
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    updated_what: str = "patients"  # what `updated` counts, in words

    @property
    def refused(self) -> int:
        """Rows refused: a row with three bad fields is one row refused."""
        return len({e.where for e in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": self.refused,
        }

    def as_json(self) -> str:
        return json.dumps(self.counts())

    def sentence(self) -> str:
        """The result in words, as the screen shows and speaks it."""
        verb = "would be" if self.dry_run else "were"
        head = "Checked only, nothing written. " if self.dry_run else ""
        return (
            f"{head}{self.rows:,} rows read: {self.imported:,} {verb} imported, {self.updated:,} "
            f"{self.updated_what} {verb} updated, {self.skipped:,} already held or repeated, "
            f"{self.refused:,} refused."
        )
