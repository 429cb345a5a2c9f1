"""The `world` fixture of the fast unit tier: a fresh tenant on the in-memory fakes
(tests/unit/fakes/world.py). After each test the ledger invariant is checked on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.fakes.checks import assert_ledger_consistent
from tests.unit.fakes.world import World


@pytest.fixture
def world() -> Iterator[World]:
    made = World()
    yield made
    # Whatever the test did, the ledger explains every balance.
    assert_ledger_consistent(made.db)
