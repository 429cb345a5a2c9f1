"""Redeeming rewards: spend points, take stock, issue a code — in one transaction.

Lock order is always the member's wallet first, then the reward row: two members racing for
the last unit queue on the reward row; one member racing with themself queues on the wallet.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from domain.clock import Clock
from domain.codes import typed_code
from domain.early_access import open_tiers
from domain.errors import DomainError, ErrorCode, NotFound
from domain.events import redemption_used, reward_redeemed
from domain.idempotency import fingerprint, first_result, validate_key
from domain.ledger import DEFAULT_WALLET, Balance, EntryKind
from domain.members import active_member, require_active
from domain.periods import counted_since
from domain.ports import BalanceCache, TenantUnitOfWork, UnitOfWorkFactory
from domain.records.idempotency import Claim
from domain.records.members import Member
from domain.records.redemptions import Redemption
from domain.rewards import (
    CodeSource,
    Discount,
    RedemptionStatus,
    Reward,
    cost_of,
    discount_for,
    new_code,
    reward_refusal,
)
from domain.segment_membership import refresh_member
from domain.tier_checkout import TierDiscount, member_tier_discount
from domain.wallet import LockedWallet

MAX_CODE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Redeemed:
    redemption: Redemption
    reward: Reward
    balance: Balance | None
    replayed: bool = False
    discount: Discount | None = None


def clean_order_id(order_id: str) -> str:
    cleaned = order_id.strip()
    if not cleaned or len(cleaned) > 255:
        raise DomainError("orderId must be 1 to 255 characters.", field=("orderId",))
    return cleaned


def _expired(redemption: Redemption, now: datetime) -> bool:
    """Past its validity, whether or not the expiry job has closed it yet."""
    return redemption.status is RedemptionStatus.EXPIRED or (
        redemption.status is RedemptionStatus.ISSUED
        and redemption.expires_at is not None
        and redemption.expires_at <= now
    )


def _closed(redemption: Redemption, now: datetime) -> DomainError:
    status = "expired" if _expired(redemption, now) else redemption.status.value.lower()
    return reward_refusal(f"This code is {status}.", ErrorCode.REDEMPTION_CLOSED, "code")


async def _tier_name(uow: TenantUnitOfWork, member_id: UUID) -> str | None:
    """The name rewards' eligibleTiers refer to (as tier_evaluation.member_tier_name)."""
    held = await uow.tiers.held(member_id)
    return held.name if held is not None else None


