"""Given mobile apps watching members live over graphql-transport-ws on one API process,
when changes are made through another process (and in-process, as a third replica), then
each watcher gets the member's status at once and again after every change that committed,
refused credentials close the socket with 4403, and so does a member token that expires.
Besides the protocol client of tests/support/ws_client.py, graphql-ws itself (the reference
client, run by Node.js) watches across the two processes."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.auth.tokens import issue_member_token
from api.schema.common.ids import uuid_of
from api.services import Services
from api.worker import run_tenant
from tests.conftest import ADJUST, ENROLL, TEST_SECRET
from tests.support.api_server import ApiServer
from tests.support.gql import TenantKit
from tests.support.graphql_ws import graphql_ws
from tests.support.rewards import make_reward, member_token
from tests.support.ws_client import Closed, connected

WATCH = """
subscription Watch($memberId: ID, $externalId: String) {
  memberUpdated(memberId: $memberId, externalId: $externalId) {
    points { available pending }
    tier { current { name } }
    redemption { code status }
    member { id }
  }
}
"""
REDEEM = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) { redemption { code } errors { code } }
}
"""
USED = """
mutation Used($input: MarkRedemptionUsedInput!) {
  markRedemptionUsed(input: $input) { redemption { status } errors { code } }
}
"""


@pytest.fixture(scope="module")
def replicas(database_url: str, redis_dsn: str, services: Services) -> Iterator[list[ApiServer]]:
    """Two API processes on the test database and Redis, as two replicas."""
    env = {
        "LOYALTY_ENVIRONMENT": "production",
        "LOYALTY_DATABASE_URL": database_url,
        "LOYALTY_REDIS_URL": redis_dsn,
        "LOYALTY_SECRET_KEY": TEST_SECRET,
        "LOYALTY_DB_POOL_MAX": "4",
        "LOYALTY_RATE_LIMITS_ENABLED": "false",
    }
    servers = [
        ApiServer({**env, "LOYALTY_DATA_DIR": tempfile.mkdtemp(prefix="loyalty-live-")})
        for _ in range(2)
    ]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


async def _post(server: ApiServer, query: str, variables: dict, token: str) -> dict:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        answer = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = answer.json()
    assert "errors" not in body, body
    data: dict = body["data"]
    return data


async def _adjust(server: ApiServer, kit: TenantKit, member_id: str, points: int) -> None:
    data = await _post(
        server, ADJUST, {"input": {"memberId": member_id, "points": points}}, kit.secret_key
    )
    assert data["adjustPoints"]["errors"] == [], data


async def test_an_app_sees_its_status_then_each_change_made_on_another_replica(
    replicas, gql, tenant, enroll
):
    # Given a member with 100 points watching from the app, connected to the first replica
    watcher, writer = replicas
    member_id = await enroll(tenant, points=100)
    reward_id = await make_reward(gql, tenant, pointsCost=40)
    token = await member_token(gql, tenant, member_id)
    async with connected(watcher.url, {"Authorization": f"Bearer {token}"}) as socket:
        await socket.subscribe(WATCH)

        # Then the first message is the status now
        first = (await socket.next_data())["memberUpdated"]
        assert first["points"] == {"available": 100, "pending": 0}
        assert first["member"]["id"] == member_id
        assert first["redemption"] is None

        # When the store adds points through the second replica
        await _adjust(writer, tenant, member_id, 25)
        # Then the app sees them
        assert (await socket.next_data())["memberUpdated"]["points"]["available"] == 125

        # When the member redeems a reward in-process (a third replica)
        redeemed = await gql(
            REDEEM,
            {"input": {"rewardId": reward_id, "memberId": member_id}},
            token=tenant.secret_key,
        )
        code = redeemed["redeemReward"]["redemption"]["code"]
        update = (await socket.next_data())["memberUpdated"]
        assert update["points"]["available"] == 85
        assert update["redemption"] == {"code": code, "status": "ISSUED"}

        # When the checkout uses the code, which moves no points
        await _post(writer, USED, {"input": {"code": code, "orderId": "o-1"}}, tenant.secret_key)
        # Then the app sees the code used
        update = (await socket.next_data())["memberUpdated"]
        assert update["redemption"] == {"code": code, "status": "USED"}
        assert update["points"]["available"] == 85


