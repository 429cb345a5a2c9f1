"""A read several fields wait on: cancelling one wait leaves it to the others, and it is
cancelled only when its last waiter is gone."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from api.shared_waits import SharedWaits, abandoned


async def _wait(read: asyncio.Future[Any]) -> Any:
    return await read


async def test_a_cancelled_wait_leaves_the_read_to_the_others():
    # given a read two fields wait on
    waits = SharedWaits()
    read: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    cancelled = asyncio.ensure_future(_wait(waits.wait(read)))
    waiting = asyncio.ensure_future(_wait(waits.wait(read)))
    await asyncio.sleep(0)

    # when one wait is cancelled, then the read completes
    cancelled.cancel()
    await asyncio.sleep(0)
    read.set_result(7)

    # then the other field gets its value
    assert await waiting == 7
    assert cancelled.cancelled()
    assert not abandoned(read)


async def test_the_last_wait_cancelled_cancels_the_read():
    # given a read two fields wait on
    waits = SharedWaits()
    read: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    both = [asyncio.ensure_future(_wait(waits.wait(read))) for _ in range(2)]
    await asyncio.sleep(0)

    # when both waits are cancelled
    for wait in both:
        wait.cancel()
    await asyncio.gather(*both, return_exceptions=True)
    await asyncio.sleep(0)

    # then the read is cancelled, and said to be abandoned
    assert read.cancelled()
    assert abandoned(read)


async def test_a_done_read_is_its_own_wait():
    waits = SharedWaits()
    read: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    read.set_result(3)

    assert waits.wait(read) is read


async def test_a_failed_read_left_unawaited_is_not_reported_as_never_retrieved():
    # given a wait on a read that nobody awaits (a query plan gave up before awaiting it)
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        waits = SharedWaits()
        read: asyncio.Future[int] = loop.create_future()
        waits.wait(read)

        # when the read fails and the wait is collected
        read.set_exception(RuntimeError("the page's read failed"))
        for _ in range(3):
            await asyncio.sleep(0)
        gc.collect()
    finally:
        loop.set_exception_handler(previous)

    # then nothing is reported: the error was for whoever awaited the wait
    assert reported == []
