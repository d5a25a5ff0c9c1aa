"""F2 (next patient) benchmark: ClaimService.next_patient on the demo seed, on both engines.

    python bench/next_patient.py [--backend sqlite|postgresql|both] [--referrals 30000] [--repeat 30]
                                 [--plans] [--fresh]

Uses the cached demo databases of bench/worklist.py (same sizes, same cache folder, seeded once),
and adds to them one advisor without a caseload and the audit rows of its presses.
Each round is one F2 press by an advisor (select the candidate, the conditional UPDATE that claims
it, its audit row and change-feed row, COMMIT), then a release so the next round finds the same
world. Timed for the advisor with the median open caseload and for one with none of their own
(only the team's queue to draw from). With --plans, the plan of each step of F2 (EXPLAIN on
PostgreSQL with ANALYZE, EXPLAIN QUERY PLAN on SQLite). The last line is one JSON object.

Target: median under 50 ms at 300,000 referrals (an advisor presses F2 dozens of times an hour).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import func, select
from worklist import (  # the bench folder is not a package: bench/worklist.py
    _typical_advisor,
    explain,
    postgres_database,
    sqlite_database,
)

from cras_desk.db.engine import Database
from cras_desk.db.models import Referral, User
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import Role
from cras_desk.services.actor import Actor
from cras_desk.services.auth import actor_of
from cras_desk.services.claims import ClaimService, candidate_queries

TARGET_MS = 50.0


def _advisor_without_caseload(db: Database, team_id: int | None) -> Actor:
    """A team advisor with no referral of their own, made for the bench if the seed has none."""
    with db.write() as s:
        user = s.scalars(select(User).where(User.username == "bench_f2_queue_only")).first()
        if user is None:
            user = User(
                username="bench_f2_queue_only",
                full_name="Bench Queue",
                role=Role.ADVISOR,
                team_id=team_id,
                password_hash="x",  # never signs in
            )
            s.add(user)
            s.flush()
        return actor_of(user)


def _compiled(statement: Any, dialect: Any) -> tuple[str, Any]:
    """SQL text and DBAPI parameters as sent, with IN lists expanded (status IN (...))."""
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    for name, value in values.items():
        # An expanded IN's values are named after its bind: status_2 -> status_2_1, status_2_2.
        bind = compiled.binds.get(name)
        if bind is None:
            bind = compiled.binds.get(name.rsplit("_", 1)[0])
        process = None if bind is None else bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and value is not None:
            values[name] = process(value)
    if compiled.positional:
        return str(compiled), tuple(values[name] for name in compiled.positiontup or ())
    return str(compiled), values


def _time_presses(claims: ClaimService, actor: Actor, repeat: int) -> dict[str, Any]:
    times: list[float] = []
    taken: list[int] = []
    for i in range(repeat + 2):  # two warm-up presses
        t0 = time.perf_counter()
        claim = claims.next_patient(actor)
        elapsed = (time.perf_counter() - t0) * 1000
        if claim is None:
            raise SystemExit(f"{actor.username}: F2 found nobody to call")
        claims.release(actor, claim.referral_id)
        taken.append(claim.referral_id)
        if i >= 2:
            times.append(elapsed)
    return {
        "median_ms": round(statistics.median(times), 3),
        "min_ms": round(min(times), 3),
        "max_ms": round(max(times), 3),
        "same_patient_each_time": len(set(taken)) == 1,
    }


def run_backend(backend: str, db: Database, raw_connect: Any, repeat: int) -> dict[str, Any]:
    claims = ClaimService(db)
    advisor = _typical_advisor(db)
    queue_only = _advisor_without_caseload(db, advisor.team_id)
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(Referral))
        open_total = s.scalar(select(func.count()).select_from(Referral).where(Referral.is_open))
    out: dict[str, Any] = {"referrals": total, "open": open_total, "presses": {}, "plans": {}}
    for label, actor in (("median caseload", advisor), ("team queue only", queue_only)):
        out["presses"][label] = _time_presses(claims, actor, repeat)
        out["presses"][label]["ok"] = out["presses"][label]["median_ms"] <= TARGET_MS
        conn = raw_connect()
        for step, query in zip(
            ("callbacks due", "by urgency"), candidate_queries(actor, utcnow()), strict=True
        ):
            query = query.limit(1)
            if backend == "postgresql":
                query = query.with_for_update(skip_locked=True, of=Referral)
            sql, args = _compiled(query, db.engine.dialect)
            if backend == "postgresql":
                conn.execute("BEGIN")  # FOR UPDATE in EXPLAIN ANALYZE takes row locks: give them back
            out["plans"][f"{label}: {step}"] = explain(conn, backend, sql, args)
            if backend == "postgresql":
                conn.execute("ROLLBACK")
        conn.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--referrals", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--plans", action="store_true", help="print the query plans too")
    parser.add_argument("--fresh", action="store_true", help="seed again even if a cached copy exists")
    args = parser.parse_args(argv)

    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results: dict[str, Any] = {}
    for backend in backends:
        if backend == "sqlite":
            db, raw = sqlite_database(args.referrals, args.fresh)
        else:
            db, raw, _server = postgres_database(args.referrals, args.fresh)
        try:
            results[backend] = run_backend(backend, db, raw, args.repeat)
        finally:
            db.dispose()
        r = results[backend]
        print(
            f"\n{backend}: {r['referrals']:,} referrals, {r['open']:,} open (load {os.getloadavg()[0]:.1f})"
        )
        for label, p in r["presses"].items():
            spread = f"min {p['min_ms']:6.2f}  max {p['max_ms']:6.2f}"
            print(f"  F2, {label:<16} median {p['median_ms']:7.2f} ms  {spread}")
        if args.plans:
            for step, plan in r["plans"].items():
                print(f"  plan, {step}:")
                for line in plan:
                    print(f"      {line}")
    summary = {
        "bench": "next_patient",
        "referrals": args.referrals,
        "repeat": args.repeat,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "target_ms": TARGET_MS,
        "all_targets_met": all(p["ok"] for r in results.values() for p in r["presses"].values()),
        "results": {b: {"referrals": r["referrals"], "presses": r["presses"]} for b, r in results.items()},
    }
    print()
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
