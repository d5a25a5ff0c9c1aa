"""A PostgreSQL server of one test's (or benchmark's) own that can really go away and come back.

Stopped (pg_ctl stop, fast mode: the server ends every session and shuts down cleanly) or killed
(SIGKILL to the postmaster and every backend: nothing is flushed or said goodbye, and the next
start runs crash recovery), then started again on the same data folder and the same socket, so
the URLs handed out before still reach it. Never the shared session server: stopping that one
would fail every other test running against it.

pgserver's public API only: get_server() and its handle's ensure_postgres_running(), and the
pg_ctl it exports.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import psutil
from pgserver import get_server, pg_ctl
from sqlalchemy.engine import URL, make_url

from cras_desk.db.local_postgres import PostgresServer

STOP_TIMEOUT_S = 30.0


class RestartablePostgres:
    def __init__(self, data_dir: Path | None = None) -> None:
        if os.environ.get("CRAS_PG_URL"):
            # A server named by URL is somebody else's: we can neither stop nor start it.
            raise RuntimeError("a restartable server is started here; it cannot be the one CRAS_PG_URL names")
        self._own_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="cras-pg-restart-"))
        self.handle = get_server(str(self.data_dir), cleanup_mode="stop")
        self.server = PostgresServer(
            make_url(self.handle.get_uri()).set(drivername="postgresql+psycopg"), self.handle
        )

    @property
    def base_url(self) -> URL:
        return self.server.base_url

    def create_database(self, name: str | None = None) -> URL:
        return self.server.create_database(name)

    def pid(self) -> int:
        return int(self.handle.get_pid())

    def is_running(self) -> bool:
        return psutil.pid_exists(self.pid()) and psutil.Process(self.pid()).status() != psutil.STATUS_ZOMBIE

    def stop(self) -> None:
        """A clean shutdown: every session ended with 'terminating connection due to administrator
        command', then the server exits."""
        pg_ctl(
            ["-w", "-m", "fast", "-t", str(int(STOP_TIMEOUT_S)), "stop"],
            pgdata=self.handle.pgdata,
            user=self.handle.system_user,
            timeout=STOP_TIMEOUT_S + 5,
        )

    def kill(self) -> None:
        """SIGKILL to the whole server at once, as the OOM killer or a power cut would."""
        postmaster = psutil.Process(self.pid())
        procs = [postmaster, *postmaster.children(recursive=True)]
        for proc in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        _gone, alive = psutil.wait_procs(procs, timeout=STOP_TIMEOUT_S)
        if alive:
            raise RuntimeError(f"server processes still alive after SIGKILL: {[p.pid for p in alive]}")

    def start(self) -> None:
        """Start it again on the same data folder and socket (crash recovery first after a kill)."""
        self.handle.ensure_postgres_running()

    def close(self) -> None:
        """Stop it for good (if it runs) and, if this object made the data folder, remove it."""
        if self.is_running():
            self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
