"""Referral import throughput: a 100,000-row CSV into SQLite, then the same file again.

    .venv/bin/python bench/imports.py [--rows 100000] [--seed 1] [--postgresql]

Seeds a fresh database with a small demo service (teams, services, GP practices, 1,000 referrals),
writes a synthetic referral CSV (test-range NHS numbers; one patient in ten already held, so the
run updates as well as adds), imports it through ImportService as the demo admin, then imports
it again. rows_per_s is the first import's rows over its wall-clock time, checking included (cpu_seconds
beside it: other work on a shared 2-core machine slows the wall clock);
reimport_added is how many referrals the second import added (it must be 0). With --postgresql
the same runs against a throwaway PostgreSQL (pgserver) as well. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from cras_desk.db.engine import Database, sqlite_url
from cras_desk.db.migrate import upgrade
from cras_desk.db.models import GpPractice, Patient, Referral, Team, User
from cras_desk.demo.seed import seed_database
from cras_desk.domain.enums import Role
from cras_desk.domain.nhs_number import iter_test_numbers
from cras_desk.imports.referral_record import FIELDS
from cras_desk.imports.service import ImportService
from cras_desk.services.auth import actor_of

TARGET_ROWS_PER_S = 5_000
SERVICES = ("physio", "msk_mdt", "pain", "rheum", "podiatry", "orthotics")
PRIORITIES = ("routine",) * 7 + ("soon",) * 2 + ("urgent",)
TOWNS = (("Brighton", "BN1"), ("Hove", "BN3"), ("Lewes", "BN7"), ("Eastbourne", "BN21"), ("Hastings", "TN34"))
GIVEN = ("Ann", "Bob", "Cara", "Dev", "Edith", "Femi", "Gita", "Huw", "Ines", "Jon")
FAMILY = ("Smith", "Jones", "Okafor", "Nowak", "Patel", "O'Brien", "Evans", "Khan", "Silva", "Hughes")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def write_csv(path: Path, rows: int, db: Database, rng: random.Random, today: date) -> None:
    with db.read() as s:
        practices = list(s.scalars(select(GpPractice.ods_code)))
        teams = list(s.scalars(select(Team.name)))
        held = list(s.execute(select(Patient.nhs_number, Patient.date_of_birth)))
    held_numbers = {nhs for nhs, _ in held}
    fresh = (n for n in iter_test_numbers(rng) if n not in held_numbers)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(FIELDS)
        for i in range(rows):
            if held and i % 10 == 0:
                nhs, born = held[i // 10 % len(held)]
            else:
                nhs, born = next(fresh), today - timedelta(days=rng.randrange(18 * 365, 95 * 365))
            town, district = rng.choice(TOWNS)
            received = today - timedelta(days=rng.randrange(0, 200))
            values = {
                "referral_ref": f"BENCH-{i:07d}",
                "nhs_number": nhs,
                "family_name": rng.choice(FAMILY),
                "given_name": rng.choice(GIVEN),
                "date_of_birth": born.isoformat(),
                "sex": rng.choice(("female", "male")),
                "address_line1": f"{rng.randrange(1, 200)} Station Road",
                "town": town,
                "postcode": f"{district} {rng.randrange(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                "service": rng.choice(SERVICES),
                "priority": rng.choice(PRIORITIES),
                "received_on": received.isoformat(),
                "title": "",
                "address_line2": "",
                "county": "East Sussex",
                "phone": f"07700 900{rng.randrange(1000):03d}",
                "phone_2": "",
                "email": "",
                "gp_practice_ods": rng.choice(practices) if practices else "",
                "team": rng.choice(teams) if teams else "",
                "referrer": "Dr A Example, Station Road Surgery",
                "triaged_by": "MSK triage",
                "triaged_on": received.isoformat(),
                "triage_notes": "Knee pain on stairs for 3 months.",
            }
            out.writerow([values[name] for name in FIELDS])


def referrals(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Referral)) or 0


def run(db: Database, rows: int, seed: int, work: Path) -> dict[str, float | int]:
    today = date.today()
    say(f"{db.dialect}: seeding a small demo service")
    seed_database(db, referrals=1_000, seed=seed)
    with db.read() as s:
        admin = actor_of(s.scalars(select(User).where(User.role == Role.ADMIN)).first())
    path = work / f"referrals-{db.dialect}.csv"
    say(f"{db.dialect}: writing {rows:,} rows to {path.name}")
    write_csv(path, rows, db, random.Random(seed), today)
    service = ImportService(db)
    before = referrals(db)
    started, cpu = time.perf_counter(), time.process_time()
    first = service.import_referrals(admin, path)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    after_first = referrals(db)
    say(f"{db.dialect}: first import {seconds:.2f} s: {first.as_json()}")
    started = time.perf_counter()
    again = service.import_referrals(admin, path)
    reimport_seconds = time.perf_counter() - started
    say(f"{db.dialect}: second import {reimport_seconds:.2f} s: {again.as_json()}")
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds),
        # This process's CPU time (SQLite's work included): what the rate is on an idle machine.
        "cpu_seconds": round(cpu_seconds, 3),
        "imported": first.imported,
        "updated": first.updated,
        "added": after_first - before,
        "errors": first.refused,
        "reimport_seconds": round(reimport_seconds, 3),
        "reimport_added": referrals(db) - after_first,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgresql", action="store_true", help="also run on a throwaway PostgreSQL")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cras-bench-imports-"))
    try:
        db = Database(sqlite_url(work / "bench.sqlite3"))
        upgrade(db.engine)
        result: dict[str, object] = {"sqlite": run(db, args.rows, args.seed, work)}
        db.dispose()
        if args.postgresql:
            from cras_desk.db.local_postgres import PostgresServer

            server = PostgresServer.start(work / "pg")  # stopped when the process ends
            pg = Database(server.create_database("bench_imports"))
            upgrade(pg.engine)
            result["postgresql"] = run(pg, args.rows, args.seed, work)
            pg.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sqlite = result["sqlite"]
    assert isinstance(sqlite, dict)
    result["rows_per_s"] = sqlite["rows_per_s"]
    result["reimport_added"] = sqlite["reimport_added"]
    result["target_rows_per_s"] = TARGET_ROWS_PER_S
    result["ok"] = sqlite["rows_per_s"] >= TARGET_ROWS_PER_S and sqlite["reimport_added"] == 0
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
