"""Given a page of members with their ledgers, one member of which fails late (after the
page and its ledger were read), then the engine reads the page once and each ledger once,
and answers what stock strawberry answers: the query plan stops and hands the executor what
its resolvers already gave (engine/replay.py) instead of running the query again.

Stock strawberry reads no more than that either; it may read fewer ledgers, when the
failure nulls the whole list and graphql-core cancels the members still being read."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest

import api.http.graphql_endpoint as endpoint
import engine.direct as direct
from api.schema.common.ids import uuid_of
from domain.errors import NotFound
from domain.ledger import LedgerEntry
from engine.replay import Replay
from persistence.repositories.ledger import PgLedgerRepository
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.round_trips import RoundTrips, counting

MEMBERS = 12
PAGE = """
query MembersWithHistory {
  members(first: 20) {
    nodes { externalId points { available } history(first: 5) { nodes { kind wallet points } } }
  }
}
"""


def _refused(entries: list[LedgerEntry]) -> list[LedgerEntry]:
    raise NotFound("This member's ledger is gone.", field=("history",))


def _too_big(entries: list[LedgerEntry]) -> list[LedgerEntry]:
    return [replace(e, available_delta=2**40) for e in entries]  # Int refuses it


def _without_wallet(entries: list[LedgerEntry]) -> list[LedgerEntry]:
    return [replace(e, wallet=None) for e in entries]  # type: ignore[arg-type]  # non-null


# How the one member's field fails once its ledger is read: its resolver raises, a scalar
# refuses a value, a non-null field is null.
FAILURES = {"error": _refused, "refused value": _too_big, "null": _without_wallet}


def _failing_for(member_id: UUID, failure: Any, patch: pytest.MonkeyPatch) -> list[UUID]:
    """Makes this member's ledger, once read, fail as `failure` says; the members whose
    ledger was read, one entry a read, in the list returned."""
    history = PgLedgerRepository.history
    read_for: list[UUID] = []

    async def read(self: PgLedgerRepository, member: UUID, *args: Any) -> list[LedgerEntry]:
        read_for.append(member)
        entries = await history(self, member, *args)
        return failure(entries) if member == member_id else entries

    patch.setattr(PgLedgerRepository, "history", read)
    return read_for


async def _answer(
    gql: GraphQLClient, kit: TenantKit, stock: bool
) -> tuple[dict[str, Any], RoundTrips, list[Any]]:
    """The body of the page, what it read, and what the query plan returned (nothing on
    stock strawberry, which answers with the engine off)."""
    plans: list[Any] = []
    run_plan = direct.run_plan

    async def recorded(*args: Any) -> Any:
        outcome = await run_plan(*args)
        plans.append(outcome)
        return outcome

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(direct, "run_plan", recorded)
        if stock:
            patch.setattr(endpoint, "run_cached", _engine_off)
        with counting(pytest.MonkeyPatch()) as seen:
            response = await gql.raw(PAGE, token=kit.secret_key)
    assert response.status_code == 200, response.text
    body = response.json()
    for error in body.get("errors") or []:
        (error.get("extensions") or {}).pop("requestId", None)
    return body, seen, plans


async def _engine_off(*_args: Any, **_kwargs: Any) -> None:
    return None


@pytest.mark.parametrize("failure", FAILURES)
async def test_a_late_failure_reads_the_page_and_each_ledger_once(
    gql, tenant, enroll, monkeypatch, failure
):
    # given a page of members with points, the seventh of whose ledger fails once read
    members = [await enroll(tenant, f"m{i:02}", points=i + 1) for i in range(MEMBERS)]
    ids = [uuid_of(m, "Member") for m in members]
    read_for = _failing_for(ids[6], FAILURES[failure], monkeypatch)

    # when the page is read on the engine
    engine_body, engine_reads, plans = await _answer(gql, tenant, stock=False)
    engine_read_for = list(read_for)
    # and with the engine off
    read_for.clear()
    stock_body, stock_reads, _ = await _answer(gql, tenant, stock=True)

    # then the plan stopped after its resolvers ran and handed over what they gave
    assert len(plans) == 1 and isinstance(plans[0], Replay)
    # and the engine read the page once, and each member's ledger once (12 reads, not 24)
    assert engine_reads.reads["PgMemberRepository.page"] == 1
    assert engine_reads.reads["PgLedgerRepository.history"] == MEMBERS
    assert sorted(engine_read_for) == sorted(ids)
    # as stock does, at most
    assert stock_reads.reads["PgMemberRepository.page"] == 1
    assert len(read_for) == len(set(read_for)) <= MEMBERS
    # and the answer is stock strawberry's, with the failure at the seventh member's path
    assert engine_body == stock_body
    [error] = engine_body["errors"]
    assert error["path"][:4] == ["members", "nodes", 6, "history"]
