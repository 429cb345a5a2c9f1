"""Commands on held connections answer what the client answers, and never read another's reply."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from persistence.balance_cache import redis_client
from persistence.held_connections import HeldConnections


def _held(client: aioredis.Redis, limit: int = 4) -> HeldConnections:
    return HeldConnections(client, limit=limit)


async def test_replies_are_the_clients(redis_dsn):
    # given a key and a script
    client = redis_client(redis_dsn, timeout=2)
    assert isinstance(client, aioredis.Redis)
    held = _held(client)
    key = "held:" + uuid.uuid4().hex
    try:
        await client.rpush(key, "a", "b")
        sha = await client.script_load("return {KEYS[1], ARGV[1], redis.call('LLEN', KEYS[1])}")
        # when the same commands go through both
        ours = [
            await held.execute("LRANGE", key, 0, -1),
            await held.execute("EVALSHA", sha, 1, key, "x"),
        ]
        theirs = [await client.lrange(key, 0, -1), await client.evalsha(sha, 1, key, "x")]
        # and words in UTF-8, bytes and ints are packed as the client packs them
        words = [await held.execute("ECHO", w) for w in ("grüße", b"\xff", 12)]
        # then an error reply is raised as the client raises it
        with pytest.raises(NoScriptError):
            await held.execute("EVALSHA", "0" * 40, 0)
        after_error = await held.execute("LLEN", key)
    finally:
        await client.delete(key)
        await client.aclose()
    assert ours == theirs
    assert words == ["grüße".encode(), b"\xff", b"12"]
    assert after_error == 2


async def _cancelled(held: HeldConnections, key: str) -> None:
    waiting = asyncio.ensure_future(held.execute("BLPOP", key, 2))
    await asyncio.sleep(0.2)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def _timed_out(held: HeldConnections, key: str) -> None:
    with pytest.raises(RedisTimeoutError):
        await held.execute("BLPOP", key, 1)


@pytest.mark.parametrize(
    ("wait", "interrupted"), [(5.0, _cancelled), (0.2, _timed_out)], ids=["cancelled", "timeout"]
)
async def test_an_interrupted_command_never_answers_the_next(redis_dsn, wait, interrupted):
    # given a command waiting for its reply on the one held connection
    client = redis_client(redis_dsn, timeout=wait)
    held = _held(client, limit=1)
    key = "held:" + uuid.uuid4().hex
    try:
        # when it is cancelled or outlasts the client's timeout, and its reply comes later
        await interrupted(held, key)
        await client.rpush(key, "late")
        # then the next command on that connection reads its own reply
        assert await held.execute("ECHO", "own") == b"own"
    finally:
        await client.delete(key)
        await client.aclose()


async def test_a_connection_closed_by_redis_while_idle_is_opened_again(redis_dsn):
    async with _one_held(redis_dsn, read_seconds=2) as (client, held):
        # given a held connection that served a command, then was closed by Redis
        own_id = await held.execute("CLIENT", "ID")
        await client.execute_command("CLIENT", "KILL", "ID", own_id)
        # when the next command is sent on it
        answer = await held.execute("ECHO", "again")
    # then it is sent on a new socket, and answered
    assert answer == b"again"


async def test_a_command_is_never_written_twice(redis_dsn):
    key = f"held-once-{uuid.uuid4()}"
    async with _one_held(redis_dsn, read_seconds=5) as (client, held):
        # given a held connection waiting on a blocking pop
        own_id = await held.execute("CLIENT", "ID")
        waiting = asyncio.create_task(held.execute("BLPOP", key, 3))
        await asyncio.sleep(0.3)
        # when Redis drops that connection after the command was written, then an item arrives
        await client.execute_command("CLIENT", "KILL", "ID", own_id)
        with pytest.raises(RedisConnectionError):
            await waiting
        await client.rpush(key, "item")
        await asyncio.sleep(0.3)
        # then the pop was not sent again: the item is still there
        assert await client.llen(key) == 1
        assert await held.execute("ECHO", "after") == b"after"
        await client.delete(key)


@asynccontextmanager
async def _one_held(
    redis_dsn: str, read_seconds: float
) -> AsyncIterator[tuple[Any, HeldConnections]]:
    client = redis_client(redis_dsn, timeout=read_seconds)
    try:
        yield client, _held(client, limit=1)
    finally:
        await client.aclose()


async def test_past_the_limit_commands_go_through_the_client(redis_dsn):
    # given one held connection, busy
    client = redis_client(redis_dsn, timeout=5)
    held = _held(client, limit=1)
    key = "held:" + uuid.uuid4().hex
    try:
        busy = asyncio.ensure_future(held.execute("BLPOP", key, 2))
        await asyncio.sleep(0.1)
        # when another command is sent meanwhile, it is answered (through the client's pool)
        assert await held.execute("ECHO", "pooled") == b"pooled"
        await client.rpush(key, "v")
        assert await busy == [key.encode(), b"v"]
    finally:
        await client.delete(key)
        await client.aclose()
