"""Worklist query benchmark: the service against the same SQL run raw through the DBAPI.

    python bench/worklist.py [--backend sqlite|postgresql|both] [--referrals 300000] [--repeat 30]
                             [--plans] [--fresh] [--as-users]

Seeds the demo data (cras_desk.demo.seed.seed_database) once per size and keeps it: SQLite in
/tmp/cras-bench-worklist-<N>-<version>.db, PostgreSQL (pgserver) in /tmp/cras-bench-pg as
database bench_worklist_<N>_<version> (CRAS_BENCH_CACHE moves both); <version> hashes the seed's
code and the schema head, so changing either seeds afresh. Then times the common worklist queries through
WorklistService and the same statements compiled by SQLAlchemy and run with sqlite3 / psycopg
directly, and prints the medians, the cost above the raw SQL and, with --plans, the query plans. The
last line of output is one JSON object with every figure.

"raw" is what the service sends, statement for statement: BEGIN, for a search the probe (SQLite)
or SET LOCAL plan_cache_mode (PostgreSQL), the page's SELECT, the audit INSERT of a search, then
COMMIT or ROLLBACK. "select" is the page's SELECT alone.
The three are timed round by round, interleaved, so a busy machine slows them alike.

--as-users (PostgreSQL): each query runs as its user's own login role, as a desk signed in on a
central server does (Database personal_login; the server checks a SCRAM password), so row-level
security, the column grants and the session_user check are all in the figures, and the raw SQL
runs as the same login. The logins are made (or their passwords reset) on the bench's own server.

Target: every query's service median under 50 ms at 300,000 referrals, on each engine: what an
advisor waits for between a keystroke and the rows. "over_raw_ms" is what the service costs above
the same statements sent raw (SQLAlchemy Core on a session's connection, the audit row, building
the rows), reported in milliseconds, not held to a ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import secrets
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from cras_desk.db.engine import INTERACTIVE_SERVER_SETTINGS, Database, make_engine, sqlite_url
from cras_desk.db.local_postgres import PostgresServer
from cras_desk.db.migrate import head_revision, upgrade
from cras_desk.db.models import AuditEvent, Patient, Referral, User
from cras_desk.domain import nhs_number
from cras_desk.domain.clock import utcnow
from cras_desk.domain.enums import Role
from cras_desk.domain.search_terms import SearchKind, classify
from cras_desk.services.actor import Actor
from cras_desk.services.auth import actor_of
from cras_desk.services.worklist import Scope, SortKey, WorklistFilter, WorklistService
from cras_desk.services.worklist_statements import PG_CUSTOM_PLANS, VERY_BROAD, probe_statement

CACHE = Path(os.environ.get("CRAS_BENCH_CACHE", "/tmp"))
TARGET_MS = 50.0


# --- databases --------------------------------------------------------------------------------------


def _progress(what: str) -> Callable[..., None]:
    last = [0.0]

    def report(*args: Any, **_kw: Any) -> None:
        now = time.monotonic()
        if now - last[0] > 5:
            last[0] = now
            print(f"  seeding {what}: {' '.join(str(a) for a in args)}", file=sys.stderr, flush=True)

    return report


def _seed(db: Database, n: int, what: str) -> None:
    from cras_desk.demo.seed import seed_database  # the demo seed: written alongside this bench

    started = time.perf_counter()
    seed_database(db, referrals=n, seed=1, progress=_progress(what))
    print(f"  seeded {what} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def seed_version() -> str:
    """Names the cached copies after the seed's code and the schema, so a change to either
    makes a fresh copy instead of benchmarking stale data."""
    import cras_desk.demo

    digest = hashlib.sha1(str(head_revision()).encode())
    for source in sorted(Path(cras_desk.demo.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:8]


def _referral_count(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Referral)) or 0)


def sqlite_database(n: int, fresh: bool = False) -> tuple[Database, Callable[[], Any]]:
    path = CACHE / f"cras-bench-worklist-{n}-{seed_version()}.db"
    if fresh or not path.exists():
        for stale in CACHE.glob(f"cras-bench-worklist-{n}[.-]*"):
            stale.unlink()  # older seeds of this size, and half-built ones
        building = path.with_suffix(".building")
        engine = make_engine(sqlite_url(building))
        upgrade(engine)
        engine.dispose()
        db = Database(sqlite_url(building))
        _seed(db, n, f"SQLite {n}")
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.dispose()
        building.rename(path)  # only a finished seed is cached
    db = Database(sqlite_url(path))

    def raw() -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None)  # autocommit: BEGIN only where we say
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    return db, raw


def personal_logins(server: PostgresServer, db: Database) -> Callable[[Actor], tuple[Database, Connect]]:
    """A function giving each user a login role of their own (a fresh random password each run),
    and the Database and raw connection a desk signed in as them would have."""
    import psycopg

    from cras_desk.db import login_roles

    server.require_passwords(tuple(login_roles.GROUP_ROLES.values()))
    options = " ".join(f"-c {name}={value}" for name, value in INTERACTIVE_SERVER_SETTINGS.items())

    def as_user(actor: Actor) -> tuple[Database, Connect]:
        password = secrets.token_urlsafe(18)
        with db.engine.begin() as conn:
            if login_roles.login_exists(conn, actor.username):
                login_roles.set_login_password(conn, actor.username, password)
            else:
                login_roles.create_login(conn, actor.username, actor.role, password)
        url = db.url.set(username=actor.username, password=password)
        conninfo = url.render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql")
        return Database(url, personal_login=True), lambda: psycopg.connect(
            conninfo, autocommit=True, options=options
        )

    return as_user


def postgres_database(n: int, fresh: bool = False) -> tuple[Database, Callable[[], Any], PostgresServer]:
    import psycopg

    server = PostgresServer.start(CACHE / "cras-bench-pg")
    name = f"bench_worklist_{n}_{seed_version()}"
    admin = make_engine(server.base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        every = conn.execute(text("SELECT datname FROM pg_database")).scalars()
        names = {d for d in every if d.startswith(f"bench_worklist_{n}_")}
    admin.dispose()
    for stale in names - ({name} if not fresh else set()):
        server.drop_database(stale)  # older seeds of this size, and half-built ones
    exists = name in names and not fresh
    url = server.base_url.set(database=name)
    if not exists:
        building = f"{name}_building"
        server.drop_database(building)
        burl = server.create_database(building)
        engine = make_engine(burl)
        upgrade(engine)
        engine.dispose()
        db = Database(burl, interactive=False)
        _seed(db, n, f"PostgreSQL {n}")
        db.dispose()
        admin = make_engine(server.base_url.set(database=building), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            # A live server has autovacuum's statistics and visibility map; a fresh load has not.
            conn.exec_driver_sql("VACUUM ANALYZE")
        admin.dispose()
        admin = make_engine(server.base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        admin.dispose()
    db = Database(url)
    conninfo = url.render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql")

    # The same session settings a desk's connection has (timeouts, no parallel workers).
    options = " ".join(f"-c {name}={value}" for name, value in INTERACTIVE_SERVER_SETTINGS.items())

    def raw() -> Any:
        return psycopg.connect(conninfo, autocommit=True, options=options)

    return db, raw, server


# --- the queries --------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    actor: Actor
    flt: WorklistFilter
    sort: SortKey = SortKey.URGENCY
    offset: int = 0


def _typical_advisor(db: Database) -> Actor:
    """The advisor whose open caseload is the median of all advisors'."""
    with db.read() as s:
        loads = s.execute(
            select(User, func.count(Referral.id))
            .join(Referral, Referral.assigned_to == User.id)
            .where(User.role == Role.ADVISOR, Referral.is_open.is_(True))
            .group_by(User.id)
            .order_by(func.count(Referral.id), User.id)
        ).all()
    user, _ = loads[len(loads) // 2]
    return actor_of(user)


def _lead(db: Database, team_id: int | None) -> Actor:
    with db.read() as s:
        user = s.scalars(
            select(User).where(User.role == Role.TEAM_LEAD, User.team_id == team_id).order_by(User.id)
        ).first()
        if user is None:
            user = s.scalars(select(User).where(User.role == Role.ADMIN).order_by(User.id)).first()
    assert user is not None, "the seed has no team lead or admin"
    return actor_of(user)


def _admin(db: Database) -> Actor:
    with db.read() as s:
        user = s.scalars(select(User).where(User.role == Role.ADMIN).order_by(User.id)).first()
    assert user is not None, "the seed has no admin"
    return actor_of(user)


def _sample_patient(db: Database, team_id: int | None) -> tuple[str, str, str, str]:
    """A patient on the team's open list, halfway down it by id: (family key, NHS number, postcode,
    date of birth as typed, dd/mm/yyyy)."""
    with db.read() as s:
        total = s.scalar(
            select(func.count()).select_from(Referral).where(Referral.team_id == team_id, Referral.is_open)
        )
        fam, nhs, pc, born = s.execute(
            select(Patient.family_key, Patient.nhs_number, Patient.postcode, Patient.date_of_birth)
            .join(Referral, Referral.patient_id == Patient.id)
            .where(Referral.team_id == team_id, Referral.is_open)
            .order_by(Referral.id)
            .offset((total or 0) // 2)
            .limit(1)
        ).one()
    return fam, nhs, pc, f"{born:%d/%m/%Y}"


def cases(db: Database) -> list[Case]:
    advisor = _typical_advisor(db)
    lead = _lead(db, advisor.team_id)
    admin = _admin(db)
    family_key, nhs, postcode, born = _sample_patient(db, advisor.team_id)
    prefix = family_key.replace(" ", "")[:3]
    outward = postcode.split()[0]
    team = Scope.TEAM
    return [
        Case("my work by urgency", advisor, WorklistFilter()),
        Case("team by breach date", advisor, WorklistFilter(scope=team), SortKey.BREACH),
        Case(f"search surname '{prefix}'", advisor, WorklistFilter(scope=team, search=prefix)),
        Case(
            "search NHS number",
            advisor,
            WorklistFilter(scope=team, search=nhs_number.format_334(nhs)),
        ),
        Case(f"search postcode '{postcode}'", advisor, WorklistFilter(scope=team, search=postcode)),
        Case("search date of birth", advisor, WorklistFilter(scope=team, search=born)),
        # Other views the GUI offers.
        Case(f"search postcode '{outward}'", advisor, WorklistFilter(scope=team, search=outward)),
        Case("team by urgency", advisor, WorklistFilter(scope=team)),
        Case("all by urgency (admin)", admin, WorklistFilter(scope=Scope.ALL)),
        Case(
            f"all: surname '{prefix}' (admin)",
            admin,
            WorklistFilter(scope=Scope.ALL, search=prefix),
        ),
        Case("team by name", advisor, WorklistFilter(scope=team), SortKey.NAME),
        Case(
            "team by breach, rows 2001-2100",
            advisor,
            WorklistFilter(scope=team),
            SortKey.BREACH,
            offset=2000,
        ),
        Case("all: surname 'smi' (admin)", admin, WorklistFilter(scope=Scope.ALL, search="smi")),
        Case("team by urgency (lead)", lead, WorklistFilter(scope=team)),
        Case("team: surname 's'", advisor, WorklistFilter(scope=team, search="s")),
        Case(
            "team callbacks due",
            advisor,
            WorklistFilter(scope=team, callbacks_due=True),
            SortKey.NEXT_ACTION,
        ),
        Case(
            "team breach within 14 days",
            advisor,
            WorklistFilter(scope=team, breach_within_days=14),
        ),
    ]


# --- raw execution ------------------------------------------------------------------------------------


def compile_raw(statement: Any, params: dict[str, Any], dialect: Any) -> tuple[str, Any]:
    """The SQL text and DBAPI parameters SQLAlchemy would send, bound by the column types."""
    compiled = statement.compile(dialect=dialect)
    values = compiled.construct_params(params)
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and values.get(name) is not None:
            values[name] = process(values[name])
    if compiled.positional:
        return str(compiled), tuple(values[name] for name in compiled.positiontup)
    return str(compiled), values


def select_runner(conn: Any, sql: str, args: Any) -> Callable[[], int]:
    """The bare SELECT through the DBAPI, outside any transaction."""

    def run() -> int:
        cur = conn.cursor()
        cur.execute(sql, args)
        return len(cur.fetchall())

    return run


def transaction_runner(
    conn: Any, backend: str, steps: list[tuple[str, Any]], page: int, write: bool
) -> Callable[[], int]:
    """What the service sends, statement for statement, through the DBAPI: BEGIN (IMMEDIATE for a
    write on SQLite, as cras_desk.db.engine does), the steps, then COMMIT or ROLLBACK. Returns the
    row count of steps[page], the page's SELECT."""
    begin = "BEGIN IMMEDIATE" if write and backend == "sqlite" else "BEGIN"
    end = "COMMIT" if write else "ROLLBACK"

    def run() -> int:
        cur = conn.cursor()
        cur.execute(begin)
        n = 0
        for i, (sql, args) in enumerate(steps):
            if args is None:
                cur.execute(sql)
            else:
                cur.execute(sql, args)
            if cur.description is not None:
                rows = cur.fetchall()
                if i == page:
                    n = len(rows)
        cur.execute(end)
        return n

    return run


def medians_ms(fns: dict[str, Callable[[], Any]], repeat: int) -> tuple[dict[str, float], dict[str, Any]]:
    """Median wall time of each function, run in turn round by round.

    Interleaving makes the service and its raw SQL share whatever else the machine is doing, so
    their difference holds up even when the absolute times wobble.
    """
    results = {}
    for name, fn in fns.items():
        for _ in range(2):  # warm caches, prepared statements and the pool
            results[name] = fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1000)
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    medians |= {f"{name}_min": min(ts) for name, ts in times.items()}
    return medians, results


def explain(conn: Any, backend: str, sql: str, args: Any) -> list[str]:
    cur = conn.cursor()
    if backend == "sqlite":
        cur.execute("EXPLAIN QUERY PLAN " + sql, args)
        return [row[-1] for row in cur.fetchall()]
    cur.execute("EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF, SUMMARY OFF) " + sql, args)
    return [row[0] for row in cur.fetchall()]


def _first_step(term: Any, params: dict[str, Any], dialect: Any) -> tuple[str, Any] | None:
    """What the service runs first for a search: a count of the matches on SQLite (to choose how
    to search), a SET LOCAL on PostgreSQL (plan for these parameters, not a generic plan)."""
    if term.kind is SearchKind.NHS_NUMBER:
        return None
    if dialect.name != "sqlite":
        return PG_CUSTOM_PLANS, None
    probe = probe_statement(term.kind, term.given is not None, term.whole is not None)
    return compile_raw(probe, {**params, "probe_limit": VERY_BROAD}, dialect)


Connect = Callable[[], Any]


def run_backend(
    backend: str,
    db: Database,
    raw_connect: Connect,
    repeat: int,
    as_user: Callable[[Actor], tuple[Database, Connect]] | None = None,
) -> dict[str, Any]:
    """as_user: the Database and raw connection of a case's own user (personal logins)."""
    default_conn = raw_connect()
    dialect = db.engine.dialect
    out: dict[str, Any] = {"referrals": _referral_count(db), "queries": {}}
    logins: dict[int, tuple[WorklistService, Any]] = {}
    for case in cases(db):
        if as_user is None:
            svc, conn = WorklistService(db), default_conn
        else:
            if case.actor.user_id not in logins:
                user_db, user_connect = as_user(case.actor)
                logins[case.actor.user_id] = (WorklistService(user_db), user_connect())
            svc, conn = logins[case.actor.user_id]
        statement, params = svc.page_statement(case.actor, case.flt, case.sort, offset=case.offset)
        sql, args = compile_raw(statement, params, dialect)
        term = classify(case.flt.search)
        steps = [(sql, args)]
        if term is not None:
            first = _first_step(term, params, dialect)
            if first is not None:
                steps.insert(0, first)
            audit_stmt = (
                insert(AuditEvent)
                .inline()
                .values(  # as services/audit.py sends it
                    at=utcnow(),
                    user_id=case.actor.user_id,
                    action="search",
                    entity="referral",
                    detail={"kind": term.kind.value},
                )
            )
            steps.append(compile_raw(audit_stmt, {}, dialect))

        ms, results = medians_ms(
            {
                "service": lambda c=case, s=svc: s.page(c.actor, c.flt, c.sort, offset=c.offset),
                "raw": transaction_runner(
                    conn, backend, steps, steps.index((sql, args)), write=term is not None
                ),
                "select": select_runner(conn, sql, args),
            },
            repeat,
        )
        service_ms, raw_ms, select_ms = ms["service"], ms["raw"], ms["select"]
        rows, raw_rows = results["service"], results["raw"]
        count_stmt, count_params = svc.count_statement(case.actor, case.flt)
        count_ms_by, counts = medians_ms(
            {"count": lambda c=case, s=svc: s.count(c.actor, c.flt)}, max(5, repeat // 3)
        )
        count_ms, total = count_ms_by["count"], counts["count"]
        if len(rows) != raw_rows:
            raise SystemExit(f"{backend} {case.name}: service gave {len(rows)} rows, raw SQL {raw_rows}")
        out["queries"][case.name] = {
            "rows": len(rows),
            "matching": total,
            "service_ms": round(service_ms, 3),
            "raw_ms": round(raw_ms, 3),
            "raw_select_ms": round(select_ms, 3),
            "over_raw_ms": round(service_ms - raw_ms, 3),
            "over_select_ms": round(service_ms - select_ms, 3),
            "service_min_ms": round(ms["service_min"], 3),
            "raw_min_ms": round(ms["raw_min"], 3),
            "count_ms": round(count_ms, 3),
            "ok": service_ms < TARGET_MS,
            "plan": explain(conn, backend, sql, args),
            "count_plan": explain(conn, backend, *compile_raw(count_stmt, count_params, dialect)),
        }
    default_conn.close()
    for login_svc, login_conn in logins.values():
        login_conn.close()
        login_svc.db.dispose()
    out["as_users"] = sorted(svc.db.url.username or "" for svc, _ in logins.values())
    return out


# --- report ------------------------------------------------------------------------------------------


def print_table(backend: str, result: dict[str, Any], show_plans: bool) -> None:
    print(
        f"\n{backend}: {result['referrals']:,} referrals "
        f"(medians in ms; load average {os.getloadavg()[0]:.1f})"
    )
    print(
        "  raw = the service's statements through the DBAPI (BEGIN, [probe/SET], SELECT, [audit INSERT], END)"
    )
    print("  select = the page's SELECT alone; +raw = service minus raw; ok = service < 50 ms")
    header = (
        f"{'query':34} {'rows':>5} {'match':>6} {'service':>8} {'raw':>7} {'select':>7} "
        f"{'+raw':>6} {'+select':>7} {'count':>7} {'svc min':>8} {'raw min':>8}  ok"
    )
    print(header)
    print("-" * len(header))
    for name, q in result["queries"].items():
        mark = "yes" if q["ok"] else "NO"
        print(
            f"{name[:34]:34} {q['rows']:>5} {q['matching']:>6} {q['service_ms']:>8.2f} {q['raw_ms']:>7.2f} "
            f"{q['raw_select_ms']:>7.2f} {q['over_raw_ms']:>6.2f} {q['over_select_ms']:>7.2f} "
            f"{q['count_ms']:>7.2f} {q['service_min_ms']:>8.2f} {q['raw_min_ms']:>8.2f}  {mark}"
        )
    if show_plans:
        for name, q in result["queries"].items():
            print(f"\n  plan: {name}")
            for line in q["plan"]:
                print(f"    {line}")
            print("  count plan:")
            for line in q["count_plan"]:
                print(f"    {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--referrals", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--plans", action="store_true", help="print the query plans too")
    parser.add_argument("--fresh", action="store_true", help="seed again even if a cached copy exists")
    parser.add_argument(
        "--as-users", action="store_true", help="PostgreSQL: run each query as its user's own login (RLS on)"
    )
    args = parser.parse_args(argv)

    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results: dict[str, Any] = {}
    servers: list[PostgresServer] = []
    for backend in backends:
        if backend == "sqlite":
            db, raw = sqlite_database(args.referrals, args.fresh)
        else:
            db, raw, server = postgres_database(args.referrals, args.fresh)
            servers.append(server)
        as_user = personal_logins(servers[-1], db) if backend == "postgresql" and args.as_users else None
        try:
            results[backend] = run_backend(backend, db, raw, args.repeat, as_user)
        finally:
            db.dispose()
        print_table(backend, results[backend], args.plans)

    targets = [q for r in results.values() for q in r["queries"].values()]
    summary = {
        "bench": "worklist",
        "referrals": args.referrals,
        "repeat": args.repeat,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
        "targets": {"max_ms": TARGET_MS},
        "all_targets_met": all(q["ok"] for q in targets),
        "results": {
            backend: {
                "referrals": r["referrals"],
                "as_users": r["as_users"],
                "queries": {
                    name: {k: v for k, v in q.items() if k not in ("plan", "count_plan")}
                    for name, q in r["queries"].items()
                },
            }
            for backend, r in results.items()
        },
    }
    if "postgresql" in results and servers:
        summary["machine"]["postgresql"] = servers[0].version()
    print()
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
