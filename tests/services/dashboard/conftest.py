"""The dashboard's tests run on the demo seed (both engines), as the seed layer's tests do."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "seed"))

from seed_layer import Seeded, load, seed_demo  # tests/seed, put on sys.path above

from cras_desk.domain.clock import today_london


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def seeded(request: pytest.FixtureRequest, _factories) -> Iterator[Seeded]:
    """The demo seed on each engine (seeded once per session, shared with tests/seed), a clone per module."""
    factory = _factories[request.param]
    db = factory.make("demo-seed", seed_demo)
    yield load(db, today_london())
    factory.cleanup()
