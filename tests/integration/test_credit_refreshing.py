"""A credit of a tenant without tiers reads the segments' refresh inputs in the call that
credits (`credit_at_once` with its refresh, tenant migration 0025), after the balance lock
is held. Given the same operations on two members of one tenant, one whose process knows the
tenant has no tiers (so its credits take that call) and one taking the plain way (the wallet
locked, credited and saved, then the inputs read by a statement of their own), then both end
with the same entries, lots, balances, keys, answers, segment memberships and events; and
credits racing on one member whose segments they change all count, each refresh seeing what
the transaction it waited for committed."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from api.schema.common.ids import uuid_of
from api.services import Services
from domain.clock import FixedClock
from domain.errors import DomainError
from domain.ledger import DEFAULT_WALLET
from domain.points import AdjustPoints, adjust_points
from persistence.hearing import Hearing
from persistence.program_memory import ProgramMemory
from persistence.uow import PgUnitOfWorkFactory
from tests.conftest import CLOCK_START
from tests.support.earning import enroll, order, record, schema_of
from tests.support.fast_ways import count_taken, decline
from tests.support.ledger_checks import assert_schema_ledger_consistent
from tests.support.ledger_snapshot import ledger_of

CREATE_SEGMENT = """
mutation CreateSegment($input: CreateSegmentInput!) {
  createSegment(input: $input) { segment { key } errors { code field message } }
}
"""

operation = st.one_of(
    st.tuples(st.just("adjust"), st.integers(-40, 60).filter(bool), st.booleans()),
    st.tuples(st.just("retry"), st.just(0), st.just(True)),
    st.tuples(st.just("order"), st.integers(0, 6_000), st.just(False)),
)


def _knowing_no_tiers(services: Services, schema: str) -> PgUnitOfWorkFactory:
    """Units of work whose process remembers the tenant's lack of tiers, as a server's does
    while it hears the announcements of changes."""
    hearing = Hearing()
    hearing.listening = True
    return PgUnitOfWorkFactory(services.pool, schema, ProgramMemory(seconds=600, hearing=hearing))


async def _segments(gql: Any, kit: Any, thresholds: list[int]) -> None:
    for n in thresholds:
        rule = {"condition": {"field": "POINTS_BALANCE", "op": "GTE", "value": n}}
        body = {"key": f"at-least-{n}", "name": f"At least {n}", "rule": rule}
        data = await gql(CREATE_SEGMENT, {"input": body}, token=kit.operator_token, tenant=kit.slug)
        assert data["createSegment"]["errors"] == [], data


async def _run(
    clocked: Any,
    kit: Any,
    uow: PgUnitOfWorkFactory,
    member: str,
    prefix: str,
    operations: list[tuple[str, int, bool]],
) -> list[Any]:
    services: Services = clocked.services
    cache = services.balances.for_tenant(UUID(kit.id))
    member_id = uuid_of(member, "Member")
    answers: list[Any] = []
    last_key: str | None = None
    last_points = 0
    for i, (kind, n, keyed) in enumerate(operations):
        if kind == "order":
            body = order(f"{prefix}-o{i}", member, ("SKU-1", 1, n))
            done = await record(clocked.gql, kit, body)
            answers.append((kind, done["pointsDelta"], [e["code"] for e in done["errors"]]))
            continue
        if kind == "retry":
            if last_key is None:
                continue
            key, points = last_key, last_points
        else:
            key, points = (f"{prefix}-k{i}" if keyed else None), n
            if key is not None:
                last_key, last_points = key, n
        cmd = AdjustPoints(member_id, points, DEFAULT_WALLET, "why", None, key, actor="test")
        try:
            changed = await adjust_points(uow, cache, FixedClock(CLOCK_START), cmd)
        except DomainError as err:
            answers.append(("refused", err.code))
            continue
        b = changed.balance
        assert b is not None
        answers.append(
            (
                changed.replayed,
                changed.entry.available_delta,
                (b.available, b.pending, b.lifetime, b.version, b.debt),
            )
        )
    return answers


async def _memberships(services: Services, schema: str, member_id: UUID) -> list[Any]:
    rows = await services.pool.fetch(
        f"""SELECT segment_key, since FROM "{schema}".segment_members WHERE member_id = $1
            ORDER BY segment_key""",
        member_id,
    )
    return [tuple(r.values()) for r in rows]


async def _events(services: Services, schema: str, member_id: UUID, prefix: str = "") -> list[Any]:
    """The member's events, without the member, the entry's id (the ledgers compare the
    entries) and the prefix of their keys and orders."""
    rows = await services.pool.fetch(
        f"""SELECT type, occurred_at,
                   replace((data - 'member' - 'entryId')::text, $2, '')::jsonb AS data
              FROM "{schema}".webhook_events WHERE member_id = $1 ORDER BY id""",
        member_id,
        f"{prefix}-" if prefix else "",
    )
    return [tuple(r.values()) for r in rows]


@settings(
    max_examples=12,
    deadline=None,
    # Every example builds a tenant: shrinking a failure would take many minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    operations=st.lists(operation, min_size=1, max_size=10),
    thresholds=st.lists(st.integers(0, 150), min_size=1, max_size=3, unique=True),
)
async def test_credits_refreshing_at_once_end_as_the_plain_way_ends(
    clocked, make_tenant, monkeypatch: pytest.MonkeyPatch, operations, thresholds
):
    # given a tenant without tiers, segments of members with at least some points, and two
    # members; the credits of one taking the call that credits and reads the refresh inputs
    services: Services = clocked.services
    kit = await make_tenant()
    await _segments(clocked.gql, kit, thresholds)
    schema = await schema_of(services, kit)
    fast_member, plain_member = [await enroll(clocked.gql, kit) for _ in range(2)]
    fast_uow = _knowing_no_tiers(services, schema)
    async with fast_uow() as unit:
        assert await unit.tiers.all() == []
        assert unit.tiers.known_empty()

    # when the same operations are made on each, one way each
    taken = count_taken(monkeypatch, "credit_at_once_refreshing")
    fast = await _run(clocked, kit, fast_uow, fast_member, "fast", operations)
    decline(monkeypatch, "credit_at_once_refreshing", "credit_at_once")
    plain_uow = PgUnitOfWorkFactory(services.pool, schema)
    plain = await _run(clocked, kit, plain_uow, plain_member, "plain", operations)
    monkeypatch.undo()

    # then they answered the same and wrote the same ledger, memberships and events
    assert fast == plain
    fast_id, plain_id = uuid_of(fast_member, "Member"), uuid_of(plain_member, "Member")
    assert await ledger_of(services, schema, fast_id, "fast") == await ledger_of(
        services, schema, plain_id, "plain"
    )
    assert await _memberships(services, schema, fast_id) == await _memberships(
        services, schema, plain_id
    )
    assert await _events(services, schema, fast_id, "fast") == await _events(
        services, schema, plain_id, "plain"
    )
    await assert_schema_ledger_consistent(services.pool, schema)
    # and every credit asked for the call, which was taken once the wallet had been locked
    # the plain way (its next due time known) by the first credit at the latest
    credits = [n for kind, n, _ in operations if kind == "adjust" and n > 0]
    assert len(taken) == len(credits)
    if len(credits) > 1:
        assert any(taken), (operations, taken)


async def test_racing_credits_that_move_the_member_all_count_and_enter_once(
    clocked, make_tenant, monkeypatch: pytest.MonkeyPatch
):
    # given a tenant without tiers whose process knows it, a segment of members with at
    # least 15 points and one of members with fewer than 10, and a member with none whose
    # wallet has been locked once (its next due time known)
    services: Services = clocked.services
    kit = await make_tenant()
    await _segments(clocked.gql, kit, [15])
    rule = {"condition": {"field": "POINTS_BALANCE", "op": "LT", "value": 10}}
    body = {"key": "few", "name": "Few", "rule": rule}
    data = await clocked.gql(
        CREATE_SEGMENT, {"input": body}, token=kit.operator_token, tenant=kit.slug
    )
    assert data["createSegment"]["errors"] == [], data
    schema = await schema_of(services, kit)
    member_id = uuid_of(await enroll(clocked.gql, kit), "Member")
    uow = _knowing_no_tiers(services, schema)
    cache = services.balances.for_tenant(UUID(kit.id))
    clock = FixedClock(CLOCK_START)

    def adjust(points: int, key: str) -> Any:
        cmd = AdjustPoints(member_id, points, DEFAULT_WALLET, None, None, key)
        return adjust_points(uow, cache, clock, cmd)

    await adjust(1, "first")
    await adjust(-1, "back")
    async with uow() as unit:
        assert await unit.tiers.all() == []
        before = await unit.ledger.read_balance(member_id, DEFAULT_WALLET)

    taken = count_taken(monkeypatch, "credit_at_once_refreshing")

    # when twenty credits of one point race on it
    await asyncio.gather(*(adjust(1, f"race-{i}") for i in range(20)))

    # then each was credited by the call that also read the refresh inputs
    assert taken == [True] * 20

    # and every point counted, once
    async with uow() as unit:
        balance = await unit.ledger.read_balance(member_id, DEFAULT_WALLET)
    assert (balance.available, balance.version) == (20, before.version + 20)
    await assert_schema_ledger_consistent(services.pool, schema)
    # and the member is in the segment of 15 points or more, out of the one of fewer than 10
    held = {key for key, _ in await _memberships(services, schema, member_id)}
    assert held & {"at-least-15", "few"} == {"at-least-15"}
    # and each was entered once: the credit that reached 15 entered it, and every later one
    # found it held (read after the lock, not as it was before the wait)
    entered = [
        e[2]["segment"]["key"]
        for e in await _events(services, schema, member_id)
        if e[0] == "segment.entered"
    ]
    assert (entered.count("at-least-15"), entered.count("few")) == (1, 1), entered


_RESULT_COLUMNS = """
SELECT a.name, a.type::regtype::text AS type
  FROM pg_proc p,
       unnest(p.proargnames, p.proallargtypes, p.proargmodes::text[])
           WITH ORDINALITY AS a(name, type, mode, n)
 WHERE p.pronamespace = $1::regnamespace AND p.proname = $2 AND a.mode = 't'
 ORDER BY a.n"""


async def test_the_credit_answers_the_refresh_inputs_columns_last(services: Services, tenant):
    # given a tenant schema at the latest migration
    schema = await schema_of(services, tenant)

    # when the result columns of the refresh inputs and of the credit are read
    inputs = await services.pool.fetch(_RESULT_COLUMNS, schema, "segment_refresh_inputs")
    credit = await services.pool.fetch(_RESULT_COLUMNS, schema, "credit_at_once")

    # then the credit's end with exactly the refresh inputs' (a migration that changes one
    # changes both), after the entry's and the balance's
    assert len(inputs) == 14 and len(credit) == 21 + 14
    assert [tuple(r.values()) for r in credit[21:]] == [tuple(r.values()) for r in inputs]
