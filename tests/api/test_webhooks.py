"""Webhooks end to end: endpoints made through the API, events written with their changes,
delivered by the worker to a real HTTP receiver on localhost, signed by Standard Webhooks."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from domain.webhook_delivery import announce_expiring
from domain.webhook_rules import new_secret
from tests.api.test_credentials import (
    CREATE_REWARD,
    CREATE_TIER,
    ERASE_MEMBER,
    MARK_USED,
    REDEEM,
)
from tests.conftest import ADJUST, ENROLL
from tests.support.gql import TenantKit
from tests.support.webhooks import EVERY_EVENT, Hooks, Worker, create_endpoint

DELIVERIES = """
query Deliveries($first: Int, $after: String, $filter: WebhookDeliveryFilter) {
  webhookDeliveries(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id messageId eventType status attempts responseStatus lastError
                          nextAttemptAt memberId payload } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
ENDPOINTS = """
query { webhookEndpoints { id url enabled eventTypes disabledReason disabledAt failingSince
                           consecutiveFailures previousSecretExpiresAt } }
"""
ROTATE = """
mutation Rotate($input: RotateWebhookSecretInput!) {
  rotateWebhookSecret(input: $input) {
    endpoint { id previousSecretExpiresAt } secret errors { code field message }
  }
}
"""
SEND_TEST = """
mutation Test($input: SendTestWebhookInput!) {
  sendTestWebhook(input: $input) { delivery { id eventType status } errors { code field message } }
}
"""
UPDATE = """
mutation Update($input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(input: $input) {
    endpoint { id enabled eventTypes disabledReason } errors { code field message }
  }
}
"""
DELETE = """
mutation Delete($input: DeleteWebhookEndpointInput!) {
  deleteWebhookEndpoint(input: $input) { deletedId errors { code field message } }
}
"""
REDELIVER = """
mutation Redeliver($input: RedeliverWebhookInput!) {
  redeliverWebhook(input: $input) {
    delivery { id messageId status } errors { code field message }
  }
}
"""
CREATE = """
mutation Create($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { endpoint { id } secret errors { code field message } }
}
"""


async def _enroll(hooks: Hooks, kit: TenantKit, external_id: str | None = None) -> str:
    data = await hooks.gql(
        ENROLL, {"input": {"externalId": external_id or uuid.uuid4().hex}}, token=kit.secret_key
    )
    assert data["enrollMember"]["errors"] == []
    member_id: str = data["enrollMember"]["member"]["id"]
    return member_id


async def _adjust(hooks: Hooks, kit: TenantKit, member_id: str, points: int) -> None:
    data = await hooks.gql(
        ADJUST, {"input": {"memberId": member_id, "points": points}}, token=kit.secret_key
    )
    assert data["adjustPoints"]["errors"] == [], data


async def _deliveries(hooks: Hooks, kit: TenantKit, **filter: Any) -> list[dict[str, Any]]:
    data = await hooks.gql(DELIVERIES, {"first": 100, "filter": filter}, token=kit.secret_key)
    return [e["node"] for e in data["webhookDeliveries"]["edges"]]


async def test_events_arrive_signed_and_verify_with_the_library(hooks, tenant, receiver):
    # given an endpoint for every event, and a member who enrols and is given points
    _, secret = await create_endpoint(hooks, tenant, receiver.url)
    assert secret.startswith("whsec_")
    member_id = await _enroll(hooks, tenant, "shopper-1")
    await _adjust(hooks, tenant, member_id, 120)

    # when the worker delivers
    await (await Worker.of(hooks.services, tenant)).until_settled()

    # then both events arrived once, in order, and verify with the endpoint's secret
    got = receiver.acknowledged()
    assert [r.json["type"] for r in got] == ["member.enrolled", "points.changed"]
    for r in got:
        assert Webhook(secret).verify(r.body, r.headers) == r.json
        assert r.headers["webhook-id"].startswith("msg_")
        with pytest.raises(WebhookVerificationError):
            Webhook(new_secret()).verify(r.body, r.headers)
    enrolled, points = (r.json for r in got)
    assert enrolled["tenant"] == tenant.slug
    assert enrolled["data"]["member"]["externalId"] == "shopper-1"
    assert points["data"]["member"]["externalId"] == "shopper-1"
    assert points["data"]["kind"] == "ADJUST"
    assert points["data"]["change"] == {"available": 120, "pending": 0, "lifetime": 120}
    assert points["data"]["balance"] == {"available": 120, "pending": 0, "lifetime": 120}

    # and the deliveries read as delivered, with the receiver's status and the member's id
    listed = await _deliveries(hooks, tenant)
    assert [(d["eventType"], d["status"], d["responseStatus"]) for d in listed] == [
        ("points.changed", "DELIVERED", 200),
        ("member.enrolled", "DELIVERED", 200),
    ]
    assert {d["memberId"] for d in listed} == {member_id}
    assert {d["messageId"] for d in listed} == {r.message_id for r in got}


async def test_a_failing_receiver_gets_each_event_acknowledged_exactly_once(
    hooks, tenant, receiver
):
    # given a receiver that fails every message twice before taking it
    receiver.answer = lambda headers, seen: 503 if seen < 2 else 200
    await create_endpoint(hooks, tenant, receiver.url)
    members = [await _enroll(hooks, tenant) for _ in range(3)]
    for m in members:
        await _adjust(hooks, tenant, m, 10)

    # when the worker delivers, retrying with backoff
    worker = await Worker.of(hooks.services, tenant)
    await worker.until_settled()

    # then every event of the outbox was acknowledged exactly once, after two failures
    events = [e for e in await worker.events() if e["type"] in EVERY_EVENT]
    assert len(events) == 6
    acks = Counter(r.message_id for r in receiver.acknowledged())
    assert sorted(acks.values()) == [1] * 6
    assert Counter(r.message_id for r in receiver.received) == {m: 3 for m in acks}
    listed = await _deliveries(hooks, tenant)
    assert {(d["status"], d["attempts"]) for d in listed} == {("DELIVERED", 3)}


async def test_one_members_events_arrive_in_order_while_others_go_ahead(hooks, tenant, receiver):
    # given member A's first event fails three times, member B's go through at once
    endpoint_id, _ = await create_endpoint(hooks, tenant, receiver.url, ["points.changed"])
    a = await _enroll(hooks, tenant, "member-a")
    b = await _enroll(hooks, tenant, "member-b")
    for points in (10, 20, 30):
        await _adjust(hooks, tenant, a, points)
    await _adjust(hooks, tenant, b, 5)
    first_of_a: list[str] = []

    def answer(headers: dict[str, str], seen: int) -> int:
        if not first_of_a:
            first_of_a.append(headers["webhook-id"])  # the first message sent is A's first
        return 500 if headers["webhook-id"] == first_of_a[0] and seen < 3 else 200

    receiver.answer = answer

    # when the worker delivers
    await (await Worker.of(hooks.services, tenant)).until_settled()

    # then A's events were acknowledged in the order of its changes, and none of A's later
    # events was even sent before the earlier one was acknowledged
    of_a = [r for r in receiver.received if r.json["data"]["member"]["externalId"] == "member-a"]
    acked_a = [r.json["data"]["change"]["available"] for r in of_a if r.ok]
    assert acked_a == [10, 20, 30]
    sent_order = [r.json["data"]["change"]["available"] for r in of_a]
    assert sent_order == [10, 10, 10, 10, 20, 30]
    # and B's event did not wait behind A's failures
    position = {id(r): i for i, r in enumerate(receiver.received)}
    b_ack = next(
        r for r in receiver.received if r.json["data"]["member"]["externalId"] == "member-b"
    )
    a_first_ack = next(r for r in of_a if r.ok)
    assert position[id(b_ack)] < position[id(a_first_ack)]
    assert endpoint_id


async def test_concurrent_changes_of_one_member_arrive_in_commit_order(hooks, tenant, receiver):
    # given an endpoint for points, and twenty +1 adjustments of one member at once
    await create_endpoint(hooks, tenant, receiver.url, ["points.changed"])
    member_id = await _enroll(hooks, tenant)
    await asyncio.gather(*(_adjust(hooks, tenant, member_id, 1) for _ in range(20)))

    # when the worker delivers
    await (await Worker.of(hooks.services, tenant)).until_settled()

    # then each balance the receiver sees is one more than the one before
    seen = [r.json["data"]["balance"]["available"] for r in receiver.acknowledged()]
    assert seen == list(range(1, 21))


async def test_rotation_signs_with_both_secrets_during_the_rollover(hooks, tenant, receiver):
    # given an endpoint, its secret rotated with the default rollover
    endpoint_id, old = await create_endpoint(hooks, tenant, receiver.url)
    rotated = (await hooks.gql(ROTATE, {"input": {"id": endpoint_id}}, token=tenant.secret_key))[
        "rotateWebhookSecret"
    ]
    assert rotated["errors"] == []
    new = rotated["secret"]
    assert new != old and rotated["endpoint"]["previousSecretExpiresAt"] is not None
    worker = await Worker.of(hooks.services, tenant)

    # when a test message is sent
    sent = await hooks.gql(SEND_TEST, {"input": {"id": endpoint_id}}, token=tenant.secret_key)
    assert sent["sendTestWebhook"]["delivery"]["eventType"] == "webhook.test"
    await worker.until_settled()

    # then a receiver with only the old secret verifies it, and one with only the new too
    [during] = receiver.acknowledged()
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)

    # when the secret is rotated again with no rollover, and another message sent
    again = await hooks.gql(
        ROTATE, {"input": {"id": endpoint_id, "rolloverHours": 0}}, token=tenant.secret_key
    )
    newest = again["rotateWebhookSecret"]["secret"]
    await hooks.gql(SEND_TEST, {"input": {"id": endpoint_id}}, token=tenant.secret_key)
    await worker.until_settled()

    # then only the newest secret verifies it
    after = receiver.acknowledged()[-1]
    Webhook(newest).verify(after.body, after.headers)
    for retired in (old, new):
        with pytest.raises(WebhookVerificationError):
            Webhook(retired).verify(after.body, after.headers)