async def redeem_reward(
    uow_factory: UnitOfWorkFactory,
    cache: BalanceCache,
    clock: Clock,
    *,
    member_id: UUID,
    reward_id: UUID,
    points: int | None,
    idempotency_key: str | None,
    apply_to_order: str | None = None,
    subtotal_minor: int | None = None,
) -> Redeemed:
    """`subtotal_minor`, when given, is the cart the code is for: it must meet the reward's
    minimum order value, and the result says what the code takes off it. The member's tier
    is read in the same transaction, and only for a reward kept for some tiers."""
    key = validate_key(idempotency_key) if idempotency_key is not None else None
    if apply_to_order is not None:
        apply_to_order = clean_order_id(apply_to_order)
    if subtotal_minor is not None and subtotal_minor < 0:
        raise DomainError("subtotal must not be negative.", field=("subtotal",))
    now = clock.now()
    digest = fingerprint(
        "redeemReward",
        {
            "member": str(member_id),
            "reward": str(reward_id),
            "points": points,
            "order": apply_to_order,
            "subtotal": subtotal_minor,
        },
    )
    async with uow_factory() as uow:
        member: Member | None = None
        if key is not None:
            # The key and the member in one step; the key is claimed on its own only when
            # that step did not claim it (used before, or no such member).
            claim = Claim(key, "redeemReward", digest, now)
            member, ours = await uow.members.get_claiming(member_id, claim)
            first = None
            if not ours:
                first = await first_result(uow.idempotency, key, "redeemReward", digest, now)
            if first is not None:
                found = await uow.redemptions.get(UUID(first["redemptionId"]))
                assert found is not None
                reward = await uow.rewards.get(found.reward_id)
                assert reward is not None
                return Redeemed(
                    found,
                    reward,
                    await uow.ledger.balance_after(found.spend_entry_id),
                    replayed=True,
                    discount=_discount(found, subtotal_minor),
                )
        if member is None:
            await active_member(uow.members, member_id)
        else:
            require_active(member)
        reward = await uow.rewards.get(reward_id)
        if reward is None:
            raise NotFound("No such reward.", field=("rewardId",))
        refusal = reward.unavailable(now)
        if refusal is not None:
            raise refusal
        early = reward.early(now)
        tier = await _tier_name(uow, member_id) if reward.eligible_tiers or early else None
        if not reward.tier_allows(tier):
            raise reward_refusal("This reward is for other tiers.", ErrorCode.NOT_ELIGIBLE)
        if early:
            opened = await open_tiers(uow, {member_id: tier}, [reward], now)
            if not reward.early_allows(now, opened[member_id]):
                until = reward.early_access_until
                assert until is not None
                raise reward_refusal(
                    f"This reward is for {reward.early_access_tier} members and above until "
                    f"{until.isoformat()}.",
                    ErrorCode.NOT_ELIGIBLE,
                )
        if reward.eligible_segments:
            held = (await uow.segments.of_members([member_id]))[member_id]
            if not reward.segments_allow(held):
                raise reward_refusal(
                    "This reward is for members of other segments.", ErrorCode.NOT_ELIGIBLE
                )
        cost = cost_of(reward, points)
        if subtotal_minor is not None and subtotal_minor < reward.min_order_minor:
            raise DomainError(
                f"This reward needs an order of at least {reward.min_order_minor} (minor units).",
                field=("subtotal",),
                code=ErrorCode.MIN_ORDER_NOT_MET,
            )
        wallet = await LockedWallet.open_in(uow, member_id, DEFAULT_WALLET, now)
        if reward.per_member_limit is not None:
            since = counted_since(reward.per_member_period, now)
            done = await uow.redemptions.count_for_member(member_id, reward.id, since)
            if done >= reward.per_member_limit:
                raise reward_refusal(
                    "You have redeemed this reward as often as allowed.", ErrorCode.LIMIT_REACHED
                )
        entry = await wallet.spend(
            cost.points, kind=EntryKind.REDEEM, reason=f"Reward: {reward.name}", idempotency_key=key
        )
        redemption_id = uuid4()
        code = await issue_code(uow, reward, redemption_id)
        redemption = await uow.redemptions.add(
            new_redemption(
                reward,
                redemption_id=redemption_id,
                member_id=member_id,
                code=code,
                points=cost.points,
                value_minor=cost.value_minor,
                spend_entry_id=entry.id,
                now=now,
                used_on_order=apply_to_order,
            ),
            answers_key=key,
        )
        uow.events.add(reward_redeemed(redemption, reward.name))
        balance = await wallet.save()
        await refresh_member(uow, member_id, now)
        # Last before the commit: taking one from the stock locks the reward's row, and
        # every redemption of this reward by anyone waits for that lock until this
        # transaction ends. Refused, it rolls back everything above.
        if not await uow.rewards.reserve_stock(reward.id):
            raise reward_refusal("This reward is out of stock.", ErrorCode.OUT_OF_STOCK)
    await cache.put(balance)
    return Redeemed(redemption, reward, balance, discount=_discount(redemption, subtotal_minor))


def _discount(redemption: Redemption, subtotal: int | None) -> Discount | None:
    if subtotal is None:
        return None
    return discount_for(redemption.terms, redemption.value_minor, subtotal)


def new_redemption(
    reward: Reward,
    *,
    redemption_id: UUID,
    member_id: UUID,
    code: str,
    points: int,
    value_minor: int | None,
    spend_entry_id: int,
    now: datetime,
    used_on_order: str | None = None,
) -> Redemption:
    """A code issued now, on the reward's current terms; used at once when redeemed and
    applied to an order in one call."""
    return Redemption(
        id=redemption_id,
        seq=0,
        reward_id=reward.id,
        member_id=member_id,
        code=code,
        status=RedemptionStatus.USED if used_on_order else RedemptionStatus.ISSUED,
        points=points,
        value_minor=value_minor,
        spend_entry_id=spend_entry_id,
        return_entry_id=None,
        order_id=used_on_order,
        created_at=now,
        expires_at=now + timedelta(days=reward.valid_days) if reward.valid_days else None,
        used_at=now if used_on_order else None,
        closed_at=None,
        terms=reward.terms,
    )


async def issue_code(uow: TenantUnitOfWork, reward: Reward, redemption_id: UUID) -> str:
    if reward.code_source is CodeSource.POOL:
        code = await uow.rewards.take_pool_code(reward.id, redemption_id)
        if code is None:
            raise reward_refusal(
                "This reward's code pool is exhausted.", ErrorCode.CODE_POOL_EXHAUSTED
            )
        return code
    for _ in range(MAX_CODE_ATTEMPTS):
        code = new_code(reward.code_prefix, reward.code_length, reward.code_alphabet)
        if not await uow.redemptions.code_taken(code):
            return code
    raise reward_refusal("Could not find a free code; lengthen codeLength.", ErrorCode.CONFLICT)


