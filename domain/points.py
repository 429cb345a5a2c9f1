"""Use cases that move points. Each runs in one transaction that locks the balance row,
appends the entry and updates the row; the cache learns the new balance after commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypedDict
from uuid import UUID

from domain.clock import Clock
from domain.errors import DomainError, NotFound
from domain.events import points_changed
from domain.idempotency import fingerprint, first_result, for_member, validate_key
from domain.ledger import (
    Balance,
    EntryKind,
    LedgerEntry,
    NewEntry,
    validate_points,
    validate_reason,
)
from domain.members import require_active
from domain.ports import BalanceCache, TenantUnitOfWork, UnitOfWorkFactory
from domain.program import ProgramConfig
from domain.records.idempotency import Claim
from domain.records.members import Member
from domain.records.segments import RefreshInputs
from domain.segment_membership import refresh_member
from domain.stamp_rules import refuse_closed_wallet, wallet_expiry
from domain.tier_evaluation import evaluate_member_tier
from domain.wallet import LockedWallet


@dataclass(frozen=True, slots=True)
class AdjustPoints:
    """The member is named by id, or by the store's externalId when member_id is None: it is
    looked up inside the adjustment's own transaction, so one request is one transaction."""

    member_id: UUID | None
    points: int
    wallet: str
    reason: str | None
    note: str | None
    idempotency_key: str | None
    actor: str | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class PointsChanged:
    entry: LedgerEntry
    balance: Balance | None
    replayed: bool = False
    member: Member | None = None  # as read before the change, when the use case read it


_OPERATION = "adjustPoints"


@dataclass(frozen=True, slots=True)
class _Input:
    points: int
    reason: str | None
    note: str | None
    key: str | None


def _checked(cmd: AdjustPoints) -> _Input:
    return _Input(
        points=validate_points(cmd.points),
        reason=validate_reason(cmd.reason, "reason"),
        note=validate_reason(cmd.note, "note"),
        key=validate_key(cmd.idempotency_key) if cmd.idempotency_key is not None else None,
    )


def _asked(wallet: str, given: _Input) -> dict[str, Any]:
    return {"points": given.points, "wallet": wallet, "reason": given.reason, "note": given.note}


def _digest(wallet: str, given: _Input) -> str:
    """The input's digest without its member, bound to the member by `for_member`: named by
    externalId, the member's id is known only inside the statement that claims the key."""
    return fingerprint(_OPERATION, _asked(wallet, given))


def _digest_before_binding(member_id: UUID, wallet: str, given: _Input) -> str:
    """How keys claimed before `for_member` were fingerprinted: a retry of the same input
    still (keys are kept for good)."""
    return fingerprint(_OPERATION, {"member": str(member_id), **_asked(wallet, given)})


async def _named_member(uow: TenantUnitOfWork, cmd: AdjustPoints) -> Member:
    if cmd.member_id is not None:
        member = await uow.members.get(cmd.member_id)
    else:
        assert cmd.external_id is not None, "name the member by id or externalId"
        member = await uow.members.get_by_external_id(cmd.external_id)
    if member is None:
        raise NotFound("No such member.", field=("memberId",))
    return member


@dataclass(frozen=True, slots=True)
class _Claimed:
    member: Member
    ours: bool  # the key was claimed by this transaction


async def _claiming(uow: TenantUnitOfWork, cmd: AdjustPoints, claim: Claim) -> _Claimed:
    """The member named, read in the statement that claims the key whichever way it is named
    (one round trip either way), and whether the key is now this transaction's."""
    if cmd.member_id is not None:
        bound = replace(claim, fingerprint=for_member(claim.fingerprint, cmd.member_id))
        member, ours = await uow.members.get_claiming(cmd.member_id, bound)
    else:
        assert cmd.external_id is not None, "name the member by id or externalId"
        member, ours = await uow.members.get_by_external_id_claiming(cmd.external_id, claim)
    if member is None:
        raise NotFound("No such member.", field=("memberId",))
    return _Claimed(member, ours)


async def _member_and_key(
    uow: TenantUnitOfWork, cmd: AdjustPoints, now: datetime
) -> tuple[Member, _Input, dict[str, Any] | None]:
    """The member, the checked input, and the first result of this input under its key
    (None: the key, if any, is now this transaction's). The key used with other input is
    refused.

    An unknown member is the error a caller sees first, before any error in the input, as
    when the member was looked up before the adjustment."""
    try:
        given = _checked(cmd)
    except DomainError:
        await _named_member(uow, cmd)
        raise
    if given.key is None:
        return await _named_member(uow, cmd), given, None
    digest = _digest(cmd.wallet, given)
    claimed = await _claiming(uow, cmd, Claim(given.key, _OPERATION, digest, now))
    member = claimed.member
    if claimed.ours:
        return member, given, None
    first = await first_result(
        uow.idempotency,
        given.key,
        _OPERATION,
        for_member(digest, member.id),
        now,
        also=(_digest_before_binding(member.id, cmd.wallet, given),),
    )
    return member, given, first


