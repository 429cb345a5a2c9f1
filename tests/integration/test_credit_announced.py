"""A credit taken at once by a tenant without tiers writes, in the statement that takes the
balance lock, its own event, the unit of work's events before it and the request's audit
entry: the lock is then held over that statement and the COMMIT. Given such a credit, then
its event names its entry and the balance after it, one audit entry is written by its
transaction, the events added before it come first, and a credit that declines writes none
of them and leaves them to the unit of work. And a transaction holding the member's segment
rows is waited for, never deadlocked with, by a credit that must change them too. A
process's credits of one wallet queue at its gate (persistence/member_gates.py): racing
credits all count, a failed transaction lets its gate go, and the API's credits take it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from api.schema.common.ids import uuid_of
from api.services import Services
from domain.clock import FixedClock
from domain.enrolment import erase
from domain.events import points_changed
from domain.ledger import DEFAULT_WALLET, EntryKind, NewEntry
from domain.points import AdjustPoints, adjust_points
from domain.records.webhooks import NewEvent
from persistence.hearing import Hearing
from persistence.member_gates import MemberGates
from persistence.program_memory import ProgramMemory
from persistence.repositories.tiers import PgTierRepository
from persistence.uow import PgUnitOfWorkFactory
from tests.conftest import ADJUST, CLOCK_START
from tests.support.earning import enroll as enroll_by_api
from tests.support.earning import fetch, schema_of
from tests.support.fast_ways import count_taken
from tests.support.ledger_checks import assert_schema_ledger_consistent

CREATE_SEGMENT = """
mutation CreateSegment($input: CreateSegmentInput!) {
  createSegment(input: $input) { segment { key } errors { code field message } }
}
"""


def _knowing_no_tiers(services: Services, schema: str) -> PgUnitOfWorkFactory:
    hearing = Hearing()
    hearing.listening = True
    return PgUnitOfWorkFactory(services.pool, schema, ProgramMemory(seconds=600, hearing=hearing))


def _credit(member_id: UUID, points: int, key: str) -> NewEntry:
    return NewEntry(
        member_id,
        DEFAULT_WALLET,
        EntryKind.ADJUST,
        available_delta=points,
        pending_delta=0,
        lifetime_delta=points,
        reason=None,
        note=None,
        idempotency_key=None,
        actor=key,
        config_version=None,
    )


async def _locked_once(uow: PgUnitOfWorkFactory, services: Services, kit: Any, member: str) -> UUID:
    """The member's wallet locked once the plain way, so its next due time is known and a
    credit can be taken at once."""
    member_id = uuid_of(member, "Member")
    cache = services.balances.for_tenant(UUID(kit.id))
    clock = FixedClock(CLOCK_START)
    for points, key in ((1, "first"), (-1, "back")):
        cmd = AdjustPoints(member_id, points, DEFAULT_WALLET, None, None, key)
        await adjust_points(uow, cache, clock, cmd)
    return member_id


async def _ready(
    clocked: Any, make_tenant: Any, units: Callable[[Services, str], PgUnitOfWorkFactory]
) -> tuple[Services, Any, str, PgUnitOfWorkFactory, UUID]:
    """A new tenant, its units of work made by `units`, and a member whose wallet's next due
    time is known."""
    services: Services = clocked.services
    kit = await make_tenant()
    schema = await schema_of(services, kit)
    uow = units(services, schema)
    member_id = await _locked_once(uow, services, kit, await enroll_by_api(clocked.gql, kit))
    return services, kit, schema, uow, member_id


async def test_the_credits_event_names_its_entry_and_one_audit_entry_is_written(
    gql, services, tenant, enroll, monkeypatch: pytest.MonkeyPatch
):
    # given a member whose wallet's next due time is known, the process knowing the tenant
    # has no tiers
    member = await enroll(tenant)
    for points in (2, -2):
        given = {"input": {"memberId": member, "points": points}}
        data = await gql(ADJUST, given, token=tenant.secret_key)
        assert data["adjustPoints"]["errors"] == []
    monkeypatch.setattr(PgTierRepository, "known_empty", lambda self: True)
    taken = count_taken(monkeypatch, "credit_at_once_refreshing")

    # when the store's secret key adds 7 points
    data = await gql(ADJUST, {"input": {"memberId": member, "points": 7}}, token=tenant.secret_key)
    payload = data["adjustPoints"]
    assert payload["errors"] == [] and taken == [True], (payload, taken)

    # then its event names the entry written and the balance the answer shows
    member_id = uuid_of(member, "Member")
    entry = await fetch(
        services,
        tenant,
        "SELECT max(id) AS id FROM ledger_entries WHERE member_id = $1",
        member_id,
    )
    events = await fetch(
        services,
        tenant,
        """SELECT data FROM webhook_events WHERE member_id = $1 AND type = 'points.changed'
            ORDER BY id DESC LIMIT 1""",
        member_id,
    )
    data_of = events[0]["data"]
    assert data_of["entryId"] == entry[0]["id"]
    assert data_of["points"] == 7 and data_of["change"]["available"] == 7
    assert data_of["balance"] == payload["points"] == {"available": 7, "pending": 0, "lifetime": 9}
    assert data_of["member"]["id"] == str(member_id)
    # and, but for the member, it is the event points_changed makes of that entry and balance
    uow = PgUnitOfWorkFactory(services.pool, await schema_of(services, tenant))
    async with uow() as unit:
        written = await unit.ledger.entry(entry[0]["id"])
        after = await unit.ledger.balance_after(entry[0]["id"])
    assert written is not None and after is not None
    expected = json.loads(json.dumps(points_changed(written, after).data, default=str))
    assert {k: v for k, v in data_of.items() if k != "member"} == expected
    # and one audit entry, written by the transaction that wrote the entry
    same = await fetch(
        services,
        tenant,
        """SELECT count(*) AS n FROM audit_log a
             JOIN ledger_entries e ON e.xmin::text = a.xmin::text
            WHERE e.id = $1 AND a.action = 'adjustPoints'""",
        entry[0]["id"],
    )
    assert same == [{"n": 1}]
    audited = await fetch(
        services, tenant, "SELECT count(*) AS n FROM audit_log WHERE action = 'adjustPoints'"
    )
    assert audited == [{"n": 3}]


async def test_events_added_before_come_first_and_a_declined_credit_leaves_them(
    clocked, make_tenant
):
    # given a member whose wallet's next due time is known, and one whose is not (a credit
    # declines until the plain way has locked it once)
    services: Services = clocked.services
    kit = await make_tenant()
    schema = await schema_of(services, kit)
    uow = _knowing_no_tiers(services, schema)
    ready = await _locked_once(uow, services, kit, await enroll_by_api(clocked.gql, kit))
    fresh = uuid_of(await enroll_by_api(clocked.gql, kit), "Member")
    at = CLOCK_START + timedelta(minutes=1)

    # when each unit of work adds an event, then asks for a credit at once
    answers = []
    for member_id in (ready, fresh):
        async with uow() as unit:
            unit.events.add(NewEvent("test.before", member_id, at, {"n": 1}))
            answers.append(
                await unit.ledger.credit_at_once_refreshing(
                    _credit(member_id, 5, "test"), None, at, points_changed
                )
            )
            left = list(unit.events.pending)
        await assert_schema_ledger_consistent(services.pool, schema)

        # then the credit taken wrote both events, its own last, and left nothing to write;
        # the declined one wrote nothing and left the event to the unit of work, which wrote
        # it before its COMMIT
        rows = await services.pool.fetch(
            f"""SELECT type FROM "{schema}".webhook_events
                 WHERE member_id = $1 AND occurred_at = $2 ORDER BY id""",
            member_id,
            at,
        )
        if member_id == ready:
            assert answers[-1] is not None and left == []
            assert [r["type"] for r in rows] == ["test.before", "points.changed"]
        else:
            assert answers[-1] is None and [e.type for e in left] == ["test.before"]
            assert [r["type"] for r in rows] == ["test.before"]


async def test_a_credit_waits_for_whoever_holds_the_members_segment_rows(clocked, make_tenant):
    # given a tenant without tiers, a segment of members with 10 points or more, and a
    # member with none whose wallet's next due time is known
    services: Services = clocked.services
    kit = await make_tenant()
    rule = {"condition": {"field": "POINTS_BALANCE", "op": "GTE", "value": 10}}
    body = {"key": "ten", "name": "Ten", "rule": rule}
    data = await clocked.gql(
        CREATE_SEGMENT, {"input": body}, token=kit.operator_token, tenant=kit.slug
    )
    assert data["createSegment"]["errors"] == [], data
    schema = await schema_of(services, kit)
    uow = _knowing_no_tiers(services, schema)
    member_id = await _locked_once(uow, services, kit, await enroll_by_api(clocked.gql, kit))
    cache = services.balances.for_tenant(UUID(kit.id))

    async def credit() -> Any:
        cmd = AdjustPoints(member_id, 12, DEFAULT_WALLET, None, None, "into-ten")
        return await adjust_points(uow, cache, FixedClock(CLOCK_START), cmd)

    # when another transaction has put the member in the segment and not committed yet,
    # the credit (which moves the member into it too) starts, and the other transaction
    # then writes an event of the member and commits
    async with uow() as other:
        await other.segments.replace_memberships([member_id], [("ten", member_id)], CLOCK_START)
        crediting = asyncio.create_task(credit())
        await _until_waiting(services, crediting)
        other.events.add(NewEvent("test.other", member_id, CLOCK_START, {}))

    # then both committed: the credit waited, and neither was chosen as a deadlock's victim
    changed = await asyncio.wait_for(crediting, 30)
    assert changed.balance is not None and changed.balance.available == 12
    held = await services.pool.fetch(
        f'SELECT segment_key FROM "{schema}".segment_members WHERE member_id = $1', member_id
    )
    assert "ten" in {r["segment_key"] for r in held}
    await assert_schema_ledger_consistent(services.pool, schema)


async def _until_waiting(services: Services, task: asyncio.Task[Any]) -> None:
    """Until some statement of the credit's waits for a lock (or the task ends)."""
    for _ in range(200):
        if task.done():
            return
        waiting = await services.pool.fetchval(
            """SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'"""
        )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the credit never waited")


