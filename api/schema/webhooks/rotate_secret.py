"""rotateWebhookSecret."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.schema.common.errors import returns_payload
from api.schema.webhooks.endpoint_payloads import WebhookSecretPayload
from api.schema.webhooks.webhook_types import WebhookEndpoint, endpoint_id_of
from domain import webhooks


@strawberry.input
class RotateWebhookSecretInput:
    id: strawberry.ID
    rollover_hours: int | None = strawberry.field(
        default=None,
        description="How long the old secret goes on signing beside the new one (0 to 168; "
        "default 24).",
    )


@strawberry.type
class RotateWebhookSecretMutation:
    @strawberry.mutation(
        description="A new signing secret (shown once); the old one signs too for the rollover."
    )
    @returns_payload(WebhookSecretPayload)
    async def rotate_webhook_secret(
        self, info: Info, input: RotateWebhookSecretInput
    ) -> WebhookSecretPayload:
        ctx = info.context
        ctx.require_writer()
        rotated = await webhooks.rotate_secret(
            ctx.uow, ctx.services.clock, endpoint_id_of(input.id), input.rollover_hours
        )
        return WebhookSecretPayload(
            endpoint=WebhookEndpoint.of(rotated.endpoint), secret=rotated.secret
        )
