"""WebhookEndpoint and WebhookDelivery as clients see them."""

from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID

import strawberry

from api.schema.common.ids import to_global_id, uuid_of
from api.schema.common.node import Node
from domain.records import webhooks as records
from domain.webhook_rules import message_id

WebhookDeliveryStatus = strawberry.enum(records.DeliveryStatus, name="WebhookDeliveryStatus")


def endpoint_id_of(gid: str, field: tuple[str, ...] = ("id",)) -> UUID:
    return uuid_of(gid, "WebhookEndpoint", field)


@strawberry.type(description="A URL the tenant's events are POSTed to, signed.")
class WebhookEndpoint(Node):
    url: str
    description: str | None
    event_types: list[str] = strawberry.field(
        description="The wire names of the events sent to it, e.g. points.changed."
    )
    enabled: bool
    disabled_reason: str | None = strawberry.field(
        description="Why it is disabled: a request, or every attempt failing for days."
    )
    disabled_at: datetime | None
    failing_since: datetime | None = strawberry.field(
        description="Every attempt since then has failed (null: the last one succeeded)."
    )
    consecutive_failures: int
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="After a rotation, the old secret signs too until then."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, x: records.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(to_global_id("WebhookEndpoint", x.id)),
            url=x.url,
            description=x.description,
            event_types=list(x.event_types),
            enabled=x.enabled,
            disabled_reason=x.disabled_reason,
            disabled_at=x.disabled_at,
            failing_since=x.failing_since,
            consecutive_failures=x.consecutive_failures,
            previous_secret_expires_at=x.previous_secret_until,
            created_at=x.created_at,
            updated_at=x.updated_at,
        )


@strawberry.type(description="One event sent (or to be sent) to one endpoint.")
class WebhookDelivery(Node):
    endpoint_id: strawberry.ID
    message_id: str = strawberry.field(description="The webhook-id header it is sent with.")
    event_type: str
    member_id: strawberry.ID | None
    status: WebhookDeliveryStatus  # type: ignore[valid-type]
    attempts: int
    response_status: int | None = strawberry.field(
        description="The HTTP status of the last attempt (null: no answer)."
    )
    last_error: str | None
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    occurred_at: datetime
    payload: str = strawberry.field(description="The event's `data`, as JSON text.")

    @classmethod
    def of(cls, x: records.WebhookDelivery) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(to_global_id("WebhookDelivery", x.id)),
            endpoint_id=strawberry.ID(to_global_id("WebhookEndpoint", x.endpoint_id)),
            message_id=message_id(x),
            event_type=x.event_type,
            member_id=strawberry.ID(to_global_id("Member", x.member_id)) if x.member_id else None,
            status=x.status,
            attempts=x.attempts,
            response_status=x.response_status,
            last_error=x.last_error,
            next_attempt_at=x.next_attempt_at
            if x.status is records.DeliveryStatus.PENDING
            else None,
            last_attempt_at=x.last_attempt_at,
            created_at=x.created_at,
            finished_at=x.finished_at,
            occurred_at=x.occurred_at,
            payload=json.dumps(x.data, separators=(",", ":")),
        )


def delivery_position(x: records.WebhookDelivery) -> int:
    return x.id
