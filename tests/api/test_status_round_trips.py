"""Given a member this process has not seen lately (and, by externalId, whose name Redis
does not hold: tests/api/test_shared_names.py reads it from there), when its status is read
by externalId or by id, then the name is resolved in one PostgreSQL round trip (one
statement, no BEGIN or COMMIT) before the balance is read from Redis, and once remembered in
none; the statement names the tenant's own table, so another tenant's key finds no member
there."""

from __future__ import annotations

import uuid

import pytest

from api.services import Services
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.round_trips import counting
from tests.support.shared_names import unshare

BY_EXTERNAL_ID = """
query S($externalId: String!) { member(externalId: $externalId) { id points { available } } }
"""
ERASE = "mutation E($input: EraseMemberInput!) { eraseMember(input: $input) { errors { code } } }"
BY_ID = "query S($id: ID!) { member(id: $id) { id points { available } } }"


async def _read(
    gql: GraphQLClient, kit: TenantKit, by: str, member_id: str, external_id: str
) -> object:
    if by == "externalId":
        data = await gql(BY_EXTERNAL_ID, {"externalId": external_id}, token=kit.secret_key)
    else:
        data = await gql(BY_ID, {"id": member_id}, token=kit.secret_key)
    return data["member"]


@pytest.mark.parametrize("by", ["externalId", "id"])
async def test_a_cold_status_read_is_one_statement_and_a_warm_one_none(
    gql, tenant, enroll, services: Services, monkeypatch, redis_dsn, by
):
    # given a member with points that this process does not remember, the path warmed up on
    # another member (credentials, the tenant, prepared statements)
    warm_external_id, external_id = uuid.uuid4().hex, uuid.uuid4().hex
    warm_id = await enroll(tenant, external_id=warm_external_id, points=1)
    member_id = await enroll(tenant, external_id=external_id, points=9)
    await _read(gql, tenant, by, warm_id, warm_external_id)
    services.member_ids.forget_all()
    await unshare(redis_dsn, tenant, external_id)

    # when its status is read, then read again
    with counting(monkeypatch) as cold:
        first = await _read(gql, tenant, by, member_id, external_id)
    with counting(monkeypatch) as warm:
        second = await _read(gql, tenant, by, member_id, external_id)

    # then the first read is one statement outside a transaction, the second none
    expected = {"id": member_id, "points": {"available": 9}}
    assert first == second == expected
    assert len(cold.postgres) == 1, cold.postgres
    assert cold.postgres[0].startswith("SELECT id, external_id FROM"), cold.postgres
    assert cold.units_of_work == 0
    assert warm.postgres == []
    # and Redis twice: the request's budget (one EVALSHA, rate limits) and the balance
    budget = [trip for trip in warm.redis if all(key.startswith("rl:") for _, key in trip)]
    assert [command for command, _ in budget[0]] == ["EVALSHA"], warm.redis
    assert len(budget) == 1 and len(warm.redis) == 2, warm.redis


@pytest.mark.parametrize("by", ["externalId", "id"])
async def test_a_cold_lookup_finds_no_member_of_another_tenant(
    gql, tenant, make_tenant, enroll, services: Services, monkeypatch, by
):
    # given a member of one tenant, not remembered by this process
    external_id = uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id, points=5)
    stranger = await make_tenant()
    services.member_ids.forget_all()

    # when another tenant's key names it
    with counting(monkeypatch) as seen:
        found = await _read(gql, stranger, by, member_id, external_id)

    # then there is no such member there: the lookup read the other tenant's table
    assert found is None
    assert [s for s in seen.postgres if s.startswith("SELECT id, external_id")], seen.postgres
    # and the member's own tenant still finds it
    assert await _read(gql, tenant, by, member_id, external_id) == {
        "id": member_id,
        "points": {"available": 5},
    }


async def test_an_erased_member_is_found_by_id_and_not_by_its_old_external_id(
    gql, tenant, enroll, services: Services
):
    # given an erased member, not remembered by this process
    external_id = uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id, points=4)
    erased = await gql(ERASE, {"input": {"id": member_id}}, token=tenant.secret_key)
    assert erased["eraseMember"]["errors"] == []
    services.member_ids.forget_all()

    # when its status is read by id and by its old externalId
    by_id = await _read(gql, tenant, "id", member_id, external_id)
    by_old_name = await _read(gql, tenant, "externalId", member_id, external_id)

    # then the id still reads its balance (erasure keeps the row), the old name no member
    assert by_id == {"id": member_id, "points": {"available": 4}}
    assert by_old_name is None
