"""Given two API processes and two workers whose pooled connections all go through PgBouncer
in transaction pooling mode (1.18 here: no prepared statements kept across transactions), when
they serve a bounded mixed load — orders and adjustments retried with their idempotency keys,
redemptions racing for the same points, status reads, birthdays for the workers to award —
then no write is lost or applied twice, no member spends more than they hold, each birthday
is paid once, every ledger sums to its balance, a key revoked through one replica is refused
by the other as soon as the announcement arrives, and no worker leaves an advisory lock
behind on a pooled server connection."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.auth.keys import display_prefix
from api.services import Services
from tests.conftest import TEST_SECRET, MakeTenant
from tests.support.earning import configure
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.ledger_checks import assert_schema_ledger_consistent
from tests.support.ledger_totals import entries_per_key, entry_totals
from tests.support.operations import Operation, operation
from tests.support.pooled_deployment import Replicas, replicas_behind_pgbouncer
from tests.support.provision import add_key
from tests.support.write_load import ADJUST_POINTS, WriteLoad, plan_writes

pytestmark = pytest.mark.scale

ENROLL_MEMBER = operation("storefront/EnrollMember.graphql")
MEMBER_BY_EXTERNAL_ID = operation("storefront/MemberByExternalId.graphql")
REDEEM_REWARD = operation("storefront/RedeemReward.graphql")
CREATE_REWARD = operation("agency/CreateReward.graphql")
API_KEYS = operation("agency/ApiKeys.graphql")
REVOKE_API_KEY = operation("agency/RevokeApiKey.graphql")

LOAD_MEMBERS = 8
WRITES = 120
SPENDERS = 2
SPENDER_POINTS = 1000
REWARD_COST = 100
REDEMPTIONS_PER_SPENDER = 15
# The documented time for a revocation to reach another replica: the announcement's trip
# from the database to its event loop, far below the API key cache time (120 s here).
REVOKED_EVERYWHERE_WITHIN = 2.0
WORKER_LOCK_SPACE = 5501  # api/worker.py
BIRTHDAYS = 3
BIRTHDAY_POINTS = 100
# A wait, never an assertion of speed: the workers run a round a second, but a round goes
# over every tenant of the test database, which late in a whole run holds thousands.
BIRTHDAYS_PAID_WITHIN = 240.0


async def test_two_replicas_and_two_workers_behind_pgbouncer_stay_correct(
    database_url: str,
    redis_dsn: str,
    services: Services,
    gql: GraphQLClient,
    make_tenant: MakeTenant,
):
    # Given a tenant with a reward and a birthday action, members for the write load, members
    # who will race to spend all their points and members whose birthday was two days ago
    # (caught up by the workers' next round), all behind PgBouncer
    kit = await make_tenant()
    tenant = await services.registry.get(UUID(kit.id))
    assert tenant is not None
    await configure(gql, kit, actions=[{"key": "birthday", "points": BIRTHDAY_POINTS}])
    async with replicas_behind_pgbouncer(database_url, redis_dsn, TEST_SECRET) as r:
        one, other = r.clients
        load_members = await _enroll(one, kit, "load", LOAD_MEMBERS)
        spenders = await _enroll(other, kit, "spender", SPENDERS)
        for member_id in spenders:
            await _give(one, kit, member_id, SPENDER_POINTS)
        reward_id = await _create_reward(other, kit)
        born = (datetime.now(UTC).date() - timedelta(days=2)).replace(year=1992)  # a leap year
        birthdays = await _enroll(one, kit, "birthday", BIRTHDAYS, birthday=born.isoformat())

        # When the writes are split over both replicas, the redemptions race over both, and
        # status reads run beside them
        writes = plan_writes(list(load_members), WRITES)
        loads = [WriteLoad(client, kit.secret_key) for client in r.clients]
        reading = asyncio.Event()
        reads = asyncio.create_task(_read_statuses(r, kit, list(load_members.values()), reading))
        reports, redemptions = await asyncio.gather(
            asyncio.gather(loads[0].run(writes[0::2]), loads[1].run(writes[1::2])),
            _race_redemptions(r, kit, reward_id, list(spenders)),
        )
        reading.set()
        read_outcomes = await reads

        # Then every write was acknowledged once, and a deliberate resend replayed it
        acknowledged: dict[str, int] = {}
        for report in reports:
            assert report.refused == [] and report.unanswered == [], report.summary()
            assert report.resend_answers == [], report.summary()
            acknowledged |= report.acknowledged
        assert set(acknowledged) == {w.key for w in writes}

        # and each member holds exactly what was acknowledged, in the ledger and through the API
        expected: Counter[str] = Counter()
        for write in writes:
            expected[write.member_id] += acknowledged[write.key]
        totals = await entry_totals(database_url, tenant.schema_name)
        for member_id, points in expected.items():
            assert totals[member_id] == (points, points), member_id
            assert await _available(one, kit, load_members[member_id]) == points
        # and no retry produced a second entry
        per_key = await entries_per_key(database_url, tenant.schema_name)
        assert {key: per_key.get(key) for key in acknowledged} == dict.fromkeys(acknowledged, 1)

        # and the racing redemptions spent exactly what each spender held, never more
        for member_id, external_id in spenders.items():
            outcomes = redemptions[member_id]
            assert outcomes["redeemed"] == SPENDER_POINTS // REWARD_COST, outcomes
            assert outcomes["INSUFFICIENT_POINTS"] == (
                REDEMPTIONS_PER_SPENDER - SPENDER_POINTS // REWARD_COST
            ), outcomes
            assert outcomes["replayed"] == 1, outcomes
            assert await _available(other, kit, external_id) == 0
            assert totals[member_id] == (0, SPENDER_POINTS)

        # and the workers, both at it, paid each birthday exactly once
        for external_id in birthdays.values():
            assert await _available_within(one, kit, external_id, BIRTHDAY_POINTS), r.logs()
        totals = await entry_totals(database_url, tenant.schema_name)
        for member_id in birthdays:
            assert totals[member_id] == (BIRTHDAY_POINTS, BIRTHDAY_POINTS), r.logs()

        # and every ledger sums to its balance row
        await assert_schema_ledger_consistent(services.pool, tenant.schema_name)

        # and the status reads were all answered, on both replicas
        assert read_outcomes["ok"] > 0 and set(read_outcomes) == {"ok"}, read_outcomes

        # When a key the other replica has seen is revoked through the first one
        spare = await add_key(services, tenant.id, "SECRET", TEST_SECRET)
        assert (await _status(other, spare, load_members)).status_code == 200
        await _revoke(one, kit, spare)

        # Then the first replica refuses it at once, the other within the documented time
        assert (await _status(one, spare, load_members)).status_code == 401
        assert await _refused_within(other, spare, load_members, REVOKED_EVERYWHERE_WITHIN)

        # When the workers, which ran their rounds all along, are stopped
        assert all(w.running() for w in r.workers), r.logs()
        for worker in r.workers:
            worker.stop()

        # Then none failed a round, and no tenant lock is left on a pooled server connection
        assert all("Traceback" not in w.log() for w in r.workers), r.logs()
        async with services.pool.acquire() as conn:
            left = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1",
                WORKER_LOCK_SPACE,
            )
        assert left == 0, r.logs()


async def _post(
    client: httpx.AsyncClient,
    op: Operation,
    variables: dict[str, Any],
    token: str,
    tenant: str | None = None,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if tenant:
        headers["X-Tenant"] = tenant
    return await client.post("/graphql", json=op.body(variables), headers=headers)


async def _data(
    client: httpx.AsyncClient,
    op: Operation,
    variables: dict[str, Any],
    token: str,
    tenant: str | None = None,
) -> dict[str, Any]:
    response = await _post(client, op, variables, token, tenant)
    assert response.status_code == 200 and not response.json().get("errors"), response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _enroll(
    client: httpx.AsyncClient, kit: TenantKit, prefix: str, count: int, **fields: Any
) -> dict[str, str]:
    """The members' external ids by their global ids."""
    members = {}
    for i in range(count):
        external_id = f"{prefix}-{i}"
        given = {"externalId": external_id, **fields}
        data = await _data(client, ENROLL_MEMBER, {"input": given}, kit.secret_key)
        assert data["enrollMember"]["errors"] == [], data
        members[data["enrollMember"]["member"]["id"]] = external_id
    return members


