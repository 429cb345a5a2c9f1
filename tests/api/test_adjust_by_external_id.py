"""adjustPoints names its member by externalId as well as by id, and looks it up inside the
adjustment's own transaction: the answers are those of a lookup made before it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from api.schema.common.ids import uuid_of
from domain.idempotency import fingerprint

ADJUST = """
mutation Adjust($input: AdjustPointsInput!) {
  adjustPoints(input: $input) {
    entry { id points }
    member { id externalId status }
    points { available }
    replayed
    errors { code field message }
  }
}
"""


def _errors(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_adjusting_by_external_id_changes_that_member_and_names_it(gql, tenant, enroll):
    # given a member known by the store's id
    external_id = "shopper-" + uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id, points=10)

    # when points are added by externalId, with spaces around it
    payload = (
        await gql(
            ADJUST,
            {"input": {"externalId": f"  {external_id} ", "points": 5}},
            token=tenant.secret_key,
        )
    )["adjustPoints"]

    # then that member's balance moved, and the payload names it
    assert payload["errors"] == []
    assert payload["member"] == {"id": member_id, "externalId": external_id, "status": "ACTIVE"}
    assert payload["points"] == {"available": 15}
    assert payload["entry"]["points"] == 5


async def test_a_retry_by_external_id_replays_the_adjustment_made_by_id(gql, tenant, enroll):
    # given an adjustment made by id under an idempotency key
    external_id = "shopper-" + uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id)
    key = uuid.uuid4().hex
    first = (
        await gql(
            ADJUST,
            {"input": {"memberId": member_id, "points": 7, "idempotencyKey": key}},
            token=tenant.secret_key,
        )
    )["adjustPoints"]

    # when it is retried naming the same member by externalId
    retry = (
        await gql(
            ADJUST,
            {"input": {"externalId": external_id, "points": 7, "idempotencyKey": key}},
            token=tenant.secret_key,
        )
    )["adjustPoints"]

    # then it is the same request: the first entry comes back, and no points are added twice
    assert retry["errors"] == []
    assert retry["replayed"] is True
    assert retry["entry"] == first["entry"]
    assert retry["member"]["id"] == member_id
    assert retry["points"] == first["points"]


@pytest.mark.parametrize(
    "points",
    [pytest.param(5, id="valid-points"), pytest.param(0, id="invalid-points-too")],
)
async def test_an_unknown_external_id_is_not_found_before_the_input_is_judged(gql, tenant, points):
    # given no member with this externalId
    # when points are adjusted for it
    payload = (
        await gql(
            ADJUST,
            {"input": {"externalId": "nobody-" + uuid.uuid4().hex, "points": points}},
            token=tenant.secret_key,
        )
    )["adjustPoints"]

    # then the member is reported missing on memberId, and nothing else comes back
    assert _errors(payload) == [("NOT_FOUND", ["input", "memberId"])]
    assert payload["entry"] is None and payload["member"] is None


async def test_an_erased_member_named_by_id_cannot_be_adjusted(gql, tenant, enroll):
    # given an erased member
    member_id = await enroll(tenant, points=3)
    erase = (
        "mutation E($input: EraseMemberInput!) { eraseMember(input: $input) { errors { code } } }"
    )
    assert (await gql(erase, {"input": {"id": member_id}}, token=tenant.secret_key))["eraseMember"][
        "errors"
    ] == []

    # when points are added to it
    payload = (
        await gql(ADJUST, {"input": {"memberId": member_id, "points": 1}}, token=tenant.secret_key)
    )["adjustPoints"]

    # then it is refused, and nothing is written
    assert payload["errors"] and payload["entry"] is None
    member = "query M($id: ID!) { member(id: $id) { points { available } } }"
    data = await gql(member, {"id": member_id}, token=tenant.secret_key)
    assert data["member"]["points"] == {"available": 3}


async def _adjust(gql, tenant, **given: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql(ADJUST, {"input": given}, token=tenant.secret_key))[
        "adjustPoints"
    ]
    return payload


async def test_a_retry_by_id_replays_the_adjustment_made_by_external_id(gql, tenant, enroll):
    # given an adjustment made by externalId under a key (the key claimed in the statement
    # that finds the member by externalId)
    external_id = "shopper-" + uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id)
    key = uuid.uuid4().hex
    first = await _adjust(gql, tenant, externalId=external_id, points=4, idempotencyKey=key)
    assert first["errors"] == []

    # when it is retried by id, and again by externalId
    by_id = await _adjust(gql, tenant, memberId=member_id, points=4, idempotencyKey=key)
    again = await _adjust(gql, tenant, externalId=external_id, points=4, idempotencyKey=key)

    # then both are the first request, replayed
    for retry in (by_id, again):
        assert retry["errors"] == [] and retry["replayed"] is True
        assert retry["entry"] == first["entry"]
    data = await gql(
        "query M($id: ID!) { member(id: $id) { points { available } } }",
        {"id": member_id},
        token=tenant.secret_key,
    )
    assert data["member"]["points"] == {"available": 4}


async def test_a_key_used_by_external_id_is_refused_for_other_input_or_another_member(
    gql, tenant, enroll
):
    # given a key used for one member by externalId
    ann, bob = "ann-" + uuid.uuid4().hex, "bob-" + uuid.uuid4().hex
    await enroll(tenant, external_id=ann)
    await enroll(tenant, external_id=bob)
    key = uuid.uuid4().hex
    assert (await _adjust(gql, tenant, externalId=ann, points=2, idempotencyKey=key))[
        "errors"
    ] == []

    # when it is used again with other points, or for another member
    other_points = await _adjust(gql, tenant, externalId=ann, points=3, idempotencyKey=key)
    other_member = await _adjust(gql, tenant, externalId=bob, points=2, idempotencyKey=key)

    # then both are refused, and nothing is written
    for refused in (other_points, other_member):
        assert _errors(refused) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
        assert refused["entry"] is None


async def test_a_key_fingerprinted_as_before_member_binding_still_replays(
    gql, tenant, enroll, services
):
    # given an adjustment whose key carries the fingerprint keys were given before they were
    # bound to the member (the member's id inside the digested input)
    external_id = "shopper-" + uuid.uuid4().hex
    member_gid = await enroll(tenant, external_id=external_id)
    member_id = uuid_of(member_gid, "Member")
    key = uuid.uuid4().hex
    first = await _adjust(
        gql, tenant, memberId=member_gid, points=6, reason="Goodwill", idempotencyKey=key
    )
    asked = {"points": 6, "wallet": "points", "reason": "Goodwill", "note": None}
    legacy = fingerprint("adjustPoints", {"member": str(member_id), **asked})
    schema = (await services.registry.get(uuid.UUID(tenant.id))).schema_name
    await services.pool.execute(
        f'UPDATE "{schema}".idempotency_keys SET fingerprint = $2 WHERE key = $1', key, legacy
    )

    # when it is retried, by externalId and by id, and once with other input
    retries = [
        await _adjust(
            gql, tenant, externalId=external_id, points=6, reason="Goodwill", idempotencyKey=key
        ),
        await _adjust(
            gql, tenant, memberId=member_gid, points=6, reason="Goodwill", idempotencyKey=key
        ),
    ]
    other = await _adjust(gql, tenant, memberId=member_gid, points=7, idempotencyKey=key)

    # then the retries replay the first request; the other input is refused
    for retry in retries:
        assert retry["errors"] == [] and retry["replayed"] is True
        assert retry["entry"] == first["entry"]
    assert _errors(other) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
