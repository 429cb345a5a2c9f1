"""Operators' segments: creating, changing and deleting a definition. Built-ins can be
changed (their name, their thresholds or their whole rule) but not deleted; a change of any
definition makes the worker's next pass start at once, since it moves members."""

from __future__ import annotations

from dataclasses import replace

from domain.clock import Clock
from domain.errors import DomainError, Duplicate, NotFound
from domain.partial_updates import PartialUpdate
from domain.ports import UnitOfWorkFactory
from domain.segment_membership import restart_pass
from domain.segments import (
    BUILTIN_KEYS,
    Segment,
    in_force,
    validate_key,
    validate_name,
    validate_rule,
)

MAX_SEGMENTS = 200


def _checked(segment: Segment) -> Segment:
    return replace(
        segment,
        key=validate_key(segment.key),
        name=validate_name(segment.name),
        rule=validate_rule(segment.rule),
    )


async def create_segment(uow_factory: UnitOfWorkFactory, clock: Clock, segment: Segment) -> Segment:
    checked = _checked(segment)
    async with uow_factory() as uow:
        stored = await uow.segments.stored()
        if checked.key in BUILTIN_KEYS or any(s.key == checked.key for s in stored):
            raise Duplicate("A segment with this key exists.", field=("key",))
        if len(stored) >= MAX_SEGMENTS:
            raise DomainError(f"A program has at most {MAX_SEGMENTS} segments.", field=("key",))
        await uow.segments.save(replace(checked, builtin=False), clock.now())
        await restart_pass(uow)
    return checked


async def update_segment(
    uow_factory: UnitOfWorkFactory, clock: Clock, key: str, update: PartialUpdate
) -> Segment:
    async with uow_factory() as uow:
        current = {s.key: s for s in in_force(await uow.segments.stored())}.get(key)
        if current is None:
            raise NotFound("No such segment.", field=("key",))
        changed = _checked(replace(update.applied_to(current), key=current.key))
        await uow.segments.save(changed, clock.now())
        await restart_pass(uow)
    return changed


async def delete_segment(uow_factory: UnitOfWorkFactory, key: str) -> None:
    if key in BUILTIN_KEYS:
        raise DomainError("A built-in segment cannot be deleted.", field=("key",))
    async with uow_factory() as uow:
        if not await uow.segments.delete(key):
            raise NotFound("No such segment.", field=("key",))
