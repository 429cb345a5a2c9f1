"""Given the process and what it depends on in some state, when /readyz is asked, then it
answers 200 only when the process can serve correctly, and names every check in its body;
/healthz answers while the process serves HTTP at all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from persistence.migrator import latest_version
from tests.support.processes import second_process

CHECKS = {"postgres", "migrations", "listener", "worker", "redis"}


async def _ready(http: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await http.get("/readyz")
    return response.status_code, response.json()


@asynccontextmanager
async def _running(
    services: Services, settings: Settings, *, worker: bool
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its start-up and shut-down run (so a worker loop runs when asked for)."""
    app = create_app(settings, services, worker=worker)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def test_a_process_with_every_dependency_up_is_ready(gql):
    # given the app on a database, Redis and listening connection that are all up
    # when readiness is asked
    status, body = await _ready(gql.http)

    # then it is ready, and every check is named; no worker runs in this process
    assert status == 200
    assert body == {
        "status": "ready",
        "postgres": "ok",
        "migrations": "ok",
        "listener": "ok",
        "worker": "off",
        "redis": "ok",
    }


async def test_liveness_says_nothing_of_dependencies(settings):
    # given a process that has lost its listening connection (and so is not ready)
    async with second_process(settings, listening=False) as client:
        # when liveness is asked
        response = await client.http.get("/healthz")

        # then it answers that the process is alive, and nothing more
        assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_a_process_that_does_not_hear_announcements_is_not_ready(settings):
    # given a process whose listening connection is down
    async with second_process(settings, listening=False) as client:
        # when readiness is asked
        status, body = await _ready(client.http)

    # then it is not ready, and says the listener is why
    assert status == 503
    assert body["status"] == "down"
    assert body["listener"] == "down"
    assert {k for k, v in body.items() if v == "ok"} == CHECKS - {"listener", "worker"}


async def test_a_control_schema_behind_the_code_is_not_ready(services, gql):
    # given a control schema whose latest migration is not recorded as applied
    latest = latest_version("control")
    row = await services.pool.fetchrow(
        "DELETE FROM control.schema_migrations WHERE schema_name = 'control' AND version = $1"
        " RETURNING schema_name, version, name, applied_at",
        latest,
    )
    assert row is not None
    try:
        # when readiness is asked
        status, body = await _ready(gql.http)
    finally:
        await services.pool.execute(
            "INSERT INTO control.schema_migrations (schema_name, version, name, applied_at)"
            " VALUES ($1, $2, $3, $4)",
            *row.values(),
        )

    # then it is not ready, and says the migrations are why
    assert status == 503
    assert body["migrations"] == "behind"
    assert body["postgres"] == "ok"


async def test_a_process_running_the_worker_reports_it(services, settings):
    # given a process that runs the time-driven jobs
    async with _running(services, settings, worker=True) as http:
        # when readiness is asked
        status, body = await _ready(http)

    # then the worker loop is checked, and fine
    assert status == 200
    assert body["worker"] == "ok"


async def test_a_worker_loop_without_progress_is_not_ready(services, settings):
    # given a process whose worker loop makes no progress for longer than it may (a round
    # every hour, stuck after a tenth of a second)
    stuck = settings.model_copy(update={"worker_interval": 3600, "worker_stale_seconds": 0.1})
    async with _running(services, stuck, worker=True) as http:
        # when readiness is asked once the loop has gone quiet
        deadline = asyncio.get_running_loop().time() + 60
        status, body = await _ready(http)
        while body["worker"] == "ok" and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            status, body = await _ready(http)

    # then it is not ready, and says the worker is why
    assert status == 503
    assert body["worker"] == "stale"
    assert body["postgres"] == "ok"
