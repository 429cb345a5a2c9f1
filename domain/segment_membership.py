"""Keeping segment membership current: one member after each of their events, in the
event's own transaction, and every member by the worker's periodic pass (time alone moves
members in and out: `new` members age, quiet members become at risk, then lapsed).

The pass is safe with several workers: its state row is locked for each batch, so two
workers take turns and each batch starts where the last one stopped; a pass interrupted by
a crash resumes from the last batch committed. It skips members whose points an event is
changing at that moment (their balance row is locked): the event refreshes them itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.clock import Clock
from domain.events import segment_entered
from domain.ports import TenantUnitOfWork, UnitOfWorkFactory
from domain.records.segments import RefreshInputs, RefreshState
from domain.segments import in_force, segments_of

# Membership that depends on time is measured in days: an hourly pass keeps it within an
# hour of exact, while events keep the members who act exact at once.
PASS_EVERY = timedelta(hours=1)
# When no pass has run yet, or a definition changed: due at once.
DUE_NOW = datetime(1970, 1, 1, tzinfo=UTC)


async def refresh_members(
    uow: TenantUnitOfWork,
    member_ids: Sequence[UUID],
    now: datetime,
    read: RefreshInputs | None = None,
) -> None:
    """Puts those members in exactly the segments they belong to at `now`; a member that
    is not active belongs to none. `read`: their refresh inputs, when the caller has read
    them since its last change of them (`LedgerRepository.credit_at_once_refreshing`)."""
    if not member_ids:
        return
    if read is None:
        read = await uow.segments.refresh_inputs(member_ids, now, tiers=not uow.tiers.known_empty())
    segments = in_force(read.stored)
    wanted = {m: frozenset(segments_of(f, segments, now)) for m, f in read.facts.items()}
    # Most events move no one: only the members whose segments change are written (and
    # locked), none at all when every member keeps theirs.
    moved = [m for m in member_ids if wanted.get(m, frozenset()) != read.held.get(m, frozenset())]
    if not moved:
        return
    # One order for every writer (by member, then key): two transactions writing the same
    # members' rows take their row locks in the same order and cannot deadlock.
    memberships = sorted(
        ((k, m) for m in moved for k in wanted.get(m, frozenset())), key=lambda x: (x[1], x[0])
    )
    await uow.segments.replace_memberships(moved, memberships, now)
    by_key = {s.key: s for s in segments}
    for m in moved:
        for key in sorted(wanted.get(m, frozenset()) - read.held.get(m, frozenset())):
            uow.events.add(segment_entered(m, by_key[key], now))


async def refresh_member(
    uow: TenantUnitOfWork, member_id: UUID, now: datetime, read: RefreshInputs | None = None
) -> None:
    """After an event of the member (an order, a refund, a change of points or tier)."""
    await refresh_members(uow, [member_id], now, read)


async def restart_pass(uow: TenantUnitOfWork) -> None:
    """A definition changed: the next pass starts now, from the first member."""
    await uow.segments.lock_refresh()
    await uow.segments.save_refresh(RefreshState(None, DUE_NOW))


async def refresh_all(uow_factory: UnitOfWorkFactory, clock: Clock, batch: int = 500) -> int:
    """The worker's pass, when one is due: every member, a batch per transaction. Returns
    how many members it refreshed."""
    done = 0
    while True:
        now = clock.now()
        async with uow_factory() as uow:
            state = await uow.segments.lock_refresh()
            if state.cursor is None and state.due_at > now:
                return done
            found = await uow.segments.members_after(state.cursor, batch)
            # A member an event is changing right now is left to that event, which
            # refreshes them when it is done: read now, their facts would be stale by then,
            # and the pass would write the stale segments over the event's.
            quiet = await uow.segments.quiet([m for m, _ in found])
            await refresh_members(uow, quiet, now)
            finished = len(found) < batch
            await uow.segments.save_refresh(
                RefreshState(None, now + PASS_EVERY)
                if finished
                else RefreshState(found[-1][1], state.due_at)
            )
        done += len(found)
        if finished:
            return done
