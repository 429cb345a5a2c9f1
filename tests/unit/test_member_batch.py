"""A page's batch read is shared by its members: a member whose wait is cancelled (graphql-core
cancels a list's other items when one fails) leaves the read to the members still waiting,
and the read is made once; a read that every member stopped waiting for is cancelled, and
made anew if one asks again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any, cast

from api.member_loaders import MemberBatch, MemberLoaders
from domain.tier_evaluation import Standing

MEMBERS = [uuid.uuid4(), uuid.uuid4()]


class HeldReads:
    """The page's reads, each held until the test releases it, and counted."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.reads = 0
        self.cancelled = 0

    async def read_standings(self, member_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
        self.reads += 1
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return dict.fromkeys(member_ids)


async def _wait(read: asyncio.Future[dict[uuid.UUID, Standing | None]]) -> Any:
    return await read


async def test_a_member_cancelled_while_others_wait_leaves_them_the_read():
    # given two members of a page waiting for the page's standings
    batch = MemberBatch(MEMBERS)
    held = HeldReads()
    loaders = cast(MemberLoaders, held)
    cancelled = asyncio.ensure_future(_wait(batch.standings(loaders)))
    waiting = asyncio.ensure_future(_wait(batch.standings(loaders)))
    await asyncio.sleep(0)

    # when the first one's wait is cancelled, then the read completes
    cancelled.cancel()
    await asyncio.sleep(0)
    held.release.set()

    # then the other one gets the page's standings, read once, and the page remembers them
    assert await waiting == dict.fromkeys(MEMBERS)
    assert cancelled.cancelled()
    assert held.reads == 1
    assert held.cancelled == 0
    assert batch.standings_read() == dict.fromkeys(MEMBERS)


async def test_a_read_every_member_stopped_waiting_for_is_cancelled_and_read_anew():
    # given a page whose every member stopped waiting for its standings
    batch = MemberBatch(MEMBERS)
    held = HeldReads()
    loaders = cast(MemberLoaders, held)
    gone = [asyncio.ensure_future(_wait(batch.standings(loaders))) for _ in MEMBERS]
    await asyncio.sleep(0)
    for wait in gone:
        wait.cancel()
    await asyncio.sleep(0)

    # when another member of the page asks, and the reads complete
    later = asyncio.ensure_future(_wait(batch.standings(loaders)))
    await asyncio.sleep(0)
    held.release.set()

    # then the read nobody waited for was cancelled, and that member gets a read of its own
    assert await later == dict.fromkeys(MEMBERS)
    assert held.reads == 2
    assert held.cancelled == 1
    assert batch.standings_read() == dict.fromkeys(MEMBERS)
