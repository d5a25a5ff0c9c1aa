"""The dashboard at volume: from opening the screen to every figure painted, 300,000 referrals.

    .venv/bin/python bench/dashboard.py [--backend sqlite|postgresql|both] [--referrals 300000]
                                        [--runs 3] [--fresh]

Each run is a fresh process signed in as the demo team lead (a desk that has just started), which
opens the dashboard the way the tab does: imports the screen (QtCharts), builds it at 1366x768,
shows it, and waits until every figure group has come back from the worker thread, been bound to
its chart and table, and every chart has been painted (DashboardView.figures_painted).

- `first_paint_ms`: the desk as a lead has it a few seconds after signing in, the forecasting
  libraries already loaded by its warm-up (hookup.prepare_forecasting): the forecast is still
  fitted, the SQL still run, the screen still built from nothing;
- `first_paint_cold_ms`: opened the moment the desk has started, importing statsmodels itself;
- `reopen_ms`: the same process opening the screen again (the fit cached, every import done).

Medians over the runs; each group's time on the worker and binding on the UI thread is
reported too, so a slow figure can be found.

The data: the demo seed (seed 1, as `cras-desk seed` makes it) at the size asked for, once per
engine, kept in --cache (default /tmp/cras-bench-dashboard: a SQLite file, and a pgserver
database there) and brought up to the current schema by the migrations before each run. Its own
folder, so it never drops or rewrites the copies another benchmark is using.

Acceptance (the issue's): first_paint_ms <= 1000 on both engines. The last line is one JSON object,
its own last entries {"sqlite": {"first_paint_ms": ...}, "postgresql": {"first_paint_ms": ...}}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CACHE = Path("/tmp/cras-bench-dashboard")
TARGET_MS = 1000.0
LEAD = "lead"
SIZE = (1366, 768)


def child(url: str, prepared: bool) -> dict[str, Any]:
    """One desk process: open the dashboard twice, timing each to every figure painted.

    prepared: first load the forecasting libraries, as a lead's desk does a few seconds after
    its first page (gui/dashboard/hookup.prepare_forecasting); else the screen is opened the
    moment the desk has started, and pays for the import itself.
    """
    from PySide6.QtWidgets import QApplication
    from startup import DEMO_PASSWORD

    from cras_desk.db.engine import Database
    from cras_desk.drafts import DraftStore
    from cras_desk.gui import style
    from cras_desk.gui.desk_context import DeskContext
    from cras_desk.gui.tasks import TaskRunner
    from cras_desk.services.bundle import ServiceBundle
    from cras_desk.settings import Settings

    app = QApplication([*sys.argv[:1], *style.qt_arguments([])])
    style.apply(app, style_chosen=True)
    db = Database(url)
    services = ServiceBundle.build(db)
    actor = services.auth.sign_in(LEAD, DEMO_PASSWORD)
    with db.read() as s:  # the pool's first connection, as a desk signed in has one
        s.connection()
    tasks = TaskRunner()
    ctx = DeskContext(services, actor, tasks, DraftStore(actor.username), Settings())
    if prepared:
        from cras_desk.gui.dashboard.hookup import prepare_forecasting

        prepare_forecasting().join()

    def open_once() -> tuple[float, dict[str, Any], Any]:
        started = time.perf_counter()
        from cras_desk.gui.dashboard.view import DashboardView  # the tab imports it when first opened

        view = DashboardView(ctx)
        painted: list[float] = []
        view.figures_painted.connect(lambda: painted.append(time.perf_counter()))
        view.resize(*SIZE)
        view.show()
        deadline = started + 600
        while not painted:
            if time.perf_counter() > deadline:
                raise TimeoutError("the dashboard did not paint within 10 minutes")
            app.processEvents()
            time.sleep(0.0005)
        elapsed = (painted[0] - started) * 1000
        times = view.load_times()
        panels: list[Any] = [*view.figure_panels, *view.warning_panels]
        problems = [p.key for p in panels if p.banner.isVisible()]
        if problems:
            raise RuntimeError(f"figures not loaded: {problems}: {view.banner.text()}")
        return elapsed, times, view

    first_ms, first_times, view = open_once()
    waits = view.figures()["waiting_list"]
    view.hide()
    view.deleteLater()
    tasks.wait_idle(60_000)
    app.processEvents()
    again_ms, again_times, view2 = open_once()
    view2.hide()
    tasks.wait_idle(60_000)
    db.dispose()

    def ms(times: dict[str, Any]) -> dict[str, dict[str, float]]:
        return {kind: {g: round(v * 1000, 1) for g, v in by.items()} for kind, by in times.items()}

    return {
        "first_paint_ms": round(first_ms, 1),
        "reopen_ms": round(again_ms, 1),
        "first": ms(first_times),
        "reopen": ms(again_times),
        "open_referrals_in_scope": waits.open_count,
        "scope": f"{actor.username} ({actor.role.value}), team {actor.team_id}",
    }


def _seed(url: Any, n: int, what: str) -> None:
    from cras_desk.db.engine import Database, make_engine
    from cras_desk.db.migrate import upgrade
    from cras_desk.demo.seed import seed_database

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    db = Database(url)
    started = time.perf_counter()
    last = [0.0]

    def progress(message: str) -> None:
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            print(f"  seeding {what}: {message}", file=sys.stderr, flush=True)

    seed_database(db, referrals=n, seed=1, progress=progress)
    db.dispose()
    print(f"  seeded {what} in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def _upgrade(url: Any) -> None:
    from cras_desk.db.engine import make_engine
    from cras_desk.db.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)  # the schema the desk under test expects; a no-op when it is current
    engine.dispose()


def sqlite_copy(cache: Path, n: int, fresh: bool) -> str:
    from cras_desk.db.engine import make_engine, sqlite_url

    path = cache / f"dashboard-{n}.sqlite3"
    if fresh or not path.exists():
        building = path.with_suffix(".building")
        building.unlink(missing_ok=True)
        _seed(sqlite_url(building), n, f"SQLite {n:,}")
        engine = make_engine(sqlite_url(building))
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        building.rename(path)  # only a finished seed is kept
    url = sqlite_url(path)
    _upgrade(url)
    return url


def postgres_copy(cache: Path, n: int, fresh: bool) -> tuple[Any, str]:
    from sqlalchemy import text

    from cras_desk.db.engine import make_engine
    from cras_desk.db.local_postgres import PostgresServer

    server = PostgresServer.start(cache / "pg")
    name = f"bench_dashboard_{n}"
    admin = make_engine(server.base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        names = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
    admin.dispose()
    if fresh or name not in names:
        server.drop_database(name)
        building = f"{name}_building"
        server.drop_database(building)
        burl = server.create_database(building)
        _seed(burl, n, f"PostgreSQL {n:,}")
        admin = make_engine(burl, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            # A live server has autovacuum's statistics and visibility map; a fresh load has not.
            conn.exec_driver_sql("VACUUM ANALYZE")
        admin.dispose()
        admin = make_engine(server.base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        admin.dispose()
    url = server.base_url.set(database=name)
    _upgrade(url)
    return server, url.render_as_string(hide_password=False)


def _child_run(backend: str, url: str, prepared: bool, env: dict[str, str], label: str) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", url, *(["--prepared"] if prepared else [])]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{backend} {label} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"  {backend} {label}: first paint {result['first_paint_ms']:.0f} ms, "
        f"reopened {result['reopen_ms']:.0f} ms; worker ms {result['first']['worker_s']}",
        file=sys.stderr,
        flush=True,
    )
    return result


def run_backend(backend: str, url: str, runs: int) -> dict[str, Any]:
    env = dict(os.environ)
    folder = tempfile.mkdtemp(prefix="cras-bench-dashboard-")
    env["CRAS_DATA_DIR"] = env["CRAS_CONFIG_DIR"] = folder  # drafts and settings of the child desk
    results, cold = [], []
    for i in range(runs):  # interleaved, so both kinds of run see the same machine
        results.append(_child_run(backend, url, True, env, f"run {i + 1} (libraries loaded)"))
        cold.append(_child_run(backend, url, False, env, f"run {i + 1} (cold)"))
    first = [r["first_paint_ms"] for r in results]
    first_cold = [r["first_paint_ms"] for r in cold]
    again = [r["reopen_ms"] for r in results + cold]
    groups = results[0]["first"]["worker_s"].keys()
    return {
        "first_paint_ms": round(statistics.median(first), 1),
        "first_paint_ms_runs": first,
        "first_paint_cold_ms": round(statistics.median(first_cold), 1),
        "first_paint_cold_ms_runs": first_cold,
        "cold_worker_ms_median": {
            g: round(statistics.median(r["first"]["worker_s"][g] for r in cold), 1) for g in groups
        },
        "reopen_ms": round(statistics.median(again), 1),
        "worker_ms_median": {
            g: round(statistics.median(r["first"]["worker_s"][g] for r in results), 1) for g in groups
        },
        "reopen_worker_ms_median": {
            g: round(statistics.median(r["reopen"]["worker_s"][g] for r in results), 1) for g in groups
        },
        "bind_ms_median": {
            g: round(statistics.median(r["first"]["bind_s"][g] for r in results), 1)
            for g in results[0]["first"]["bind_s"]
        },
        "open_referrals_in_scope": results[0]["open_referrals_in_scope"],
        "scope": results[0]["scope"],
        "ok": statistics.median(first) <= TARGET_MS,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--referrals", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="seed again even if a cached copy exists")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where the seeded copies are kept")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--prepared", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.prepared)))
        return 0

    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results: dict[str, Any] = {}
    servers = []
    args.cache.mkdir(parents=True, exist_ok=True)
    for backend in backends:
        if backend == "sqlite":
            url = sqlite_copy(args.cache, args.referrals, args.fresh)
        else:
            server, url = postgres_copy(args.cache, args.referrals, args.fresh)
            servers.append(server)  # kept alive (and its server running) until the runs are done
        results[backend] = run_backend(backend, url, args.runs)
    summary: dict[str, Any] = {
        "bench": "dashboard",
        "referrals": args.referrals,
        "runs": args.runs,
        "screen": f"{SIZE[0]}x{SIZE[1]}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "target_first_paint_ms": TARGET_MS,
        "details": results,
        "all_targets_met": all(r["ok"] for r in results.values()),
    }
    summary.update(
        {
            b: {"first_paint_ms": r["first_paint_ms"], "first_paint_cold_ms": r["first_paint_cold_ms"]}
            for b, r in results.items()
        }
    )
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
