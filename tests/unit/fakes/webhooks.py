"""Fakes of the outbox and of the webhook repository, over the fake tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import UUID

from domain.records.members import MemberStatus
from domain.records.webhooks import (
    AttemptResult,
    DeliveryFilter,
    DeliveryStatus,
    DueDelivery,
    EndpointSecrets,
    ExpiringPoints,
    NewEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.unit.fakes.tables import Sequences, Tables


class FakeEventOutbox:
    """Keeps the transaction's events until it commits, then writes them with a delivery for
    each enabled endpoint subscribed, as the real outbox does (FakeUnitOfWork calls `flush`)."""

    def __init__(self, tables: Tables, sequences: Sequences) -> None:
        self._tables = tables
        self._sequences = sequences
        self.pending: list[NewEvent] = []

    def add(self, event: NewEvent) -> None:
        self.pending.append(event)

    def flush(self) -> None:
        events, self.pending = self.pending, []
        for event in events:
            self._write(event)

    def _write(self, event: NewEvent) -> None:
        if event.member_id is not None:
            member = self._tables.members.get(event.member_id)
            ref = {"id": str(event.member_id), "externalId": member and member.external_id}
            event = replace(event, data={"member": ref, **event.data})
        event_id = self._sequences.next("webhook_events")
        self._tables.webhook_events[event_id] = event
        for endpoint in sorted(self._tables.webhook_endpoints.values(), key=lambda e: e.seq):
            if endpoint.enabled and event.type in endpoint.event_types:
                _deliver(self._tables, self._sequences, event_id, endpoint.id, event.member_id)


def _deliver(
    tables: Tables, sequences: Sequences, event_id: int, endpoint_id: UUID, member_id: UUID | None
) -> WebhookDelivery:
    event = tables.webhook_events[event_id]
    delivery = WebhookDelivery(
        id=sequences.next("webhook_deliveries"),
        event_id=event_id,
        msg_id=event.msg_id,
        event_type=event.type,
        endpoint_id=endpoint_id,
        member_id=member_id,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=event.at,
        last_attempt_at=None,
        response_status=None,
        last_error=None,
        created_at=event.at,
        finished_at=None,
        occurred_at=event.at,
        data=event.data,
    )
    tables.webhook_deliveries[delivery.id] = delivery
    return delivery


class FakeWebhookRepository:
    def __init__(self, tables: Tables, sequences: Sequences) -> None:
        self._tables = tables
        self._sequences = sequences

    async def endpoints(self) -> list[WebhookEndpoint]:
        return sorted(self._tables.webhook_endpoints.values(), key=lambda e: e.seq)

    async def endpoint(self, endpoint_id: UUID, *, lock: bool = False) -> WebhookEndpoint | None:
        return self._tables.webhook_endpoints.get(endpoint_id)

    async def add_endpoint(
        self,
        endpoint_id: UUID,
        url: str,
        description: str | None,
        event_types: Sequence[str],
        secret: str,
        at: datetime,
    ) -> WebhookEndpoint:
        endpoint = WebhookEndpoint(
            endpoint_id,
            self._sequences.next("webhook_endpoints"),
            url,
            description,
            tuple(event_types),
            True,
            None,
            None,
            None,
            0,
            None,
            at,
            at,
        )
        self._tables.webhook_endpoints[endpoint_id] = endpoint
        self._tables.webhook_secrets[endpoint_id] = (secret, None)
        return endpoint

    async def update_endpoint(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        self._tables.webhook_endpoints[endpoint.id] = endpoint
        return endpoint

    async def delete_endpoint(self, endpoint_id: UUID) -> bool:
        if self._tables.webhook_endpoints.pop(endpoint_id, None) is None:
            return False
        for d in list(self._tables.webhook_deliveries.values()):
            if d.endpoint_id == endpoint_id:
                del self._tables.webhook_deliveries[d.id]
        return True

    async def secrets(self, endpoint_id: UUID) -> EndpointSecrets | None:
        endpoint = self._tables.webhook_endpoints.get(endpoint_id)
        if endpoint is None:
            return None
        current, previous = self._tables.webhook_secrets[endpoint_id]
        return EndpointSecrets(current, previous, endpoint.previous_secret_until)

    async def rotate_secret(
        self, endpoint_id: UUID, secret: str, previous_until: datetime, at: datetime
    ) -> None:
        current, _ = self._tables.webhook_secrets[endpoint_id]
        self._tables.webhook_secrets[endpoint_id] = (secret, current)
        endpoint = self._tables.webhook_endpoints[endpoint_id]
        self._tables.webhook_endpoints[endpoint_id] = replace(
            endpoint, previous_secret_until=previous_until, updated_at=at
        )

    async def deliveries(
        self, before_id: int | None, limit: int, where: DeliveryFilter
    ) -> list[WebhookDelivery]:
        found = [
            d
            for d in self._tables.webhook_deliveries.values()
            if (before_id is None or d.id < before_id)
            and (where.endpoint_id is None or d.endpoint_id == where.endpoint_id)
            and (where.status is None or d.status is where.status)
            and (where.event_type is None or d.event_type == where.event_type)
            and (
                where.member_id is None
                or self._tables.webhook_events[d.event_id].member_id == where.member_id
            )
        ]
        return sorted(found, key=lambda d: -d.id)[:limit]

    async def delivery(self, delivery_id: int) -> WebhookDelivery | None:
        return self._tables.webhook_deliveries.get(delivery_id)

    async def add_delivery(self, event_id: int, endpoint_id: UUID, at: datetime) -> WebhookDelivery:
        made = _deliver(self._tables, self._sequences, event_id, endpoint_id, None)
        made = replace(made, next_attempt_at=at, created_at=at)
        self._tables.webhook_deliveries[made.id] = made
        return made

    async def add_test_event(self, endpoint_id: UUID, event: NewEvent) -> WebhookDelivery:
        event_id = self._sequences.next("webhook_events")
        self._tables.webhook_events[event_id] = event
        return await self.add_delivery(event_id, endpoint_id, event.at)

    def _blocked(self, d: WebhookDelivery) -> bool:
        return d.member_id is not None and any(
            p.endpoint_id == d.endpoint_id
            and p.member_id == d.member_id
            and p.status is DeliveryStatus.PENDING
            and p.event_id < d.event_id
            for p in self._tables.webhook_deliveries.values()
        )

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[DueDelivery]:
        endpoints = self._tables.webhook_endpoints
        due = sorted(
            (
                d
                for d in self._tables.webhook_deliveries.values()
                if d.status is DeliveryStatus.PENDING
                and d.next_attempt_at is not None
                and d.next_attempt_at <= now
                and endpoints[d.endpoint_id].enabled
                and not self._blocked(d)
            ),
            key=lambda d: (d.next_attempt_at, d.id),
        )[:limit]
        claimed = []
        for d in sorted(due, key=lambda d: d.id):
            leased = replace(
                d, next_attempt_at=lease_until, attempts=d.attempts + 1, last_attempt_at=now
            )
            self._tables.webhook_deliveries[d.id] = leased
            secrets = await self.secrets(d.endpoint_id)
            assert secrets is not None
            claimed.append(DueDelivery(leased, endpoints[d.endpoint_id].url, secrets))
        return claimed

    def _current(self, claimed: WebhookDelivery) -> WebhookDelivery | None:
        found = self._tables.webhook_deliveries.get(claimed.id)
        if found is None or found.attempts != claimed.attempts:
            return None
        return found if found.status is DeliveryStatus.PENDING else None

    async def record_success(
        self, claimed: WebhookDelivery, result: AttemptResult, at: datetime
    ) -> None:
        found = self._current(claimed)
        if found is None:
            return
        self._tables.webhook_deliveries[found.id] = replace(
            found,
            status=DeliveryStatus.DELIVERED,
            response_status=result.status,
            last_error=None,
            next_attempt_at=None,
            finished_at=at,
        )
        endpoint = self._tables.webhook_endpoints[found.endpoint_id]
        self._tables.webhook_endpoints[endpoint.id] = replace(
            endpoint, failing_since=None, consecutive_failures=0
        )

    async def record_failure(
        self,
        claimed: WebhookDelivery,
        result: AttemptResult,
        next_at: datetime | None,
        at: datetime,
    ) -> WebhookEndpoint | None:
        found = self._current(claimed)
        if found is None:
            return None
        self._tables.webhook_deliveries[found.id] = replace(
            found,
            status=DeliveryStatus.PENDING if next_at is not None else DeliveryStatus.FAILED,
            next_attempt_at=next_at,
            response_status=result.status,
            last_error=(result.error or "")[:500] or None,
            finished_at=None if next_at is not None else at,
        )
        endpoint = self._tables.webhook_endpoints[found.endpoint_id]
        changed = replace(
            endpoint,
            failing_since=endpoint.failing_since or at,
            consecutive_failures=endpoint.consecutive_failures + 1,
        )
        self._tables.webhook_endpoints[endpoint.id] = changed
        return changed

    async def note_expiring(
        self, now: datetime, until: datetime, limit: int
    ) -> list[ExpiringPoints]:
        groups: dict[tuple[UUID, str, date], tuple[int, datetime]] = {}
        for lot in self._tables.lots.values():
            member = self._tables.members.get(lot.member_id)
            if (
                lot.remaining <= 0
                or lot.expires_at is None
                or not now < lot.expires_at <= until
                or member is None
                or member.status is not MemberStatus.ACTIVE
            ):
                continue
            key = (lot.member_id, lot.wallet, lot.expires_at.astimezone(UTC).date())
            if key in self._tables.expiring_notices:
                continue
            points, first = groups.get(key, (0, lot.expires_at))
            groups[key] = (points + lot.remaining, min(first, lot.expires_at))
        found = []
        for key in sorted(groups, key=lambda k: (str(k[0]), k[1], k[2]))[:limit]:
            self._tables.expiring_notices[key] = now
            points, first = groups[key]
            found.append(ExpiringPoints(key[0], key[1], points, first))
        return found

    async def prune(self, before: datetime, limit: int) -> int:
        deliveries = self._tables.webhook_deliveries
        pending = {d.event_id for d in deliveries.values() if d.status is DeliveryStatus.PENDING}
        old = sorted(
            (
                (event.at, event_id)
                for event_id, event in self._tables.webhook_events.items()
                if event.at < before and event_id not in pending
            ),
        )[:limit]
        for _, event_id in old:
            del self._tables.webhook_events[event_id]
            for d in [d for d in deliveries.values() if d.event_id == event_id]:
                del deliveries[d.id]
        return len(old)

    async def forget_member(self, member_id: UUID) -> None:
        for event_id, event in list(self._tables.webhook_events.items()):
            data = dict(event.data)
            if event.member_id == member_id:
                data["member"] = {"id": str(member_id), "externalId": None}
                if isinstance(data.get("response"), dict):
                    data["response"] = {**data["response"], "answer": None}
            elif isinstance(data.get("referee"), dict) and data["referee"].get("id") == str(
                member_id
            ):
                data["referee"] = {**data["referee"], "externalId": None}
            else:
                continue
            self._tables.webhook_events[event_id] = replace(event, data=data)
            for d in list(self._tables.webhook_deliveries.values()):
                if d.event_id == event_id:
                    self._tables.webhook_deliveries[d.id] = replace(d, data=data)

    async def disable(self, endpoint_id: UUID, reason: str, at: datetime) -> None:
        endpoint = self._tables.webhook_endpoints.get(endpoint_id)
        if endpoint is None or not endpoint.enabled:
            return
        self._tables.webhook_endpoints[endpoint_id] = replace(
            endpoint, enabled=False, disabled_reason=reason, disabled_at=at, updated_at=at
        )
        for d in list(self._tables.webhook_deliveries.values()):
            if d.endpoint_id == endpoint_id and d.status is DeliveryStatus.PENDING:
                self._tables.webhook_deliveries[d.id] = replace(
                    d,
                    status=DeliveryStatus.FAILED,
                    next_attempt_at=None,
                    finished_at=at,
                    last_error=d.last_error or "endpoint disabled",
                )
