"""A tenant's program configuration, and that it has no tiers, remembered per process.

Every points mutation reads the program's current version, and every credit the tier list
(empty for a program without tiers): two round trips of work that changes only when an
operator configures the program or creates a tier. This process remembers both per tenant
schema:

- Saving a program version (PgProgramRepository.save) and adding a tier (PgTierRepository.add)
  announce the schema on PROGRAM_CHANGES with pg_notify in the same statement: the
  announcement goes out when the change commits, and not at all if it rolls back. Every
  listening process forgets the schema as soon as it arrives.
- The process making the change forgets the schema before it writes and does not use or
  remember it until that transaction has ended, then forgets it again: once the change has
  committed, no request of this process can be answered from the memory from before.
- A read that raced an announcement does not remember what it read.
- While its listening connection is down, a process remembers for a short time only
  (persistence/hearing.py).

Only "no tiers" is remembered, never the tiers: a tenant with tiers reads them as before.
A unit of work that changed the program reads it from its own transaction.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from typing import TypeVar

from domain.program import ProgramConfig
from persistence.hearing import Hearing

PROGRAM_CHANGES = "loyalty_program_changed"
PROGRAM_SECONDS = 5.0
CACHE_SIZE = 10_000

V = TypeVar("V")


class ProgramMemory:
    channel = PROGRAM_CHANGES

    def __init__(self, *, seconds: float = PROGRAM_SECONDS, hearing: Hearing | None = None) -> None:
        self._seconds = seconds
        self._hearing = hearing or Hearing()
        self._programs: OrderedDict[str, tuple[float, ProgramConfig]] = OrderedDict()
        self._without_tiers: OrderedDict[str, float] = OrderedDict()
        # Schemas that a unit of work of this process is changing right now.
        self._changing: Counter[str] = Counter()
        # Bumped by each change: a read that raced one does not remember what it read.
        self._changes = 0

    @property
    def changes(self) -> int:
        """Read before a read of the database and passed back to `remember_*`."""
        return self._changes

    def program(self, schema: str) -> ProgramConfig | None:
        hit = self._programs.get(schema)
        if hit is None or schema in self._changing:
            return None
        if hit[0] <= time.monotonic():
            del self._programs[schema]
            return None
        return hit[1]

    def remember_program(self, schema: str, config: ProgramConfig, *, changes: int) -> None:
        if self._fresh(schema, changes):
            _put(self._programs, schema, (self._until(), config))

    def without_tiers(self, schema: str) -> bool:
        until = self._without_tiers.get(schema)
        if until is None or schema in self._changing:
            return False
        if until <= time.monotonic():
            del self._without_tiers[schema]
            return False
        return True

    def remember_without_tiers(self, schema: str, *, changes: int) -> None:
        if self._fresh(schema, changes):
            _put(self._without_tiers, schema, self._until())

    def begin_change(self, schema: str) -> None:
        """A unit of work is about to write a change of `schema`'s program or tiers."""
        self._changing[schema] += 1
        self.forget(schema)

    def end_change(self, schema: str) -> None:
        """That unit of work's transaction has ended, committed or not."""
        self._changing[schema] -= 1
        if self._changing[schema] <= 0:
            del self._changing[schema]
        self.forget(schema)

    def forget(self, schema: str) -> None:
        self._changes += 1
        self._programs.pop(schema, None)
        self._without_tiers.pop(schema, None)

    def forget_all(self) -> None:
        """Announcements may have been missed (the listening connection was lost)."""
        self._changes += 1
        self._programs.clear()
        self._without_tiers.clear()

    def on_notification(self, conn: object, pid: int, channel: str, payload: object) -> None:
        self.forget(str(payload))

    def _fresh(self, schema: str, changes: int) -> bool:
        trusted = self._hearing.trust(self._seconds) > 0
        return trusted and changes == self._changes and schema not in self._changing

    def _until(self) -> float:
        return time.monotonic() + self._hearing.trust(self._seconds)


def _put(entries: OrderedDict[str, V], schema: str, value: V) -> None:
    entries[schema] = value
    entries.move_to_end(schema)
    if len(entries) > CACHE_SIZE:
        entries.popitem(last=False)


class SchemaMemory:
    """One unit of work's view of the memory of its schema: it tells the memory when it
    starts changing the schema's program or tiers, and when its transaction has ended."""

    def __init__(self, memory: ProgramMemory, schema: str) -> None:
        self._memory = memory
        self._schema = schema
        self.changing = False

    @property
    def changes(self) -> int:
        return self._memory.changes

    def program(self) -> ProgramConfig | None:
        return None if self.changing else self._memory.program(self._schema)

    def remember_program(self, config: ProgramConfig, *, changes: int) -> None:
        if not self.changing:
            self._memory.remember_program(self._schema, config, changes=changes)

    def without_tiers(self) -> bool:
        return not self.changing and self._memory.without_tiers(self._schema)

    def remember_without_tiers(self, *, changes: int) -> None:
        if not self.changing:
            self._memory.remember_without_tiers(self._schema, changes=changes)

    def begin_change(self) -> None:
        if not self.changing:
            self.changing = True
            self._memory.begin_change(self._schema)

    def transaction_ended(self) -> None:
        if self.changing:
            self.changing = False
            self._memory.end_change(self._schema)
