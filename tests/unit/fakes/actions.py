"""Action events in memory, as persistence/repositories/actions.py keeps them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from tests.unit.fakes.tables import ActionEvent, Tables, references


class FakeActionRepository:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def _of(self, member_id: UUID, action: str) -> list[ActionEvent]:
        return [
            e for e in self._tables.action_events if e.member_id == member_id and e.action == action
        ]

    async def count_since(self, member_id: UUID, action: str, since: datetime | None) -> int:
        return sum(since is None or e.occurred_at >= since for e in self._of(member_id, action))

    async def last_at(self, member_id: UUID, action: str) -> datetime | None:
        return max((e.occurred_at for e in self._of(member_id, action)), default=None)

    async def add(self, member_id: UUID, action: str, at: datetime, entry_id: int) -> None:
        references(member_id in self._tables.members, "action_events_member_id_fkey")
        references(entry_id in self._tables.entries, "action_events_entry_id_fkey")
        self._tables.action_events.append(ActionEvent(member_id, action, at, entry_id))
