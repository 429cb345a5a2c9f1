"""Reading one member's stamp card: stamps collected, the card, and cards completed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from domain.ledger import Balance, EntryKind
from domain.points import read_balance, read_balances
from domain.ports import BalanceCache, UnitOfWorkFactory
from domain.stamp_card import STAMPS_WALLET, StampCard
from domain.stamp_rules import on_card


@dataclass(frozen=True, slots=True)
class StampStanding:
    balance: Balance
    card: StampCard
    cards_completed: int

    @property
    def collected(self) -> int:
        return on_card(self.card.card_size, self.balance.spendable)

    @property
    def progress(self) -> float:
        """Share of the current card collected, 0 to 1."""
        return self.collected / self.card.card_size


async def member_stamps(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, member_id: UUID
) -> StampStanding | None:
    """None when the program has no stamp card."""
    async with uow_factory() as uow:
        card = (await uow.programs.current()).stamp_card
        if card is None:
            return None
        completed = await uow.ledger.count_entries(member_id, STAMPS_WALLET, EntryKind.REDEEM)
    balance = await read_balance(uow_factory, cache, member_id, STAMPS_WALLET)
    return StampStanding(balance, card, completed)


async def members_stamps(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, member_ids: Sequence[UUID]
) -> dict[UUID, StampStanding | None]:
    """`member_stamps` of a page of members: one unit of work for the card and every
    member's completed cards, one batched balance read (domain.points.read_balances)."""
    async with uow_factory() as uow:
        card = (await uow.programs.current()).stamp_card
        if card is None:
            return dict.fromkeys(member_ids)
        completed = await uow.ledger.count_entries_of(member_ids, STAMPS_WALLET, EntryKind.REDEEM)
    balances = await read_balances(uow_factory, cache, member_ids, STAMPS_WALLET)
    return {m: StampStanding(balances[m], card, completed[m]) for m in member_ids}
