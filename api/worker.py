"""`loyalty worker`: runs the time-driven jobs over every tenant, every few seconds.

Several workers may run at once (and `loyalty serve` runs one by default): a session advisory
lock per tenant lets one worker at a time through a tenant's jobs, and the jobs are safe even
without it, because every change re-checks what is due under the member's row lock.
"""

from __future__ import annotations

import asyncio
import logging
import zlib

from api.services import Services
from api.worker_heartbeat import WorkerHeartbeat
from domain.jobs import JobReport, run_jobs
from persistence.uow import PgUnitOfWorkFactory
from tenants.registry import Tenant

log = logging.getLogger("loyalty.worker")
_LOCK_SPACE = 5501


async def run_once(services: Services, heartbeat: WorkerHeartbeat | None = None) -> JobReport:
    total = JobReport()
    for tenant in await services.registry.active():
        try:
            total += await run_tenant(services, tenant) or JobReport()
        except Exception:  # one tenant's trouble must not stop the others' jobs
            log.exception("jobs failed for tenant %s", tenant.slug)
        if heartbeat is not None:
            heartbeat.beat()
    return total


async def run_tenant(services: Services, tenant: Tenant) -> JobReport | None:
    """One round of one tenant's jobs; None when another worker has the tenant right now."""
    key = zlib.crc32(tenant.schema_name.encode()) - 2**31
    async with services.pool.acquire() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", _LOCK_SPACE, key):
            return None
        try:
            return await run_jobs(
                PgUnitOfWorkFactory(services.pool, tenant.schema_name),
                services.balances.for_tenant(tenant.id),
                services.clock,
            )
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1, $2)", _LOCK_SPACE, key)


async def run_forever(
    services: Services, interval: float = 15.0, heartbeat: WorkerHeartbeat | None = None
) -> None:
    while True:
        if heartbeat is not None:
            heartbeat.beat()
        try:
            report = await run_once(services, heartbeat)
            if any(vars(report).values()):
                log.info("worker: %s", report)
        except Exception:
            log.exception("worker round failed")
        await asyncio.sleep(interval)
