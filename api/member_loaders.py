"""Per-request batches of the reads of members that came in a list.

A page of members that asks for each member's `points`, `tier` or `availableRewards` would
read them one member at a time: a Redis round trip per balance, a transaction per tier, two
per member's rewards, a statement per member's orders. Two ways batch them:

- A page's members share a `MemberBatch`: the first of them asked for its points (or tier,
  or available rewards) reads those of the whole page at once (domain.points.read_balances,
  domain.tier_evaluation.member_standings, domain.catalog.availabilities), and the others
  find theirs already read. No member waits for another to be asked, so a query plan
  completes such a page a field at a time, the field of all its members by one call of the
  field's batch resolver, and starts the page's batches (points, tiers, rewards) side by
  side (engine/query_plan.py, `BATCHED`).
- Members reached one by one from a list (a referral's friend, that friend's referrer) use
  the request's DataLoaders: a list's items are completed together, so every item's load
  starts before any of them waits, and a DataLoader answers them with one read.

A member that came alone (`me`, `member(…)`) uses neither: a DataLoader costs a future and
an event-loop tick per load, which a single member's status read must not pay.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from functools import partial
from typing import Any, TypeVar, cast
from uuid import UUID

from strawberry.dataloader import DataLoader

from api.shared_waits import SharedWaits, abandoned
from domain.catalog import Availability, Shopper, availabilities
from domain.clock import Clock
from domain.ledger import DEFAULT_WALLET, Balance
from domain.points import read_balances
from domain.ports import BalanceCache, UnitOfWorkFactory
from domain.reads.orders import ListedOrder, orders_of_members
from domain.reads.segments import segments_of_members
from domain.reads.stamps import StampStanding, members_stamps
from domain.records.orders import OrderPosition
from domain.tier_evaluation import Standing, member_standings, member_tier_names
from domain.viewers import Viewer

BalanceKey = tuple[UUID, str]  # (member id, wallet)
Offers = dict[UUID, list[Availability]]  # each member's available rewards
T = TypeVar("T")


class MemberLoaders:
    def __init__(self, uow: UnitOfWorkFactory, cache: BalanceCache, clock: Clock) -> None:
        self._uow = uow
        self._cache = cache
        self._clock = clock
        # Loading functions of the module given what they read, not bound methods: a loader
        # holding a method of its owner made a reference cycle per page, left for the
        # garbage collector's full collections, which stop every request in flight.
        self.balances: DataLoader[BalanceKey, Balance] = DataLoader(
            partial(_load_balances, uow, cache)
        )
        self.standings: DataLoader[UUID, Standing | None] = DataLoader(
            partial(_load_standings, uow, clock)
        )
        # A loader hands every item that loads the same key the same future: an item
        # cancelled while it waits must not cancel it for the others (api/shared_waits.py).
        self._waits = SharedWaits()

    def balance(self, member_id: UUID, wallet: str) -> asyncio.Future[Balance]:
        """The member's balance, read with the other members' loaded before it runs."""
        return self._waits.wait(
            cast(asyncio.Future[Balance], self.balances.load((member_id, wallet)))
        )

    def standing(self, member_id: UUID) -> asyncio.Future[Standing | None]:
        load = self.standings.load(member_id)
        return self._waits.wait(cast(asyncio.Future[Standing | None], load))

    async def read_balances(self, member_ids: Sequence[UUID], wallet: str) -> dict[UUID, Balance]:
        return await read_balances(self._uow, self._cache, member_ids, wallet)

    async def read_standings(self, member_ids: Sequence[UUID]) -> dict[UUID, Standing | None]:
        return await member_standings(self._uow, member_ids, self._clock.now())

    async def read_tier_names(self, member_ids: Sequence[UUID]) -> dict[UUID, str | None]:
        return await member_tier_names(self._uow, member_ids)

    async def read_segments(self, member_ids: Sequence[UUID]) -> dict[UUID, frozenset[str]]:
        return await segments_of_members(self._uow, member_ids)

    async def read_stamps(self, member_ids: Sequence[UUID]) -> dict[UUID, StampStanding | None]:
        return await members_stamps(self._uow, self._cache, member_ids)

    async def read_orders(
        self,
        viewer: Viewer,
        member_ids: Sequence[UUID],
        after: OrderPosition | None,
        limit: int,
    ) -> dict[UUID, list[ListedOrder]]:
        return await orders_of_members(self._uow, viewer, member_ids, after, limit)

    async def read_offers(self, shoppers: Sequence[Shopper], limit: int) -> Offers:
        return await availabilities(self._uow, self._clock.now(), shoppers, limit)


async def _load_balances(
    uow: UnitOfWorkFactory, cache: BalanceCache, keys: list[BalanceKey]
) -> list[Balance]:
    by_wallet: defaultdict[str, list[UUID]] = defaultdict(list)
    for member_id, wallet in keys:
        by_wallet[wallet].append(member_id)
    found: dict[BalanceKey, Balance] = {}
    for wallet, member_ids in by_wallet.items():
        read = await read_balances(uow, cache, member_ids, wallet)
        found.update(((m, wallet), b) for m, b in read.items())
    return [found[key] for key in keys]


async def _load_standings(
    uow: UnitOfWorkFactory, clock: Clock, member_ids: list[UUID]
) -> list[Standing | None]:
    found = await member_standings(uow, member_ids, clock.now())
    return [found[m] for m in member_ids]


class MemberBatch:
    """The members of one page: what one of them is first asked for is read for all."""

    def __init__(self, member_ids: Sequence[UUID]) -> None:
        self._ids = list(member_ids)
        # Each read of the page, by what it reads: started once, shared by every member.
        self._reads: dict[Hashable, asyncio.Future[Any]] = {}
        self._waits = SharedWaits()

    def balances_read(self, wallet: str) -> dict[UUID, Balance] | None:
        """The page's balances in this wallet, when they have been read (and not failed)."""
        return _done(self._reads.get(("balances", wallet)))

    def standings_read(self) -> dict[UUID, Standing | None] | None:
        return _done(self._reads.get("standings"))

    def offers_read(self, limit: int) -> Offers | None:
        """The page's available rewards (the first `limit` live rewards), when read."""
        return _done(self._reads.get(("offers", limit)))

    def balances(self, loaders: MemberLoaders, wallet: str) -> asyncio.Future[dict[UUID, Balance]]:
        """The page's balances in this wallet."""
        return self._once(("balances", wallet), lambda: loaders.read_balances(self._ids, wallet))

    def standings(self, loaders: MemberLoaders) -> asyncio.Future[dict[UUID, Standing | None]]:
        return self._once("standings", lambda: loaders.read_standings(self._ids))

    def tier_names(self, loaders: MemberLoaders) -> asyncio.Future[dict[UUID, str | None]]:
        """The tiers the page's members hold, by name."""
        return self._once("tier_names", lambda: loaders.read_tier_names(self._ids))

    def segments(self, loaders: MemberLoaders) -> asyncio.Future[dict[UUID, frozenset[str]]]:
        """The keys of the segments each of the page's members is in."""
        return self._once("segments", lambda: loaders.read_segments(self._ids))

    def stamps(self, loaders: MemberLoaders) -> asyncio.Future[dict[UUID, StampStanding | None]]:
        """Each of the page's members' stamp cards (None without a card)."""
        return self._once("stamps", lambda: loaders.read_stamps(self._ids))

    def orders(
        self, loaders: MemberLoaders, viewer: Viewer, after: OrderPosition | None, limit: int
    ) -> asyncio.Future[dict[UUID, list[ListedOrder]]]:
        """A page of each of the page's members' orders (`limit` of each, before `after`),
        in one statement, and their refunds in one more."""
        return self._once(
            ("orders", after, limit),
            lambda: loaders.read_orders(viewer, self._ids, after, limit),
        )

    def offers(self, loaders: MemberLoaders, limit: int) -> asyncio.Future[Offers]:
        """The page's available rewards among the first `limit` live rewards. The balances
        are the page's `points` batch in the default wallet: a page asking for both reads
        them once."""
        return self._once(("offers", limit), lambda: self._read_offers(loaders, limit))

    def _once(self, what: Hashable, read: Callable[[], Awaitable[T]]) -> asyncio.Future[T]:
        """The page's read of `what`, started the first time it is asked: a task of its own,
        so that members completed side by side, and the page's other reads, wait on it
        together. A member cancelled while it waits does not cancel the read for the others
        (api/shared_waits.py); a read every member stopped waiting for is started anew when
        one asks again."""
        started = self._reads.get(what)
        if started is None or abandoned(started):
            started = self._reads[what] = asyncio.ensure_future(read())
        return self._waits.wait(started)

    async def _read_offers(self, loaders: MemberLoaders, limit: int) -> Offers:
        balances, tiers = await asyncio.gather(
            self.balances(loaders, DEFAULT_WALLET), self.tier_names(loaders)
        )
        shoppers = [Shopper(m, balances[m].spendable, tiers[m]) for m in self._ids]
        return await loaders.read_offers(shoppers, limit)


def _done(read: asyncio.Future[T] | None) -> T | None:
    if read is None or not read.done() or read.cancelled() or read.exception() is not None:
        return None
    return read.result()
