"""Every webhook mutation, one class for the schema to take in."""

from __future__ import annotations

import strawberry

from api.schema.webhooks.create_endpoint import CreateWebhookEndpointMutation
from api.schema.webhooks.delete_endpoint import DeleteWebhookEndpointMutation
from api.schema.webhooks.redeliver import RedeliveryMutations
from api.schema.webhooks.rotate_secret import RotateWebhookSecretMutation
from api.schema.webhooks.update_endpoint import UpdateWebhookEndpointMutation


@strawberry.type
class WebhookMutations(
    CreateWebhookEndpointMutation,
    UpdateWebhookEndpointMutation,
    DeleteWebhookEndpointMutation,
    RotateWebhookSecretMutation,
    RedeliveryMutations,
):
    pass
