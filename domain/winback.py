"""Win-back: giving points or a catalog reward once to every member of a segment.

`grantToSegment` starts a campaign under its key: the campaign row and one pending grant per
member of the segment at that moment are written in one transaction, so the campaign's
members are fixed when it starts. Grants are then processed in batches, each batch one
transaction that locks its pending grant rows (skipping rows another process holds), gives
each member the points or the reward under their wallet lock, and marks the grants done.

Exactly once per member follows from the grant row: only a pending row is processed, and
only by the transaction that locked it; a crash rolls back the batch, whose rows are pending
again for the next call or the worker's next round. The same key with the same input
returns the campaign (and resumes it); with another input it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from domain.clock import Clock
from domain.errors import DomainError, ErrorCode, IdempotencyKeyReused, NotFound
from domain.idempotency import fingerprint, validate_key
from domain.ledger import DEFAULT_WALLET, Balance, validate_points, validate_reason
from domain.ports import BalanceCache, UnitOfWorkFactory
from domain.records.members import MemberStatus
from domain.records.segments import Campaign, CampaignStatus, GrantDone, GrantStatus
from domain.referral_grants import grant
from domain.referral_settings import ReferralReward
from domain.segment_membership import refresh_members
from domain.segments import in_force
from domain.wallet import LockedWallet

BATCH = 100
# Batches run inside the request; a larger segment is finished by the worker.
INLINE_BATCHES = 10


@dataclass(frozen=True, slots=True)
class GrantToSegment:
    segment: str
    campaign_key: str
    points: int | None
    reward_id: UUID | None
    reason: str | None


def _checked(cmd: GrantToSegment) -> GrantToSegment:
    if (cmd.points is None) == (cmd.reward_id is None):
        raise DomainError(
            "Give exactly one of points and rewardId.", field=("points",), code=ErrorCode.REQUIRED
        )
    if cmd.points is not None and cmd.points < 0:
        raise DomainError(
            "points must be positive.", field=("points",), code=ErrorCode.INVALID_AMOUNT
        )
    return GrantToSegment(
        segment=cmd.segment.strip().lower(),
        campaign_key=validate_key(cmd.campaign_key, ("campaignKey",)),
        points=validate_points(cmd.points) if cmd.points is not None else None,
        reward_id=cmd.reward_id,
        reason=validate_reason(cmd.reason, "reason"),
    )


async def grant_to_segment(
    uow_factory: UnitOfWorkFactory,
    cache: BalanceCache,
    clock: Clock,
    cmd: GrantToSegment,
    *,
    batch: int = BATCH,
    batches: int = INLINE_BATCHES,
) -> Campaign:
    given = _checked(cmd)
    now = clock.now()
    digest = fingerprint(
        "grantToSegment",
        {
            "segment": given.segment,
            "points": given.points,
            "reward": str(given.reward_id) if given.reward_id else None,
            "reason": given.reason,
        },
    )
    async with uow_factory() as uow:
        campaign = await uow.campaigns.by_key(given.campaign_key)
        if campaign is None:
            if given.segment not in {s.key for s in in_force(await uow.segments.stored())}:
                raise NotFound("No such segment.", field=("segment",))
            if given.reward_id is not None:
                reward = await uow.rewards.get(given.reward_id)
                if reward is None:
                    raise NotFound("No such reward.", field=("rewardId",))
                refusal = reward.unavailable(now)
                if refusal is not None:
                    raise refusal
                if reward.points_cost is None:
                    raise DomainError(
                        "Only a reward with a fixed points cost can be given.",
                        field=("rewardId",),
                    )
                if reward.eligible_tiers or reward.eligible_segments:
                    # Gifts are given as referral rewards are, to anyone: a gated reward
                    # would be skipped for every member.
                    raise DomainError(
                        "A reward kept for tiers or segments cannot be given; give one open "
                        "to all.",
                        field=("rewardId",),
                    )
            campaign = await uow.campaigns.add(
                Campaign(
                    id=uuid4(),
                    seq=0,
                    key=given.campaign_key,
                    segment_key=given.segment,
                    points=given.points,
                    reward_id=given.reward_id,
                    reason=given.reason or "Win-back gift",
                    fingerprint=digest,
                    status=CampaignStatus.RUNNING,
                    total=0,
                    granted=0,
                    skipped=0,
                    created_at=now,
                    finished_at=None,
                )
            ) or await uow.campaigns.by_key(given.campaign_key)
        assert campaign is not None
        if campaign.fingerprint != digest:
            raise IdempotencyKeyReused(
                "This campaign key was already used with a different input.",
                field=("campaignKey",),
            )
    return await continue_campaign(uow_factory, cache, clock, campaign.id, batch, batches)


async def continue_campaign(
    uow_factory: UnitOfWorkFactory,
    cache: BalanceCache,
    clock: Clock,
    campaign_id: UUID,
    batch: int = BATCH,
    batches: int | None = None,
) -> Campaign:
    """Processes pending grants, `batches` batches at most (None: until none is left)."""
    done = 0
    while True:
        campaign, balances, claimed = await _one_batch(uow_factory, clock, campaign_id, batch)
        await cache.put_many(balances)
        done += 1
        # Nothing claimed and still running: what is pending is another process's batch,
        # which finishes it.
        if campaign.status is CampaignStatus.DONE or claimed == 0:
            return campaign
        if batches is not None and done >= batches:
            return campaign


async def _one_batch(
    uow_factory: UnitOfWorkFactory, clock: Clock, campaign_id: UUID, batch: int
) -> tuple[Campaign, list[Balance], int]:
    now = clock.now()
    balances: list[Balance] = []
    async with uow_factory() as uow:
        campaign = await uow.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound("No such campaign.", field=("campaignKey",))
        if campaign.status is CampaignStatus.DONE:
            return campaign, balances, 0
        claimed = await uow.campaigns.claim_pending(campaign_id, batch)
        program = await uow.programs.current()
        spec = ReferralReward(points=campaign.points, reward_id=campaign.reward_id)
        active = {
            m.id for m in await uow.members.get_many(claimed) if m.status is MemberStatus.ACTIVE
        }
        done: list[GrantDone] = []
        for member_id in claimed:
            if member_id not in active:
                done.append(GrantDone(member_id, GrantStatus.SKIPPED))
                continue
            wallet = await LockedWallet.open_in(uow, member_id, DEFAULT_WALLET, now)
            given = await grant(
                uow, wallet, spec, program, reason=campaign.reason, available_at=now
            )
            if given is None:
                done.append(GrantDone(member_id, GrantStatus.SKIPPED))
            else:
                done.append(
                    GrantDone(member_id, GrantStatus.GRANTED, given.entry_id, given.redemption_id)
                )
            balances.append(await wallet.save())
        await refresh_members(uow, [d.member_id for d in done], now)
        campaign = await uow.campaigns.record(campaign_id, done, now)
    return campaign, balances, len(claimed)


async def continue_campaigns(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, limit: int = 20
) -> int:
    """The worker's part: finishes campaigns a request left running (a large segment, a
    crash). Returns how many campaigns it finished."""
    async with uow_factory() as uow:
        running = await uow.campaigns.running(limit)
    finished = 0
    for campaign_id in running:
        campaign = await continue_campaign(uow_factory, cache, clock, campaign_id)
        finished += campaign.status is CampaignStatus.DONE
    return finished
