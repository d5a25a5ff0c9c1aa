"""docs/rtt-targets.md tells users the targets the code uses, and calls only 18 weeks national."""

from __future__ import annotations

import re
from pathlib import Path

from cras_desk.domain.enums import Priority
from cras_desk.domain.rtt import TARGET_DAYS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "rtt-targets.md"


def _rows() -> dict[str, str]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] in {p.value for p in Priority}:
            rows[cells[0]] = line
    return rows


def test_the_documented_targets_are_the_ones_the_clock_uses() -> None:
    rows = _rows()
    assert set(rows) == {p.value for p in Priority}
    for priority, days in TARGET_DAYS.items():
        assert re.search(rf"\|\s*{days} days \({days // 7} weeks\)", rows[priority.value]), rows[
            priority.value
        ]
        assert f"received + {days} days" in rows[priority.value]


def test_urgent_and_soon_are_called_local_and_only_routine_national() -> None:
    rows = _rows()
    for priority in (Priority.URGENT, Priority.SOON):
        assert "**local**" in rows[priority.value] and "not a national standard" in rows[priority.value]
    assert "**national**" in rows[Priority.ROUTINE.value] and "local" not in rows[Priority.ROUTINE.value]


def test_the_readme_links_the_targets_and_calls_them_local() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/rtt-targets.md)" in readme
    assert re.search(r"urgent and soon targets are this service's local ones,\s+not national", readme)
