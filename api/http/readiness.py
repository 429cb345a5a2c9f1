"""`/readyz`: whether this process can serve requests correctly, dependency by dependency.

Every check answers a word, and the body names them all:

- `postgres`: `SELECT 1` through the pool of the default cluster (the control schema's),
  within the timeout: `ok` or `down`;
- `migrations`: the control schema's applied version against the latest this code knows:
  `ok` (at it, or ahead while a newer release rolls out), `behind` or `unknown`;
- `listener`: the connection that carries the announcements of revocations and other
  changes (persistence/announcements.py): `ok` or `down`; while it is down, revoked keys may
  be accepted for the short trust time;
- `worker`: the time-driven jobs loop, when this process runs it: `ok`, `stale` (no
  progress for too long), `stopped`, or `off` (not run here);
- `redis`: `PING`: `ok` or `down`;
- `clusters`, only with LOYALTY_CLUSTERS: every other cluster answers `SELECT 1` and its
  listening connection is up: `ok`, or `down: <names>`.

Any of the first four failing answers 503 (`"status": "down"`): take the replica out of
rotation. Redis down alone answers 200 `degraded`: requests are served from PostgreSQL
(see the balance cache), so the replica keeps serving. So does another cluster down: only
its tenants' requests fail, and every replica would fail them alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse

from api.services import Services
from api.worker_heartbeat import WorkerHeartbeat
from persistence.migrator import latest_version
from tenants.naming import CONTROL_SCHEMA

T = TypeVar("T")
_REQUIRED = ("postgres", "migrations", "listener", "worker")
_FINE = {"ok", "off"}


async def readyz(request: Request) -> JSONResponse:
    services: Services = request.app.state.services
    heartbeat: WorkerHeartbeat | None = getattr(request.app.state, "worker_heartbeat", None)
    checks = await readiness(services, heartbeat)
    status = overall(checks)
    return JSONResponse(
        {"status": status, **checks},
        status_code=503 if status == "down" else 200,
        headers={"Cache-Control": "no-store"},
    )


async def readiness(services: Services, heartbeat: WorkerHeartbeat | None) -> dict[str, str]:
    limit = services.settings.readiness_timeout
    applied, answered, pong = await asyncio.gather(
        _within(_control_version(services), limit),
        _within(services.pool.fetchval("SELECT 1"), limit),
        _within(services.balances.ping(), limit),
    )
    listener = services.announcements
    checks = {
        "postgres": "ok" if answered == 1 else "down",
        "migrations": _migrations(applied),
        "listener": "ok" if listener is not None and listener.listening else "down",
        "worker": heartbeat.state() if heartbeat is not None else "off",
        "redis": "ok" if pong is True else "down",
    }
    if services.cluster_listeners:
        checks["clusters"] = await _other_clusters(services, limit)
    return checks


def overall(checks: dict[str, str]) -> str:
    if any(checks[name] not in _FINE for name in _REQUIRED):
        return "down"
    return (
        "ready" if checks["redis"] == "ok" and checks.get("clusters", "ok") == "ok" else "degraded"
    )


async def _other_clusters(services: Services, limit: float) -> str:
    others = services.clusters.others
    answers = await asyncio.gather(
        *(_within(pool.fetchval("SELECT 1"), limit) for pool in others.values())
    )
    down = [
        name
        for name, answer in zip(others, answers, strict=True)
        if answer != 1 or not services.cluster_listeners[name].listening
    ]
    return f"down: {', '.join(down)}" if down else "ok"


async def _control_version(services: Services) -> int:
    version: int = await services.pool.fetchval(
        "SELECT coalesce(max(version), 0) FROM control.schema_migrations WHERE schema_name = $1",
        CONTROL_SCHEMA,
    )
    return version


def _migrations(applied: int | None) -> str:
    if applied is None:
        return "unknown"
    return "ok" if applied >= latest_version("control") else "behind"


async def _within(step: Awaitable[T], seconds: float) -> T | None:
    """The step's answer, or None when it fails or takes longer than `seconds`: any failure
    means not ready, and the pool and the Redis client log their own errors."""
    try:
        async with asyncio.timeout(seconds):
            return await step
    except Exception:
        return None