async def _give(client: httpx.AsyncClient, kit: TenantKit, member_id: str, points: int) -> None:
    variables = {"memberId": member_id, "points": points, "idempotencyKey": uuid.uuid4().hex}
    data = await _data(client, ADJUST_POINTS, variables, kit.secret_key)
    assert data["adjustPoints"]["errors"] == [], data


async def _create_reward(client: httpx.AsyncClient, kit: TenantKit) -> str:
    given = {"name": "Five off", "kind": "FIXED_AMOUNT", "value": 500, "pointsCost": REWARD_COST}
    data = await _data(client, CREATE_REWARD, {"input": given}, kit.operator_token, kit.slug)
    assert data["createReward"]["errors"] == [], data
    reward_id: str = data["createReward"]["reward"]["id"]
    return reward_id


async def _race_redemptions(
    r: Replicas, kit: TenantKit, reward_id: str, spenders: list[str]
) -> dict[str, Counter[str]]:
    """Every spender's redemptions sent at once, alternately to each replica, each with its
    own idempotency key; one that redeemed is sent once more after its answer."""
    outcomes: dict[str, Counter[str]] = {member: Counter() for member in spenders}

    async def redeem(member_id: str, i: int, key: str) -> str:
        variables = {"rewardId": reward_id, "memberId": member_id, "idempotencyKey": key}
        data = await _data(r.clients[i % 2], REDEEM_REWARD, variables, kit.secret_key)
        payload = data["redeemReward"]
        if payload["errors"]:
            outcomes[member_id].update(e["code"] for e in payload["errors"])
            return "refused"
        outcome = "replayed" if payload["replayed"] else "redeemed"
        outcomes[member_id][outcome] += 1
        return outcome

    async def spend(member_id: str) -> None:
        keys = [uuid.uuid4().hex for _ in range(REDEMPTIONS_PER_SPENDER)]
        answers = await asyncio.gather(*(redeem(member_id, i, k) for i, k in enumerate(keys)))
        # As a client whose answer was lost: a key that redeemed, again, on the other replica
        # (which keys won the race is up to the database).
        redeemed = [i for i, answer in enumerate(answers) if answer == "redeemed"]
        if redeemed:
            await redeem(member_id, redeemed[0] + 1, keys[redeemed[0]])

    await asyncio.gather(*(spend(member) for member in spenders))
    return outcomes


