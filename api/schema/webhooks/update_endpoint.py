"""updateWebhookEndpoint."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.schema.common.errors import returns_payload
from api.schema.webhooks.endpoint_payloads import WebhookEndpointPayload
from api.schema.webhooks.webhook_types import WebhookEndpoint, endpoint_id_of
from domain import webhooks


@strawberry.input(description="Only the fields given change.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID
    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    enabled: bool | None = strawberry.field(
        default=None,
        description="true clears a disabled endpoint's notice and failure count; its "
        "pending deliveries go out again.",
    )


@strawberry.type
class UpdateWebhookEndpointMutation:
    @strawberry.mutation(description="Change an endpoint's URL or events, or enable/disable it.")
    @returns_payload(WebhookEndpointPayload)
    async def update_webhook_endpoint(
        self, info: Info, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        ctx = info.context
        ctx.require_writer()
        changed = await webhooks.update_endpoint(
            ctx.uow,
            ctx.services.clock,
            endpoint_id_of(input.id),
            webhooks.EndpointChange(
                url=input.url,
                event_types=input.event_types,
                description=input.description,
                enabled=input.enabled,
            ),
            allow_private=ctx.services.settings.webhook_private_urls_allowed,
        )
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.of(changed))