async def test_a_credit_that_waited_out_an_erasure_names_no_external_id(clocked, make_tenant):
    # given a member whose wallet's next due time is known, its balance row held by another
    # transaction, and a credit of it taken at once, waiting for that row
    services, kit, schema, uow, member_id = await _ready(clocked, make_tenant, _knowing_no_tiers)
    cache = services.balances.for_tenant(UUID(kit.id))
    cmd = AdjustPoints(member_id, 4, DEFAULT_WALLET, None, None, "while-erased")
    async with services.pool.acquire() as holder, holder.transaction():
        await holder.execute(
            f'SELECT 1 FROM "{schema}".balances WHERE member_id = $1 FOR UPDATE', member_id
        )
        crediting = asyncio.create_task(adjust_points(uow, cache, FixedClock(CLOCK_START), cmd))
        await _until_waiting(services, crediting)

        # when the member is erased meanwhile, and then the row is let go
        await erase(uow, member_id)

    # then the credit's event, written after the erasure committed, names no externalId
    await asyncio.wait_for(crediting, 30)
    rows = await services.pool.fetch(
        f"""SELECT data -> 'member' ->> 'externalId' AS external_id FROM "{schema}".webhook_events
             WHERE member_id = $1 AND type = 'points.changed'""",
        member_id,
    )
    assert rows and {r["external_id"] for r in rows} == {None}


