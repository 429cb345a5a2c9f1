"""What the load benchmark sends: the GraphQL operations, their floors, and the targets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bench.loadgen import IDEMPOTENCY_PLACEHOLDER
from bench.seed import BenchMember, Fixture

ME = "query MemberStatus { me { points { available pending } } }"
MEMBER_BY_EXTERNAL_ID = (
    "query MemberStatusByExternalId($externalId: String!) {"
    " member(externalId: $externalId) { points { available pending } } }"
)
MEMBER_BY_ID = (
    "query MemberStatusById($id: ID!) { member(id: $id) { points { available pending } } }"
)
ADJUST = (
    "mutation AdjustPoints($input: AdjustPointsInput!) { adjustPoints(input: $input) {"
    " entry { id points } points { available pending } errors { code message } } }"
)
RECORD_ORDER = (
    "mutation RecordOrder($input: RecordOrderInput!) { recordOrder(input: $input) {"
    " order { orderId } pointsDelta points { available pending } errors { code message } } }"
)
REDEEM_REWARD = (
    "mutation RedeemReward($input: RedeemRewardInput!) { redeemReward(input: $input) {"
    " redemption { code points } points { available pending } errors { code message } } }"
)
# One line, one unit: what a store sends for a small order.
ORDER_PLACED_AT = "2026-01-15T12:00:00+00:00"
MEMBERS_PAGE = (
    "query MembersPage { members(first: 50) { edges { cursor node {"
    " id externalId email name status enrolledAt } } pageInfo { hasNextPage endCursor } } }"
)
MEMBERS_POINTS_PAGE = (
    "query MembersPoints { members(first: 50) { edges { cursor node {"
    " id externalId points { available pending } } } pageInfo { hasNextPage endCursor } } }"
)
HISTORY_PAGE = (
    "query MemberHistory($id: ID!) { member(id: $id) { history(first: 50) { edges { cursor"
    " node { id kind points reason createdAt } } pageInfo { hasNextPage endCursor } } } }"
)


@dataclass(frozen=True)
class Scenario:
    name: str
    group: str  # "status", "spread", "mutations", "busy" or "pages"
    label: str
    floor: bool
    templates: list[dict[str, Any]]
    expect: str
    # The uvicorn workers of the server it runs on; None: the run's own (--workers).
    workers: int | None = None


@dataclass(frozen=True)
class Target:
    min_ratio: float
    max_p99_over_p50: float = 4.0


TARGETS = {
    "status": Target(0.5),
    # Reads spread over many members against the same read of the few status members.
    "spread": Target(0.8),
    # Writes on one member from every connection against the same writes spread over many.
    "busy": Target(0.5),
    # One busy member on two workers against the same on one: never slower.
    "workers": Target(1.0),
    "mutations": Target(0.6),
    "pages": Target(0.6),
}
# Each GraphQL scenario and the floor it is compared with. A spread read's "floor" is the same
# query on the 256 status members, which the server remembers after their first request.
FLOOR_OF = {
    "status.me": "floor.status",
    "status.member": "floor.status",
    "status.member_id": "floor.status",
    "spread.member": "status.member",
    "spread.member_id": "status.member_id",
    "mutation.adjust": "floor.adjust",
    "mutation.adjust_external": "floor.adjust",
    "busy.adjust": "mutation.adjust",
    "busy.adjust_2w": "busy.adjust",
    "mutation.order": "floor.order",
    "mutation.order_external": "floor.order",
    "mutation.redeem": "floor.redeem",
    "pages.members": "floor.members",
    "pages.members_points": "floor.members_points",
    "pages.history": "floor.history",
}


def _graphql(query: str, variables: dict[str, Any] | None, token: str) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query}
    if variables:
        body["variables"] = variables
    return {
        "path": "/graphql",
        "headers": {"Authorization": f"Bearer {token}"},
        "body": json.dumps(body, separators=(",", ":")),
    }


def _floor(path: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"path": path, "headers": {}, "body": json.dumps(params, separators=(",", ":"))}


def scenarios(fx: Fixture) -> list[Scenario]:
    key = fx.secret_key
    t, s = fx.tenant_id, fx.schema
    return [
        Scenario(
            "floor.status",
            "status",
            "floor: HGETALL behind Starlette",
            True,
            [_floor("/floor/status", {"t": t, "m": m.id}) for m in fx.status],
            '"available":',
        ),
        Scenario(
            "status.me",
            "status",
            "me { points } (member token)",
            False,
            [_graphql(ME, None, m.token or "") for m in fx.status],
            '"available":',
        ),
        Scenario(
            "status.member",
            "status",
            "member(externalId:) { points } (secret key)",
            False,
            _status_by_external_id(fx.status, key),
            '"available":',
        ),
        Scenario(
            "status.member_id",
            "status",
            "member(id:) { points } (secret key)",
            False,
            _status_by_id(fx.status, key),
            '"available":',
        ),
        *_spread(fx),
        Scenario(
            "floor.adjust",
            "mutations",
            "floor: same SQL transaction + CAS",
            True,
            [
                _floor(
                    "/floor/adjust",
                    {"t": t, "s": s, "m": m.id, "p": 1 + i % 5, "k": IDEMPOTENCY_PLACEHOLDER},
                )
                for i, m in enumerate(fx.mutation)
            ],
            '"available":',
        ),
        Scenario(
            "mutation.adjust",
            "mutations",
            "adjustPoints (secret key)",
            False,
            _adjustments(
                key, [({"memberId": m.gid}, 1 + i % 5) for i, m in enumerate(fx.mutation)]
            ),
            '"available":',
        ),
        Scenario(
            "mutation.adjust_external",
            "mutations",
            "adjustPoints by externalId (secret key)",
            False,
            _adjustments(
                key,
                [({"externalId": m.external_id}, 1 + i % 5) for i, m in enumerate(fx.mutation)],
            ),
            '"available":',
        ),
        Scenario(
            "busy.adjust",
            "busy",
            "adjustPoints +1, every connection on one member",
            False,
            _adjustments(key, [({"memberId": fx.mutation[0].gid}, 1)]),
            '"available":',
        ),
        Scenario(
            "busy.adjust_2w",
            "workers",
            "adjustPoints +1 on one member, two workers (to one)",
            False,
            _adjustments(key, [({"memberId": fx.mutation[0].gid}, 1)]),
            '"available":',
            workers=2,
        ),
        Scenario(
            "floor.order",
            "mutations",
            "floor: recordOrder's use case, bare endpoint",
            True,
            [
                _floor("/floor/order", {"t": t, "s": s, "m": m.id, "k": IDEMPOTENCY_PLACEHOLDER})
                for m in fx.mutation
            ],
            '"pointsDelta":',
        ),
        Scenario(
            "mutation.order",
            "mutations",
            "recordOrder (secret key)",
            False,
            _orders(key, [{"memberId": m.gid} for m in fx.mutation]),
            '"pointsDelta":',
        ),
        Scenario(
            "mutation.order_external",
            "mutations",
            "recordOrder by externalId (secret key)",
            False,
            _orders(key, [{"externalId": m.external_id} for m in fx.mutation]),
            '"pointsDelta":',
        ),
        Scenario(
            "floor.redeem",
            "mutations",
            "floor: redeemReward's use case, bare endpoint",
            True,
            [
                _floor(
                    "/floor/redeem",
                    {"t": t, "s": s, "m": m.id, "r": fx.reward_id, "k": IDEMPOTENCY_PLACEHOLDER},
                )
                for m in fx.mutation
            ],
            '"redemption":{"code":',
        ),
        Scenario(
            "mutation.redeem",
            "mutations",
            "redeemReward (secret key)",
            False,
            [
                _graphql(
                    REDEEM_REWARD,
                    {
                        "input": {
                            "rewardId": fx.reward_gid,
                            "memberId": m.gid,
                            "idempotencyKey": IDEMPOTENCY_PLACEHOLDER,
                        }
                    },
                    key,
                )
                for m in fx.mutation
            ],
            '"redemption":{"code":',
        ),
        Scenario(
            "floor.members",
            "pages",
            "floor: same SQL, members page",
            True,
            [_floor("/floor/members", {"s": s})],
            '"hasNextPage":true',
        ),
        Scenario(
            "pages.members",
            "pages",
            "members(first: 50) (secret key)",
            False,
            [_graphql(MEMBERS_PAGE, None, key)],
            '"hasNextPage":true',
        ),
        Scenario(
            "floor.members_points",
            "pages",
            "floor: same SQL + one HGETALL pipeline, members page with points",
            True,
            [_floor("/floor/members_points", {"t": t, "s": s})],
            '"hasNextPage":true',
        ),
        Scenario(
            "pages.members_points",
            "pages",
            "members(first: 50) { points } (secret key)",
            False,
            [_graphql(MEMBERS_POINTS_PAGE, None, key)],
            '"hasNextPage":true',
        ),
        Scenario(
            "floor.history",
            "pages",
            "floor: same SQL, member + history",
            True,
            [_floor("/floor/history", {"s": s, "m": m.id}) for m in fx.history],
            '"createdAt":',
        ),
        Scenario(
            "pages.history",
            "pages",
            "member(id:) { history(first: 50) }",
            False,
            [_graphql(HISTORY_PAGE, {"id": m.gid}, key) for m in fx.history],
            '"createdAt":',
        ),
    ]


def _status_by_external_id(members: list[BenchMember], key: str) -> list[dict[str, Any]]:
    return [_graphql(MEMBER_BY_EXTERNAL_ID, {"externalId": m.external_id}, key) for m in members]


def _status_by_id(members: list[BenchMember], key: str) -> list[dict[str, Any]]:
    return [_graphql(MEMBER_BY_ID, {"id": m.gid}, key) for m in members]


def _adjustments(key: str, named: list[tuple[dict[str, str], int]]) -> list[dict[str, Any]]:
    """adjustPoints of each (member reference, points), under a fresh key each request."""
    return [
        _graphql(
            ADJUST,
            {"input": {**member, "points": points, "idempotencyKey": IDEMPOTENCY_PLACEHOLDER}},
            key,
        )
        for member, points in named
    ]


def _orders(key: str, named: list[dict[str, str]]) -> list[dict[str, Any]]:
    """recordOrder of a one-line order for each member reference, under a fresh order id."""
    return [
        _graphql(
            RECORD_ORDER,
            {
                "input": {
                    "orderId": IDEMPOTENCY_PLACEHOLDER,
                    **member,
                    "currency": "USD",
                    "placedAt": ORDER_PLACED_AT,
                    "lines": [{"sku": "BEAN-1", "quantity": 1, "unitPrice": 1250}],
                }
            },
            key,
        )
        for member in named
    ]


def _spread(fx: Fixture) -> list[Scenario]:
    """Status reads of members the server has mostly not seen lately, by externalId and by
    id: their ratio is to the same read of the status members."""
    if not fx.spread:
        return []
    key, n = fx.secret_key, len(fx.spread)
    return [
        Scenario(
            "spread.member",
            "spread",
            f"member(externalId:) {{ points }} over {n:,} members",
            False,
            _status_by_external_id(fx.spread, key),
            '"available":',
        ),
        Scenario(
            "spread.member_id",
            "spread",
            f"member(id:) {{ points }} over {n:,} members",
            False,
            _status_by_id(fx.spread, key),
            '"available":',
        ),
    ]
