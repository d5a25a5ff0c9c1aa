"""The hazard log names the tests that guard each hazard: every file and test it names must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "docs" / "hazard-log.md"


def _rows() -> list[list[str]]:
    rows = []
    for line in LOG.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\| H\d+ \|", line):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_every_hazard_names_controls_and_evidence() -> None:
    rows = _rows()
    assert [r[0] for r in rows] == [f"H{n}" for n in range(1, len(rows) + 1)]
    for row in rows:
        assert len(row) == 7, row[0]
        assert row[4] and row[5], row[0]
        assert re.fullmatch(r"\d x \d", row[6]), row[0]


def test_every_test_the_log_names_exists() -> None:
    named = 0
    for row in _rows():
        evidence = row[5]
        for path, rest in re.findall(r"(tests/[\w/]+(?:\.py)?/?)((?:::\w+)|(?: \([^)]*\)))?", evidence):
            target = ROOT / path
            assert target.exists(), f"{row[0]} names {path}, which does not exist"
            source = target.read_text(encoding="utf-8") if target.is_file() else ""
            names = re.findall(r"test_\w+", rest)
            for name in names:
                assert re.search(rf"def {name}\b", source), f"{row[0]}: {path} has no {name}"
                named += 1
    assert named >= 10