def _gated(services: Services, schema: str) -> PgUnitOfWorkFactory:
    hearing = Hearing()
    hearing.listening = True
    memory = ProgramMemory(seconds=600, hearing=hearing)
    return PgUnitOfWorkFactory(services.pool, schema, memory, MemberGates())


async def test_racing_credits_queue_at_the_gate_and_all_count(
    clocked, make_tenant, monkeypatch: pytest.MonkeyPatch
):
    # given a member whose wallet's next due time is known, credited through units of work
    # sharing one process's gates
    services, kit, schema, uow, member_id = await _ready(clocked, make_tenant, _gated)
    cache = services.balances.for_tenant(UUID(kit.id))
    entered = count_entered(monkeypatch)

    # when twenty credits of one point race on it
    await asyncio.gather(
        *(
            adjust_points(
                uow,
                cache,
                FixedClock(CLOCK_START),
                AdjustPoints(member_id, 1, DEFAULT_WALLET, None, None, f"race-{i}"),
            )
            for i in range(20)
        )
    )

    # then each went through the gate, every point counted once, and no gate is left
    assert len(entered) == 20
    async with uow() as unit:
        balance = await unit.ledger.read_balance(member_id, DEFAULT_WALLET)
    assert balance.available == 20
    await assert_schema_ledger_consistent(services.pool, schema)
    assert all(len(gates) == 0 for gates in entered)


