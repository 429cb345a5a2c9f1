"""`loyalty worker`: runs the time-driven jobs over every tenant, every few seconds.

Several workers may run at once (and `loyalty serve` runs one by default): an advisory lock
per tenant lets one worker at a time through a tenant's jobs, and the jobs are safe even
without it, because every change re-checks what is due under the member's row lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib

from api.member_import_runner import resume_imports
from api.services import Services
from api.webhook_worker import deliver_forever
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
    # A transaction-level lock, in a transaction kept open (and idle) for the round while the
    # jobs run on other connections: a transaction-mode pooler (PgBouncer) keeps one server
    # connection for a client only for a transaction, so a session lock could be taken on one
    # server connection, its unlock sent on another, and the lock left held for good. The
    # transaction's end lets the lock go, whatever happens to this process.
    async with services.pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1, $2)", _LOCK_SPACE, key):
            return None
        report = await run_jobs(
            PgUnitOfWorkFactory(services.clusters.of(tenant), tenant.schema_name),
            services.balances.for_tenant(tenant.id),
            services.clock,
        )
        # Imports sent through the API whose run stopped with its process.
        report.imports_resumed = await resume_imports(
            services.clusters.of(tenant), tenant.schema_name, services.clock
        )
        return report


async def run_forever(
    services: Services, interval: float = 15.0, heartbeat: WorkerHeartbeat | None = None
) -> None:
    """The jobs every `interval`, and beside them webhook deliveries, polled more often."""
    deliveries = asyncio.create_task(deliver_forever(services))
    try:
        await _jobs_forever(services, interval, heartbeat)
    finally:
        deliveries.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await deliveries


async def _jobs_forever(
    services: Services, interval: float, heartbeat: WorkerHeartbeat | None
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
