"""Published waiting times from CSV, on both engines."""

from __future__ import annotations

from pathlib import Path

from import_files import days_ago
from sqlalchemy import select

from cras_desk.db.models import AuditEvent, Service, Site, WaitingTime
from cras_desk.domain.enums import ServiceCode
from cras_desk.imports.service import ImportService

COLUMNS = ("site", "service", "weeks", "as_of")


def write(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    lines = [",".join(COLUMNS), *(",".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def held(db) -> dict[tuple[str, ServiceCode, str], int]:
    with db.read() as s:
        rows = s.execute(
            select(Site.name, Service.code, WaitingTime.as_of, WaitingTime.weeks)
            .join(Site, Site.id == WaitingTime.site_id)
            .join(Service, Service.id == WaitingTime.service_id)
        )
        return {(site, code, as_of.isoformat()): weeks for site, code, as_of, weeks in rows}


def test_waits_are_added_corrected_and_not_repeated(world, tmp_path: Path) -> None:
    today, last_week = days_ago(0).isoformat(), days_ago(7).isoformat()
    rows = [
        ("Brighton General Hub", "physio", "10", today),  # held as 9 for today: a correction
        ("brighton general hub", "pain", "12", today),  # held already, same weeks
        ("Lewes Victoria Hub", "Physiotherapy", "5", last_week),  # new
        ("Lewes Victoria Hub", "191", "15", last_week),  # new, by treatment function code
    ]
    path = write(tmp_path / "waits.csv", rows)
    service = ImportService(world.db)
    summary = service.import_waits(world.actor("root"), path)
    assert summary.counts() == {"rows": 4, "imported": 2, "updated": 1, "skipped": 1, "errors": 0}
    got = held(world.db)
    assert got[("Brighton General Hub", ServiceCode.PHYSIOTHERAPY, today)] == 10
    assert got[("Lewes Victoria Hub", ServiceCode.PHYSIOTHERAPY, last_week)] == 5
    assert got[("Lewes Victoria Hub", ServiceCode.PAIN, last_week)] == 15
    assert len(got) == 6
    again = service.import_waits(world.actor("root"), path)
    assert again.counts() == {"rows": 4, "imported": 0, "updated": 0, "skipped": 4, "errors": 0}
    with world.db.read() as s:
        assert s.scalars(select(AuditEvent.action).where(AuditEvent.action == "import_waits")).all() == [
            "import_waits",
            "import_waits",
        ]


def test_bad_wait_rows_are_named(world, tmp_path: Path) -> None:
    today = days_ago(0).isoformat()
    rows = [
        ("Nowhere Hub", "physio", "3", today),
        ("Brighton General Hub", "podiatry", "3", today),  # the hub does not offer podiatry
        ("Brighton General Hub", "physio", "three", "2026-02-30"),
        ("Lewes Victoria Hub", "physio", "200", days_ago(-2).isoformat()),
        ("Lewes Victoria Hub", "pain", "6", days_ago(1).isoformat()),
        ("Lewes Victoria Hub", "pain", "7", days_ago(1).isoformat()),  # contradicts the row above
    ]
    path = write(tmp_path / "waits.csv", rows)
    before = held(world.db)
    summary = ImportService(world.db).import_waits(world.actor("root"), path)
    assert {(e.where, e.field) for e in summary.errors} == {
        ("line 2", "site"),
        ("line 3", "service"),
        ("line 4", "weeks"),
        ("line 4", "as_of"),
        ("line 5", "weeks"),
        ("line 5", "as_of"),
        ("line 7", "weeks"),
    }
    assert summary.counts() == {"rows": 6, "imported": 1, "updated": 0, "skipped": 0, "errors": 5}
    assert len(held(world.db)) == len(before) + 1


def test_a_dry_run_of_waits_writes_nothing(world, tmp_path: Path) -> None:
    path = write(tmp_path / "waits.csv", [("Lewes Victoria Hub", "physio", "5", days_ago(3).isoformat())])
    before = held(world.db)
    summary = ImportService(world.db).import_waits(world.actor("root"), path, dry_run=True)
    assert summary.imported == 1 and summary.dry_run
    assert held(world.db) == before
