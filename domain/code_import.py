"""importRewardCodes: a pool reward's codes uploaded, and how many of them were new."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.catalog import import_codes
from domain.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class CodeImport:
    imported: int
    # Codes the pool held already, and repeats within the upload (as typed: case and
    # surrounding spaces aside): every code given that added nothing.
    duplicates: int


async def import_reward_codes(
    uow_factory: UnitOfWorkFactory, reward_id: UUID, codes: list[str]
) -> CodeImport:
    added = await import_codes(uow_factory, reward_id, codes)
    return CodeImport(imported=added, duplicates=len(codes) - added)
