"""GUI test setup: private data/config folders, an in-memory keyring, desk contexts on a real database.

Qt runs offscreen (tests/conftest.py). Every test gets its own CRAS_DATA_DIR and CRAS_CONFIG_DIR,
so no test reads or writes a real desk's settings, drafts or embedded database, and an in-memory
keyring backend, so no test touches (or needs) the OS keyring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from desk_helpers import WAIT, MemoryKeyring
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from cras_desk.drafts import DraftStore
from cras_desk.gui import style
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.tasks import TaskRunner
from cras_desk.services.bundle import ServiceBundle
from cras_desk.settings import Settings


@pytest.fixture(autouse=True)
def desk_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.setenv("CRAS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRAS_CONFIG_DIR", str(tmp_path / "config"))
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def world_sqlite(_factories):
    """The small known world on SQLite only, for tests about the GUI rather than the database."""
    from world import World, build_world

    factory = _factories["sqlite"]
    yield World.load(factory.make("world", build_world))
    factory.cleanup()


@pytest.fixture
def make_desk(qapp, tmp_path: Path) -> Iterator[Callable[..., DeskContext]]:
    """make_desk(world, "amy", page_size=100, drafts=folder) -> a DeskContext for that user."""
    made: list[DeskContext] = []

    def make(
        world,
        username: str,
        *,
        page_size: int = 100,
        drafts: Path | None = None,
        settings: Settings | None = None,
    ) -> DeskContext:
        folder = drafts or tmp_path / "drafts"
        folder.mkdir(parents=True, exist_ok=True)
        ctx = DeskContext(
            services=ServiceBundle.build(world.db),
            actor=world.actor(username),
            tasks=TaskRunner(),
            drafts=DraftStore(username, folder),
            settings=settings or Settings(worklist_page_size=page_size),
        )
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.tasks.wait_idle(WAIT)
    # Deliver the finished tasks' results now, while this test's widgets are alive, rather than
    # into the next test's event loop.
    QCoreApplication.sendPostedEvents()
    QCoreApplication.processEvents()


@pytest.fixture
def make_ctx(world, make_desk: Callable[..., DeskContext]) -> Callable[[str], DeskContext]:
    """make_ctx("amy") -> a DeskContext for that user on the `world` database (both backends)."""
    return lambda username: make_desk(world, username)


@pytest.fixture
def desk_style(qapp: QApplication) -> Iterator[None]:
    """The desk's font and style sheet, as the app applies them: widths are measured in them."""
    font, sheet = qapp.font(), qapp.styleSheet()
    style.apply(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setFont(font)
