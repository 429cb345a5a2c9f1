"""adjustPoints names its member by externalId as well as by id, and looks it up inside the
adjustment's own transaction: the answers are those of a lookup made before it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

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
    assert retry["points"] is None


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