async def test_an_endpoint_failing_for_long_is_disabled_with_a_notice(hooks, tenant, receiver):
    # given a receiver that always fails, and a policy that disables after 0.2 s of failures
    receiver.answer = lambda headers, seen: 500
    endpoint_id, secret = await create_endpoint(hooks, tenant, receiver.url)
    member_id = await _enroll(hooks, tenant)
    await _adjust(hooks, tenant, member_id, 7)
    worker = await Worker.of(hooks.services, tenant)
    worker.policy = type(worker.policy)(
        base=worker.policy.base, cap=worker.policy.cap, disable_after=_seconds(0.2)
    )

    # when the worker keeps trying
    await worker.until_settled()

    # then the endpoint is disabled, saying why and when, and its deliveries have failed
    [endpoint] = (await hooks.gql(ENDPOINTS, token=tenant.secret_key))["webhookEndpoints"]
    assert endpoint["enabled"] is False
    assert "failed" in endpoint["disabledReason"] and endpoint["disabledAt"] is not None
    assert endpoint["consecutiveFailures"] >= 2
    # (the points change waited behind the enrolment of the same member, never sent)
    listed = await _deliveries(hooks, tenant, status="FAILED")
    assert [(d["eventType"], d["responseStatus"], d["lastError"]) for d in listed] == [
        ("points.changed", None, "endpoint disabled"),
        ("member.enrolled", 500, "HTTP 500"),
    ]
    assert listed[0]["attempts"] == 0
    assert receiver.acknowledged() == []

    # when it is enabled again and a failed delivery redelivered to a mended receiver
    receiver.answer = lambda headers, seen: 200
    enabled = await hooks.gql(
        UPDATE, {"input": {"id": endpoint_id, "enabled": True}}, token=tenant.secret_key
    )
    assert enabled["updateWebhookEndpoint"]["endpoint"]["disabledReason"] is None
    redone = await hooks.gql(
        REDELIVER, {"input": {"deliveryId": listed[0]["id"]}}, token=tenant.secret_key
    )
    assert redone["redeliverWebhook"]["errors"] == []
    await worker.until_settled()

    # then it arrives, with the same webhook-id as before, signed
    [ack] = receiver.acknowledged()
    assert ack.message_id == listed[0]["messageId"]
    Webhook(secret).verify(ack.body, ack.headers)


