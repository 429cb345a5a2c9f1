"""Use cases that move points. Each runs in one transaction that locks the balance row,
appends the entry and updates the row; the cache learns the new balance after commit."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.clock import Clock
from domain.earning import expiry_for
from domain.errors import NotFound
from domain.idempotency import check_replay, fingerprint, validate_key
from domain.ledger import Balance, EntryKind, LedgerEntry, validate_points, validate_reason
from domain.members import Member, require_active
from domain.ports import BalanceCache, UnitOfWorkFactory
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


async def adjust_points(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, cmd: AdjustPoints
) -> PointsChanged:
    now = clock.now()
    async with uow_factory() as uow:
        # The member first, then the input: an unknown member is the error a caller sees
        # first, as when the member was looked up before the adjustment.
        if cmd.member_id is not None:
            member = await uow.members.get(cmd.member_id)
        else:
            assert cmd.external_id is not None, "name the member by id or externalId"
            member = await uow.members.get_by_external_id(cmd.external_id)
        if member is None:
            raise NotFound("No such member.", field=("memberId",))
        points = validate_points(cmd.points)
        reason = validate_reason(cmd.reason, "reason")
        note = validate_reason(cmd.note, "note")
        key = validate_key(cmd.idempotency_key) if cmd.idempotency_key is not None else None
        if key is not None:
            digest = fingerprint(
                "adjustPoints",
                {
                    "member": str(member.id),
                    "points": points,
                    "wallet": cmd.wallet,
                    "reason": reason,
                    "note": note,
                },
            )
            earlier = await uow.idempotency.claim(key, "adjustPoints", digest, now)
            if earlier is not None:
                entry_id = int(check_replay(earlier, "adjustPoints", digest)["entryId"])
                replayed = await uow.ledger.entry(entry_id)
                if replayed is None:  # pragma: no cover - entries are never deleted
                    raise NotFound("The original entry is gone.", field=("idempotencyKey",))
                return PointsChanged(replayed, None, replayed=True, member=member)
        require_active(member)
        program = await uow.programs.current()
        wallet = await LockedWallet.open(uow.ledger, member.id, cmd.wallet, now)
        if points > 0:
            entry = await wallet.credit(
                points,
                kind=EntryKind.ADJUST,
                available_at=now,
                expires_at=expiry_for(program, now),
                config_version=program.version,
                reason=reason,
                note=note,
                idempotency_key=key,
                actor=cmd.actor,
            )
        else:
            entry = await wallet.spend(
                -points,
                kind=EntryKind.ADJUST,
                reason=reason,
                note=note,
                idempotency_key=key,
                actor=cmd.actor,
            )
        balance = await wallet.save()
        if points > 0:
            await evaluate_member_tier(uow, member.id, now)
        if key is not None:
            await uow.idempotency.complete(key, {"entryId": entry.id})
    await cache.put(balance)
    return PointsChanged(entry, balance, member=member)


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
