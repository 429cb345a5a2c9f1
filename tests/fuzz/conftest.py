"""The fuzz suites' fixtures: one API process for the session, and a seeded tenant that is
replaced, with the process restarted, whenever a test left the server unable to answer (so
one pinned event loop fails one test, not every test after it)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from api.services import Services
from tests.conftest import TEST_SECRET, MakeTenant
from tests.fuzz.world import World, build_world
from tests.support.live_api import LiveApi


@pytest.fixture(scope="session")
def live_api(database_url: str, redis_dsn: str, services: Services) -> Iterator[LiveApi]:
    # `services` has migrated the control schema before the process starts.
    api = LiveApi(
        env={
            "LOYALTY_ENVIRONMENT": "production",
            "LOYALTY_DATABASE_URL": database_url,
            "LOYALTY_REDIS_URL": redis_dsn,
            "LOYALTY_SECRET_KEY": TEST_SECRET,
            "LOYALTY_DATA_DIR": tempfile.mkdtemp(prefix="loyalty-fuzz-data-"),
            "LOYALTY_DB_POOL_MAX": "8",
            # The fuzzers send far more than a client's request budget: a 429 would pass
            # the checks and leave the rest of a test unexercised. (Ignored by settings
            # that have no request budgets.)
            "LOYALTY_RATE_LIMITS_ENABLED": "false",
        }
    )
    api.start()
    yield api
    api.stop()


@dataclass
class _Current:
    world: World | None = None


_current = _Current()


@pytest.fixture
async def world(live_api: LiveApi, make_tenant: MakeTenant) -> World:
    """The seeded tenant; a fresh one on a restarted server after a test that hung it."""
    if live_api.needs_restart:
        live_api.restart()
        _current.world = None
    if _current.world is None:
        _current.world = build_world(live_api, await make_tenant())
    return _current.world
