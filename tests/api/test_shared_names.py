"""Given members whose externalId → id mapping is shared through Redis
(persistence/shared_names.py), when a process that has not seen a member reads its status
by externalId, then the name and the cached balance come in one Redis round trip and no
PostgreSQL statement; when the externalId is changed or cleared, then no process (even one
that missed the announcement) believes the old name, and a lookup that read the old name
before the change cannot share it again after; with Redis gone, the read falls back to
PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from api.schema.common.ids import uuid_of
from api.services import Services
from persistence.member_ids import MemberIdCache
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.round_trips import counting
from tests.support.shared_names import name_key

BY_EXTERNAL_ID = """
query S($externalId: String!) { member(externalId: $externalId) { id points { available } } }
"""
STAMPS_BY_EXTERNAL_ID = """
query S($externalId: String!) {
  member(externalId: $externalId) { id points(wallet: "stamps") { available } }
}
"""
UPDATE = """
mutation U($input: UpdateMemberInput!) { updateMember(input: $input) { errors { code } } }
"""
ERASE = "mutation E($input: EraseMemberInput!) { eraseMember(input: $input) { errors { code } } }"


@pytest.fixture
async def redis_client(redis_dsn: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_dsn)
    yield client
    await client.aclose()


async def _read(gql: GraphQLClient, kit: TenantKit, external_id: str) -> object:
    data = await gql(BY_EXTERNAL_ID, {"externalId": external_id}, token=kit.secret_key)
    return data["member"]


def _as_another_process(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process forgets every name and every announcement it heard, as a process that
    never heard them would."""
    monkeypatch.setattr(services, "member_ids", MemberIdCache())


async def test_a_member_not_seen_here_is_read_by_its_shared_name_in_one_redis_round_trip(
    gql, tenant, enroll, services: Services, monkeypatch
):
    # given a member enrolled (its name shared) with points, the path warmed on another
    warm_name, external_id = uuid.uuid4().hex, uuid.uuid4().hex
    await enroll(tenant, external_id=warm_name, points=1)
    member_id = await enroll(tenant, external_id=external_id, points=7)
    _as_another_process(services, monkeypatch)
    await _read(gql, tenant, warm_name)

    # when its status is read by externalId in a process that has not seen it
    with counting(monkeypatch) as seen:
        found = await _read(gql, tenant, external_id)

    # then one Redis round trip named it and brought its balance; PostgreSQL was not asked
    assert found == {"id": member_id, "points": {"available": 7}}
    assert seen.postgres == []
    assert seen.units_of_work == 0
    assert seen.redis_of(tenant.id) == [[("EVALSHA", name_key(tenant, external_id))]]


async def test_another_wallet_is_read_as_before_once_the_shared_name_found_the_member(
    gql, tenant, enroll, services: Services, monkeypatch
):
    # given a member enrolled, with points in the default wallet only
    external_id = uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id, points=3)
    _as_another_process(services, monkeypatch)

    # when another wallet's points are asked by externalId
    data = await gql(STAMPS_BY_EXTERNAL_ID, {"externalId": external_id}, token=tenant.secret_key)

    # then that wallet's balance answers, not the default wallet's read with the name
    assert data["member"] == {"id": member_id, "points": {"available": 0}}


async def test_a_name_not_shared_is_read_from_postgres_then_shared(
    gql, tenant, enroll, services: Services, monkeypatch, redis_client
):
    # given a member whose name is not in Redis (shared before Redis lost it)
    external_id = uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id, points=2)
    await redis_client.delete(name_key(tenant, external_id))
    _as_another_process(services, monkeypatch)

    # when its status is read by externalId, by this process and then by a third
    with counting(monkeypatch) as cold:
        first = await _read(gql, tenant, external_id)
    _as_another_process(services, monkeypatch)
    with counting(monkeypatch) as shared:
        second = await _read(gql, tenant, external_id)

    # then the first read found it in one statement and shared it; the second needed none
    assert first == second == {"id": member_id, "points": {"available": 2}}
    assert len(cold.postgres) == 1, cold.postgres
    assert shared.postgres == []
    assert await redis_client.get(name_key(tenant, external_id)) is not None


