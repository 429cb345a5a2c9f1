"""Waiting on a read that several fields share, without one of them cancelling it for all.

graphql-core cancels the other items of a list (and the other fields of an object) when one
fails with an error that nulls their parent. A field cancelled while it awaits a future
cancels that future: when the future is a read other fields share (a page's batch, a
DataLoader's load), they all received `CancelledError` and the request ended with a server
error. Each field therefore waits through a shield of its own, and the read is cancelled
only when the last field waiting for it is gone (a client that went away, every item of the
list cancelled): a read nobody waits for is not worth a database connection.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")


class SharedWaits:
    """Counts who waits on each shared read, and cancels a read its last waiter left."""

    __slots__ = ("_waiting",)

    def __init__(self) -> None:
        self._waiting: dict[asyncio.Future[Any], int] = {}

    def wait(self, read: asyncio.Future[T]) -> asyncio.Future[T]:
        """`read`, for one more waiter: cancelling what this returns cancels this wait."""
        if read.done():
            return read
        waiting = self._waiting
        waiting[read] = waiting.get(read, 0) + 1
        mine = asyncio.shield(read)
        mine.add_done_callback(partial(self._left, read))
        return mine

    def _left(self, read: asyncio.Future[Any], mine: asyncio.Future[Any]) -> None:
        if not mine.cancelled():
            # Whoever awaits `mine` sees the error; a wait left unawaited (a query plan that
            # gave up before it) must not log it again as never retrieved.
            mine.exception()
        waiting = self._waiting
        left = waiting[read] - 1
        if left:
            waiting[read] = left
            return
        del waiting[read]
        if not read.done():  # every waiter was cancelled
            read.cancel()


def abandoned(read: asyncio.Future[Any]) -> bool:
    """Whether `read` was cancelled, or is being: a new waiter must start it anew."""
    if read.cancelled():
        return True
    return isinstance(read, asyncio.Task) and read.cancelling() > 0
