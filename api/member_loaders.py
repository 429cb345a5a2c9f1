"""Per-request batches of the reads of members that came in a list.

A page of members that asks for each member's `points` or `tier` would read them one member
at a time: a Redis round trip per balance, a transaction per tier. A list's items are
completed together (by a query plan, api/schema/query_plan.py, as by graphql-core's
executor): every item's resolvers start before any of them waits, so a DataLoader collects
every member's request of the page and answers them with one read of all of them
(domain.points.read_balances, domain.tier_evaluation.member_standings).

Only members that came in a list use these: a DataLoader costs a future and an event-loop
tick per load, which a single member's status read (`me { points }`) must not pay.
"""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from strawberry.dataloader import DataLoader

from domain.clock import Clock
from domain.ledger import Balance
from domain.points import read_balances
from domain.ports import BalanceCache, UnitOfWorkFactory
from domain.tier_evaluation import Standing, member_standings

BalanceKey = tuple[UUID, str]  # (member id, wallet)


class MemberLoaders:
    def __init__(self, uow: UnitOfWorkFactory, cache: BalanceCache, clock: Clock) -> None:
        self._uow = uow
        self._cache = cache
        self._clock = clock
        self.balances: DataLoader[BalanceKey, Balance] = DataLoader(self._balances)
        self.standings: DataLoader[UUID, Standing | None] = DataLoader(self._standings)

    async def _balances(self, keys: list[BalanceKey]) -> list[Balance]:
        by_wallet: defaultdict[str, list[UUID]] = defaultdict(list)
        for member_id, wallet in keys:
            by_wallet[wallet].append(member_id)
        found: dict[BalanceKey, Balance] = {}
        for wallet, member_ids in by_wallet.items():
            read = await read_balances(self._uow, self._cache, member_ids, wallet)
            found.update(((m, wallet), b) for m, b in read.items())
        return [found[key] for key in keys]

    async def _standings(self, member_ids: list[UUID]) -> list[Standing | None]:
        found = await member_standings(self._uow, member_ids, self._clock.now())
        return [found[m] for m in member_ids]
