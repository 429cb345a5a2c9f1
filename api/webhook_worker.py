"""The worker's webhook delivery loop (domain/webhook_delivery.py), beside the jobs.

Every worker runs it, over every active tenant: claims are leased and skip rows another
worker holds, so several workers share the deliveries and never send one twice at once."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from uuid import UUID

import httpx

from api.services import Services
from api.settings import Settings
from api.webhook_sender import HttpWebhookSender
from domain import webhooks
from domain.webhook_delivery import DeliveryReport, announce_expiring, deliver_due, prune_old
from domain.webhook_ports import WebhookSender
from domain.webhook_rules import RetryPolicy
from persistence.uow import PgUnitOfWorkFactory

log = logging.getLogger("loyalty.webhooks")


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        base=timedelta(seconds=settings.webhook_backoff_base_seconds),
        cap=timedelta(seconds=settings.webhook_backoff_cap_seconds),
        window=timedelta(seconds=settings.webhook_retry_window_seconds),
        disable_after=timedelta(seconds=settings.webhook_disable_after_seconds),
        # Longer than any attempt may take, so a lease never runs out under a live attempt.
        lease=timedelta(seconds=settings.webhook_timeout_seconds * 4 + 30),
    )


def http_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.webhook_timeout_seconds),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=settings.webhook_concurrency * 4),
    )


class IdleTenants:
    """Tenants with no enabled endpoint have nothing to deliver: they are looked at again
    only every `recheck` seconds, so a worker over many tenants polls only those with
    endpoints every round (a new endpoint's first delivery may wait up to `recheck`)."""

    def __init__(self, recheck: float) -> None:
        self._recheck = recheck
        self._until: dict[UUID, float] = {}

    async def skip(self, uow: PgUnitOfWorkFactory, tenant_id: UUID) -> bool:
        now = time.monotonic()
        if self._until.get(tenant_id, 0.0) > now:
            return True
        if any(e.enabled for e in await webhooks.endpoints(uow)):
            self._until.pop(tenant_id, None)
            return False
        self._until[tenant_id] = now + self._recheck
        return True


async def deliver_once(
    services: Services, sender: WebhookSender, idle: IdleTenants | None = None
) -> DeliveryReport:
    settings = services.settings
    policy = retry_policy(settings)
    total = DeliveryReport()
    for tenant in await services.registry.active():
        uow = PgUnitOfWorkFactory(services.clusters.of(tenant), tenant.schema_name)
        try:
            if idle is not None and await idle.skip(uow, tenant.id):
                continue
            total += await deliver_due(
                uow,
                sender,
                services.clock,
                tenant.slug,
                policy,
                concurrency=settings.webhook_concurrency,
            )
        except Exception:  # one tenant's trouble must not stop the others' deliveries
            log.exception("webhook delivery failed for tenant %s", tenant.slug)
    return total


async def housekeeping_once(services: Services) -> None:
    """points.expiring, and old events removed, for every active tenant (docs/webhooks.md)."""
    settings = services.settings
    keep = timedelta(days=settings.webhook_retention_days)
    for tenant in await services.registry.active():
        uow = PgUnitOfWorkFactory(services.clusters.of(tenant), tenant.schema_name)
        try:
            # The days ahead are the tenant's (its program), else the platform's default.
            await announce_expiring(uow, services.clock, settings.webhook_expiring_days)
            await prune_old(uow, services.clock, keep)
        except Exception:  # one tenant's trouble must not stop the others'
            log.exception("webhook housekeeping failed for tenant %s", tenant.slug)


async def deliver_forever(services: Services, poll: float | None = None) -> None:
    settings = services.settings
    loop = asyncio.get_running_loop()
    housekeeping_due = loop.time()
    async with http_client(settings) as client:
        sender = HttpWebhookSender(client, allow_private=settings.webhook_private_urls_allowed)
        idle = IdleTenants(settings.webhook_idle_recheck_seconds)
        while True:
            if loop.time() >= housekeeping_due:
                housekeeping_due = loop.time() + settings.webhook_expiring_check_seconds
                try:
                    await housekeeping_once(services)
                except Exception:
                    log.exception("webhook housekeeping round failed")
            try:
                report = await deliver_once(services, sender, idle)
                if report.attempts:
                    log.info("webhooks: %s", report)
            except Exception:
                log.exception("webhook round failed")
            await asyncio.sleep(poll or settings.webhook_poll_seconds)
