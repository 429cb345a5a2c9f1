"""Commands sent on connections held out of redis-py's pool, for a command every request sends.

Through the client, one command also goes through the pool's checkout and return (an asyncio
lock each way, its metrics hooks, a check of the socket for unread data), the retry wrapper,
the timing hooks and a task per write for the write timeout: measured on the rate limits'
EVALSHA, three times the CPU of packing, writing and reading the command itself
(docs/performance.md, "Status reads: the budget's round trip"). These connections are taken
from the client's own pool (`get_available_connection`: the pool's settings, address,
credentials, TLS and timeouts, and closed with the client) and kept checked out, one per
command in flight, and the command is written and read on them directly.

What the client's path did that this keeps: the read's timeout (`socket_timeout`; a slow
Redis costs one short wait, then the caller's breaker takes over), the connect timeout, and
no command ever reads another's reply: a connection whose command failed or was interrupted
(a timeout, a cancelled request) is closed before anything else is sent on it, and opened
again by the next command. What it leaves out: the pool's metrics for these connections, and
the periodic PING of an idle connection: a connection Redis closed while it was idle is found
closed before the next command is written (`can_read`, as the pool checks a connection it
hands out) and opened afresh. A command is written at most once: a connection lost after
the write is the caller's error, never a second send.

Single Redis only: a cluster client routes by slot, and its commands go through it.
"""

from __future__ import annotations

from typing import Any

import hiredis
import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

# Checked out at once at most, and never more than a quarter of the pool's connections, so
# the client's other commands keep the rest; past it, commands go through the client.
MAX_HELD = 64

# One set per pool: connections held are never returned to the pool, so every user of a
# client (each app made over one set of services) must share them, or they would add up
# until the pool had none left for anything else. Kept on the pool itself, so they live and
# go with it (a map keyed by pool would keep the pool alive through the client they hold).
_ON_POOL = "loyalty_held_connections"


def held_connections_of(client: aioredis.Redis) -> HeldConnections:
    """The held connections of `client`'s pool, made on first use."""
    pool = client.connection_pool
    held: HeldConnections | None = getattr(pool, _ON_POOL, None)
    if held is None:
        held = HeldConnections(client, limit=min(MAX_HELD, max(1, pool.max_connections // 4)))
        setattr(pool, _ON_POOL, held)
    return held


class HeldConnections:
    def __init__(self, client: aioredis.Redis, limit: int = MAX_HELD) -> None:
        self._client = client
        self._pool = client.connection_pool
        self._limit = limit
        self._idle: list[AbstractConnection] = []
        self._held = 0
        try:  # redis-py's names this relies on, checked once (pinned by requirements.lock)
            self._pool.get_available_connection  # noqa: B018
            AbstractConnection._send_packed_command  # noqa: B018
            AbstractConnection._force_disconnect  # noqa: B018
        except AttributeError as missing:
            raise RuntimeError(f"redis-py no longer has {missing.name}") from None

    async def execute(self, *args: str | bytes | int) -> Any:
        """The command's reply, as `client.execute_command(*args)` answers it without
        response callbacks (EVALSHA has none); raises redis-py's errors as it does. Each
        argument is one word of the command, a str (UTF-8), bytes or an int: hiredis packs
        them as redis-py's packer would, without its per-argument encoder in Python."""
        if self._idle:
            conn = self._idle.pop()
        elif self._held < self._limit:
            conn = self._pool.get_available_connection()
            self._held += 1
        else:
            return await self._client.execute_command(*args)
        try:
            await _close_if_stale(conn)
            reply = await _send(conn, args)
        except ResponseError:  # Redis's answer, read in full (NOSCRIPT): the connection is fine
            self._idle.append(conn)
            raise
        except BaseException:
            conn._force_disconnect()  # its reply may still come: never read by another
            self._idle.append(conn)
            raise
        self._idle.append(conn)
        return reply


async def _close_if_stale(conn: AbstractConnection) -> None:
    """Closes a connection Redis closed while it was idle (or one holding data nobody asked
    for) before anything is written on it, so `_send` opens a new one. A command is written at
    most once: once written, a lost reply is the caller's error, never a second send that
    would spend a budget twice."""
    if not conn.is_connected:
        return
    try:
        stale = await conn.can_read()
    except RedisConnectionError:
        stale = True
    if stale:
        conn._force_disconnect()


async def _send(conn: AbstractConnection, args: tuple[Any, ...]) -> Any:
    if not conn.is_connected:
        await conn.connect()
    await conn._send_packed_command((hiredis.pack_command(args),))
    return await conn.read_response()
