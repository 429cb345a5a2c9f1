"""configureStampCard: a partial update of the program's stamp card, saved as a new
program version (an order's stamps are reversed by the card they were earned under)."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from domain.clock import Clock
from domain.configuration import configure_program
from domain.errors import DomainError, NotFound
from domain.partial_updates import PartialUpdate
from domain.ports import UnitOfWorkFactory
from domain.program import ProgramConfig
from domain.stamp_card import StampCard


def updated_card(current: StampCard | None, update: PartialUpdate) -> StampCard:
    """Fields left out keep their values (a first card starts from the defaults); giving
    one kind of reward forgets the other."""
    changes = update.changes()
    base = current or StampCard()
    if changes.get("reward_points") is not None:
        base = replace(base, reward_id=None)
    if changes.get("reward_id") is not None:
        base = replace(base, reward_points=None)
    return update.applied_to(base)


async def configure_stamp_card(
    uow_factory: UnitOfWorkFactory, clock: Clock, update: PartialUpdate, by: str | None
) -> ProgramConfig:
    card_reward = update.changes().get("reward_id")
    if isinstance(card_reward, UUID):
        async with uow_factory() as uow:
            reward = await uow.rewards.get(card_reward)
        if reward is None:
            raise NotFound("No such reward.", field=("rewardId",))
        if reward.points_cost is None:
            # A full card is paid for with the reward's points cost, credited and spent.
            raise DomainError("A card's reward needs a fixed points cost.", field=("rewardId",))
    return await configure_program(
        uow_factory,
        clock,
        lambda program: replace(program, stamp_card=updated_card(program.stamp_card, update)),
        by,
    )