async def _return_points(
    uow: TenantUnitOfWork,
    redemption: Redemption,
    now: datetime,
    reason: str,
    *,
    by_member: bool = True,
) -> tuple[int, Balance]:
    wallet = await LockedWallet.open_in(uow, redemption.member_id, DEFAULT_WALLET, now)
    entry = await wallet.restore(
        redemption.spend_entry_id, redemption.points, reason=reason, by_member=by_member
    )
    return entry.id, await wallet.save()


async def cancel_redemption(
    uow_factory: UnitOfWorkFactory,
    cache: BalanceCache,
    clock: Clock,
    *,
    code: str,
    member_id: UUID | None = None,
) -> Redeemed:
    """Returns the points and the stock of an unused code, exactly once."""
    now = clock.now()
    async with uow_factory() as uow:
        found = await uow.redemptions.lock_by_code(typed_code(code))
        if found is None or (member_id is not None and found.member_id != member_id):
            raise NotFound("No such code.", field=("code",))
        if found.status is not RedemptionStatus.ISSUED or _expired(found, now):
            # An expired code is the expiry job's to close, by the reward's refund setting:
            # cancelling it must not refund what the reward says expiry keeps.
            raise _closed(found, now)
        entry_id, balance = await _return_points(uow, found, now, "Redemption cancelled")
        await uow.rewards.release_stock(found.reward_id)
        closed = replace(
            found, status=RedemptionStatus.CANCELLED, return_entry_id=entry_id, closed_at=now
        )
        await uow.redemptions.update(closed)
        reward = await uow.rewards.get(found.reward_id)
        assert reward is not None
    await cache.put(balance)
    return Redeemed(closed, reward, balance)


async def mark_used(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, *, code: str, order_id: str
) -> Redemption:
    now = clock.now()
    order_id = clean_order_id(order_id)
    async with uow_factory() as uow:
        found = await uow.redemptions.lock_by_code(typed_code(code))
        if found is None:
            raise NotFound("No such code.", field=("code",))
        if found.status is RedemptionStatus.USED and found.order_id == order_id:
            return found  # the same store retrying the same checkout
        if found.status is not RedemptionStatus.ISSUED or _expired(found, now):
            raise _closed(found, now)
        used = replace(found, status=RedemptionStatus.USED, order_id=order_id, used_at=now)
        await uow.redemptions.update(used)
        uow.events.add(redemption_used(used, now))
    await cache.announce(used.member_id)  # no points moved: live watchers are told apart
    return used


@dataclass(frozen=True, slots=True)
class CodeCheck:
    valid: bool
    reason: str | None
    redemption: Redemption | None
    reward: Reward | None
    discount: Discount | None
    # What the code's member's tier takes off what the code leaves of the cart (valid codes).
    tier: TierDiscount | None = None


async def validate_code(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    code: str,
    subtotal_minor: int,
    member_id: UUID | None,
) -> CodeCheck:
    now = clock.now()
    async with uow_factory() as uow:
        found = await uow.redemptions.by_code(typed_code(code))
        if found is None or (member_id is not None and found.member_id != member_id):
            return CodeCheck(False, "Unknown code.", None, None, None)
        reward = await uow.rewards.get(found.reward_id)
        assert reward is not None
        if found.status is not RedemptionStatus.ISSUED or _expired(found, now):
            return CodeCheck(False, _closed(found, now).message, found, reward, None)
        if subtotal_minor < found.terms.min_order_minor:
            return CodeCheck(
                False,
                f"The cart must be at least {found.terms.min_order_minor} (minor units).",
                found,
                reward,
                None,
            )
        discount = _discount(found, subtotal_minor)
        assert discount is not None
        left = subtotal_minor - discount.amount_minor
        tier = await member_tier_discount(uow, found.member_id, left)
    return CodeCheck(True, None, found, reward, discount, tier)


async def expire_unused(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, batch: int = 200
) -> int:
    """Closes codes past their validity; returns their points where the reward says so."""
    now = clock.now()
    done = 0
    while True:
        async with uow_factory() as uow:
            due = await uow.redemptions.expired_issued(now, batch)
        for redemption_id in due:
            balance = None
            async with uow_factory() as uow:
                found = await uow.redemptions.lock(redemption_id)
                if found is None or found.status is not RedemptionStatus.ISSUED:
                    continue  # another worker, a use or a cancel got there first
                reward = await uow.rewards.get(found.reward_id)
                assert reward is not None
                entry_id = None
                if reward.refund_on_expiry:
                    entry_id, balance = await _return_points(
                        uow, found, now, "Unused reward expired", by_member=False
                    )
                await uow.redemptions.update(
                    replace(
                        found,
                        status=RedemptionStatus.EXPIRED,
                        return_entry_id=entry_id,
                        closed_at=now,
                    )
                )
            if balance is not None:
                await cache.put(balance)
            done += 1
        if len(due) < batch:
            return done
