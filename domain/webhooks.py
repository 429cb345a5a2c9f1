"""Use cases on webhook endpoints: register, change, delete, rotate the secret, redeliver,
send a test message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from uuid import UUID, uuid4

from domain import webhook_rules as rules
from domain.clock import Clock
from domain.errors import DomainError, ErrorCode, NotFound
from domain.events import TEST_EVENT
from domain.ports import UnitOfWorkFactory
from domain.records.webhooks import DeliveryFilter, NewEvent, WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True, slots=True)
class WithSecret:
    """An endpoint and its signing secret, which is shown this once."""

    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True, slots=True)
class EndpointChange:
    """None: unchanged."""

    url: str | None = None
    event_types: Sequence[str] | None = None
    description: str | None = None
    enabled: bool | None = None


def _missing() -> NotFound:
    return NotFound("No such webhook endpoint.", field=("id",))


async def create_endpoint(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    url: str,
    event_types: Sequence[str],
    description: str | None,
    *,
    allow_private: bool,
) -> WithSecret:
    clean_url = rules.endpoint_url(url, allow_private=allow_private)
    types = rules.event_types(event_types)
    text = rules.description(description)
    secret = rules.new_secret()
    async with uow_factory() as uow:
        if len(await uow.webhooks.endpoints()) >= rules.MAX_ENDPOINTS:
            raise DomainError(
                f"A tenant has at most {rules.MAX_ENDPOINTS} webhook endpoints.",
                code=ErrorCode.LIMIT_REACHED,
            )
        endpoint = await uow.webhooks.add_endpoint(
            uuid4(), clean_url, text, types, secret, clock.now()
        )
    return WithSecret(endpoint, secret)


async def update_endpoint(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    endpoint_id: UUID,
    change: EndpointChange,
    *,
    allow_private: bool,
) -> WebhookEndpoint:
    """Enabling an endpoint clears its disabled notice and its failure count."""
    async with uow_factory() as uow:
        found = await uow.webhooks.endpoint(endpoint_id, lock=True)
        if found is None:
            raise _missing()
        changed = replace(found, updated_at=clock.now())
        if change.url is not None:
            changed = replace(
                changed, url=rules.endpoint_url(change.url, allow_private=allow_private)
            )
        if change.event_types is not None:
            changed = replace(changed, event_types=rules.event_types(change.event_types))
        if change.description is not None:
            changed = replace(changed, description=rules.description(change.description))
        if change.enabled is True and not found.enabled:
            changed = replace(
                changed,
                enabled=True,
                disabled_reason=None,
                disabled_at=None,
                failing_since=None,
                consecutive_failures=0,
            )
        elif change.enabled is False and found.enabled:
            changed = replace(
                changed,
                enabled=False,
                disabled_reason="Disabled by request.",
                disabled_at=clock.now(),
            )
        return await uow.webhooks.update_endpoint(changed)


async def delete_endpoint(uow_factory: UnitOfWorkFactory, endpoint_id: UUID) -> None:
    async with uow_factory() as uow:
        if not await uow.webhooks.delete_endpoint(endpoint_id):
            raise _missing()


async def rotate_secret(
    uow_factory: UnitOfWorkFactory, clock: Clock, endpoint_id: UUID, rollover_hours: int | None
) -> WithSecret:
    """A new secret signs from now on; the current one goes on signing beside it for the
    rollover window, so receivers can change over without losing a message."""
    window = rules.rollover(rollover_hours)
    secret = rules.new_secret()
    now = clock.now()
    async with uow_factory() as uow:
        if await uow.webhooks.endpoint(endpoint_id, lock=True) is None:
            raise _missing()
        await uow.webhooks.rotate_secret(endpoint_id, secret, now + window, now)
        endpoint = await uow.webhooks.endpoint(endpoint_id)
        assert endpoint is not None
    return WithSecret(endpoint, secret)


async def endpoints(uow_factory: UnitOfWorkFactory) -> list[WebhookEndpoint]:
    async with uow_factory() as uow:
        return await uow.webhooks.endpoints()


async def endpoint(uow_factory: UnitOfWorkFactory, endpoint_id: UUID) -> WebhookEndpoint | None:
    async with uow_factory() as uow:
        return await uow.webhooks.endpoint(endpoint_id)


async def deliveries(
    uow_factory: UnitOfWorkFactory, before_id: int | None, limit: int, where: DeliveryFilter
) -> list[WebhookDelivery]:
    async with uow_factory() as uow:
        return await uow.webhooks.deliveries(before_id, limit, where)


async def delivery(uow_factory: UnitOfWorkFactory, delivery_id: int) -> WebhookDelivery | None:
    async with uow_factory() as uow:
        return await uow.webhooks.delivery(delivery_id)


async def redeliver(
    uow_factory: UnitOfWorkFactory, clock: Clock, delivery_id: int
) -> WebhookDelivery:
    """Sends a delivered or failed delivery's event to its endpoint again, as a new delivery
    outside the member's order. The endpoint must be enabled."""
    async with uow_factory() as uow:
        found = await uow.webhooks.delivery(delivery_id)
        if found is None:
            raise NotFound("No such webhook delivery.", field=("deliveryId",))
        target = await uow.webhooks.endpoint(found.endpoint_id)
        if target is None or not target.enabled:
            raise DomainError(
                "Enable the endpoint first.", field=("deliveryId",), code=ErrorCode.CONFLICT
            )
        return await uow.webhooks.add_delivery(found.event_id, found.endpoint_id, clock.now())


async def send_test(
    uow_factory: UnitOfWorkFactory, clock: Clock, endpoint_id: UUID
) -> WebhookDelivery:
    """A `webhook.test` event for this endpoint only, delivered (and retried) as any other."""
    async with uow_factory() as uow:
        found = await uow.webhooks.endpoint(endpoint_id)
        if found is None:
            raise _missing()
        if not found.enabled:
            raise DomainError("Enable the endpoint first.", field=("id",), code=ErrorCode.CONFLICT)
        event = NewEvent(TEST_EVENT, None, clock.now(), rules.test_event_data(found))
        return await uow.webhooks.add_test_event(endpoint_id, event)
