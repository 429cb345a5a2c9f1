"""Reading one member's stamp card: stamps collected, the card, and cards completed."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.ledger import Balance, EntryKind
from domain.points import read_balance
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
