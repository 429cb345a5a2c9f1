"""The one listening connection per process that carries every announcement of a change
(PostgreSQL LISTEN/NOTIFY): key revocations, externalId changes, program changes.

Each cache that remembers what such changes invalidate subscribes to its channel. The
connection is watched, because a lost one means lost announcements:

- when PostgreSQL closes it (a restart, a crash, a terminated backend), asyncpg's
  termination listener fires; when it goes silent instead (a network partition), a periodic
  `SELECT 1` on it times out. Either way every cache forgets everything at once and, until
  the connection is back, trusts what it reads for a short time only (persistence/hearing.py);
- it is opened again with capped, jittered backoff; once the channels are listened to again,
  every cache forgets everything once more (anything could have changed while nobody was
  listening), and from then on a change is forgotten the moment it is announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from persistence.backoff import backoff_delay
from persistence.hearing import Hearing

log = logging.getLogger("loyalty.announcements")


class Subscriber(Protocol):
    """A cache kept fresh by the announcements on its `channel`."""

    channel: str

    def on_notification(self, conn: object, pid: int, channel: str, payload: object) -> None: ...

    def forget_all(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ListenerTiming:
    retry_first: float = 0.1
    retry_cap: float = 5.0
    # How often a quiet connection is asked whether it still answers, and for how long.
    check_every: float = 5.0
    check_timeout: float = 2.0
    connect_timeout: float = 5.0


class AnnouncementListener:
    def __init__(
        self,
        pool: asyncpg.Pool,
        subscribers: Sequence[Subscriber],
        hearing: Hearing,
        timing: ListenerTiming | None = None,
    ) -> None:
        self._pool = pool
        self._subscribers = tuple(subscribers)
        self._hearing = hearing
        self._timing = timing or ListenerTiming()
        self._conn: PoolConnectionProxy | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # How many times the connection came back after it was lost.
        self.reconnects = 0

    @property
    def listening(self) -> bool:
        return self._hearing.listening

    @property
    def server_pid(self) -> int | None:
        """The PostgreSQL backend serving the listening connection, if any."""
        conn = self._conn
        return conn.get_server_pid() if conn is not None and _open(conn) else None

    async def start(self) -> None:
        """Listens before it returns (a process that cannot listen does not start), then
        keeps listening in the background until `stop`."""
        await self._listen()
        self._task = asyncio.create_task(self._keep_listening(), name="announcement-listener")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # Waits for it to end without taking its cancellation for this caller's own.
            await asyncio.wait({task}, timeout=self._timing.connect_timeout)
        self._deafened(quietly=True)
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            async with asyncio.timeout(self._timing.check_timeout):
                await self._unlisten(conn)
        except Exception:  # a connection that does not answer is not handed back to the pool
            await self._discard(conn)

    async def _unlisten(self, conn: PoolConnectionProxy) -> None:
        conn.remove_termination_listener(self._on_terminated)
        for subscriber in self._subscribers:
            await conn.remove_listener(subscriber.channel, subscriber.on_notification)
        await self._pool.release(conn)

    async def _listen(self) -> None:
        conn = await self._pool.acquire(timeout=self._timing.connect_timeout)
        try:
            conn.add_termination_listener(self._on_terminated)
            for subscriber in self._subscribers:
                await conn.add_listener(subscriber.channel, subscriber.on_notification)
        except BaseException:
            await self._discard(conn)
            raise
        self._conn = conn
        self._lost.clear()
        # Every change from now on is announced; what was read before may be stale.
        self._forget_all()
        self._hearing.listening = True

    async def _keep_listening(self) -> None:
        while True:
            await self._until_lost()
            conn, self._conn = self._conn, None
            if conn is not None:
                await self._discard(conn)
            await self._reconnect()

    async def _until_lost(self) -> None:
        while True:
            _end_if_stopped()
            # asyncio.timeout, not wait_for: on Python 3.11, wait_for can turn a cancellation
            # (stop) that meets the timeout into a TimeoutError, and the loop would go on.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._timing.check_every):
                    await self._lost.wait()
                return
            if not await self._answers():
                self._deafened()
                return

    async def _answers(self) -> bool:
        conn = self._conn
        if conn is None or not _open(conn):
            return False
        try:
            async with asyncio.timeout(self._timing.check_timeout):
                await conn.fetchval("SELECT 1")
        except Exception as exc:  # whatever the reason, announcements cannot be relied on
            log.warning("the listening connection does not answer: %r", exc)
            return False
        return True

    async def _reconnect(self) -> None:
        attempt = 0
        while True:
            _end_if_stopped()
            await asyncio.sleep(
                backoff_delay(attempt, first=self._timing.retry_first, cap=self._timing.retry_cap)
            )
            try:
                await self._listen()
            except Exception as exc:  # the server is still away: try again later
                log.log(
                    logging.WARNING if attempt == 0 else logging.DEBUG,
                    "cannot listen for announcements yet (attempt %d): %r",
                    attempt + 1,
                    exc,
                )
                attempt += 1
                continue
            self.reconnects += 1
            log.warning("listening for announcements again after %d attempts", attempt + 1)
            return

    def _on_terminated(self, conn: object) -> None:
        # Called by asyncpg as soon as the connection is closed: forget at once, before any
        # other request of this process can be answered from what may now be stale.
        self._deafened()

    def _deafened(self, *, quietly: bool = False) -> None:
        if self._hearing.listening and not quietly:
            log.warning("lost the listening connection: caches trust nothing for long")
        self._hearing.listening = False
        self._forget_all()
        self._lost.set()

    def _forget_all(self) -> None:
        for subscriber in self._subscribers:
            subscriber.forget_all()

    async def _discard(self, conn: PoolConnectionProxy) -> None:
        if _open(conn):
            conn.remove_termination_listener(self._on_terminated)
            conn.terminate()
        with contextlib.suppress(Exception):
            await self._pool.release(conn, timeout=self._timing.connect_timeout)


def _end_if_stopped() -> None:
    """Ends the loop when `stop` has cancelled it, even if a library on the way swallowed
    the cancellation (a loop that outlives `stop` holds a pool connection for good)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _open(conn: PoolConnectionProxy) -> bool:
    # The pool takes a connection back (and detaches the proxy) as soon as it is closed.
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:
        return False
