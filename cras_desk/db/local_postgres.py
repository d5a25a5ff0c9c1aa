"""A throwaway PostgreSQL server for tests, benchmarks and demos (pgserver, from the test extra).

Set CRAS_PG_URL to a server of your own (e.g. postgresql+psycopg://user:pw@host/db) to use it
instead; the databases made here are created and dropped beside the one that URL names.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url


class PostgresServer:
    """Owns a server (or borrows one named by CRAS_PG_URL) and makes databases on it."""

    def __init__(self, base_url: URL, handle: object | None = None) -> None:
        self.base_url = base_url
        self._handle = handle  # keeps pgserver's server alive as long as we are

    @classmethod
    def start(cls, data_dir: Path | None = None) -> PostgresServer:
        env_url = os.environ.get("CRAS_PG_URL")
        if env_url:
            return cls(make_url(env_url).set(drivername="postgresql+psycopg"))
        # Imported here: only tests and benchmarks need it. From its module: the package's
        # __init__ re-exports it without declaring it public.
        from pgserver.postgres_server import get_server

        data_dir = data_dir or Path(tempfile.mkdtemp(prefix="cras-pg-"))
        server = get_server(str(data_dir), cleanup_mode="stop")
        raw = make_url(server.get_uri())
        url = raw.set(drivername="postgresql+psycopg")
        return cls(url, server)

    def postmaster_pid(self) -> int | None:
        """The server process we started, or None for a server named by CRAS_PG_URL."""
        get_pid = getattr(self._handle, "get_pid", None)
        return int(get_pid()) if get_pid is not None else None

    def _admin(self) -> Engine:
        return create_engine(self.base_url, isolation_level="AUTOCOMMIT")

    def create_database(self, name: str | None = None, template: str | None = None) -> URL:
        name = name or f"cras_{uuid.uuid4().hex[:12]}"
        engine = self._admin()
        with engine.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote(name)
            clause = f" TEMPLATE {conn.dialect.identifier_preparer.quote(template)}" if template else ""
            conn.exec_driver_sql(f"CREATE DATABASE {quoted}{clause}")
        engine.dispose()
        return self.base_url.set(database=name)

    def drop_database(self, name: str) -> None:
        engine = self._admin()
        with engine.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote(name)
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        engine.dispose()

    def require_passwords(self, groups: tuple[str, ...]) -> None:
        """Make the server check the passwords (SCRAM-SHA-256) of the members of these group roles.

        pgserver trusts every local connection; a test of personal logins must see the server
        refuse a wrong password, as a production server's pg_hba.conf makes it do for everyone.
        """
        members = ",".join(f"+{g}" for g in groups)
        lines = "".join(
            f"{kind} all {members} {address} scram-sha-256\n"
            for kind, address in (("local", ""), ("host", "127.0.0.1/32"), ("host", "::1/128"))
        )
        engine = self._admin()
        with engine.connect() as conn:
            hba = Path(str(conn.execute(text("SHOW hba_file")).scalar_one()))
            old = hba.read_text(encoding="utf-8")
            if lines not in old:
                hba.write_text(lines + old, encoding="utf-8")
                conn.execute(text("SELECT pg_reload_conf()"))
        engine.dispose()
        self._wait_for_passwords(groups[0])

    def _wait_for_passwords(self, group: str) -> None:
        """A reload is asynchronous: wait until a member's wrong password is really refused."""
        import time

        from sqlalchemy.exc import OperationalError
        from sqlalchemy.pool import NullPool

        probe = f"probe_{uuid.uuid4().hex[:10]}"
        engine = self._admin()
        with engine.connect() as conn:
            q = conn.dialect.identifier_preparer.quote
            # No password at all: any password is wrong for it once the server checks them.
            conn.exec_driver_sql(f"CREATE ROLE {q(probe)} LOGIN IN ROLE {q(group)}")
        guess = secrets.token_urlsafe(16)
        wrong = create_engine(self.base_url.set(username=probe, password=guess), poolclass=NullPool)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with wrong.connect():
                        pass
                except OperationalError:
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start checking passwords")
                time.sleep(0.05)
        finally:
            wrong.dispose()
            with engine.connect() as conn:
                conn.exec_driver_sql(f"DROP ROLE {conn.dialect.identifier_preparer.quote(probe)}")
            engine.dispose()

    def version(self) -> str:
        engine = self._admin()
        with engine.connect() as conn:
            version = str(conn.execute(text("SHOW server_version")).scalar_one())
        engine.dispose()
        return version