async def test_a_secret_key_watches_a_member_it_names_and_no_one_else_is_told(
    replicas, tenant, enroll
):
    # Given two members, and a store backend watching the first by its external id
    watcher, writer = replicas
    watched = await enroll(tenant, points=10, external_id="cust-live-1")
    other = await enroll(tenant, points=10)
    key = {"Authorization": f"Bearer {tenant.secret_key}"}
    async with connected(watcher.url, key) as socket:
        await socket.subscribe(WATCH, {"externalId": "cust-live-1"})
        assert (await socket.next_data())["memberUpdated"]["member"]["id"] == watched

        # When only the other member's points change
        await _adjust(writer, tenant, other, 5)
        # Then nothing is sent
        assert await socket.quiet_for(1.5)

        # When the watched member's do
        await _adjust(writer, tenant, watched, 7)
        assert (await socket.next_data())["memberUpdated"]["points"]["available"] == 17


async def test_a_member_token_cannot_watch_another_member(replicas, gql, tenant, enroll):
    # Given two members and the first one's token
    mine, theirs = await enroll(tenant), await enroll(tenant)
    token = await member_token(gql, tenant, mine)
    async with connected(replicas[0].url, {"token": token}) as socket:
        # When it asks for the other member
        await socket.subscribe(WATCH, {"memberId": theirs})
        found = await socket.message()
    # Then the subscription ends at once with a typed error and no data
    assert found["type"] == "next", found
    assert found["payload"]["data"] is None
    assert [e["extensions"]["code"] for e in found["payload"]["errors"]] == ["INVALID"]


@pytest.mark.parametrize(
    "payload",
    [None, {"Authorization": "Bearer lp_sk_not-a-key"}, {"token": "not.a.jwt"}],
    ids=["no credential", "unknown key", "bad token"],
)
async def test_a_socket_without_a_valid_credential_is_closed_with_4403(replicas, payload):
    with pytest.raises(Closed) as refused:
        async with connected(replicas[0].url, payload):
            pass
    assert refused.value.code == 4403


async def test_the_graphql_ws_client_sees_the_status_then_a_change_made_on_another_replica(
    replicas, gql, tenant, enroll
):
    # Given a member with 100 points, watching through graphql-ws on the first replica with
    # the member token in connectionParams
    watcher, writer = replicas
    member_id = await enroll(tenant, points=100)
    token = await member_token(gql, tenant, member_id)
    params = {"Authorization": f"Bearer {token}"}
    async with graphql_ws(watcher.url, params, WATCH, messages=2) as client:
        assert await client.event() == {"event": "connected"}

        # Then the first message is the status now
        first = await client.event()
        assert first["event"] == "next", first
        assert first["payload"]["data"]["memberUpdated"]["points"] == {
            "available": 100,
            "pending": 0,
        }
        assert first["payload"]["data"]["memberUpdated"]["member"]["id"] == member_id

        # When the store adds points through the second replica
        await _adjust(writer, tenant, member_id, 25)

        # Then the client gets the new balance
        second = await client.event()
        assert second["event"] == "next", second
        assert "errors" not in second["payload"], second
        assert second["payload"]["data"]["memberUpdated"]["points"]["available"] == 125


async def test_the_graphql_ws_client_sees_an_invalid_token_close_the_socket_with_4403(replicas):
    async with graphql_ws(replicas[0].url, {"token": "not.a.jwt"}, WATCH, messages=1) as client:
        events = await client.rest()
    # Then it was never connected, and its subscription failed with the close
    assert [e["event"] for e in events] == ["closed", "error"], events
    closed, failed = events
    assert closed["code"] == 4403 and failed["error"] == 4403


async def test_a_member_token_that_expires_closes_the_socket(replicas, services, tenant, enroll):
    # Given a member token valid for two more seconds
    member_id = await enroll(tenant, points=3)
    record = await services.registry.get(uuid.UUID(tenant.id))
    token, _ = issue_member_token(
        record.id,
        uuid_of(member_id, "Member"),
        record.jwt_secret,
        timedelta(seconds=2),
        datetime.now(UTC),
    )
    async with connected(replicas[0].url, {"Authorization": f"Bearer {token}"}) as socket:
        await socket.subscribe(WATCH)
        assert (await socket.next_data())["memberUpdated"]["points"]["available"] == 3
        # When it expires, the server closes the socket with 4403
        closed = await socket.closed(within=15)
    assert closed.code == 4403