async def test_a_delivery_failing_for_the_whole_window_fails(hooks, tenant, receiver):
    # given a receiver that always fails, and a retry window of 2 s (retries every 50 ms)
    receiver.answer = lambda headers, seen: 502
    await create_endpoint(hooks, tenant, receiver.url, ["member.enrolled"])
    await _enroll(hooks, tenant)
    worker = await Worker.of(hooks.services, tenant)
    worker.policy = type(worker.policy)(
        base=worker.policy.base, cap=worker.policy.cap, window=_seconds(2)
    )

    # when the worker retries until the window is over
    await worker.until_settled()

    # then the delivery has failed after several attempts; the endpoint stays enabled
    [failed] = await _deliveries(hooks, tenant)
    assert failed["status"] == "FAILED" and failed["attempts"] >= 2
    assert failed["responseStatus"] == 502 and failed["nextAttemptAt"] is None
    [endpoint] = (await hooks.gql(ENDPOINTS, token=tenant.secret_key))["webhookEndpoints"]
    assert endpoint["enabled"] is True and endpoint["failingSince"] is not None


async def test_deliveries_page_by_keyset_and_filter(hooks, tenant, receiver):
    # given five delivered events
    await create_endpoint(hooks, tenant, receiver.url, ["member.enrolled"])
    for _ in range(5):
        await _enroll(hooks, tenant)
    await (await Worker.of(hooks.services, tenant)).until_settled()

    # when they are read two at a time
    seen: list[str] = []
    after = None
    while True:
        page = (await hooks.gql(DELIVERIES, {"first": 2, "after": after}, token=tenant.secret_key))[
            "webhookDeliveries"
        ]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # then every one is read once; a filter on another type finds none
    assert len(seen) == len(set(seen)) == 5
    assert await _deliveries(hooks, tenant, eventType="points.changed") == []
    assert len(await _deliveries(hooks, tenant, status="DELIVERED")) == 5


