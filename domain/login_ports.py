"""What operator login needs from outside, as protocols: the accounts, the password
hasher, and the throttle of failed attempts."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class OperatorAccount(Protocol):
    @property
    def id(self) -> UUID: ...
    @property
    def email(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def password_hash(self) -> str: ...


class OperatorAccounts(Protocol):
    async def operator_by_email(self, email: str) -> OperatorAccount | None: ...
    async def set_password_hash(self, operator_id: UUID, password_hash: str) -> None: ...


class PasswordHasher(Protocol):
    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether the password is the hash's; None (no such account) costs as much and is
        never a match. Raises RateLimited when too busy to check now."""
        ...

    async def hash(self, password: str) -> str: ...
    def needs_rehash(self, password_hash: str) -> bool:
        """Hashed with parameters other than today's."""
        ...


class LoginAttempt(Protocol):
    async def check(self) -> None:
        """Raises RateLimited while the account or the address is locked out."""
        ...

    async def failed(self) -> None: ...
    async def succeeded(self) -> None: ...


class LoginThrottle(Protocol):
    def attempt(self, email: str, address: str) -> LoginAttempt: ...
