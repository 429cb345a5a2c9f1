"""redeliverWebhook and sendTestWebhook."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.schema.common.errors import returns_payload
from api.schema.common.ids import int_of
from api.schema.webhooks.endpoint_payloads import WebhookDeliveryPayload
from api.schema.webhooks.webhook_types import WebhookDelivery, endpoint_id_of
from domain import webhooks


@strawberry.input
class RedeliverWebhookInput:
    delivery_id: strawberry.ID


@strawberry.input
class SendTestWebhookInput:
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")


@strawberry.type
class RedeliveryMutations:
    @strawberry.mutation(
        description="Send a delivery's event to its endpoint again (a new delivery, with the "
        "same webhook-id)."
    )
    @returns_payload(WebhookDeliveryPayload)
    async def redeliver_webhook(
        self, info: Info, input: RedeliverWebhookInput
    ) -> WebhookDeliveryPayload:
        ctx = info.context
        ctx.require_writer()
        delivery_id = int_of(input.delivery_id, "WebhookDelivery", ("deliveryId",))
        made = await webhooks.redeliver(ctx.uow, ctx.services.clock, delivery_id)
        return WebhookDeliveryPayload(delivery=WebhookDelivery.of(made))

    @strawberry.mutation(description="Send a webhook.test event to one endpoint.")
    @returns_payload(WebhookDeliveryPayload)
    async def send_test_webhook(
        self, info: Info, input: SendTestWebhookInput
    ) -> WebhookDeliveryPayload:
        ctx = info.context
        ctx.require_writer()
        made = await webhooks.send_test(ctx.uow, ctx.services.clock, endpoint_id_of(input.id))
        return WebhookDeliveryPayload(delivery=WebhookDelivery.of(made))
