"""adjustPoints costs the same PostgreSQL round trips whether the member is named by id or by
externalId, with an idempotency key and without: the member is resolved in the statement
that reads it and claims the key, inside the adjustment's own transaction."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import ADJUST
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.round_trips import counting


async def _adjust(gql: GraphQLClient, kit: TenantKit, named: dict[str, str], key: bool) -> None:
    given: dict[str, object] = {**named, "points": 3}
    if key:
        given["idempotencyKey"] = uuid.uuid4().hex
    data = await gql(ADJUST, {"input": given}, token=kit.secret_key)
    payload = data["adjustPoints"]
    assert payload["errors"] == [] and payload["replayed"] is False, payload


async def _statements(
    gql: GraphQLClient, kit: TenantKit, named: dict[str, str], key: bool, monkeypatch
) -> list[str]:
    with counting(monkeypatch) as seen:
        await _adjust(gql, kit, named, key)
    return seen.postgres


@pytest.mark.parametrize(
    "key", [pytest.param(True, id="with-key"), pytest.param(False, id="no-key")]
)
async def test_by_external_id_costs_the_round_trips_of_by_id(gql, tenant, enroll, monkeypatch, key):
    # given a member, and the request path warmed up (credentials, program, prepared statements)
    external_id = "shopper-" + uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id)
    by_id, by_external_id = {"memberId": member_id}, {"externalId": external_id}
    for named in (by_id, by_external_id):
        await _adjust(gql, tenant, named, key)

    # when points are adjusted by id, then by externalId, each under a fresh key (or none)
    trips_by_id = await _statements(gql, tenant, by_id, key, monkeypatch)
    trips_by_external_id = await _statements(gql, tenant, by_external_id, key, monkeypatch)

    # then both forms send as many statements, in one transaction each
    assert len(trips_by_external_id) == len(trips_by_id), (trips_by_id, trips_by_external_id)
    for trips in (trips_by_id, trips_by_external_id):
        assert trips[0].startswith("BEGIN;") and trips[-1].startswith("COMMIT"), trips