async def test_a_failed_transaction_lets_its_gate_go(clocked, make_tenant):
    # given a member whose wallet's next due time is known, and gated units of work
    services, _, schema, uow, member_id = await _ready(clocked, make_tenant, _gated)
    at = CLOCK_START + timedelta(minutes=1)

    # when a transaction credits at once and then fails
    with pytest.raises(RuntimeError):
        async with uow() as unit:
            done = await unit.ledger.credit_at_once_refreshing(
                _credit(member_id, 5, "failing"), None, at, points_changed
            )
            assert done is not None
            raise RuntimeError("after the credit")

    # then nothing of it stays, and the next credit passes the gate at once
    async with uow() as unit:
        done = await asyncio.wait_for(
            unit.ledger.credit_at_once_refreshing(
                _credit(member_id, 3, "next"), None, at, points_changed
            ),
            10,
        )
    assert done is not None and done[1].available == 3
    await assert_schema_ledger_consistent(services.pool, schema)


async def test_an_api_credit_goes_through_the_process_gate(
    gql, services, tenant, enroll, monkeypatch: pytest.MonkeyPatch
):
    # given a member whose wallet's next due time is known, the process knowing the tenant
    # has no tiers
    member = await enroll(tenant)
    for points in (2, -2):
        given = {"input": {"memberId": member, "points": points}}
        assert (await gql(ADJUST, given, token=tenant.secret_key))["adjustPoints"]["errors"] == []
    monkeypatch.setattr(PgTierRepository, "known_empty", lambda self: True)
    entered = count_entered(monkeypatch)

    # when the store adds points
    data = await gql(ADJUST, {"input": {"memberId": member, "points": 3}}, token=tenant.secret_key)

    # then the credit waited at the process's gate, which is gone again
    assert data["adjustPoints"]["errors"] == []
    assert entered == [services.member_gates]
    assert len(services.member_gates) == 0


def count_entered(monkeypatch: pytest.MonkeyPatch) -> list[MemberGates]:
    """The gates entered from now on, once per entry."""
    original = MemberGates.enter
    entered: list[MemberGates] = []

    async def counted(self: MemberGates, key: Any) -> None:
        entered.append(self)
        await original(self, key)

    monkeypatch.setattr(MemberGates, "enter", counted)
    return entered


async def test_two_credits_in_one_transaction_pass_the_gate_once(clocked, make_tenant):
    # given a member whose wallet's next due time is known, and gated units of work
    services, _, schema, uow, member_id = await _ready(clocked, make_tenant, _gated)
    at = CLOCK_START + timedelta(minutes=1)

    # when one transaction credits the wallet at once twice
    async with uow() as unit:
        for points, key in ((2, "one"), (3, "two")):
            done = await asyncio.wait_for(
                unit.ledger.credit_at_once_refreshing(
                    _credit(member_id, points, key), None, at, points_changed
                ),
                10,
            )
            assert done is not None

    # then both were written (the second did not wait for the gate the first holds)
    async with uow() as unit:
        balance = await unit.ledger.read_balance(member_id, DEFAULT_WALLET)
    assert balance.available == 5
    await assert_schema_ledger_consistent(services.pool, schema)
