"""Changing the program: every change is a new version; earlier versions stay readable."""

from __future__ import annotations

from collections.abc import Callable

from domain.birthday_gifts import check_birthday_gift
from domain.clock import Clock
from domain.paid_memberships import check_membership_plans
from domain.ports import UnitOfWorkFactory
from domain.program import ProgramConfig, next_version
from domain.welcome import check_welcome_offer


async def configure_program(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    change: Callable[[ProgramConfig], ProgramConfig],
    by: str | None,
) -> ProgramConfig:
    """Applies `change` to the current configuration and saves the result as a new version."""
    async with uow_factory() as uow:
        current = await uow.programs.latest()
        updated = next_version(current, change(current))
        if updated.welcome != current.welcome:
            await check_welcome_offer(uow, updated.welcome)
        if updated.birthday_gift != current.birthday_gift:
            await check_birthday_gift(uow, updated.birthday_gift)
        if updated.memberships != current.memberships:
            await check_membership_plans(uow, updated.memberships)
        await uow.programs.save(updated, clock.now(), by)
    return updated


async def current_program(uow_factory: UnitOfWorkFactory) -> ProgramConfig:
    async with uow_factory() as uow:
        return await uow.programs.current()
