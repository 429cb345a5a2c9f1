"""deleteWebhookEndpoint."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.webhooks.webhook_types import endpoint_id_of
from domain import webhooks


@strawberry.input
class DeleteWebhookEndpointInput:
    id: strawberry.ID


@strawberry.type
class DeleteWebhookEndpointPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteWebhookEndpointMutation:
    @strawberry.mutation(description="Delete an endpoint with its deliveries.")
    @returns_payload(DeleteWebhookEndpointPayload)
    async def delete_webhook_endpoint(
        self, info: Info, input: DeleteWebhookEndpointInput
    ) -> DeleteWebhookEndpointPayload:
        ctx = info.context
        ctx.require_writer()
        await webhooks.delete_endpoint(ctx.uow, endpoint_id_of(input.id))
        return DeleteWebhookEndpointPayload(deleted_id=input.id)
