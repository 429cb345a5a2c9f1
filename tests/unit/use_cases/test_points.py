"""Adjusting and reading points (domain/points.py)."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import pytest

from domain import enrolment
from domain.errors import ErrorCode, IdempotencyKeyReused, InsufficientPoints, NotFound
from domain.ledger import DEFAULT_WALLET, Balance, EntryKind
from domain.points import AdjustPoints, adjust_points, read_balance, read_balances
from tests.unit.fakes.checks import entry_count


def _adjust(member_id, points, key=None, **fields):
    return AdjustPoints(member_id, points, DEFAULT_WALLET, "goodwill", None, key, **fields)


async def test_a_credit_adds_a_lot_an_entry_and_tells_the_cache(world):
    # given a member
    member = await world.member()

    # when 120 points are credited
    changed = await adjust_points(world.uow, world.cache, world.clock, _adjust(member.id, 120))

    # then the entry, the balance and the cache agree
    assert changed.entry.kind is EntryKind.ADJUST and changed.entry.points == 120
    assert changed.balance == Balance(member.id, DEFAULT_WALLET, 120, 0, 120, 1)
    assert await world.cache.get(member.id, DEFAULT_WALLET) == changed.balance
    assert [lot.remaining for lot in world.db.tables.lots.values()] == [120]


async def test_a_debit_never_takes_the_balance_below_zero(world):
    # given a member with 100 points
    member = await world.member(points=100)

    # when 101 points are taken
    with pytest.raises(InsufficientPoints):
        await adjust_points(world.uow, world.cache, world.clock, _adjust(member.id, -101))

    # then nothing moved; 100 can be taken
    assert (await world.balance(member.id)).available == 100
    assert entry_count(world.db, member.id) == 1
    debited = await world.adjust(member.id, -100)
    assert (debited.available, debited.lifetime) == (0, 100)


async def test_the_same_key_and_input_replays_the_first_entry(world):
    # given a credit under a key
    member = await world.member()
    first = await adjust_points(world.uow, world.cache, world.clock, _adjust(member.id, 30, "k1"))

    # when it is sent again
    again = await adjust_points(world.uow, world.cache, world.clock, _adjust(member.id, 30, "k1"))

    # then the first entry is the answer and the points moved once
    assert again.replayed and again.entry == first.entry
    assert (await world.balance(member.id)).available == 30


async def test_the_same_key_with_other_input_is_refused(world):
    # given a credit under a key
    member = await world.member()
    await adjust_points(world.uow, world.cache, world.clock, _adjust(member.id, 30, "k1"))

    # when the key comes with another amount
    with pytest.raises(IdempotencyKeyReused) as refused:
        await adjust_points(world.uow, world.cache, world.clock, _adjust(member.id, 31, "k1"))

    # then it is IDEMPOTENCY_KEY_REUSED and nothing moved
    assert refused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert (await world.balance(member.id)).available == 30


async def test_a_member_is_named_by_external_id_with_a_key(world):
    # given a member known to the store as "shop-9"
    member = await world.member(external_id="shop-9")
    cmd = replace(_adjust(None, 40, "k2"), external_id="shop-9")

    # when points are credited by externalId, twice under one key
    first = await adjust_points(world.uow, world.cache, world.clock, cmd)
    again = await adjust_points(world.uow, world.cache, world.clock, cmd)

    # then the member got them once
    assert first.member == member and again.replayed
    assert (await world.balance(member.id)).available == 40


async def test_an_unknown_or_erased_member_gets_nothing(world):
    # given an erased member
    erased = await world.member()
    await enrolment.erase(world.uow, erased.id)

    # when points are credited to nobody, and to the erased member
    with pytest.raises(NotFound):
        await adjust_points(world.uow, world.cache, world.clock, _adjust(uuid4(), 5, "k"))
    with pytest.raises(Exception) as refused:
        await adjust_points(world.uow, world.cache, world.clock, _adjust(erased.id, 5))

    # then the erased member is not active, and the key stays free
    assert refused.value.code is ErrorCode.MEMBER_NOT_ACTIVE
    assert world.db.tables.idempotency_keys == {}


async def test_a_balance_is_read_from_the_cache_then_from_the_ledger(world):
    # given a member with points, and a cache that has forgotten them
    member = await world.member(points=70)
    world.cache.held.clear()

    # when the balance is read twice
    first = await read_balance(world.uow, world.cache, member.id, DEFAULT_WALLET)
    opened = world.uow.opened
    second = await read_balance(world.uow, world.cache, member.id, DEFAULT_WALLET)

    # then the first read went to the ledger and filled the cache; the second did not
    assert first.available == 70 == second.available
    assert world.uow.opened == opened


async def test_balances_of_many_members_come_back_for_each_even_without_a_row(world):
    # given one member with points, one without, and one cached
    rich, poor = await world.member(points=10), await world.member()
    world.cache.held.clear()
    await world.cache.put(Balance(rich.id, DEFAULT_WALLET, 10, 0, 10, 1))

    # when both are read
    found = await read_balances(world.uow, world.cache, [rich.id, poor.id, rich.id], DEFAULT_WALLET)

    # then each has a balance, the one without a row an empty one
    assert found[rich.id].available == 10
    assert found[poor.id] == Balance.empty(poor.id)
