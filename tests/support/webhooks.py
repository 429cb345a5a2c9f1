"""Webhook tests' shared pieces: an app whose settings allow localhost receivers and retry
fast, the tenant's unit of work, and a worker's delivery rounds driven by the test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from api.webhook_sender import HttpWebhookSender
from api.webhook_worker import http_client, retry_policy
from domain.webhook_delivery import DeliveryReport, deliver_due
from domain.webhook_rules import RetryPolicy
from persistence.uow import PgUnitOfWorkFactory
from tests.support.gql import GraphQLClient, TenantKit

CREATE = """
mutation Create($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    endpoint { id url eventTypes enabled }
    secret
    errors { code field message }
  }
}
"""

EVERY_EVENT = [
    "member.enrolled",
    "points.changed",
    "tier.changed",
    "reward.redeemed",
    "redemption.used",
]


def fast_settings(settings: Settings, **more: Any) -> Settings:
    update: dict[str, Any] = {
        "webhook_allow_private_urls": True,
        "webhook_backoff_base_seconds": 0.01,
        "webhook_backoff_cap_seconds": 0.05,
        "webhook_timeout_seconds": 2.0,
        "db_pool_max": 8,
    }
    update.update(more)
    return settings.model_copy(update=update)


@dataclass
class Hooks:
    gql: GraphQLClient
    services: Services


@asynccontextmanager
async def hooks_app(settings: Settings) -> AsyncIterator[Hooks]:
    running = await Services.start(settings)
    transport = httpx.ASGITransport(app=create_app(services=running))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Hooks(GraphQLClient(http), running)
    finally:
        await running.close()


async def create_endpoint(
    hooks: Hooks, kit: TenantKit, url: str, events: list[str] | None = None
) -> tuple[str, str]:
    """The endpoint's global id and its secret."""
    data = await hooks.gql(
        CREATE,
        {"input": {"url": url, "eventTypes": events or EVERY_EVENT}},
        token=kit.secret_key,
    )
    payload = data["createWebhookEndpoint"]
    assert payload["errors"] == [], payload
    return payload["endpoint"]["id"], payload["secret"]


async def schema_of(services: Services, kit: TenantKit) -> str:
    tenant = await services.registry.by_slug(kit.slug)
    assert tenant is not None
    return tenant.schema_name


class Worker:
    """One worker's delivery for one tenant, a round at a time."""

    def __init__(self, services: Services, schema: str, slug: str, policy: RetryPolicy) -> None:
        self.uow = PgUnitOfWorkFactory(services.pool, schema)
        self._services = services
        self._slug = slug
        self.policy = policy

    @classmethod
    async def of(
        cls, services: Services, kit: TenantKit, policy: RetryPolicy | None = None
    ) -> Worker:
        schema = await schema_of(services, kit)
        return cls(services, schema, kit.slug, policy or retry_policy(services.settings))

    async def round(self) -> DeliveryReport:
        async with http_client(self._services.settings) as client:
            sender = HttpWebhookSender(client, allow_private=True)
            return await deliver_due(
                self.uow, sender, self._services.clock, self._slug, self.policy, batch=20
            )

    async def until_settled(self, rounds: int = 200) -> None:
        """Rounds until no delivery of the tenant is pending."""
        for _ in range(rounds):
            await self.round()
            if await self.pending() == 0:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("deliveries still pending")

    async def pending(self) -> int:
        async with self.uow() as uow:
            pending: int = await uow._connection.fetchval(
                "SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING'"
            )
        return pending

    async def events(self) -> list[dict[str, Any]]:
        async with self.uow() as uow:
            rows = await uow._connection.fetch(
                "SELECT id, type, member_id, data FROM webhook_events ORDER BY id"
            )
        return [dict(r) for r in rows]


def short_lease(policy: RetryPolicy, seconds: float) -> RetryPolicy:
    return RetryPolicy(
        base=policy.base,
        cap=policy.cap,
        window=policy.window,
        disable_after=policy.disable_after,
        lease=timedelta(seconds=seconds),
    )
