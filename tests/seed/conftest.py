"""The demo seed as advisors meet it: the real seed, on both engines, sampled by referral status.

The small known world (tests/world.py) stays for exact assertions; this layer asks a different
question: does every screen an advisor opens read what the demo seed (what users actually see)
wrote? The choice script and the booking panel once failed with "Something unexpected went
wrong (KeyError)" for most seeded referrals with an earlier offer, and every world-based test
passed.

The seed runs once per engine per test session into a template (tests/conftest.py's
DatabaseFactory); each test module works on its own clone. It is seeded for London's today, as
the desk seeds itself on first run, so the slots and clocks the services compare with the
wall clock look as they do to a user.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cras_desk.domain.clock import today_london

# The GUI test opens the desk as tests/gui does, with its helpers (desk_window, desk_helpers).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gui"))

from seed_layer import Seeded, load, seed_demo  # tests/seed is on sys.path (pytest put it there)


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def seeded(request: pytest.FixtureRequest, _factories) -> Iterator[Seeded]:
    """The demo seed on each engine (seeded once per session), a clone per test module."""
    factory = _factories[request.param]
    db = factory.make("demo-seed", seed_demo)
    yield load(db, today_london())
    factory.cleanup()


@pytest.fixture(scope="module")
def seeded_sqlite(_factories) -> Iterator[Seeded]:
    """The demo seed on SQLite only: for the GUI test, which is about the widgets, not the engine."""
    factory = _factories["sqlite"]
    db = factory.make("demo-seed", seed_demo)
    yield load(db, today_london())
    factory.cleanup()
