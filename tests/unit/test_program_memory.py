"""What a process remembers of a tenant's program and of its having no tiers: per schema,
never a read that raced a change, nothing while this process is changing it, and nothing
once announcements may have been missed."""

from __future__ import annotations

import time

import pytest

from domain.program import ProgramConfig
from persistence.hearing import Hearing
from persistence.program_memory import ProgramMemory, SchemaMemory

SCHEMA, OTHER_SCHEMA = "t_shop", "t_other"
V1, V2 = ProgramConfig(version=1), ProgramConfig(version=2)


def test_a_program_and_no_tiers_are_remembered_for_their_schema_only():
    # given a process that read a tenant's program and found it has no tiers
    memory = ProgramMemory()

    # when it remembers them
    memory.remember_program(SCHEMA, V1, changes=memory.changes)
    memory.remember_without_tiers(SCHEMA, changes=memory.changes)

    # then they answer for that schema, and for no other
    assert memory.program(SCHEMA) == V1
    assert memory.without_tiers(SCHEMA)
    assert memory.program(OTHER_SCHEMA) is None
    assert not memory.without_tiers(OTHER_SCHEMA)


def test_a_read_that_raced_a_change_is_not_remembered():
    # given a read that began before an announcement about the schema arrived
    memory = ProgramMemory()
    before = memory.changes
    memory.on_notification(None, 0, ProgramMemory.channel, SCHEMA)

    # when what it read comes back
    memory.remember_program(SCHEMA, V1, changes=before)
    memory.remember_without_tiers(SCHEMA, changes=before)

    # then it is read again next time
    assert memory.program(SCHEMA) is None
    assert not memory.without_tiers(SCHEMA)


def test_an_announcement_forgets_its_schema_only():
    memory = ProgramMemory()
    for schema in (SCHEMA, OTHER_SCHEMA):
        memory.remember_program(schema, V1, changes=memory.changes)
        memory.remember_without_tiers(schema, changes=memory.changes)

    memory.on_notification(None, 0, ProgramMemory.channel, SCHEMA)

    assert (memory.program(SCHEMA), memory.without_tiers(SCHEMA)) == (None, False)
    assert (memory.program(OTHER_SCHEMA), memory.without_tiers(OTHER_SCHEMA)) == (V1, True)


def test_nothing_is_used_or_remembered_while_this_process_changes_the_schema():
    # given a remembered program, and a unit of work of this process starting a change
    memory = ProgramMemory()
    memory.remember_program(SCHEMA, V1, changes=memory.changes)
    changing = SchemaMemory(memory, SCHEMA)
    changing.begin_change()

    # when other units of work read and remember the schema meanwhile
    assert memory.program(SCHEMA) is None
    bystander = SchemaMemory(memory, SCHEMA)
    bystander.remember_program(V1, changes=memory.changes)
    bystander.remember_without_tiers(changes=memory.changes)

    # then nothing is remembered until the changing transaction has ended, and after it
    # only what is read from then on
    assert (bystander.program(), bystander.without_tiers()) == (None, False)
    during = memory.changes
    changing.transaction_ended()
    bystander.remember_program(V1, changes=during)
    assert memory.program(SCHEMA) is None
    bystander.remember_program(V2, changes=memory.changes)
    assert memory.program(SCHEMA) == V2
    # the unit of work that changed the schema ends its change once only
    changing.transaction_ended()
    assert memory.program(SCHEMA) == V2


def test_two_changes_at_once_keep_the_schema_unused_until_both_ended():
    memory = ProgramMemory()
    first, second = SchemaMemory(memory, SCHEMA), SchemaMemory(memory, SCHEMA)
    first.begin_change()
    second.begin_change()

    first.transaction_ended()
    memory.remember_program(SCHEMA, V1, changes=memory.changes)
    assert memory.program(SCHEMA) is None

    second.transaction_ended()
    memory.remember_program(SCHEMA, V2, changes=memory.changes)
    assert memory.program(SCHEMA) == V2


def test_the_unit_of_work_that_changes_the_program_reads_its_own_transaction():
    memory = ProgramMemory()
    memory.remember_program(SCHEMA, V1, changes=memory.changes)
    unit = SchemaMemory(memory, SCHEMA)
    assert unit.program() == V1

    unit.begin_change()

    assert unit.program() is None
    assert not unit.without_tiers()


def test_a_lost_listener_forgets_everything():
    memory = ProgramMemory()
    for schema in (SCHEMA, OTHER_SCHEMA):
        memory.remember_program(schema, V1, changes=memory.changes)
        memory.remember_without_tiers(schema, changes=memory.changes)
    before = memory.changes

    memory.forget_all()
    memory.remember_program(SCHEMA, V2, changes=before)

    for schema in (SCHEMA, OTHER_SCHEMA):
        assert (memory.program(schema), memory.without_tiers(schema)) == (None, False)


def _heard() -> Hearing:
    hearing = Hearing()
    hearing.listening = True
    return hearing


def test_what_is_remembered_lasts_the_cache_time(monkeypatch: pytest.MonkeyPatch):
    memory = ProgramMemory(seconds=5, hearing=_heard())
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now)
    memory.remember_program(SCHEMA, V1, changes=memory.changes)
    memory.remember_without_tiers(SCHEMA, changes=memory.changes)

    monkeypatch.setattr(time, "monotonic", lambda: now + 4.9)
    assert (memory.program(SCHEMA), memory.without_tiers(SCHEMA)) == (V1, True)
    monkeypatch.setattr(time, "monotonic", lambda: now + 5.0)
    assert (memory.program(SCHEMA), memory.without_tiers(SCHEMA)) == (None, False)


def test_a_cache_time_of_zero_remembers_nothing():
    memory = ProgramMemory(seconds=0)

    memory.remember_program(SCHEMA, V1, changes=memory.changes)
    memory.remember_without_tiers(SCHEMA, changes=memory.changes)

    assert (memory.program(SCHEMA), memory.without_tiers(SCHEMA)) == (None, False)


def test_what_is_read_while_announcements_are_unheard_lasts_the_short_trust(
    monkeypatch: pytest.MonkeyPatch,
):
    # given a process that trusts its memory for a minute while it hears announcements, and
    # for half a second while it does not, and does not hear them now
    hearing = Hearing(unheard_seconds=0.5)
    memory = ProgramMemory(seconds=60, hearing=hearing)
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now)

    # when it reads a program and that it has no tiers
    memory.remember_program(SCHEMA, V1, changes=memory.changes)
    memory.remember_without_tiers(SCHEMA, changes=memory.changes)

    # then it trusts them for the short time only
    monkeypatch.setattr(time, "monotonic", lambda: now + 0.4)
    assert (memory.program(SCHEMA), memory.without_tiers(SCHEMA)) == (V1, True)
    monkeypatch.setattr(time, "monotonic", lambda: now + 0.5)
    assert (memory.program(SCHEMA), memory.without_tiers(SCHEMA)) == (None, False)
