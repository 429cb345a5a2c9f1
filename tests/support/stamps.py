"""Shared steps of the stamp card tests: configure the card, read a member's card."""

from __future__ import annotations

from typing import Any

from tests.support.gql import GraphQLClient, TenantKit

CONFIGURE_STAMP_CARD = """
mutation ConfigureStampCard($input: ConfigureStampCardInput!) {
  configureStampCard(input: $input) {
    stampCard { enabled cardSize rewardPoints rewardId resets rules { id stamps action } }
    programVersion
    errors { code field message }
  }
}
"""
STAMPS = """
query Stamps($id: ID!) {
  member(id: $id) {
    points { available lifetime }
    stamps { wallet collected cardSize cardsCompleted progress available lifetime }
  }
}
"""

# One stamp per order of $10 or more; three stamps fill a card worth 50 points.
CARD = {
    "enabled": True,
    "cardSize": 3,
    "rules": [{"id": "visit", "stamps": 1, "minOrderValue": 1000}],
    "rewardPoints": 50,
}


async def configure_card(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> dict[str, Any]:
    """The configureStampCard payload, as the tenant's owner sends it."""
    data = await gql(
        CONFIGURE_STAMP_CARD, {"input": fields}, token=kit.operator_token, tenant=kit.slug
    )
    payload: dict[str, Any] = data["configureStampCard"]
    return payload


async def set_card(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> None:
    """CARD with `fields` changed; a rewardId given replaces CARD's reward points."""
    base = {k: v for k, v in CARD.items() if not (k == "rewardPoints" and "rewardId" in fields)}
    payload = await configure_card(gql, kit, **{**base, **fields})
    assert payload["errors"] == [], payload


async def stamps_of(gql: GraphQLClient, kit: TenantKit, member_id: str) -> dict[str, Any]:
    """The member's `points` and `stamps`, as a secret key reads them."""
    data = await gql(STAMPS, {"id": member_id}, token=kit.secret_key)
    member: dict[str, Any] = data["member"]
    return member
