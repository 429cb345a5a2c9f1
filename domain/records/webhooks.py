"""Webhooks: the events of the outbox, the endpoints a tenant registered, and the deliveries
of one event to one endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # waiting for its first attempt, or for a retry
    DELIVERED = "DELIVERED"  # the endpoint answered 2xx
    FAILED = "FAILED"  # retried for the whole window, or its endpoint was disabled


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to write to the outbox with the change that caused it. `member_id` orders it:
    an endpoint gets one member's events in the order their changes committed."""

    type: str
    member_id: UUID | None
    at: datetime
    data: dict[str, Any]
    msg_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: UUID
    seq: int
    url: str
    description: str | None
    event_types: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    consecutive_failures: int
    previous_secret_until: datetime | None  # both secrets sign until then (a rollover)
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EndpointSecrets:
    current: str
    previous: str | None
    previous_until: datetime | None

    def signing(self, now: datetime) -> tuple[str, ...]:
        """The secrets that sign a message sent at `now`: the new one first."""
        rolling = self.previous_until is not None and now < self.previous_until
        if self.previous is not None and rolling:
            return (self.current, self.previous)
        return (self.current,)


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: int
    event_id: int
    msg_id: UUID
    event_type: str
    endpoint_id: UUID
    member_id: UUID | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    response_status: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    occurred_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery claimed for one attempt, with what that attempt sends and where."""

    delivery: WebhookDelivery
    url: str
    secrets: EndpointSecrets


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    endpoint_id: UUID | None = None
    status: DeliveryStatus | None = None
    event_type: str | None = None
    member_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one POST got: the status code (None: no answer) and why it failed, if it did."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class ExpiringPoints:
    """Points of a member's wallet that expire on one day (UTC), from `expires_at` on."""

    member_id: UUID
    wallet: str
    points: int
    expires_at: datetime
