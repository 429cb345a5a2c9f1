"""Telling the request's own cancellation from a read cancelled under one of its fields.

`asyncio.CancelledError` is a BaseException: graphql-core, strawberry and the plans catch
`Exception`, so a CancelledError that reaches them ends the whole request with a server
error. That is right when the request's task itself is being cancelled (the client went
away, or graphql-core cancels an item of a list whose sibling failed, its answer no longer
needed). It is wrong when a field merely awaited something that was cancelled under it (a
read shared with an item that was cancelled): the request goes on, and that field's answer
is an error at its path like any other unexpected error (masked `INTERNAL`, logged).

Shared reads are waited on through shields so that this does not happen
(api/shared_waits.py); this is what makes it a field's error instead of a crash if it ever
does.
"""

from __future__ import annotations

import asyncio


class ReadCancelled(Exception):
    """A value a field awaited was cancelled while the request itself was not."""

    def __init__(self) -> None:
        super().__init__("A value this field waited for was cancelled.")


def cancelling() -> bool:
    """Whether the running task is being cancelled: a CancelledError it sees is its own."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def field_error(cancelled: asyncio.CancelledError) -> BaseException:
    """What to raise for `cancelled`, caught where a field's value was awaited: the same
    when the task is being cancelled, else a ReadCancelled, an error of that field."""
    if cancelling():
        return cancelled
    error = ReadCancelled()
    error.__cause__ = cancelled
    return error