async def adjust_points(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, cmd: AdjustPoints
) -> PointsChanged:
    now = clock.now()
    async with uow_factory() as uow:
        member, given, first = await _member_and_key(uow, cmd, now)
        if first is not None:
            replayed = await uow.ledger.entry(int(first["entryId"]))
            if replayed is None:  # pragma: no cover - entries are never deleted
                raise NotFound("The original entry is gone.", field=("idempotencyKey",))
            # The first answer again: the balance as of that change, not as it is now.
            balance = await uow.ledger.balance_after(replayed.id)
            return PointsChanged(replayed, balance, replayed=True, member=member)
        require_active(member)
        program = await uow.programs.current()
        refuse_closed_wallet(program, cmd.wallet)
        asked = _Adjustment(member.id, cmd, given, program, now)
        at_once = await _credit_at_once(uow, asked)
        if at_once is not None:
            entry, balance, read = at_once
        else:
            (entry, balance), read = await _adjust_locked(uow, asked), None
        if given.points > 0 and await evaluate_member_tier(uow, member.id, now) is not None:
            read = None  # tiers were found after all: their evaluation may move the member
        await refresh_member(uow, member.id, now, read)
    await cache.put(balance)
    return PointsChanged(entry, balance, member=member)


@dataclass(frozen=True, slots=True)
class _Adjustment:
    """What an adjustment writes, once the member, its key and the program are known."""

    member_id: UUID
    cmd: AdjustPoints
    given: _Input
    program: ProgramConfig
    now: datetime


async def _credit_at_once(
    uow: TenantUnitOfWork, asked: _Adjustment
) -> tuple[LedgerEntry, Balance, RefreshInputs | None] | None:
    """A credit in the one statement that also takes the balance lock
    (`LedgerRepository.credit_at_once`), when it takes it: the same entry, lot and balance
    as `_adjust_locked` writes, with the lock held over fewer round trips. For a tenant
    without tiers (nothing to evaluate between the credit and the segments' refresh), the
    refresh inputs come in the same round trip, and its event (with the audit entry) is
    written in it (`credit_at_once_refreshing`). None: the plain way is to be taken."""
    cmd, given, program, now = asked.cmd, asked.given, asked.program, asked.now
    if given.points <= 0:
        return None
    entry = NewEntry(
        asked.member_id,
        cmd.wallet,
        EntryKind.ADJUST,
        available_delta=given.points,
        pending_delta=0,
        lifetime_delta=given.points,
        reason=given.reason,
        note=given.note,
        idempotency_key=given.key,
        actor=cmd.actor,
        config_version=program.version,
        answers_key=given.key is not None,
    )
    expires_at = wallet_expiry(program, cmd.wallet, now)
    # Its event, as LockedWallet adds it for every entry it appends.
    if uow.tiers.known_empty():
        return await uow.ledger.credit_at_once_refreshing(entry, expires_at, now, points_changed)
    credited = await uow.ledger.credit_at_once(entry, expires_at, now)
    if credited is None:
        return None
    uow.events.add(points_changed(*credited))
    return (*credited, None)


class _Said(TypedDict):
    """What the entry says of the adjustment, credit or spend."""

    reason: str | None
    note: str | None
    idempotency_key: str | None
    actor: str | None
    answers_key: bool


async def _adjust_locked(uow: TenantUnitOfWork, asked: _Adjustment) -> tuple[LedgerEntry, Balance]:
    """The plain way: the wallet locked and settled, then the credit or the spend."""
    cmd, program, now, given = asked.cmd, asked.program, asked.now, asked.given
    said = _Said(
        reason=given.reason,
        note=given.note,
        idempotency_key=given.key,
        actor=cmd.actor,
        answers_key=given.key is not None,
    )
    wallet = await LockedWallet.open_in(uow, asked.member_id, cmd.wallet, now)
    if given.points > 0:
        entry = await wallet.credit(
            given.points,
            kind=EntryKind.ADJUST,
            available_at=now,
            expires_at=wallet_expiry(program, cmd.wallet, now),
            config_version=program.version,
            **said,
        )
    else:
        entry = await wallet.spend(-given.points, kind=EntryKind.ADJUST, **said)
    return entry, await wallet.save()


async def read_balance(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, member_id: UUID, wallet: str
) -> Balance:
    """Cache first; on a miss, Postgres, and the answer goes back to the cache."""
    cached = await cache.get(member_id, wallet)
    if cached is not None:
        return cached
    async with uow_factory() as uow:
        balance = await uow.ledger.read_balance(member_id, wallet)
    await cache.put(balance)
    return balance


async def read_balances(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, member_ids: Sequence[UUID], wallet: str
) -> dict[UUID, Balance]:
    """`read_balance` of many members: one cache round trip for all of them, and the misses
    read in one statement and written back in one round trip."""
    wanted = list(dict.fromkeys(member_ids))
    found = await cache.get_many(wanted, wallet)
    missing = [m for m in wanted if m not in found]
    if missing:
        async with uow_factory() as uow:
            read = await uow.ledger.read_balances(missing, wallet)
        await cache.put_many(list(read.values()))
        found.update(read)
    return found
