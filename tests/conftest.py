"""Test setup shared by every test: offscreen Qt, and databases on both backends.

Every database test runs twice, on SQLite and on a real PostgreSQL server that this setup starts
itself (pgserver), or on the server named by CRAS_PG_URL. Each test gets a fresh database cloned
from a template migrated once per run: on SQLite a file copy, on PostgreSQL CREATE DATABASE ...
TEMPLATE. Nothing is skipped when PostgreSQL cannot start: the run fails.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from cras_desk.db.engine import Database, make_engine, sqlite_url
from cras_desk.db.local_postgres import PostgresServer
from cras_desk.db.migrate import upgrade

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    # Its own temp folder, not pytest's: pytest prunes old basetemp folders, which would delete a
    # server still in use by a concurrent run.
    data = Path(tempfile.mkdtemp(prefix="cras-pg-"))
    yield PostgresServer.start(data)
    shutil.rmtree(data, ignore_errors=True)


class DatabaseFactory:
    """Makes fresh databases on one backend from a template, optionally prepared by a callable."""

    def __init__(self, backend: str, workdir: Path, pg: Callable[[], PostgresServer]) -> None:
        self.backend = backend
        self.workdir = workdir
        self._pg = pg
        self._templates: dict[str, str] = {}
        self._made: list[tuple[Database, str]] = []

    def _template(self, name: str, prepare: Callable[[Database], None] | None) -> str:
        if name in self._templates:
            return self._templates[name]
        if self.backend == "sqlite":
            path = self.workdir / f"template-{name}.db"
            engine = make_engine(sqlite_url(path))
            upgrade(engine)
            engine.dispose()
            ref = str(path)
        else:
            ref = f"tmpl_{name}_{uuid.uuid4().hex[:8]}"
            url = self._pg().create_database(ref)
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
        if prepare is not None:
            db = self._open(ref)
            prepare(db)
            db.dispose()
        self._templates[name] = ref
        return ref

    def _open(self, ref: str) -> Database:
        if self.backend == "sqlite":
            return Database(sqlite_url(Path(ref)))
        return Database(self._pg().base_url.set(database=ref))

    def make(self, template: str = "empty", prepare: Callable[[Database], None] | None = None) -> Database:
        ref = self._template(template, prepare)
        if self.backend == "sqlite":
            path = self.workdir / f"db-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(ref, path)
            db = Database(sqlite_url(path))
            self._made.append((db, str(path)))
        else:
            url = self._pg().create_database(template=ref)
            db = Database(url)
            self._made.append((db, str(url.database)))
        return db

    def cleanup(self) -> None:
        for db, ref in self._made:
            db.dispose()
            if self.backend == "postgresql":
                self._pg().drop_database(ref)
            else:
                Path(ref).unlink(missing_ok=True)
        self._made.clear()


@pytest.fixture(scope="session")
def _factories(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, DatabaseFactory]]:
    def pg() -> PostgresServer:
        return request.getfixturevalue("pg_server")

    factories = {b: DatabaseFactory(b, tmp_path_factory.mktemp(f"db-{b}"), pg) for b in BACKENDS}
    yield factories


@pytest.fixture(params=BACKENDS)
def db_factory(
    request: pytest.FixtureRequest, _factories: dict[str, DatabaseFactory]
) -> Iterator[DatabaseFactory]:
    factory = _factories[request.param]
    yield factory
    factory.cleanup()


@pytest.fixture
def db(db_factory: DatabaseFactory) -> Database:
    """A fresh, migrated, empty database on each backend in turn."""
    return db_factory.make()


@pytest.fixture
def world(db_factory: DatabaseFactory):
    """A fresh database holding the small known world of tests/world.py."""
    from world import World, build_world

    return World.load(db_factory.make("world", build_world))


# Tests about one engine by nature (PostgreSQL's logins, roles and triggers; SQLite's own tricks)
# take that engine's factory directly rather than skipping the other.


@pytest.fixture
def pg_db(_factories: dict[str, DatabaseFactory]) -> Iterator[Database]:
    """A fresh, migrated, empty PostgreSQL database."""
    factory = _factories["postgresql"]
    yield factory.make()
    factory.cleanup()


@pytest.fixture
def sqlite_db(_factories: dict[str, DatabaseFactory]) -> Iterator[Database]:
    """A fresh, migrated, empty SQLite database."""
    factory = _factories["sqlite"]
    yield factory.make()
    factory.cleanup()


@pytest.fixture
def pg_world(_factories: dict[str, DatabaseFactory]):
    """The small known world on PostgreSQL only."""
    from world import World, build_world

    factory = _factories["postgresql"]
    yield World.load(factory.make("world", build_world))
    factory.cleanup()


@pytest.fixture
def sqlite_world(_factories: dict[str, DatabaseFactory]):
    """The small known world on SQLite only."""
    from world import World, build_world

    factory = _factories["sqlite"]
    yield World.load(factory.make("world", build_world))
    factory.cleanup()


@pytest.fixture(scope="session", autouse=True)
def _collect_on_the_main_thread() -> Iterator[None]:
    """As the desk does (cras_desk/gui/main_thread_gc.py): no automatic collection, which could
    destroy a Qt object on a worker thread and deadlock; the main thread collects after each test."""
    import gc

    gc.disable()
    yield
    gc.enable()


def pytest_runtest_teardown(item: pytest.Item) -> None:
    import gc

    gc.collect()
