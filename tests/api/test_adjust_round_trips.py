"""adjustPoints and recordOrder cost the same PostgreSQL round trips whether the member is named
by id or by externalId. adjustPoints resolves the member in the statement that reads it and
claims the key, inside its own transaction; recordOrder resolves it first, in one statement
either way when this process has not seen the member lately. A credit of a tenant without
tiers takes the balance lock in the statement that also reads the segments' refresh inputs
and writes its event and audit entry: the lock is held over two round trips, that statement
and COMMIT."""

from __future__ import annotations

import uuid

import pytest

from persistence.repositories.tiers import PgTierRepository
from tests.conftest import ADJUST
from tests.support.earning import enroll as enroll_member
from tests.support.earning import order, record
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.round_trips import counting
from tests.support.shared_names import unshare


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


async def _record_order(gql: GraphQLClient, kit: TenantKit, named: dict[str, str]) -> None:
    body = order(uuid.uuid4().hex, None, ("SKU-1", 1, 1000))
    result = await record(gql, kit, {**body, **named})
    assert result["errors"] == [], result


async def test_record_order_by_external_id_costs_the_round_trips_of_by_id(
    gql, tenant, services, monkeypatch, redis_dsn
):
    # given two members this process has not seen, the path warmed up on a third; the
    # externalId not shared through Redis (a shared one saves the lookup's statement,
    # tests/api/test_shared_names.py)
    names = [uuid.uuid4().hex for _ in range(3)]
    ids = [await enroll_member(gql, tenant, externalId=name) for name in names]
    await _record_order(gql, tenant, {"memberId": ids[2]})
    services.member_ids.forget_all()
    await unshare(redis_dsn, tenant, names[1])
    by_id, by_external_id = {"memberId": ids[0]}, {"externalId": names[1]}

    # when each records an order unseen, then right away again, remembered (an externalId
    # is remembered for a few seconds only)
    trips: dict[str, list[int]] = {"id": [], "externalId": []}
    for form, named in (("id", by_id), ("externalId", by_external_id)):
        for _ in range(2):
            with counting(monkeypatch) as seen:
                await _record_order(gql, tenant, named)
            trips[form].append(len(seen.postgres))

    # then both forms cost the same round trips, unseen and remembered
    assert trips["id"] == trips["externalId"], trips


@pytest.mark.parametrize(
    "key", [pytest.param(True, id="with-key"), pytest.param(False, id="no-key")]
)
async def test_a_credit_holds_the_balance_lock_over_two_round_trips(
    gql, tenant, enroll, monkeypatch, key
):
    # given a member of a tenant without tiers, and the path warmed up (the wallet locked
    # once the plain way, so its next due time is known)
    member_id = await enroll(tenant, external_id="shopper-" + uuid.uuid4().hex)
    for _ in range(2):
        await _adjust(gql, tenant, {"memberId": member_id}, key)

    # when points are added, the process knowing the tenant has no tiers (as it does for a
    # few seconds after reading them: here for the whole request)
    with counting(monkeypatch) as seen:
        monkeypatch.setattr(PgTierRepository, "known_empty", lambda self: True)
        await _adjust(gql, tenant, {"memberId": member_id}, key)
    trips = seen.postgres

    # then four round trips: BEGIN with the search path, the member (and the key), the
    # credit with the refresh inputs, its event and the audit entry (which takes the lock),
    # COMMIT; the lock held over the last two
    assert len(trips) == 4, trips
    locked = [i for i, sql in enumerate(trips) if "credit_at_once(" in sql]
    assert locked == [2] and "$26::boolean" in trips[2], trips
    assert "INSERT INTO webhook_events" in trips[2] and "INSERT INTO audit_log" in trips[2]
    assert trips[0].startswith("BEGIN;") and trips[-1].startswith("COMMIT"), trips
    assert len(trips) - locked[0] == 2
    assert not any("segment_refresh_inputs" in sql for sql in trips), trips
