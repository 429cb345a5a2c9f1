"""Given a decimal with more digits or a larger exponent than any rule of a program needs,
when it is sent or read back, then it is refused as INVALID before any arithmetic runs:
`1e-100000000` as points per unit once pinned the event loop for minutes on the next
previewOrder (without the bound, these tests do not finish)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.support.earning import CONFIGURE, RECORD, configure, enroll, fetch, order
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.paths import PATHS, take

PROGRAM = "query Program { program { pointsPerUnit pointValue } }"
PREVIEW = """
query Preview($input: RecordOrderInput!) { previewOrder(input: $input) { points } }
"""
CONFIGURE_RULE_LITERAL = """
mutation ConfigureRule {
  configureProgram(input: {earnRules: [{id: "x", name: "x", kind: MULTIPLIER, multiplier: %s}]}) {
    program { version } errors { code field message }
  }
}
"""
CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) { tier { id } errors { code field message } }
}
"""
CREATE_REWARD = """
mutation CreateReward($input: CreateRewardInput!) {
  createReward(input: $input) { reward { id } errors { code field message } }
}
"""

HOSTILE = [
    "1e-100000000",
    "1e+100000000",
    "-1e-1000000",
    "0.0000001",
    "1000000000000",
    "NaN",
    "Infinity",
    "1" + "0" * 60,
    "0." + "0" * 50 + "1",
]


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    take(monkeypatch, request.param)
    return str(request.param)


def _codes(errors: list[dict[str, Any]]) -> list[str]:
    return [e["extensions"]["code"] for e in errors]


async def _operator(gql: GraphQLClient, kit: TenantKit, query: str, variables: dict) -> list:
    return await gql.errors(query, variables, token=kit.operator_token, tenant=kit.slug)


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["pointsPerUnit", "pointValue"])
async def test_a_hostile_program_rate_is_refused_and_nothing_changes(
    gql, tenant, path, field, value
):
    # given a program at its defaults
    before = await gql(PROGRAM, token=tenant.secret_key)

    # when a rate far beyond what a program needs is configured
    errors = await _operator(gql, tenant, CONFIGURE, {"input": {field: value}})

    # then the variable is refused as INVALID, naming the field, and nothing changed
    assert _codes(errors) == ["INVALID"]
    assert field in errors[0]["message"]
    assert await gql(PROGRAM, token=tenant.secret_key) == before


@pytest.mark.parametrize("value", ["1e-1000000", "1e+1000000", "0.0000001"])
async def test_a_hostile_earn_rule_multiplier_is_refused_as_a_variable_and_a_literal(
    gql, tenant, path, value
):
    # given a program without rules
    rule = {"id": "x", "name": "x", "kind": "MULTIPLIER", "multiplier": value}

    # when the multiplier is sent as a variable, and written into the document
    as_variable = await _operator(gql, tenant, CONFIGURE, {"input": {"earnRules": [rule]}})
    as_literal = await _operator(gql, tenant, CONFIGURE_RULE_LITERAL % json.dumps(value), {})

    # then both are refused as INVALID
    assert _codes(as_variable) == ["INVALID"]
    assert _codes(as_literal) == ["INVALID"]


async def test_an_earn_rule_multiplier_takes_at_most_three_decimals(gql, tenant):
    # given a program without rules
    rule = {"id": "x", "name": "x", "kind": "MULTIPLIER", "multiplier": "1.2345"}

    # when a multiplier within the scalar's bounds but finer than a multiplier's is configured
    payload = (
        await gql(
            CONFIGURE,
            {"input": {"earnRules": [rule]}},
            token=tenant.operator_token,
            tenant=tenant.slug,
        )
    )["configureProgram"]

    # then the domain refuses it on the field (the domain's name for the list: rules)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID", ["input", "rules", "0", "multiplier"])
    ]


async def test_tier_multipliers_and_reward_percentages_are_bounded_too(gql, tenant):
    # given a tenant
    # when a tier multiplier and a reward percentage with huge exponents are sent
    tier = await _operator(
        gql,
        tenant,
        CREATE_TIER,
        {"input": {"name": "Gold", "threshold": 10, "multiplier": "1e-999999"}},
    )
    reward = await _operator(
        gql,
        tenant,
        CREATE_REWARD,
        {
            "input": {
                "name": "Off",
                "kind": "PERCENTAGE",
                "pointsCost": 10,
                "percentage": "5e+999999",
            }
        },
    )

    # then both are refused as INVALID
    assert _codes(tier) == ["INVALID"]
    assert _codes(reward) == ["INVALID"]


