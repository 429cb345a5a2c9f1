"""Given every query document clients send (graphql/operations/) and a seeded tenant, when
each kind of caller sends it with realistic variables to the production app, to the same app
with the engine off and to the plain reference schema, then all three answer the same:
status, data and errors (tests/differential/answers.py). Callers that may not use a document
are included: their refusals must be the same refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from api.schema.common.ids import to_global_id
from tests.differential.documents import documents_of
from tests.differential.reference import Reference
from tests.differential.sides import AppSide, ByGet, ByHash, EngineCount, same_everywhere
from tests.differential.world import CAMPAIGN, CREDENTIALS, SEGMENT, World
from tests.support.operations import OPERATIONS

pytestmark = pytest.mark.differential

Variables = Callable[[World], dict[str, Any]]

# Each query document with the variables of a few realistic calls: a member with history,
# one with none, an erased one, one that does not exist, a used and an unused code, a
# survey with answers and one of another kind, a period with none, segments built in and
# custom, a campaign and keys that name nothing.
EVER = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}
# Analytics periods: the last 30 days up to today's end (the seeded world is all in it), a
# month before anything, one backwards and one past the two years a period may span.
TOMORROW = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
RECENT = {"from": (TOMORROW - timedelta(days=31)).isoformat(), "to": TOMORROW.isoformat()}
BEFORE = {"from": "2001-03-01T00:00:00Z", "to": "2001-04-01T00:00:00Z"}
BACKWARDS = {"from": RECENT["to"], "to": RECENT["from"]}
TOO_LONG = {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}


def _cart(order_id: str, who: dict[str, str]) -> dict[str, Any]:
    lines = [{"sku": "SKU-1", "quantity": 2, "unitPrice": 2500, "category": "shoes"}]
    placed = (TOMORROW - timedelta(days=1)).isoformat()
    return {"orderId": order_id, "currency": "USD", "placedAt": placed, "lines": lines, **who}


QUERIES: dict[str, list[Variables]] = {
    "agency/AgencyAnalytics.graphql": [
        lambda w: RECENT,
        lambda w: BEFORE,
        lambda w: BACKWARDS,
    ],
    "agency/AgencyTenants.graphql": [lambda w: {}],
    "agency/AgencyAuditLog.graphql": [lambda w: {"first": 5}, lambda w: {"first": 0}],
    "agency/ArchivedTenants.graphql": [
        lambda w: {"includeArchived": True},
        lambda w: {"includeArchived": False},
    ],
    "agency/AuditLog.graphql": [
        lambda w: {"first": 3},
        lambda w: {"first": 2, "filter": {"action": "adjustPoints"}},
        lambda w: {"first": 5, "filter": {"actor": w.kit.operator_email}},
        lambda w: {"after": "not a cursor"},
    ],
    "agency/Analytics.graphql": [
        lambda w: {**RECENT, "interval": "WEEK"},
        lambda w: {**RECENT, "interval": "MONTH", "winBackDays": 1},
        lambda w: {"from": (TOMORROW - timedelta(days=2)).isoformat(), "to": RECENT["to"]},
        lambda w: BEFORE,
        lambda w: BACKWARDS,
        lambda w: TOO_LONG,
    ],
    "agency/AnalyticsSettings.graphql": [lambda w: {}],
    "agency/ApiKeys.graphql": [lambda w: {}],
    "agency/Team.graphql": [lambda w: {}],
    "agency/Invitations.graphql": [lambda w: {}],
    "agency/ProgramTemplates.graphql": [lambda w: {}],
    "agency/OperatorSessions.graphql": [lambda w: {}],
    "agency/Member.graphql": [
        lambda w: {"id": w.alice, "historyFirst": 2},
        lambda w: {"id": w.carol},
        lambda w: {"id": w.dave},
        lambda w: {"id": w.entry},  # an id of another type
    ],
    # No import has run in the world: an id of none, and an id that is not one
    "agency/MemberActivity.graphql": [
        lambda w: {"id": w.alice},
        lambda w: {"id": w.carol, "first": 1},
        lambda w: {"id": w.dave},
        lambda w: {"id": "x"},
    ],
    "agency/MemberImport.graphql": [
        lambda w: {"id": to_global_id("MemberImport", UUID(int=1)), "first": 5},
        lambda w: {"id": "x"},
    ],
    "agency/MemberOrders.graphql": [
        lambda w: {"id": w.alice, "first": 1},
        lambda w: {"id": w.carol},
        lambda w: {"id": w.alice, "after": "not-a-cursor"},
    ],
    "agency/MemberReferrals.graphql": [lambda w: {"id": w.alice}, lambda w: {"id": w.bob}],
    "agency/MemberTier.graphql": [lambda w: {"id": w.alice, "first": 1}, lambda w: {"id": "x"}],
    "agency/Members.graphql": [
        lambda w: {"first": 3},
        lambda w: {"filter": {"search": "ali"}},
        lambda w: {"first": 500},  # over the maximum page size
    ],
    "agency/Node.graphql": [
        lambda w: {"id": w.alice},
        lambda w: {"id": w.entry},
        lambda w: {"id": w.silver},
        lambda w: {"id": w.survey},
    ],
    "agency/PreviewOrderEarning.graphql": [
        lambda w: {"input": _cart("preview-1", {"memberId": w.alice})},
        lambda w: {"input": _cart("preview-2", {"guestId": "guest-1"})},
    ],
    "agency/ProgramSettings.graphql": [lambda w: {}],
    "agency/PreviewTierChange.graphql": [
        lambda w: {"input": {"create": {"name": "Bronze", "threshold": 10}}},
        lambda w: {"input": {"update": {"id": w.gold, "threshold": 300}}},
    ],
    "agency/Segment.graphql": [
        lambda w: {"key": SEGMENT},
        lambda w: {"key": "new", "first": 1},  # built in, a page of one of several
        lambda w: {"key": "at-risk"},  # built in, an overdue rule
        lambda w: {"key": "no-such-segment"},
    ],
    "agency/Segments.graphql": [lambda w: {}],
    "agency/SurveyResults.graphql": [
        lambda w: {"id": w.survey, **EVER},
        lambda w: {"id": w.survey, **EVER, "first": 1},
        lambda w: {"id": w.csat, **EVER},
        # a period before any answer
        lambda w: {"id": w.survey, "from": "2001-01-01T00:00:00Z", "to": "2001-02-01T00:00:00Z"},
        lambda w: {"id": w.alice, **EVER},  # an id of another type
    ],
    "agency/WebhookDeliveries.graphql": [
        lambda w: {"first": 5},
        lambda w: {"filter": {"status": "FAILED", "eventType": "points.changed"}},
        lambda w: {"first": 500},  # over the maximum page size
    ],
    "agency/WebhookEndpoints.graphql": [lambda w: {}],
    "agency/TrustedDocuments.graphql": [
        lambda w: {},
        lambda w: {"client": "web", "first": 1},
        lambda w: {"client": "not a client"},
    ],
    "agency/WinBackCampaign.graphql": [
        lambda w: {"key": CAMPAIGN},
        lambda w: {"key": CAMPAIGN, "days": 1},
        lambda w: {"key": "no-such-campaign"},
    ],
    "mobile/AvailableRewards.graphql": [lambda w: {}, lambda w: {"first": 1}],
    "mobile/Me.graphql": [lambda w: {"historyFirst": 2}, lambda w: {"expiringWithinDays": 365}],
    "mobile/MemberStamps.graphql": [lambda w: {}, lambda w: {"withinDays": 5, "first": 1}],
    "mobile/MyRedemptions.graphql": [lambda w: {}, lambda w: {"status": ["USED"]}],
    "mobile/MyReferrals.graphql": [lambda w: {}],
    "mobile/MyOrders.graphql": [lambda w: {}, lambda w: {"first": 1}],
    "mobile/MySegments.graphql": [lambda w: {}],
    "mobile/OpenSurveys.graphql": [
        lambda w: {"score": 2},  # a detractor's follow-up
        lambda w: {"score": 10, "first": 1},
        lambda w: {"score": 11},  # no score of any kind
    ],
    "storefront/HowItWorks.graphql": [lambda w: {}, lambda w: {"rewards": 1}],
    "storefront/MemberBenefits.graphql": [
        lambda w: {"externalId": "alice"},
        lambda w: {"externalId": "nobody"},
    ],
    "storefront/MemberByExternalId.graphql": [
        lambda w: {"externalId": "alice"},
        lambda w: {"externalId": "nobody"},
    ],
    "storefront/Orders.graphql": [
        lambda w: {},
        lambda w: {"first": 2, "filter": {"externalId": "alice"}},
        lambda w: {"filter": {"guestId": "g-7", "status": "PAID", **EVER}},
        lambda w: {"filter": {"from": EVER["to"], "to": EVER["from"]}},  # backwards
        lambda w: {"first": 500},  # over the maximum page size
    ],
    "storefront/Order.graphql": [
        lambda w: {"orderId": "order-1"},
        lambda w: {"orderId": "guest-1"},
        lambda w: {"orderId": "no-such-order"},
    ],
    "storefront/PreviewOrder.graphql": [
        lambda w: {"input": _cart("preview-1", {"externalId": "alice"})},
        lambda w: {"input": _cart("preview-2", {})},
        lambda w: {"input": {**_cart("preview-3", {}), "currency": "EUR"}},
    ],
    "storefront/Program.graphql": [lambda w: {}],
    "storefront/ProgramTiers.graphql": [lambda w: {}],
    "storefront/ReferralProgram.graphql": [lambda w: {}],
    "storefront/Rewards.graphql": [
        lambda w: {"first": 1},
        lambda w: {"kinds": ["FIXED_AMOUNT"]},
        lambda w: {"after": "not-a-cursor"},
    ],
    "storefront/Reward.graphql": [
        lambda w: {"id": w.reward},
        lambda w: {"id": w.prize},
        lambda w: {"id": w.alice},  # an id of another type
    ],
    "storefront/TierCheckout.graphql": [
        lambda w: {"externalId": "alice", "subtotal": 5000},
        lambda w: {"externalId": "bob", "subtotal": 0},
        lambda w: {"externalId": "alice", "subtotal": -1},
    ],
    "storefront/ValidateCode.graphql": [
        lambda w: {"code": w.issued_code, "subtotal": 3000, "externalId": "alice"},
        lambda w: {"code": w.used_code, "subtotal": 3000},
        lambda w: {"code": w.issued_code, "subtotal": 100, "externalId": "bob"},
    ],
}

CASES = [(path, i) for path, calls in QUERIES.items() for i in range(len(calls))]


def test_every_query_document_is_compared():
    # Given the query documents in graphql/operations/
    documents = documents_of("query")

    # When the suite's table is read
    compared = set(QUERIES)

    # Then every one of them is compared, and nothing else
    assert compared == documents


@pytest.mark.parametrize(("path", "call"), CASES, ids=[f"{p}#{i}" for p, i in CASES])
async def test_query_document_answers_the_same_with_and_without_the_engine(
    path: str,
    call: int,
    fast: AppSide,
    stock: AppSide,
    reference: Reference,
    world: World,
    engine_count: EngineCount,
):
    # Given a document clients send and the variables of a realistic call
    query = (OPERATIONS / path).read_text()
    variables = QUERIES[path][call](world)

    for kind in CREDENTIALS:
        # When each kind of caller sends it to the three sides
        # Then each side answers as the production app does
        await same_everywhere((fast, stock, reference), query, variables, world.credential(kind))

    # And the production app answered every one through the engine
    assert engine_count.direct == len(CREDENTIALS)


@pytest.mark.parametrize("carrier", [ByHash, ByGet], ids=["by its hash", "as a GET"])
@pytest.mark.parametrize("path", sorted(QUERIES))
async def test_query_document_sent_by_its_hash_or_as_a_get_answers_the_same(
    path: str,
    carrier: type[ByHash] | type[ByGet],
    fast: AppSide,
    stock: AppSide,
    reference: Reference,
    world: World,
):
    # Given a document clients send, named by the sha256 of its text alone or in a GET's
    # query string
    query = (OPERATIONS / path).read_text()
    variables = QUERIES[path][0](world)

    for kind in CREDENTIALS:
        # When each kind of caller sends it so to both apps, and its text to the reference
        # Then each answers as the production app does
        await same_everywhere(
            (carrier(fast), carrier(stock), reference), query, variables, world.credential(kind)
        )


async def test_paging_through_history_answers_the_same_page_by_page(
    fast: AppSide, stock: AppSide, reference: Reference, world: World
):
    # Given the agency's member document, one history entry a page
    query = (OPERATIONS / "agency/Member.graphql").read_text()
    variables: dict[str, Any] = {"id": world.alice, "historyFirst": 1}
    pages = 0

    while True:
        # When a page is read on every side
        answer = await same_everywhere(
            (fast, stock, reference), query, variables, world.credential("secret")
        )
        pages += 1

        # Then they agree, and the next page starts where this one ended
        page_info = answer.body["data"]["member"]["history"]["pageInfo"]
        if not page_info["hasNextPage"]:
            break
        variables = {**variables, "historyAfter": page_info["endCursor"]}

    assert pages > 3  # the seeded history really spans pages