async def _read_statuses(
    r: Replicas, kit: TenantKit, external_ids: list[str], done: asyncio.Event
) -> Counter[str]:
    """Members' statuses read on both replicas in turn until `done`, by outcome."""
    outcomes: Counter[str] = Counter()
    i = 0
    while not done.is_set():
        variables = {"externalId": external_ids[i % len(external_ids)]}
        response = await _post(r.clients[i % 2], MEMBER_BY_EXTERNAL_ID, variables, kit.secret_key)
        body = response.json()
        ok = response.status_code == 200 and not body.get("errors") and body["data"]["member"]
        outcomes["ok" if ok else f"HTTP {response.status_code}: {response.text[:200]}"] += 1
        i += 1
        await asyncio.sleep(0.02)
    return outcomes


async def _available(client: httpx.AsyncClient, kit: TenantKit, external_id: str) -> int:
    data = await _data(client, MEMBER_BY_EXTERNAL_ID, {"externalId": external_id}, kit.secret_key)
    available: int = data["member"]["points"]["available"]
    return available


async def _available_within(
    client: httpx.AsyncClient, kit: TenantKit, external_id: str, points: int
) -> bool:
    """Whether the member's available points reach `points` within BIRTHDAYS_PAID_WITHIN."""
    deadline = asyncio.get_running_loop().time() + BIRTHDAYS_PAID_WITHIN
    while asyncio.get_running_loop().time() < deadline:
        if await _available(client, kit, external_id) >= points:
            return True
        await asyncio.sleep(0.2)
    return False


async def _status(client: httpx.AsyncClient, key: str, members: dict[str, str]) -> httpx.Response:
    variables = {"externalId": next(iter(members.values()))}
    return await _post(client, MEMBER_BY_EXTERNAL_ID, variables, key)


async def _revoke(client: httpx.AsyncClient, kit: TenantKit, key: str) -> None:
    keys = await _data(client, API_KEYS, {}, kit.operator_token, kit.slug)
    [key_id] = [k["id"] for k in keys["apiKeys"] if k["prefix"] == display_prefix(key)]
    revoked = await _data(
        client, REVOKE_API_KEY, {"input": {"id": key_id}}, kit.operator_token, kit.slug
    )
    assert revoked["revokeApiKey"]["errors"] == [], revoked


async def _refused_within(
    client: httpx.AsyncClient, key: str, members: dict[str, str], seconds: float
) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if (await _status(client, key, members)).status_code == 401:
            return True
        await asyncio.sleep(0.05)
    return False
