"""The worker's delivery of webhook messages: claim what is due, POST it, record the answer.

Safe with several workers: a claim leases each delivery (a worker that dies lets its lease
run out, and the delivery is attempted again), and takes per endpoint only the first pending
delivery of each member, so one member's events reach an endpoint in the order they
happened: a later one waits until the earlier one is delivered or has failed for good."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from domain.clock import Clock
from domain.events import EventType, points_expiring
from domain.ports import UnitOfWorkFactory
from domain.records.webhooks import AttemptResult, DueDelivery
from domain.webhook_ports import WebhookSender
from domain.webhook_rules import RetryPolicy, disable_notice, message_body


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    disabled: int = 0

    def __iadd__(self, other: DeliveryReport) -> DeliveryReport:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.failed += other.failed
        self.disabled += other.disabled
        return self

    @property
    def attempts(self) -> int:
        return self.delivered + self.retrying + self.failed


async def deliver_due(
    uow_factory: UnitOfWorkFactory,
    sender: WebhookSender,
    clock: Clock,
    tenant: str,
    policy: RetryPolicy,
    *,
    batch: int = 50,
    concurrency: int = 8,
    rounds: int = 20,
) -> DeliveryReport:
    """Rounds of claim and send until nothing is due (at most `rounds`: each round moves
    every member's queue on by one message)."""
    report = DeliveryReport()
    gate = asyncio.Semaphore(concurrency)
    for _ in range(rounds):
        now = clock.now()
        async with uow_factory() as uow:
            claimed = await uow.webhooks.claim_due(now, now + policy.lease, batch)
        if not claimed:
            break
        results = await asyncio.gather(
            *(_attempt(uow_factory, sender, clock, tenant, policy, due, gate) for due in claimed)
        )
        for one in results:
            report += one
    return report


async def _attempt(
    uow_factory: UnitOfWorkFactory,
    sender: WebhookSender,
    clock: Clock,
    tenant: str,
    policy: RetryPolicy,
    due: DueDelivery,
    gate: asyncio.Semaphore,
) -> DeliveryReport:
    async with gate:
        result = await sender.send(due, message_body(due.delivery, tenant), clock.now())
    return await record_attempt(uow_factory, clock, policy, due, result)


async def record_attempt(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    policy: RetryPolicy,
    due: DueDelivery,
    result: AttemptResult,
) -> DeliveryReport:
    now = clock.now()
    claimed = due.delivery
    async with uow_factory() as uow:
        if result.ok:
            await uow.webhooks.record_success(claimed, result, now)
            return DeliveryReport(delivered=1)
        next_at = policy.next_attempt(claimed, now)
        endpoint = await uow.webhooks.record_failure(claimed, result, next_at, now)
        report = DeliveryReport(retrying=1) if next_at is not None else DeliveryReport(failed=1)
        if endpoint is not None and policy.should_disable(endpoint, now):
            await uow.webhooks.disable(endpoint.id, disable_notice(endpoint, policy), now)
            report.disabled = 1
        return report


async def announce_expiring(
    uow_factory: UnitOfWorkFactory, clock: Clock, days: int, batch: int = 500
) -> int:
    """points.expiring for points that expire within the tenant's days ahead (its program's
    `expiring_notice_days`, else `days`, the platform's default; 0: never), once per member,
    wallet and day of expiry: each batch of lots is noted in the transaction that writes its
    events, so a second look, or a second worker, finds it noted. Nothing while no enabled
    endpoint subscribes to it (points expiring then are announced when one does, if they have
    not expired yet). Returns how many."""
    done = 0
    while True:
        now = clock.now()
        async with uow_factory() as uow:
            subscribed = any(
                e.enabled and EventType.POINTS_EXPIRING in e.event_types
                for e in await uow.webhooks.endpoints()
            )
            if not subscribed:
                return done
            ahead = (await uow.programs.current()).expiring_notice_days
            ahead = days if ahead is None else ahead
            if ahead <= 0:
                return done
            found = await uow.webhooks.note_expiring(now, now + timedelta(days=ahead), batch)
            for expiring in found:
                uow.events.add(points_expiring(expiring, now))
        done += len(found)
        if len(found) < batch:
            return done


async def prune_old(
    uow_factory: UnitOfWorkFactory, clock: Clock, keep: timedelta, batch: int = 1000
) -> int:
    """Removes events older than `keep` whose deliveries are all finished, with those
    deliveries, a batch per transaction. Returns how many events."""
    done = 0
    while True:
        async with uow_factory() as uow:
            removed = await uow.webhooks.prune(clock.now() - keep, batch)
        done += removed
        if removed < batch:
            return done