@pytest.mark.parametrize("percentage", ["1000", "1e3", "100.5"])
async def test_a_percentage_out_of_range_is_refused_whatever_the_rewards_kind(
    gql, tenant, percentage
):
    # given a tenant
    # when a fixed-amount reward is sent with a percentage past 100 (stored, though unused)
    answer = await gql(
        CREATE_REWARD,
        {
            "input": {
                "name": "Five off",
                "kind": "FIXED_AMOUNT",
                "pointsCost": 10,
                "value": 500,
                "percentage": percentage,
            }
        },
        token=tenant.operator_token,
        tenant=tenant.slug,
    )

    # then it is refused on the field, not an unexpected error of the database
    payload = answer["createReward"]
    assert payload["reward"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID", ["input", "percentage"])
    ]


async def test_sensible_decimals_are_accepted_and_read_back_as_sent(gql, tenant):
    # given a tenant
    # when a rate with six decimals and a value written with an exponent are configured
    await configure(gql, tenant, pointsPerUnit="0.015625", pointValue="1E+2")

    # then both are kept, the second as a plain number
    program = (await gql(PROGRAM, token=tenant.secret_key))["program"]
    assert program == {"pointsPerUnit": "0.015625", "pointValue": "100"}


async def _store_program(services, kit: TenantKit, **config: Any) -> None:
    """Writes a program version straight into the tenant's table, as data written before
    the bound existed would be, and announces it as a saved version would be."""
    stored = {
        "currency": "USD",
        "points_per_unit": "1",
        "rounding": "DOWN",
        "point_value_minor": "1",
        "pending_days": 0,
        "refund_policy": "CLAWBACK_AVAILABLE",
        **config,
    }
    await fetch(
        services,
        kit,
        """INSERT INTO program_config (version, config, created_at, created_by)
           VALUES (1, $1, now(), 'before the bound')
           RETURNING pg_notify('loyalty_program_changed', current_schema())""",
        stored,
    )


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"points_per_unit": "1e-100000000"}, ["pointsPerUnit"]),
        (
            {"rules": [{"id": "x", "name": "x", "kind": "MULTIPLIER", "multiplier": "1e-1000000"}]},
            ["rules", "0", "multiplier"],
        ),
    ],
    ids=["points-per-unit", "rule-multiplier"],
)
async def test_a_hostile_stored_program_refuses_orders_until_configured_again(
    gql, services, tenant, path, config, field
):
    # given a hostile value stored in the program before the bound existed
    await _store_program(services, tenant, **config)
    member_id = await enroll(gql, tenant)
    body = order("o-" + uuid.uuid4().hex, member_id, ("a", 1, 1_000))

    # when an order is previewed and recorded
    preview = await gql.errors(PREVIEW, {"input": body}, token=tenant.secret_key)
    recorded = (await gql(RECORD, {"input": body}, token=tenant.secret_key))["recordOrder"]

    # then both are refused at once as INVALID naming the stored field, and nothing is written
    assert _codes(preview) == ["INVALID"]
    assert ".".join(field) in preview[0]["message"]
    assert [e["code"] for e in recorded["errors"]] == ["INVALID"]
    assert ".".join(field) in recorded["errors"][0]["message"]
    assert await fetch(services, tenant, "SELECT id FROM ledger_entries") == []
    assert await fetch(services, tenant, "SELECT order_id FROM orders") == []

    # and a change that leaves the damaged field as it is is refused on that field
    other = (
        await gql(
            CONFIGURE,
            {"input": {"earnOnTax": True}},
            token=tenant.operator_token,
            tenant=tenant.slug,
        )
    )["configureProgram"]
    assert [(e["code"], e["field"]) for e in other["errors"]] == [("INVALID", ["input", *field])]

    # and once the field is configured again, orders earn
    repair = {"pointsPerUnit": "2"} if field == ["pointsPerUnit"] else {"earnRules": []}
    await configure(gql, tenant, **repair)
    earned = (await gql(RECORD, {"input": body}, token=tenant.secret_key))["recordOrder"]
    assert earned["errors"] == []
    assert earned["pointsDelta"] == (20 if field == ["pointsPerUnit"] else 10)
