"""webhookEndpoints and webhookDeliveries (secret keys and operators, viewers included)."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.schema.common.ids import int_of, uuid_of
from api.schema.common.node import Node
from api.schema.common.pagination import Connection, decode_cursor, page_of, page_size
from api.schema.webhooks.webhook_types import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    delivery_position,
    endpoint_id_of,
)
from domain import webhooks
from domain.records.webhooks import DeliveryFilter, DeliveryStatus


@strawberry.input(description="Every field given must match.")
class WebhookDeliveryFilter:
    endpoint_id: strawberry.ID | None = None
    status: WebhookDeliveryStatus | None = None  # type: ignore[valid-type]
    event_type: str | None = strawberry.field(default=None, description="e.g. points.changed")
    member_id: strawberry.ID | None = None


def _filter(given: WebhookDeliveryFilter | None) -> DeliveryFilter:
    if given is None:
        return DeliveryFilter()
    return DeliveryFilter(
        endpoint_id=endpoint_id_of(given.endpoint_id, ("filter", "endpointId"))
        if given.endpoint_id
        else None,
        status=DeliveryStatus(given.status) if given.status is not None else None,
        event_type=given.event_type.strip() if given.event_type else None,
        member_id=uuid_of(given.member_id, "Member", ("filter", "memberId"))
        if given.member_id
        else None,
    )


@strawberry.type
class WebhookQueries:
    @strawberry.field(description="The tenant's webhook endpoints, oldest first.")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        ctx = info.context
        ctx.require_reader()
        return [WebhookEndpoint.of(x) for x in await webhooks.endpoints(ctx.uow)]

    @strawberry.field(description="Deliveries of events to endpoints, newest first.")
    async def webhook_deliveries(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: WebhookDeliveryFilter | None = None,
    ) -> Connection[WebhookDelivery]:
        ctx = info.context
        ctx.require_reader()
        size = page_size(first, ctx.services.settings.max_page_size)
        found = await webhooks.deliveries(ctx.uow, decode_cursor(after), size + 1, _filter(filter))
        return page_of(found, size, after is not None, WebhookDelivery.of, delivery_position)


async def webhook_node(info: Info, gid: str, type_name: str) -> Node | None:
    """node(id:) of a WebhookEndpoint or WebhookDelivery (readers of the tenant)."""
    ctx = info.context
    ctx.require_reader()
    if type_name == "WebhookEndpoint":
        found = await webhooks.endpoint(ctx.uow, endpoint_id_of(gid))
        return WebhookEndpoint.of(found) if found else None
    delivery = await webhooks.delivery(ctx.uow, int_of(gid, "WebhookDelivery"))
    return WebhookDelivery.of(delivery) if delivery else None
