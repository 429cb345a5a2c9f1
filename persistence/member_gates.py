"""One at-once credit of a wallet at a time per process: the rest of the process's credits of
that wallet wait here, in the order they came, not on the balance row in PostgreSQL (its
plain-way credits and spends still wait there).

A busy member's credits queue on its balance row. Queued in PostgreSQL, every commit wakes
the waiters that followed the row's update chain to the holder's version, and they contend
for the lock manager while the row's page stays pinned. Queued here, PostgreSQL sees at most
one of the process's at-once credits of the wallet waiting.

The gate is taken right before the statement that takes the row lock and let go when the
transaction ends, so the order of waits is gate, then row: a transaction holds at most one
gate, and nothing waits for a gate while holding the row or a lock another credit at the
gate needs (what a credit holds by then is its own idempotency key). The wait is bounded
(GATE_WAIT): past it, the credit waits in PostgreSQL, which sees any circle of waits. One
set of gates per process (api/services.py), given to the units of work of requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from uuid import UUID

# The longest an at-once credit waits at its wallet's gate.
GATE_WAIT = 5.0


class MemberGates:
    """Gates made on first use, dropped once nobody holds or waits for them."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    async def enter(self, key: Hashable) -> None:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:
            self._leave(key)
            raise

    def release(self, key: Hashable) -> None:
        lock, _ = self._locks[key]
        lock.release()
        self._leave(key)

    def _leave(self, key: Hashable) -> None:
        lock, users = self._locks[key]
        if users == 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)


class GateHold:
    """A unit of work's hold on the process's gates: at most one gate (a second at-once
    credit of the transaction waits in PostgreSQL, as without gates), waited for GATE_WAIT
    at most, let go by `release` when the transaction ends."""

    def __init__(self, gates: MemberGates, schema: str) -> None:
        self._gates = gates
        self._schema = schema
        self._held: Hashable | None = None

    async def enter(self, wallet: tuple[UUID, str]) -> None:
        """The gate of the wallet (member, wallet) of this tenant's schema."""
        if self._held is not None:
            return
        key = (self._schema, *wallet)
        try:
            await asyncio.wait_for(self._gates.enter(key), GATE_WAIT)
        except TimeoutError:
            return
        self._held = key

    def release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            self._gates.release(held)
