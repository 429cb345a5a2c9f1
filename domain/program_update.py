"""How a partial configureProgram merges into the program: fields left out keep their
values, lists given replace the old ones, and a damaged field stays flagged until set."""

from __future__ import annotations

from dataclasses import replace

from domain.partial_updates import PartialUpdate
from domain.program import ProgramConfig, still_damaged


def updated_program(current: ProgramConfig, update: PartialUpdate) -> ProgramConfig:
    changes = update.changes()
    # A field stored damaged (unreadable in an older version) is mended only by setting it.
    damaged = still_damaged(current, set(changes))
    return replace(update.applied_to(current), damaged=damaged)
