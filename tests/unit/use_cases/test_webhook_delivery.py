"""The worker's delivery on the fakes (domain/webhook_delivery.py): order per member,
retries, the window, disabling, with a scripted sender in place of HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import webhooks
from domain.records.webhooks import AttemptResult, DeliveryFilter, DeliveryStatus, DueDelivery
from domain.webhook_delivery import deliver_due
from domain.webhook_rules import RetryPolicy

POLICY = RetryPolicy(
    base=timedelta(seconds=10),
    cap=timedelta(minutes=1),
    window=timedelta(hours=1),
    disable_after=timedelta(days=1),
)


class Sender:
    """Answers `failures` failures for each message id, then 200; keeps what it was sent."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[tuple[str, str, int]] = []  # (event type, points or "", status)

    async def send(self, due: DueDelivery, body: bytes, now: datetime) -> AttemptResult:
        d = due.delivery
        seen = sum(1 for s in self.sent if s[0] == str(d.msg_id))
        status = 500 if seen < self.failures else 200
        self.sent.append((str(d.msg_id), f"{d.event_type}:{d.data.get('points', '')}", status))
        return AttemptResult(status, None if status == 200 else "HTTP 500")


async def _endpoint(world, types=("member.enrolled", "points.changed")):
    made = await webhooks.create_endpoint(
        world.uow, world.clock, "https://hooks.example/in", types, None, allow_private=False
    )
    return made.endpoint


async def _run(world, sender, rounds=60, step=timedelta(seconds=30)):
    for _ in range(rounds):
        await deliver_due(world.uow, sender, world.clock, "acme", POLICY)
        world.clock.advance(step)


async def test_retried_events_arrive_once_each_in_member_order(world):
    # given an endpoint, a member enrolled and given points twice, a sender failing twice
    await _endpoint(world)
    member = await world.member()
    await world.adjust(member.id, 5)
    await world.adjust(member.id, 7)
    sender = Sender(failures=2)

    # when the worker runs while time passes
    await _run(world, sender)

    # then each event was sent three times, none before the one before it was taken
    assert [s[1] for s in sender.sent] == [
        "member.enrolled:", "member.enrolled:", "member.enrolled:",
        "points.changed:5", "points.changed:5", "points.changed:5",
        "points.changed:7", "points.changed:7", "points.changed:7",
    ]  # fmt: skip
    listed = await webhooks.deliveries(world.uow, None, 10, DeliveryFilter())
    assert {(d.status, d.attempts) for d in listed} == {(DeliveryStatus.DELIVERED, 3)}


async def test_a_delivery_fails_after_the_window_and_the_endpoint_after_a_day(world):
    # given an endpoint whose receiver never answers 2xx
    endpoint = await _endpoint(world, ("member.enrolled",))
    await world.member()
    sender = Sender(failures=10**6)

    # when the worker runs for two hours, then the delivery has failed, the endpoint not yet
    await _run(world, sender, rounds=240)
    [failed] = await webhooks.deliveries(world.uow, None, 10, DeliveryFilter())
    assert failed.status is DeliveryStatus.FAILED and failed.attempts > 3
    found = await webhooks.endpoint(world.uow, endpoint.id)
    assert found is not None and found.enabled and found.failing_since is not None

    # when more members enrol over a day of failures
    for _ in range(12):
        await world.member()
        await _run(world, sender, rounds=120, step=timedelta(minutes=1))

    # then the endpoint is disabled with its notice, and nothing is pending
    found = await webhooks.endpoint(world.uow, endpoint.id)
    assert found is not None and not found.enabled
    assert found.disabled_reason is not None and "failed" in found.disabled_reason
    pending = DeliveryFilter(status=DeliveryStatus.PENDING)
    assert await webhooks.deliveries(world.uow, None, 50, pending) == []
