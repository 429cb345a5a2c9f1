"""Which member an externalId names, and which member ids exist, remembered per process.

`member(externalId:) { points }` and the mutations that name a member only need its id; reading
the row for it is a transaction (three round trips) per request. This process remembers:

- externalId → member id, for a few seconds. An externalId changes (updateMember) and is
  cleared (eraseMember): each of those announces the member's id on EXTERNAL_ID_CHANGES
  (PostgreSQL LISTEN/NOTIFY, delivered when the change commits) and every listening process
  forgets what it remembered for that member as soon as the announcement arrives. While its
  listening connection is down, a process remembers for a short time only
  (persistence/hearing.py). A lookup that raced an announcement does not remember what it
  read.
- member ids that exist. Members are never deleted (erasure keeps the row), so a member once
  read exists for good, and this needs no invalidation.

- members whose externalId was announced changed, for as long as a shared name
  (persistence/shared_names.py) may still point at them: Redis marks them itself, and this
  covers a mark that could not be written there.

Only what was found is remembered: an unknown externalId or id is read again every time.
Everything is keyed by tenant as well, so one tenant's names never answer for another's.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from uuid import UUID

from persistence.hearing import Hearing
from persistence.shared_names import MOVED_SECONDS

EXTERNAL_ID_CHANGES = "loyalty_member_external_id_changed"
EXTERNAL_ID_SECONDS = 5.0
CACHE_SIZE = 50_000


# Entries hold ids as ints (UUID.int) and names as strings, in tuples, never a UUID or a
# set: the garbage collector stops tracking a tuple of untracked atoms, so remembering tens of
# thousands of members adds nothing to a full collection. A full collection walks every
# tracked object while the event loop, and every request in flight, waits: with members
# remembered as UUIDs, sets and their tuples (five tracked objects each), reads spread over
# 10,000 members met full collections of 40-52 ms, 9-27 ms without, and those made their p99
# (docs/performance.md, "The spread reads' tail").
_Name = tuple[int, str]  # (tenant id, externalId)


class MemberIdCache:
    channel = EXTERNAL_ID_CHANGES

    def __init__(
        self, *, external_id_seconds: float = EXTERNAL_ID_SECONDS, hearing: Hearing | None = None
    ) -> None:
        self._seconds = external_id_seconds
        self._hearing = hearing or Hearing()
        # (tenant, externalId) → (until when, member id)
        self._by_external_id: OrderedDict[_Name, tuple[float, int]] = OrderedDict()
        # member id → the externalIds remembered for it (more than one only while a rename's
        # announcement is on its way), so an announcement forgets them without a scan.
        self._names_of: dict[int, tuple[_Name, ...]] = {}
        self._existing: OrderedDict[tuple[int, int], None] = OrderedDict()
        # member id → until when a shared name pointing at it is not believed.
        self._moved: OrderedDict[int, float] = OrderedDict()
        # Bumped by each announcement: a lookup that raced one does not remember what it read.
        self._changes = 0

    @property
    def changes(self) -> int:
        """Read before a lookup and passed back to `remember`, which ignores a stale read."""
        return self._changes

    def member_for(self, tenant_id: UUID, external_id: str) -> UUID | None:
        key = (tenant_id.int, external_id)
        hit = self._by_external_id.get(key)
        if hit is None:
            return None
        if hit[0] <= time.monotonic():
            self._drop(key, hit[1])
            return None
        return UUID(int=hit[1])

    def moved_lately(self, member_id: UUID) -> bool:
        until = self._moved.get(member_id.int)
        if until is None:
            return False
        if until <= time.monotonic():
            del self._moved[member_id.int]
            return False
        return True

    def exists(self, tenant_id: UUID, member_id: UUID) -> bool:
        return (tenant_id.int, member_id.int) in self._existing

    def remember(
        self, tenant_id: UUID, member_id: UUID, external_id: str | None, *, changes: int
    ) -> None:
        """Records a member read from the database; `changes` is `self.changes` as it was
        before the read began."""
        member = member_id.int
        self._remember_exists(tenant_id.int, member)
        seconds = self._hearing.trust(self._seconds)
        if external_id is None or seconds <= 0 or changes != self._changes:
            return
        key = (tenant_id.int, external_id)
        old = self._by_external_id.pop(key, None)
        if old is not None:
            self._unlink(key, old[1])
        self._by_external_id[key] = (time.monotonic() + seconds, member)
        self._names_of[member] = (*self._names_of.get(member, ()), key)
        if len(self._by_external_id) > CACHE_SIZE:
            evicted, (_, evicted_member) = self._by_external_id.popitem(last=False)
            self._unlink(evicted, evicted_member)

    def forget(self, member_id: UUID) -> None:
        """The member's externalId changed or was cleared: its old name answers no more."""
        self._changes += 1
        member = member_id.int
        for key in self._names_of.pop(member, ()):
            self._by_external_id.pop(key, None)
        self._moved.pop(member, None)
        self._moved[member] = time.monotonic() + MOVED_SECONDS
        if len(self._moved) > CACHE_SIZE:
            self._moved.popitem(last=False)

    def forget_all(self) -> None:
        """Announcements may have been missed (the listening connection was lost)."""
        self._changes += 1
        self._by_external_id.clear()
        self._names_of.clear()

    def on_notification(self, conn: object, pid: int, channel: str, payload: object) -> None:
        self.forget(UUID(str(payload)))

    def _remember_exists(self, tenant: int, member: int) -> None:
        key = (tenant, member)
        self._existing[key] = None
        self._existing.move_to_end(key)
        if len(self._existing) > CACHE_SIZE:
            self._existing.popitem(last=False)

    def _drop(self, key: _Name, member: int) -> None:
        self._by_external_id.pop(key, None)
        self._unlink(key, member)

    def _unlink(self, key: _Name, member: int) -> None:
        names = self._names_of.get(member)
        if names is None:
            return
        rest = tuple(n for n in names if n != key)
        if rest:
            self._names_of[member] = rest
        else:
            del self._names_of[member]
