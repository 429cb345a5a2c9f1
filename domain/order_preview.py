"""previewOrder: what an order would earn for its member, tier multiplier included, and
nothing written."""

from __future__ import annotations

from domain.earning import Earning, Order, evaluate, validate_order
from domain.ports import UnitOfWorkFactory
from domain.tier_evaluation import tier_multiplier


async def preview_member_order(uow_factory: UnitOfWorkFactory, order: Order) -> Earning:
    """Earned as recordOrder would earn it now: under the current program, multiplied by
    the tier the member holds (a guest's order, or a member without a tier, by 1)."""
    order = validate_order(order)
    async with uow_factory() as uow:
        multiplier = await tier_multiplier(uow, order.member_id)
        program = await uow.programs.current()
    return evaluate(program, order, multiplier)