async def test_endpoint_management_and_who_may_do_it(hooks, make_tenant, receiver):
    # given a tenant whose operator is a viewer
    kit = await make_tenant(role="VIEWER")
    endpoint_id, _ = await create_endpoint(hooks, kit, receiver.url, ["member.enrolled"])

    # when the viewer reads, then it sees the endpoint
    listed = await hooks.gql(ENDPOINTS, token=kit.operator_token, tenant=kit.slug)
    assert [e["id"] for e in listed["webhookEndpoints"]] == [endpoint_id]

    # when the viewer, or the publishable key, tries to create one, then it is refused
    made = {"input": {"url": receiver.url, "eventTypes": ["points.changed"]}}
    errors = await hooks.gql.errors(CREATE, made, token=kit.operator_token, tenant=kit.slug)
    assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}
    errors = await hooks.gql.errors(CREATE, made, token=kit.publishable_key)
    assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}
    errors = await hooks.gql.errors(ENDPOINTS, token=kit.publishable_key)
    assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}

    # when the secret key changes its events and then deletes it
    changed = await hooks.gql(
        UPDATE,
        {"input": {"id": endpoint_id, "eventTypes": ["points.changed", "tier.changed"]}},
        token=kit.secret_key,
    )
    assert changed["updateWebhookEndpoint"]["endpoint"]["eventTypes"] == [
        "points.changed",
        "tier.changed",
    ]
    deleted = await hooks.gql(DELETE, {"input": {"id": endpoint_id}}, token=kit.secret_key)
    assert deleted["deleteWebhookEndpoint"] == {"deletedId": endpoint_id, "errors": []}

    # then it is gone, and deleting again is a typed error
    assert (await hooks.gql(ENDPOINTS, token=kit.secret_key))["webhookEndpoints"] == []
    again = await hooks.gql(DELETE, {"input": {"id": endpoint_id}}, token=kit.secret_key)
    assert [e["code"] for e in again["deleteWebhookEndpoint"]["errors"]] == ["NOT_FOUND"]


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("http://127.0.0.1:9/in", ["points.changed"], "url"),
        ("http://localhost/in", ["points.changed"], "url"),
        ("http://[::1]/in", ["points.changed"], "url"),
        ("http://10.1.2.3/in", ["points.changed"], "url"),
        ("http://169.254.169.254/latest", ["points.changed"], "url"),
        ("ftp://hooks.example/in", ["points.changed"], "url"),
        ("https://user:pw@hooks.example/in", ["points.changed"], "url"),
        ("not a url", ["points.changed"], "url"),
        ("https://hooks.example/in", ["points.moved"], "eventTypes"),
        ("https://hooks.example/in", [], "eventTypes"),
    ],
)
async def test_production_refuses_bad_and_private_urls(gql, tenant, url, events, field):
    # given the production settings of the suite (private addresses not allowed)
    # when an endpoint is created with a bad URL or event type
    data = await gql(CREATE, {"input": {"url": url, "eventTypes": events}}, token=tenant.secret_key)

    # then it is a typed error on the field, and nothing is made
    payload = data["createWebhookEndpoint"]
    assert payload["endpoint"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", ["input", field])]
    assert (await gql(ENDPOINTS, token=tenant.secret_key))["webhookEndpoints"] == []


async def test_production_accepts_a_public_url(gql, tenant):
    data = await gql(
        CREATE,
        {"input": {"url": "https://hooks.example.com/in", "eventTypes": ["points.changed"]}},
        token=tenant.secret_key,
    )
    assert data["createWebhookEndpoint"]["errors"] == []
    assert data["createWebhookEndpoint"]["secret"].startswith("whsec_")


def _seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


async def test_tier_and_reward_events_carry_what_changed(hooks, tenant, receiver):
    # given a Silver tier at 100 points, a reward for 40 points, and an endpoint
    made = await hooks.gql(
        CREATE_TIER,
        {"input": {"name": "Silver", "threshold": 100}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert made["createTier"]["errors"] == []
    reward = await hooks.gql(
        CREATE_REWARD,
        {"input": {"name": "Five off", "kind": "FIXED_AMOUNT", "value": 500, "pointsCost": 40}},
        token=tenant.secret_key,
    )
    reward_id = reward["createReward"]["reward"]["id"]
    await create_endpoint(
        hooks, tenant, receiver.url, ["tier.changed", "reward.redeemed", "redemption.used"]
    )

    # when a member reaches the tier, redeems the reward and uses its code
    member_id = await _enroll(hooks, tenant, "climber")
    await _adjust(hooks, tenant, member_id, 150)
    redeemed = await hooks.gql(
        REDEEM, {"input": {"rewardId": reward_id, "memberId": member_id}}, token=tenant.secret_key
    )
    code = redeemed["redeemReward"]["redemption"]["code"]
    used = await hooks.gql(
        MARK_USED, {"input": {"code": code, "orderId": "order-77"}}, token=tenant.secret_key
    )
    assert used["markRedemptionUsed"]["errors"] == []
    await (await Worker.of(hooks.services, tenant)).until_settled()

    # then the endpoint got the three events, in order, with what changed
    tier, redemption, use = (r.json for r in receiver.acknowledged())
    assert tier["type"] == "tier.changed"
    assert tier["data"]["from"] is None and tier["data"]["to"]["name"] == "Silver"
    assert tier["data"]["member"]["externalId"] == "climber"
    assert redemption["type"] == "reward.redeemed"
    assert redemption["data"]["reward"]["name"] == "Five off"
    assert redemption["data"]["redemption"]["points"] == 40
    assert redemption["data"]["redemption"]["code"] == code
    assert use["type"] == "redemption.used"
    assert use["data"]["redemption"]["status"] == "USED"
    assert use["data"]["redemption"]["orderId"] == "order-77"


CONFIGURE_REFERRALS = """
mutation Configure($input: ConfigureReferralsInput!) {
  configureReferrals(input: $input) { errors { code field message } }
}
"""
ENROLL_REFERRED = """
mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) {
    member { id referralCode } referral { status } errors { code field message }
  }
}
"""
CREATE_SURVEY = """
mutation CreateSurvey($input: CreateSurveyInput!) {
  createSurvey(input: $input) { survey { id } errors { code field message } }
}
"""
SUBMIT = """
mutation Submit($input: SubmitSurveyResponseInput!) {
  submitSurveyResponse(input: $input) { pointsAwarded errors { code field message } }
}
"""


async def test_referral_and_survey_events(hooks, tenant, receiver):
    # given signup referrals paying both sides, a survey paying 20 points, and an endpoint
    configured = await hooks.gql(
        CONFIGURE_REFERRALS,
        {
            "input": {
                "trigger": "SIGNUP",
                "refereeReward": {"points": 50},
                "referrerReward": {"points": 70},
            }
        },
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert configured["configureReferrals"]["errors"] == []
    survey = await hooks.gql(
        CREATE_SURVEY,
        {"input": {"kind": "NPS", "question": "Recommend us?", "points": 20}},
        token=tenant.secret_key,
    )
    survey_id = survey["createSurvey"]["survey"]["id"]
    await create_endpoint(hooks, tenant, receiver.url, ["referral.completed", "survey.answered"])

    # when a friend enrols with the referrer's code, and then answers the survey
    made = await hooks.gql(
        ENROLL_REFERRED, {"input": {"externalId": "ref-1"}}, token=tenant.secret_key
    )
    code = made["enrollMember"]["member"]["referralCode"]
    friend = await hooks.gql(
        ENROLL_REFERRED,
        {"input": {"externalId": "friend-1", "referralCode": code}},
        token=tenant.secret_key,
    )
    assert friend["enrollMember"]["referral"]["status"] == "REWARDED"
    answered = await hooks.gql(
        SUBMIT,
        {"input": {"surveyId": survey_id, "score": 9, "externalId": "friend-1", "answer": "Nice"}},
        token=tenant.secret_key,
    )
    assert answered["submitSurveyResponse"]["pointsAwarded"] == 20
    await (await Worker.of(hooks.services, tenant)).until_settled()

    # then the referrer's referral.completed and the friend's survey.answered arrived
    referral, answer = (r.json for r in receiver.acknowledged())
    assert referral["type"] == "referral.completed"
    assert referral["data"]["member"]["externalId"] == "ref-1"
    assert referral["data"]["referee"]["externalId"] == "friend-1"
    assert (
        referral["data"]["referral"]["referrerPoints"],
        referral["data"]["referral"]["refereePoints"],
    ) == (70, 50)
    assert answer["type"] == "survey.answered"
    assert answer["data"]["member"]["externalId"] == "friend-1"
    assert answer["data"]["response"]["score"] == 9
    assert answer["data"]["response"]["group"] == "PROMOTER"
    assert answer["data"]["response"]["answer"] == "Nice"
    assert answer["data"]["response"]["points"] == 20


async def test_erasure_clears_what_webhook_events_say_of_the_member(hooks, tenant, receiver):
    # given a member's enrolment event, not yet delivered, with its email and name
    await create_endpoint(hooks, tenant, receiver.url, ["member.enrolled"])
    made = await hooks.gql(
        ENROLL,
        {"input": {"externalId": "gone-1", "email": "gone@example.com", "name": "Gone Person"}},
        token=tenant.secret_key,
    )
    member_id = made["enrollMember"]["member"]["id"]
    [pending] = await _deliveries(hooks, tenant)
    assert "gone@example.com" in pending["payload"]

    # when the member is erased, and the event then delivered
    erased = await hooks.gql(ERASE_MEMBER, {"input": {"id": member_id}}, token=tenant.secret_key)
    assert erased["eraseMember"]["errors"] == []
    await (await Worker.of(hooks.services, tenant)).until_settled()

    # then neither the stored event nor the message names the member any more
    [listed] = await _deliveries(hooks, tenant)
    [sent] = receiver.acknowledged()
    for text in (listed["payload"], sent.body.decode()):
        assert "gone@example.com" not in text and "Gone Person" not in text
        assert "gone-1" not in text
    assert sent.json["data"]["member"]["externalId"] is None


async def test_a_member_entering_a_segment_is_announced(hooks, tenant, receiver):
    # given an endpoint for segment entries
    await create_endpoint(hooks, tenant, receiver.url, ["segment.entered"])

    # when a member enrols (and so enters the built-in segment of new members)
    await _enroll(hooks, tenant, "newbie")
    await (await Worker.of(hooks.services, tenant)).until_settled()

    # then the entry was announced once, naming the segment
    [entered] = (r.json for r in receiver.acknowledged())
    assert entered["type"] == "segment.entered"
    assert entered["data"]["member"]["externalId"] == "newbie"
    assert entered["data"]["segment"]["key"] == "new"
    assert entered["data"]["segment"]["builtin"] is True


CONFIGURE_PROGRAM = """
mutation ConfigureProgram($input: ConfigureProgramInput!) {
  configureProgram(input: $input) { errors { code field message } }
}
"""


async def test_points_expiring_soon_are_announced_once(hooks, tenant, receiver):
    # given points that expire in three days, and no endpoint for points.expiring yet
    configured = await hooks.gql(
        CONFIGURE_PROGRAM,
        {"input": {"lotExpiry": {"after": 3, "unit": "DAYS"}}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert configured["configureProgram"]["errors"] == []
    member_id = await _enroll(hooks, tenant, "saver")
    await _adjust(hooks, tenant, member_id, 40)
    worker = await Worker.of(hooks.services, tenant)
    clock = hooks.services.clock

    # when the worker looks with no one subscribed, then nothing is announced (or noted)
    assert await announce_expiring(worker.uow, clock, days=7) == 0

    # when an endpoint subscribes and the worker looks for points expiring within 7 days
    await create_endpoint(hooks, tenant, receiver.url, ["points.expiring"])
    assert await announce_expiring(worker.uow, clock, days=2) == 0  # not within 2 days
    assert await announce_expiring(worker.uow, clock, days=7) == 1
    # and looks again
    assert await announce_expiring(worker.uow, clock, days=7) == 0
    await worker.until_settled()

    # then the member's 40 points were announced once, with when they expire
    [expiring] = (r.json for r in receiver.acknowledged())
    assert expiring["type"] == "points.expiring"
    assert expiring["data"]["member"]["externalId"] == "saver"
    assert (expiring["data"]["wallet"], expiring["data"]["points"]) == ("points", 40)
    expires = datetime.fromisoformat(expiring["data"]["expiresAt"])
    assert timedelta(days=2) < expires - clock.now() <= timedelta(days=3)


NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename
    ... on WebhookEndpoint { url enabled }
    ... on WebhookDelivery { eventType status }
  }
}
"""


async def test_endpoints_and_deliveries_are_nodes_of_their_tenant(hooks, make_tenant, receiver):
    # given an endpoint of one tenant with a delivery, and another tenant
    kit, other = await make_tenant(), await make_tenant()
    endpoint_id, _ = await create_endpoint(hooks, kit, receiver.url, ["member.enrolled"])
    await _enroll(hooks, kit)
    [delivery] = await _deliveries(hooks, kit)

    # when they are fetched by id, then they are found
    got = await hooks.gql(NODE, {"id": endpoint_id}, token=kit.secret_key)
    assert got["node"] == {"__typename": "WebhookEndpoint", "url": receiver.url, "enabled": True}
    got = await hooks.gql(NODE, {"id": delivery["id"]}, token=kit.secret_key)
    assert got["node"] == {
        "__typename": "WebhookDelivery",
        "eventType": "member.enrolled",
        "status": "PENDING",
    }

    # and another tenant's key finds neither, a publishable key is refused
    for gid in (endpoint_id, delivery["id"]):
        assert (await hooks.gql(NODE, {"id": gid}, token=other.secret_key))["node"] is None
        errors = await hooks.gql.errors(NODE, {"id": gid}, token=kit.publishable_key)
        assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}


async def test_a_tenant_chooses_how_many_days_ahead_points_expiring_is_announced(
    hooks, tenant, receiver
):
    # given points that expire in nine days, a subscribed endpoint, and a tenant that wants
    # ten days' notice where the platform's default is seven
    async def configure(given: dict) -> dict:
        answer = await hooks.gql(
            PROGRAM_NOTICE, {"input": given}, token=tenant.operator_token, tenant=tenant.slug
        )
        return answer["configureProgram"]

    assert (await configure({"lotExpiry": {"after": 9, "unit": "DAYS"}}))["errors"] == []
    member_id = await _enroll(hooks, tenant, "planner")
    await _adjust(hooks, tenant, member_id, 25)
    await create_endpoint(hooks, tenant, receiver.url, ["points.expiring"])
    worker = await Worker.of(hooks.services, tenant)
    clock = hooks.services.clock

    # when the tenant says no notice at all, then nothing is announced whatever the default
    assert (await configure({"expiringNoticeDays": 0}))["program"]["expiringNoticeDays"] == 0
    assert await announce_expiring(worker.uow, clock, days=30) == 0

    # when it asks for ten days, then the nine-day points are announced, once however often
    # the worker looks (and by every worker: the batch is noted with its events)
    assert (await configure({"expiringNoticeDays": 10}))["program"]["expiringNoticeDays"] == 10
    looks = await asyncio.gather(*(announce_expiring(worker.uow, clock, days=7) for _ in range(3)))
    assert sorted(looks) == [0, 0, 1]
    assert await announce_expiring(worker.uow, clock, days=7) == 0
    await worker.until_settled()
    [expiring] = (r.json for r in receiver.acknowledged())
    assert (expiring["data"]["member"]["externalId"], expiring["data"]["points"]) == (
        "planner",
        25,
    )

    # and back on the platform's default (seven days) the points are not yet due
    cleared = await configure({"clearExpiringNoticeDays": True})
    assert cleared["program"]["expiringNoticeDays"] is None


async def test_days_ahead_out_of_bounds_are_refused(hooks, tenant):
    answer = await hooks.gql(
        PROGRAM_NOTICE,
        {"input": {"expiringNoticeDays": 366}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    [error] = answer["configureProgram"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "expiringNoticeDays"])


PROGRAM_NOTICE = """
mutation ConfigureProgram($input: ConfigureProgramInput!) {
  configureProgram(input: $input) {
    program { expiringNoticeDays }
    errors { code field message }
  }
}
"""
