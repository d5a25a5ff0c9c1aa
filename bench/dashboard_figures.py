"""Dashboard figures benchmark: each figure group's time at 300,000 referrals, SQLite and PostgreSQL.

    python bench/dashboard_figures.py [--backend sqlite|postgresql|both] [--referrals 300000] [--repeat 5]

Works on its own copy of the worklist bench's seeded databases (bench/worklist.py seeds them once
per size and keeps them; this bench copies them, or seeds afresh through it when none is kept):
SQLite /tmp/cras-bench-dashboard-<N>-<version>.db, PostgreSQL database bench_dashboard_<N>_<version>.
A copy made before the dashboard's indexes joined migration 0006 gets them here (from the models),
then ANALYZE, as the seed itself ends.

For each engine and for two scopes, the whole service (an admin) and one team (its lead), it times
every figure group through DashboardService: "cold" with the forecast cache emptied (the forecast
fitted again; statsmodels already imported, see "prepare_ms"), "warm" the median of --repeat calls
with the forecast cached, as a refresh finds it. "all_figures" is the screen's one call for
everything. Target: all_figures under 1,000 ms warm, on each engine. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Index, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from worklist import CACHE, postgres_database, seed_version, sqlite_database  # bench/worklist.py

from cras_desk.db.engine import Database, sqlite_url
from cras_desk.db.local_postgres import PostgresServer
from cras_desk.db.models import Base, User
from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import Role
from cras_desk.services.actor import Actor
from cras_desk.services.auth import actor_of
from cras_desk.services.dashboard import DashboardScope, DashboardService
from cras_desk.services.dashboard import forecast as forecast_module

TARGET_MS = 1000.0


def _dashboard_indexes() -> list[Index]:
    return [
        index
        for table in Base.metadata.sorted_tables
        for index in table.indexes
        if index.name is not None and "_dash_" in str(index.name)
    ]


def _ensure_indexes(db: Database) -> None:
    with db.engine.begin() as conn:
        for index in _dashboard_indexes():
            index.create(conn, checkfirst=True)
        conn.execute(text("ANALYZE"))


def sqlite_copy(n: int) -> Database:
    path = CACHE / f"cras-bench-dashboard-{n}-{seed_version()}.db"
    if not path.exists():
        for stale in CACHE.glob(f"cras-bench-dashboard-{n}[.-]*"):
            stale.unlink()
        source, _raw = sqlite_database(n)
        source_path = Path(str(source.url.database))
        source.dispose()
        building = path.with_suffix(".building")
        src = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        dst = sqlite3.connect(building)
        src.backup(dst)  # a consistent copy while the worklist bench may be reading its own
        dst.close()
        src.close()
        building.rename(path)
    db = Database(sqlite_url(path))
    _ensure_indexes(db)
    return db


def postgres_copy(n: int) -> tuple[Database, PostgresServer]:
    source, _raw, server = postgres_database(n)
    template = str(source.url.database)
    source.dispose()
    name = f"bench_dashboard_{n}_{seed_version()}"
    admin = Database(server.base_url, isolation_level="AUTOCOMMIT")
    with admin.engine.connect() as conn:
        names = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
    admin.dispose()
    for stale in {d for d in names if d.startswith(f"bench_dashboard_{n}_")} - {name}:
        server.drop_database(stale)
    if name not in names:
        for attempt in range(10):
            try:
                server.create_database(name, template=template)
                break
            except Exception:  # the template is busy while another session reads it
                if attempt == 9:
                    raise
                time.sleep(3)
    db = Database(server.base_url.set(database=name))
    _ensure_indexes(db)
    return db, server


def _actors(db: Database) -> tuple[Actor, Actor]:
    with db.read() as s:
        admin = s.scalars(select(User).where(User.role == Role.ADMIN).order_by(User.id)).first()
        lead = s.scalars(select(User).where(User.role == Role.TEAM_LEAD).order_by(User.id)).first()
    assert admin is not None and lead is not None
    return actor_of(admin), actor_of(lead)


def _ms(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def run(db: Database, repeat: int) -> dict[str, Any]:
    admin, lead = _actors(db)
    service = DashboardService(db)
    now = utcnow()
    today = today_london()
    result: dict[str, Any] = {}
    for label, actor, scope in (
        ("all", admin, DashboardScope()),
        ("team", lead, DashboardScope(team_id=lead.team_id)),
    ):
        groups: dict[str, Callable[[], Any]] = {
            "demand": lambda a=actor, sc=scope: service.demand(a, sc, today),
            "waiting_list": lambda a=actor, sc=scope: service.waiting_list(a, sc, today),
            "capacity": lambda a=actor, sc=scope: service.capacity(a, sc, now),
            "early_warnings": lambda a=actor, sc=scope: service.early_warnings(a, sc, now),
            "unit_activity": lambda a=actor, sc=scope: service.unit_activity(a, sc, now),
            "all_figures": lambda a=actor, sc=scope: service.all_figures(a, sc, now),
        }
        figures: dict[str, Any] = {}
        for name, call in groups.items():
            forecast_module.clear_cache()
            cold = _ms(call)
            warm = statistics.median(_ms(call) for _ in range(repeat))
            figures[name] = {"cold_ms": round(cold, 1), "warm_ms": round(warm, 1)}
            print(f"  {label:5} {name:15} cold {cold:8.1f} ms  warm {warm:8.1f} ms", file=sys.stderr)
        figures["all_figures"]["within_target"] = figures["all_figures"]["warm_ms"] <= TARGET_MS
        result[label] = figures
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--referrals", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    DashboardService.prepare_forecast()
    summary: dict[str, Any] = {
        "referrals": args.referrals,
        "target_ms": TARGET_MS,
        "prepare_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if args.backend in ("sqlite", "both"):
        print("sqlite", file=sys.stderr)
        db = sqlite_copy(args.referrals)
        summary["sqlite"] = run(db, args.repeat)
        db.dispose()
    if args.backend in ("postgresql", "both"):
        print("postgresql", file=sys.stderr)
        db, server = postgres_copy(args.referrals)
        summary["postgresql"] = run(db, args.repeat)
        summary["postgresql_version"] = server.version()
        db.dispose()
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