async def test_watchers_of_one_member_on_both_replicas_each_get_the_change(
    replicas, tenant, enroll
):
    member_id = await enroll(tenant, points=1)
    key = {"Authorization": f"Bearer {tenant.secret_key}"}
    async with (
        connected(replicas[0].url, key) as one,
        connected(replicas[1].url, key) as two,
    ):
        for socket in (one, two):
            await socket.subscribe(WATCH, {"memberId": member_id})
            await socket.next_data()
        await _adjust(replicas[1], tenant, member_id, 2)
        seen = await asyncio.gather(one.next_data(), two.next_data())
    assert [s["memberUpdated"]["points"]["available"] for s in seen] == [3, 3]


CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) { tier { id } errors { code } }
}
"""
UPDATE_TIER = """
mutation UpdateTier($input: UpdateTierInput!) {
  updateTier(input: $input) { tier { id } errors { code } }
}
"""


async def test_a_tier_change_made_by_the_worker_reaches_the_watchers(
    replicas, gql, services, tenant, enroll
):
    # Given Gold at 500 points, and a member with 120 watching from the app on one replica
    made = await gql(
        CREATE_TIER,
        {"input": {"name": "Gold", "threshold": 500}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    gold = made["createTier"]["tier"]["id"]
    member_id = await enroll(tenant, points=120)
    token = await member_token(gql, tenant, member_id)
    async with connected(replicas[0].url, {"Authorization": f"Bearer {token}"}) as socket:
        await socket.subscribe(WATCH)
        assert (await socket.next_data())["memberUpdated"]["tier"]["current"] is None

        # When the merchant lowers Gold to 100 points, which moves no member by itself
        lowered = await gql(
            UPDATE_TIER,
            {"input": {"id": gold, "threshold": 100}},
            token=tenant.operator_token,
            tenant=tenant.slug,
        )
        assert lowered["updateTier"]["errors"] == []

        # and the worker (this process, not the replica) re-evaluates the members
        record = await services.registry.get(uuid.UUID(tenant.id))
        report = await run_tenant(services, record)
        assert report is not None and report.tiers_reevaluated == 1

        # Then the app sees its new tier, with its points unchanged
        update = (await socket.next_data())["memberUpdated"]
        assert update["tier"]["current"] == {"name": "Gold"}
        assert update["points"]["available"] == 120


GIFT = """
mutation Gift($input: ConfigureProgramInput!) {
  configureProgram(input: $input) { errors { code field message } }
}
"""


async def test_a_birthday_gift_given_by_the_worker_reaches_the_watchers(
    replicas, gql, services, tenant
):
    # Given a birthday gift with no birthday points, and a member whose birthday is today,
    # watching from the app
    reward_id = await make_reward(gql, tenant, pointsCost=100)
    configured = await gql(
        GIFT,
        {"input": {"birthdayGift": {"rewardId": reward_id}}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert configured["configureProgram"]["errors"] == []
    today = services.clock.now().date()
    enrolled = await gql(
        ENROLL,
        {"input": {"externalId": uuid.uuid4().hex, "birthday": f"1990-{today:%m-%d}"}},
        token=tenant.secret_key,
    )
    member_id = enrolled["enrollMember"]["member"]["id"]
    token = await member_token(gql, tenant, member_id)
    async with connected(replicas[0].url, {"Authorization": f"Bearer {token}"}) as socket:
        await socket.subscribe(WATCH)
        assert (await socket.next_data())["memberUpdated"]["redemption"] is None

        # When the worker gives the birthday its gift, which moves no points
        record = await services.registry.get(uuid.UUID(tenant.id))
        report = await run_tenant(services, record)
        assert report is not None and report.birthdays == 1

        # Then the app sees the gift's code
        update = (await socket.next_data())["memberUpdated"]
        assert update["redemption"]["status"] == "ISSUED"
        assert update["points"]["available"] == 0
