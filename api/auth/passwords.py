"""Operator passwords: argon2id through argon2-cffi, rehashed when parameters change, hashed
off the event loop (PasswordWork)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import RateLimited

_T = TypeVar("_T")

_hasher = PasswordHasher()

# Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


class PasswordWork:
    """Runs argon2 on a few threads of its own, so a burst of logins never blocks the event
    loop (argon2-cffi releases the GIL while it hashes). At most `max_pending` hashes are in
    flight, running or waiting; one more is refused at once with RATE_LIMITED, so a flood of
    logins cannot queue work for minutes."""

    def __init__(self, workers: int = 2, max_pending: int = 32) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="argon2")
        self._max_pending = max(1, max_pending)
        self._pending = 0

    @property
    def pending(self) -> int:
        """Hashes in flight: running or waiting for a thread."""
        return self._pending

    async def _run(self, fn: Callable[..., _T], *args: Any) -> _T:
        if self._pending >= self._max_pending:
            raise RateLimited("Too many logins at once; try again shortly.", retry_after=1)
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        finally:
            self._pending -= 1

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """As verify_password: an unknown account (None) still costs one argon2 check."""
        return await self._run(verify_password, password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return needs_rehash(password_hash)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
