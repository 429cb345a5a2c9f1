"""The reference wallet, plus what docs/concepts.md ("Rewards") says about redeeming: the
checks in their order, stock, per-member limits, codes that are issued, used, cancelled or
expired, and points that return to the very lots they were spent from.

Written from the rules, not the code, like `ledger_model`."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from tests.property.ledger_model import ModelLot, Refused, WalletModel


@dataclass
class ModelReward:
    name: str
    points_cost: int | None  # None: variable cost
    min_points: int
    max_points: int
    step_points: int
    value_per_step: int
    value: int | None
    stock: int | None
    per_member_limit: int | None
    per_day: bool  # the limit counts per calendar day (UTC), else for ever
    valid_days: int | None
    refund_on_expiry: bool
    id: UUID | None = None
    issued: int = 0

    def cost(self, points: int | None) -> tuple[int, int | None]:
        """(points, value) of one redemption, or the refusal of `points`."""
        if self.points_cost is not None:
            if points is not None and points != self.points_cost:
                raise Refused("INVALID")
            return self.points_cost, self.value
        if points is None:
            raise Refused("REQUIRED")
        low, high, step = self.min_points, self.max_points, self.step_points
        if points < low or points > high or (points - low) % step:
            raise Refused("INVALID_AMOUNT")
        return points, points // step * self.value_per_step


@dataclass
class ModelRedemption:
    reward: ModelReward
    points: int
    value: int | None
    created_at: datetime
    expires_at: datetime | None
    draws: list[tuple[int, int]]  # (lot id, points) the spend took
    status: str = "ISSUED"
    order_id: str | None = None
    id: UUID | None = None
    code: str = ""

    def expired(self, now: datetime) -> bool:
        return self.status == "EXPIRED" or (
            self.status == "ISSUED" and self.expires_at is not None and self.expires_at <= now
        )


@dataclass
class RedeemingWalletModel(WalletModel):
    redemptions: list[ModelRedemption] = field(default_factory=list)

    def _lot(self, lot_id: int) -> ModelLot:
        return self.lots[lot_id - 1]

    def _draw(self, points: int, now: datetime) -> list[tuple[int, int]]:
        draws, left = [], points
        for lot in self._spendable(now):
            take = min(lot.remaining, left)
            if take:
                lot.remaining -= take
                draws.append((lot.id, take))
                left -= take
        assert left == 0
        self.available -= points
        self.last_activity = now
        return draws

    def _restore(self, redemption: ModelRedemption, now: datetime, by_member: bool) -> None:
        """Points back to the lots they came from (debt first); expired lots expire again."""
        self.settle(now)
        repay = min(self.debt, redemption.points)
        for lot_id, points in redemption.draws:
            self._lot(lot_id).remaining += points
        restored = sorted(
            {self._lot(i).id: self._lot(i) for i, _ in redemption.draws}.values(),
            key=ModelLot.spend_key,
        )
        self._take(restored, repay)
        self.available += redemption.points - repay
        self.debt -= repay
        if by_member:
            self.last_activity = now
        self.settle(now)

    def redeem(
        self, reward: ModelReward, points: int | None, order_id: str | None, now: datetime
    ) -> ModelRedemption:
        if reward.stock is not None and reward.issued >= reward.stock:
            raise Refused("OUT_OF_STOCK")
        cost, value = reward.cost(points)
        # A refusal rolls back the settling that came before it, so try on a copy first.
        trial = copy.deepcopy(self)
        trial.settle(now)
        if reward.per_member_limit is not None:
            since = now.replace(hour=0, minute=0, second=0, microsecond=0)
            done = [
                r
                for r in self.redemptions
                if r.reward.name == reward.name
                and r.status != "CANCELLED"
                and (not reward.per_day or r.created_at >= since)
            ]
            if len(done) >= reward.per_member_limit:
                raise Refused("LIMIT_REACHED")
        if sum(lot.remaining for lot in trial._spendable(now)) < cost:
            raise Refused("INSUFFICIENT_POINTS")
        self.settle(now)
        draws = self._draw(cost, now)
        reward.issued += 1
        redemption = ModelRedemption(
            reward,
            cost,
            value,
            now,
            now + timedelta(days=reward.valid_days) if reward.valid_days else None,
            draws,
            status="USED" if order_id else "ISSUED",
            order_id=order_id,
        )
        self.redemptions.append(redemption)
        return redemption

    def cancel(self, redemption: ModelRedemption | None, now: datetime) -> None:
        if redemption is None:
            raise Refused("NOT_FOUND")
        if redemption.status != "ISSUED" or redemption.expired(now):
            raise Refused("REDEMPTION_CLOSED")
        self._restore(redemption, now, by_member=True)
        redemption.reward.issued -= 1
        redemption.status = "CANCELLED"

    def use(self, redemption: ModelRedemption, order_id: str, now: datetime) -> None:
        if redemption.status == "USED" and redemption.order_id == order_id:
            return  # the same checkout, retried
        if redemption.status != "ISSUED" or redemption.expired(now):
            raise Refused("REDEMPTION_CLOSED")
        redemption.status = "USED"
        redemption.order_id = order_id

    def codes_due(self, now: datetime) -> list[ModelRedemption]:
        return sorted(
            (r for r in self.redemptions if r.status == "ISSUED" and r.expired(now)),
            key=lambda r: (r.expires_at, r.created_at),
        )

    def expire_codes(self, now: datetime) -> None:
        """The worker: closes codes past their validity, returning points if the reward
        says so (the unit of stock stays taken)."""
        for redemption in self.codes_due(now):
            if redemption.reward.refund_on_expiry:
                self._restore(redemption, now, by_member=False)
            redemption.status = "EXPIRED"
