"""The payloads of the webhook mutations."""

from __future__ import annotations

import strawberry

from api.schema.common.errors import UserError
from api.schema.webhooks.webhook_types import WebhookDelivery, WebhookEndpoint


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookSecretPayload:
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret (whsec_…), shown this once: store it now.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
