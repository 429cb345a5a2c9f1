"""The outbox on PostgreSQL: an event exists exactly when its change committed, and what was
committed is delivered once, whatever happens to the worker that was to deliver it."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from api.webhook_sender import HttpWebhookSender
from api.webhook_worker import IdleTenants, deliver_once, http_client
from domain import enrolment
from domain.clock import SystemClock
from domain.ports import TenantUnitOfWork
from domain.records.members import Member, MemberDraft
from domain.webhook_delivery import prune_old
from tests.conftest import ADJUST, ENROLL
from tests.support.webhooks import (
    Worker,
    create_endpoint,
    fast_settings,
    hooks_app,
)


class Refused(Exception):
    pass


async def _refuse(uow: TenantUnitOfWork, member: Member) -> None:
    raise Refused  # after the member and its event were written in the transaction


async def test_an_event_exists_exactly_when_its_change_committed(hooks, tenant, receiver):
    # given an endpoint, and a worker over the tenant
    await create_endpoint(hooks, tenant, receiver.url)
    worker = await Worker.of(hooks.services, tenant)

    # when an enrolment fails after the member and its event were written
    with pytest.raises(Refused):
        await enrolment.enroll(
            worker.uow, SystemClock(), MemberDraft(external_id="rolled-back"), linked=_refuse
        )

    # then there is neither the member nor any event or delivery
    assert await worker.events() == []
    assert await worker.pending() == 0

    # when the same enrolment commits
    member = await enrolment.enroll(worker.uow, SystemClock(), MemberDraft(external_id="kept"))

    # then exactly its events are in the outbox (it entered the segment of new members
    # too), the enrolment's delivered once
    events = await worker.events()
    assert [(e["type"], e["member_id"]) for e in events] == [
        ("member.enrolled", member.id),
        ("segment.entered", member.id),
    ]
    assert events[0]["data"]["member"]["externalId"] == "kept"
    await worker.until_settled()
    assert [r.json["data"]["member"]["externalId"] for r in receiver.acknowledged()] == ["kept"]


async def test_a_refused_points_change_writes_no_event(hooks, tenant, receiver):
    # given a member with 5 points
    await create_endpoint(hooks, tenant, receiver.url, ["points.changed"])
    data = await hooks.gql(ENROLL, {"input": {"externalId": "poor"}}, token=tenant.secret_key)
    member_id = data["enrollMember"]["member"]["id"]
    await hooks.gql(
        ADJUST, {"input": {"memberId": member_id, "points": 5}}, token=tenant.secret_key
    )

    # when 50 points are taken away, which is refused
    refused = await hooks.gql(
        ADJUST, {"input": {"memberId": member_id, "points": -50}}, token=tenant.secret_key
    )
    assert refused["adjustPoints"]["errors"][0]["code"] == "INSUFFICIENT_POINTS"

    # then only the enrolment's and the credit's events exist
    worker = await Worker.of(hooks.services, tenant)
    events = await worker.events()
    assert [(e["type"], e["data"].get("points")) for e in events] == [
        ("member.enrolled", None),
        ("segment.entered", None),
        ("points.changed", 5),
    ]


async def test_a_crash_between_commit_and_delivery_loses_nothing(hooks, settings, tenant, receiver):
    # given changes committed while no worker runs
    await create_endpoint(hooks, tenant, receiver.url)
    for n in range(3):
        data = await hooks.gql(
            ENROLL, {"input": {"externalId": f"before-{n}"}}, token=tenant.secret_key
        )
        assert data["enrollMember"]["errors"] == []

    # and a worker that claimed them and died before sending anything
    worker = await Worker.of(hooks.services, tenant)
    now = hooks.services.clock.now()
    async with worker.uow() as uow:
        claimed = await uow.webhooks.claim_due(now, now + timedelta(seconds=0.5), 10)
    assert len(claimed) == 3
    report = await worker.round()
    assert report.attempts == 0  # leased: no one else sends them meanwhile

    # when a new worker process starts, after the dead one's lease ran out
    await asyncio.sleep(0.6)
    async with hooks_app(fast_settings(settings)) as restarted:
        await (await Worker.of(restarted.services, tenant)).until_settled()

    # then each event was delivered exactly once
    acks = Counter(r.json["data"]["member"]["externalId"] for r in receiver.acknowledged())
    assert acks == {"before-0": 1, "before-1": 1, "before-2": 1}
    assert len(receiver.received) == 3


async def test_two_workers_deliver_each_event_once_and_in_member_order(
    hooks, settings, tenant, receiver
):
    # given 12 members, each enrolled and given points twice: 36 events
    await create_endpoint(hooks, tenant, receiver.url)
    for n in range(12):
        data = await hooks.gql(ENROLL, {"input": {"externalId": f"m{n}"}}, token=tenant.secret_key)
        member_id = data["enrollMember"]["member"]["id"]
        for points in (1, 2):
            await hooks.gql(
                ADJUST,
                {"input": {"memberId": member_id, "points": points}},
                token=tenant.secret_key,
            )

    # when two workers, each with its own pool of connections, deliver at once
    async with hooks_app(fast_settings(settings)) as second:
        one = await Worker.of(hooks.services, tenant)
        two = await Worker.of(second.services, tenant)
        await asyncio.gather(one.until_settled(), two.until_settled())

    # then every event was sent exactly once
    sent = Counter(r.message_id for r in receiver.received)
    assert len(sent) == 36 and set(sent.values()) == {1}
    # and each member's arrived in the order of its changes
    by_member: dict[str, list[str]] = {}
    for r in receiver.received:
        body = r.json
        by_member.setdefault(body["data"]["member"]["externalId"], []).append(
            body["type"] + ":" + str(body["data"].get("points", ""))
        )
    assert len(by_member) == 12
    expected = ["member.enrolled:", "points.changed:1", "points.changed:2"]
    assert {m: v for m, v in by_member.items() if v != expected} == {}


async def test_the_worker_loop_delivers_and_looks_at_idle_tenants_seldom(
    hooks, make_tenant, receiver
):
    # given a tenant with an endpoint and one without, each with a new member
    busy, quiet = await make_tenant(), await make_tenant()
    await create_endpoint(hooks, busy, receiver.url, ["member.enrolled"])
    for kit, name in ((busy, "busy-1"), (quiet, "quiet-1")):
        await hooks.gql(ENROLL, {"input": {"externalId": name}}, token=kit.secret_key)
    idle = IdleTenants(recheck=600)

    # when the worker's loop runs a round over every tenant
    async with http_client(hooks.services.settings) as client:
        sender = HttpWebhookSender(client, allow_private=True)
        await deliver_once(hooks.services, sender, idle)

        # then the busy tenant's event was delivered
        assert [r.json["tenant"] for r in receiver.acknowledged()] == [busy.slug]

        # when the quiet tenant gets an endpoint, then rounds before its recheck skip it
        await create_endpoint(hooks, quiet, receiver.url, ["member.enrolled"])
        await hooks.gql(ENROLL, {"input": {"externalId": "quiet-2"}}, token=quiet.secret_key)
        await deliver_once(hooks.services, sender, idle)
        assert [r.json["tenant"] for r in receiver.acknowledged()] == [busy.slug]

        # and the round after its recheck delivers it
        await deliver_once(hooks.services, sender, IdleTenants(recheck=600))
    got = [
        (r.json["tenant"], r.json["data"]["member"]["externalId"]) for r in receiver.acknowledged()
    ]
    assert got == [(busy.slug, "busy-1"), (quiet.slug, "quiet-2")]


async def test_old_events_are_removed_unless_a_delivery_is_pending(hooks, tenant, receiver):
    # given two members' events delivered, and a third's not yet
    await create_endpoint(hooks, tenant, receiver.url, ["member.enrolled"])
    for name in ("old-1", "old-2"):
        await hooks.gql(ENROLL, {"input": {"externalId": name}}, token=tenant.secret_key)
    worker = await Worker.of(hooks.services, tenant)
    await worker.until_settled()
    await hooks.gql(ENROLL, {"input": {"externalId": "new-1"}}, token=tenant.secret_key)

    # when events older than now are pruned
    removed = await prune_old(worker.uow, hooks.services.clock, timedelta(0), batch=2)

    # then every event is gone (those delivered with their deliveries, and the segment
    # entries no endpoint took), in batches, except the one with a pending delivery
    kept = await worker.events()
    assert [(e["type"], e["data"]["member"]["externalId"]) for e in kept] == [
        ("member.enrolled", "new-1")
    ]
    assert removed == 5
    assert await worker.pending() == 1
