"""createWebhookEndpoint."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.schema.common.errors import returns_payload
from api.schema.webhooks.endpoint_payloads import WebhookSecretPayload
from api.schema.webhooks.webhook_types import WebhookEndpoint
from domain import webhooks


@strawberry.input
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="http or https; in production a public address.")
    event_types: list[str] = strawberry.field(
        description="Wire names: member.enrolled, points.changed, points.expiring, "
        "tier.changed, "
        "reward.redeemed, redemption.used, referral.completed, survey.answered, "
        "segment.entered."
    )
    description: str | None = None


@strawberry.type
class CreateWebhookEndpointMutation:
    @strawberry.mutation(
        description="Register an endpoint; the payload carries its signing secret, once."
    )
    @returns_payload(WebhookSecretPayload)
    async def create_webhook_endpoint(
        self, info: Info, input: CreateWebhookEndpointInput
    ) -> WebhookSecretPayload:
        ctx = info.context
        ctx.require_writer()
        made = await webhooks.create_endpoint(
            ctx.uow,
            ctx.services.clock,
            input.url,
            input.event_types,
            input.description,
            allow_private=ctx.services.settings.webhook_private_urls_allowed,
        )
        return WebhookSecretPayload(endpoint=WebhookEndpoint.of(made.endpoint), secret=made.secret)
