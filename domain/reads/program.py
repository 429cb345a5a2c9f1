"""Reading the program's public data: the tiers members can hold."""

from __future__ import annotations

from domain.ports import UnitOfWorkFactory
from domain.tier_definitions import tier_definitions
from domain.tiers import Tier


async def program_tiers(uow_factory: UnitOfWorkFactory, *, include_archived: bool) -> list[Tier]:
    """Lowest first; an archived tier, held by no one, only when asked for."""
    found = (await tier_definitions(uow_factory)).tiers
    return [x for x in found if include_archived or not x.archived]
