"""The program configuration and the referral settings are versioned rows: a save adds the
next version, and a second save of that same version is refused as a conflict."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.errors import DomainError, ErrorCode
from persistence.program_memory import ProgramMemory
from persistence.uow import PgUnitOfWorkFactory
from tests.support.earning import schema_of

AT = datetime(2026, 1, 1, tzinfo=UTC)


async def test_a_second_save_of_one_program_version_is_a_conflict(services, tenant):
    # given the program's current version, saved once as the next version
    uow = PgUnitOfWorkFactory(services.pool, await schema_of(services, tenant))
    async with uow() as unit:
        current = await unit.programs.current()
        first = replace(current, version=current.version + 1, pending_days=3)
        await unit.programs.save(first, AT, "first")

    # when another change saves that same version
    with pytest.raises(DomainError) as refused:
        async with uow() as unit:
            await unit.programs.save(replace(first, pending_days=9), AT, "second")

    # then it is refused as a conflict, and the first save is the current version
    assert refused.value.code is ErrorCode.CONFLICT
    async with uow() as unit:
        assert await unit.programs.current() == first


async def test_a_second_save_of_one_referral_settings_version_is_a_conflict(services, tenant):
    # given the referral settings, saved once as the next version
    uow = PgUnitOfWorkFactory(services.pool, await schema_of(services, tenant))
    async with uow() as unit:
        current = await unit.referrals.settings()
        first = replace(current, version=current.version + 1, cap=5)
        await unit.referrals.save_settings(first, AT, "first")

    # when another change saves that same version
    with pytest.raises(DomainError) as refused:
        async with uow() as unit:
            await unit.referrals.save_settings(replace(first, cap=7), AT, "second")

    # then it is refused as a conflict, and the first save is the current version
    assert refused.value.code is ErrorCode.CONFLICT
    async with uow() as unit:
        assert await unit.referrals.settings() == first


async def test_a_unit_of_work_reads_the_program_it_saved_and_a_rollback_leaves_it(services, tenant):
    # given units of work that remember the program in the process's memory of it
    memory = ProgramMemory(seconds=60)
    uow = PgUnitOfWorkFactory(services.pool, await schema_of(services, tenant), memory)
    async with uow() as unit:
        before = await unit.programs.current()

    # when one saves the next version and reads the program again, and rolls back
    with pytest.raises(RuntimeError):
        async with uow() as unit:
            saved = replace(before, version=before.version + 1, pending_days=4)
            await unit.programs.save(saved, AT, "rolled back")
            inside = await unit.programs.current()
            raise RuntimeError("roll back")

    # then it read its own save, and afterwards the program is as it was
    assert inside == saved
    async with uow() as unit:
        assert await unit.programs.current() == before
    assert memory.program(await schema_of(services, tenant)) == before

    # and a committed save is what the next unit of work reads
    async with uow() as unit:
        await unit.programs.save(saved, AT, "kept")
    async with uow() as unit:
        assert await unit.programs.current() == saved
