"""The balance cache in memory, as persistence/balance_cache.py keeps it in Redis: a put
only stores a newer version than the one held (the compare-and-set script's rule)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from domain.ledger import Balance


class FakeBalanceCache:
    def __init__(self) -> None:
        self.held: dict[tuple[UUID, str], Balance] = {}
        self.announced: list[UUID] = []

    async def get(self, member_id: UUID, wallet: str) -> Balance | None:
        return self.held.get((member_id, wallet))

    async def put(self, balance: Balance) -> None:
        key = (balance.member_id, balance.wallet)
        current = self.held.get(key)
        if current is None or balance.version > current.version:
            self.held[key] = balance

    async def get_many(self, member_ids: Sequence[UUID], wallet: str) -> dict[UUID, Balance]:
        return {m: self.held[m, wallet] for m in member_ids if (m, wallet) in self.held}

    async def put_many(self, balances: Sequence[Balance]) -> None:
        for balance in balances:
            await self.put(balance)

    async def announce(self, member_id: UUID) -> None:
        self.announced.append(member_id)
