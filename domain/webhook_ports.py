"""What webhooks need from outside: the outbox a change writes its events to, the store of
endpoints and deliveries, and the sender that POSTs one signed message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.records.webhooks import (
    AttemptResult,
    DeliveryFilter,
    DueDelivery,
    EndpointSecrets,
    ExpiringPoints,
    NewEvent,
    WebhookDelivery,
    WebhookEndpoint,
)


class EventOutbox(Protocol):
    def add(self, event: NewEvent) -> None:
        """Writes `event` with the unit of work's transaction: it exists if and only if the
        transaction commits. Events are kept in the order added."""
        ...


class WebhookRepository(Protocol):
    async def endpoints(self) -> list[WebhookEndpoint]:
        """Every endpoint of the tenant, oldest first."""
        ...

    async def endpoint(
        self, endpoint_id: UUID, *, lock: bool = False
    ) -> WebhookEndpoint | None: ...
    async def add_endpoint(
        self,
        endpoint_id: UUID,
        url: str,
        description: str | None,
        event_types: Sequence[str],
        secret: str,
        at: datetime,
    ) -> WebhookEndpoint: ...
    async def update_endpoint(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        """Stores url, description, event types and the enabled state with its notice."""
        ...

    async def delete_endpoint(self, endpoint_id: UUID) -> bool:
        """Removes the endpoint and its deliveries; False when there was none."""
        ...

    async def secrets(self, endpoint_id: UUID) -> EndpointSecrets | None: ...
    async def rotate_secret(
        self, endpoint_id: UUID, secret: str, previous_until: datetime, at: datetime
    ) -> None:
        """The current secret becomes the previous one until `previous_until`."""
        ...

    async def deliveries(
        self, before_id: int | None, limit: int, where: DeliveryFilter
    ) -> list[WebhookDelivery]:
        """Newest first."""
        ...

    async def delivery(self, delivery_id: int) -> WebhookDelivery | None: ...
    async def add_delivery(self, event_id: int, endpoint_id: UUID, at: datetime) -> WebhookDelivery:
        """A delivery outside any member's order (a redelivery), due at once."""
        ...

    async def add_test_event(self, endpoint_id: UUID, event: NewEvent) -> WebhookDelivery:
        """Writes `event` for this one endpoint only, due at once."""
        ...

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[DueDelivery]:
        """Due deliveries of enabled endpoints, each the first pending one of its member for
        its endpoint, leased until `lease_until` (no other worker takes them before then);
        rows another worker is claiming are skipped."""
        ...

    async def record_success(
        self, claimed: WebhookDelivery, result: AttemptResult, at: datetime
    ) -> None:
        """Marks it delivered (unless another worker's later claim of it has taken over) and
        the endpoint healthy."""
        ...

    async def record_failure(
        self,
        claimed: WebhookDelivery,
        result: AttemptResult,
        next_at: datetime | None,
        at: datetime,
    ) -> WebhookEndpoint | None:
        """Retries at `next_at`, or fails for good when None; the endpoint as it is after
        this failure (None: it was deleted, or another worker's claim has taken over)."""
        ...

    async def disable(self, endpoint_id: UUID, reason: str, at: datetime) -> None:
        """Disables the endpoint with its notice and fails its pending deliveries."""
        ...

    async def note_expiring(
        self, now: datetime, until: datetime, limit: int
    ) -> list[ExpiringPoints]:
        """Points of active members expiring in (now, until], by member, wallet and day,
        not announced before; each returned is recorded as announced in this transaction."""
        ...

    async def prune(self, before: datetime, limit: int) -> int:
        """Removes up to `limit` events made before `before` whose deliveries (if any) are
        all finished, with those deliveries; returns how many events."""
        ...

    async def forget_member(self, member_id: UUID) -> None:
        """Erasure: the member's events keep `member.id` only (no externalId, email or name),
        their survey answers lose their text, and referral events naming them as the
        referee lose the referee's externalId; so do deliveries not yet sent."""
        ...


class WebhookSender(Protocol):
    async def send(self, due: DueDelivery, body: bytes, now: datetime) -> AttemptResult:
        """POSTs `body`, signed for `now` by `due`'s secrets, to `due`'s URL."""
        ...
