"""The fakes of the ports behave as a transaction over a schema with its constraints."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from domain.ledger import DEFAULT_WALLET, Balance, EntryKind, NewEntry
from domain.records.members import MemberDraft
from tests.unit.fakes import FakeBalanceCache, FakeDatabase, FakeUnitOfWorkFactory
from tests.unit.fakes.conformance import ports_of

NOW = datetime(2026, 3, 2, tzinfo=UTC)


async def test_a_failed_unit_of_work_leaves_nothing_but_used_ids():
    # given a factory over a fresh database
    uow = FakeUnitOfWorkFactory()

    # when a unit of work adds a member, then fails
    with pytest.raises(RuntimeError):
        async with uow() as unit:
            gone = await unit.members.add(MemberDraft(external_id="a"), "CODE2345", NOW)
            raise RuntimeError("boom")

    # then the member is not there, and its seq is not handed out again (as a sequence)
    async with uow() as unit:
        assert await unit.members.get(gone.id) is None
        kept = await unit.members.add(MemberDraft(external_id="a"), "CODE2345", NOW)
    assert kept.seq == gone.seq + 1
    assert list(uow.db.tables.members) == [kept.id]


async def test_a_balance_below_zero_is_refused_as_the_schema_refuses_it():
    # given a member with a balance row
    uow = FakeUnitOfWorkFactory()
    async with uow() as unit:
        member = await unit.members.add(MemberDraft(external_id="a"), "CODE2345", NOW)
        balance = await unit.ledger.lock_balance(member.id, DEFAULT_WALLET)

    # when a unit of work stores it at -1
    with pytest.raises(asyncpg.CheckViolationError):
        async with uow() as unit:
            await unit.ledger.save_balance(replace(balance, available=-1))

    # then the row is as it was
    async with uow() as unit:
        assert await unit.ledger.read_balance(member.id, DEFAULT_WALLET) == balance


async def test_an_entry_for_a_member_who_does_not_exist_is_refused():
    # when an entry names nobody
    uow = FakeUnitOfWorkFactory()
    entry = NewEntry(
        member_id=uuid4(),
        wallet=DEFAULT_WALLET,
        kind=EntryKind.ADJUST,
        available_delta=1,
        pending_delta=0,
        lifetime_delta=1,
    )
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        async with uow() as unit:
            await unit.ledger.append(entry, NOW)

    # then the ledger is empty
    assert uow.db.tables.entries == {}


async def test_one_unit_of_work_is_open_at_a_time_and_repositories_live_inside_it():
    # given a database
    uow = FakeUnitOfWorkFactory(FakeDatabase())

    # when a second unit opens inside the first, and a repository is used after it closed
    async with uow() as outer:
        with pytest.raises(RuntimeError):
            async with uow():
                pass
    with pytest.raises(AssertionError):
        _ = outer.members

    # then every port has its fake
    assert len(ports_of(uow.db)) == 19


def test_the_fakes_stand_apart_from_the_adapters_they_imitate():
    # given every module of the fakes
    fakes = Path(__file__).resolve().parent / "fakes"
    modules = sorted(fakes.glob("*.py"))
    assert modules

    # when their imports are read
    adapters = {"persistence", "api", "tenants", "redis", "strawberry", "starlette"}
    found = {m.name: _top_level_imports(m) & adapters for m in modules}

    # then none borrows from an adapter or an outer layer (asyncpg only for its error types)
    assert {name: bad for name, bad in found.items() if bad} == {}


def _top_level_imports(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


async def test_the_fake_cache_keeps_the_newest_version_it_was_given():
    # given a cached balance at version 2
    cache = FakeBalanceCache()
    member_id = uuid4()
    newer = Balance(member_id, DEFAULT_WALLET, 20, 0, 20, 2)
    await cache.put(newer)

    # when a slow reader puts version 1 back, alone and in a batch
    await cache.put(replace(newer, available=10, version=1))
    await cache.put_many([replace(newer, available=10, version=1)])

    # then version 2 stays
    assert await cache.get(member_id, DEFAULT_WALLET) == newer
    assert await cache.get_many([member_id, uuid4()], DEFAULT_WALLET) == {member_id: newer}