@pytest.mark.parametrize("change", ["rename", "erase"])
async def test_no_process_believes_an_old_shared_name(
    gql, tenant, enroll, services: Services, monkeypatch, change
):
    # given a member whose name is shared
    old_name, new_name = uuid.uuid4().hex, uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=old_name, points=4)
    assert await _read(gql, tenant, old_name) == {"id": member_id, "points": {"available": 4}}

    # when its externalId is changed or cleared, and a process that missed the announcement
    # reads the old name
    if change == "rename":
        done = await gql(
            UPDATE, {"input": {"id": member_id, "externalId": new_name}}, token=tenant.secret_key
        )
        assert done["updateMember"]["errors"] == []
    else:
        done = await gql(ERASE, {"input": {"id": member_id}}, token=tenant.secret_key)
        assert done["eraseMember"]["errors"] == []
    _as_another_process(services, monkeypatch)

    # then the old name names no member
    assert await _read(gql, tenant, old_name) is None
    if change == "rename":
        assert await _read(gql, tenant, new_name) == {"id": member_id, "points": {"available": 4}}


async def test_a_late_share_of_an_old_name_is_refused(
    gql, tenant, enroll, services: Services, monkeypatch, redis_client
):
    # given a member renamed, its old shared name since gone from Redis
    old_name, new_name = uuid.uuid4().hex, uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=old_name)
    done = await gql(
        UPDATE, {"input": {"id": member_id, "externalId": new_name}}, token=tenant.secret_key
    )
    assert done["updateMember"]["errors"] == []
    await redis_client.delete(name_key(tenant, old_name))
    member_uuid = uuid_of(member_id, "Member")

    # when a lookup that read the old name before the rename shares it after
    await services.balances.for_tenant(uuid.UUID(tenant.id)).share_name(old_name, member_uuid)

    # then Redis does not keep it, and no process finds the member by it
    assert await redis_client.get(name_key(tenant, old_name)) is None
    _as_another_process(services, monkeypatch)
    assert await _read(gql, tenant, old_name) is None


async def test_a_shared_name_of_a_member_announced_changed_is_not_believed(
    gql, tenant, enroll, services: Services, monkeypatch
):
    # given a shared name still pointing at its member, whose change this process heard
    # announced (as when Redis could not be told)
    external_id = uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id, points=5)
    await _read(gql, tenant, external_id)
    member_uuid = services.member_ids.member_for(uuid.UUID(tenant.id), external_id)
    assert member_uuid is not None
    services.member_ids.forget(member_uuid)

    # when the name is read
    with counting(monkeypatch) as seen:
        found = await _read(gql, tenant, external_id)

    # then PostgreSQL was asked (one statement), not the shared name believed
    assert found == {"id": member_id, "points": {"available": 5}}
    assert len(seen.postgres) == 1, seen.postgres


async def test_with_redis_gone_a_read_by_external_id_comes_from_postgres(flaky, own_redis, tenant):
    # given a member enrolled on an app whose Redis then stops
    client, running = flaky
    external_id = uuid.uuid4().hex
    data = await client(
        "mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { member { id } } }",
        {"input": {"externalId": external_id}},
        token=tenant.secret_key,
    )
    member_id = data["enrollMember"]["member"]["id"]
    running.member_ids.forget_all()
    own_redis.stop()

    # when its status is read by externalId, twice
    first = await _read(client, tenant, external_id)
    running.member_ids.forget_all()
    second = await _read(client, tenant, external_id)

    # then PostgreSQL answered both, the second without waiting for Redis
    assert first == second == {"id": member_id, "points": {"available": 0}}
    assert running.balances.breaker.open
