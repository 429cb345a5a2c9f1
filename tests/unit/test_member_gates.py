"""The process's gates of busy wallets: one holder at a time, the others let in in the order
they came; a gate nobody holds or waits for is dropped, whether its waiters were let in or
cancelled."""

from __future__ import annotations

import asyncio

import pytest

from persistence.member_gates import MemberGates


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_waiters_are_let_in_one_at_a_time_in_the_order_they_came():
    # given a gate held, and five waiting for it in turn
    gates = MemberGates()
    await gates.enter("w")
    order: list[int] = []

    async def wait(n: int) -> None:
        await gates.enter("w")
        order.append(n)

    waiters = []
    for n in range(5):
        waiters.append(asyncio.create_task(wait(n)))
        await _settle()
    assert order == []

    # when each holder lets go in turn
    for _ in range(5):
        gates.release("w")
        await _settle()

    # then they came in one at a time, first come first, and the last one still holds it
    await asyncio.gather(*waiters)
    assert order == [0, 1, 2, 3, 4]
    assert len(gates) == 1
    gates.release("w")
    assert len(gates) == 0


async def test_another_wallets_gate_does_not_wait():
    gates = MemberGates()
    await gates.enter("a")
    await asyncio.wait_for(gates.enter("b"), 1)
    gates.release("a")
    gates.release("b")
    assert len(gates) == 0


async def test_a_cancelled_waiter_leaves_nothing_behind():
    # given a gate held and a waiter for it
    gates = MemberGates()
    await gates.enter("w")
    waiter = asyncio.create_task(gates.enter("w"))
    await _settle()

    # when the waiter is cancelled, then the holder lets go
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gates.release("w")

    # then the gate is gone, and taken again at once
    assert len(gates) == 0
    await asyncio.wait_for(gates.enter("w"), 1)
    gates.release("w")
