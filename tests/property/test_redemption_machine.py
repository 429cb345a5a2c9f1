"""The ledger machine, with rewards: random redemptions (fixed and variable cost, some
applied to an order at once), retries, cancellations, uses and code expiry by the worker
run alongside the earns, refunds, spends and clock moves. After every step the points, the
lots, each reward's stock and each code's status must be what the reference model says.

Each example draws its two rewards: stock, per-member limit (for ever or per day), validity
and whether expiry gives the points back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from api.settings import Settings
from domain.catalog import create_reward, draft_reward
from domain.jobs import run_jobs
from domain.program import RefundPolicy
from domain.redemption import cancel_redemption, mark_used, redeem_reward
from domain.rewards import LimitPeriod, RewardKind
from tests.property.ledger_model import Refused
from tests.property.redemption_model import ModelRedemption, ModelReward, RedeemingWalletModel
from tests.property.running import run_machine
from tests.property.test_ledger_machine import STEPS, LedgerMachine

ORDERS = ["till-1", "till-2"]


class RedemptionMachine(LedgerMachine):
    @initialize(
        policy=st.sampled_from(list(RefundPolicy)),
        pending_days=st.sampled_from([0, 3]),
        expiry_days=st.sampled_from([None, 10]),
        inactivity_days=st.sampled_from([None, 15]),
        stock=st.sampled_from([None, 2, 5]),
        limit=st.sampled_from([None, 3]),
        per_day=st.booleans(),
        valid_days=st.sampled_from([None, 4]),
        refund_on_expiry=st.tuples(st.booleans(), st.booleans()),
        opening=st.sampled_from([0, 150, 400]),
    )
    def start_with_rewards(
        self,
        policy: RefundPolicy,
        pending_days: int,
        expiry_days: int | None,
        inactivity_days: int | None,
        stock: int | None,
        limit: int | None,
        per_day: bool,
        valid_days: int | None,
        refund_on_expiry: tuple[bool, bool],
        opening: int,
    ) -> None:
        LedgerMachine.start(self, policy, pending_days, expiry_days, inactivity_days)
        old = self.model
        self.model = RedeemingWalletModel(
            allow_negative=old.allow_negative,
            pending_days=old.pending_days,
            expiry_days=old.expiry_days,
            inactivity_days=old.inactivity_days,
        )
        # One validity for both rewards, and no two redemptions at one instant: two codes
        # never expire at the same moment, so the worker's order of closing them is known.
        self.rewards = [
            ModelReward(
                "fixed",
                40,
                0,
                0,
                0,
                0,
                500,
                stock,
                limit,
                per_day,
                valid_days,
                refund_on_expiry[0],
            ),
            ModelReward(
                "variable",
                None,
                20,
                200,
                20,
                50,
                None,
                None if stock is None else stock + 1,
                None,
                False,
                valid_days,
                refund_on_expiry[1],
            ),
        ]
        for reward in self.rewards:
            reward.id = self.run(create_reward(self.uow, self._draft(reward))).id
        self.keys: list[tuple[str, int, int | None, str | None, ModelRedemption]] = []
        self.last_redeemed_at: datetime | None = None
        if opening:  # something to redeem with from the first step
            self.bonus(opening)

    def _draft(self, reward: ModelReward) -> Any:
        variable = reward.points_cost is None
        limited = reward.per_member_limit is not None
        return draft_reward(
            {
                "name": reward.name,
                "kind": RewardKind.FIXED_AMOUNT,
                "value_minor": reward.value,
                "points_cost": reward.points_cost,
                "min_points": reward.min_points if variable else None,
                "max_points": reward.max_points if variable else None,
                "step_points": reward.step_points if variable else None,
                "value_per_step_minor": reward.value_per_step if variable else None,
                "stock": reward.stock,
                "per_member_limit": reward.per_member_limit,
                "per_member_period": LimitPeriod.DAY if reward.per_day and limited else None,
                "valid_days": reward.valid_days,
                "refund_on_expiry": reward.refund_on_expiry,
            },
            self.clock,
        )

    # LedgerMachine.start is replaced by start_with_rewards, which calls it.
    start = None  # type: ignore[assignment]

    @property
    def wallet(self) -> RedeemingWalletModel:
        assert isinstance(self.model, RedeemingWalletModel)
        return self.model

    # --- steps -----------------------------------------------------------------------------

    @rule(
        points=st.sampled_from([None, None, None, 40, 30]),
        order_id=st.sampled_from([None, None, ORDERS[0]]),
    )
    def redeem_fixed(self, points: int | None, order_id: str | None) -> None:
        self._redeem_step(0, points, order_id)

    @rule(
        points=st.sampled_from([20, 40, 60, 100, 200, 220, 30, None]),
        order_id=st.sampled_from([None, None, ORDERS[1]]),
    )
    def redeem_variable(self, points: int | None, order_id: str | None) -> None:
        self._redeem_step(1, points, order_id)

    def _redeem_step(self, which: int, points: int | None, order_id: str | None) -> None:
        if self.last_redeemed_at == self.clock.now():
            self.clock.advance(STEPS[0])
        reward = self.rewards[which]
        now = self.clock.now()
        key = f"k-{len(self.keys)}"
        outcome = self.expect(
            lambda: self.wallet.redeem(reward, points, order_id, now),
            lambda: self._redeem(reward, points, order_id, key),
        )
        if outcome is None:
            return
        expected, result = outcome
        self.last_redeemed_at = now
        assert not result.replayed
        assert (result.redemption.points, result.redemption.value_minor) == (
            expected.points,
            expected.value,
        )
        expected.id, expected.code = result.redemption.id, result.redemption.code
        self.keys.append((key, which, points, order_id, expected))

    def _redeem(self, reward: ModelReward, points: int | None, order_id: str | None, key: str):
        assert reward.id is not None
        return redeem_reward(
            self.uow,
            self.cache,
            self.clock,
            member_id=self.member_id,
            reward_id=reward.id,
            points=points,
            idempotency_key=key,
            apply_to_order=order_id,
        )

    @precondition(lambda self: self.keys)
    @rule(which=st.integers(0, 1_000))
    def retry(self, which: int) -> None:
        """The same key and input again: the first redemption, and nothing else changes."""
        key, reward, points, order_id, expected = self.keys[which % len(self.keys)]
        result = self.run(self._redeem(self.rewards[reward], points, order_id, key))
        assert result.replayed
        assert result.redemption.id == expected.id

    @precondition(lambda self: self.keys)
    @rule(which=st.integers(0, 1_000))
    def reuse_key(self, which: int) -> None:
        """A key used for one redemption, sent for the other reward: refused, nothing moves."""
        key, reward, _, order_id, _ = self.keys[which % len(self.keys)]
        other = 1 - reward
        points = 40 if other else None
        self.expect(
            self._key_reused,
            lambda: self._redeem(self.rewards[other], points, order_id, key),
        )

    @staticmethod
    def _key_reused() -> None:
        raise Refused("IDEMPOTENCY_KEY_REUSED")

    def _pick(self, which: int) -> ModelRedemption | None:
        known = self.wallet.redemptions
        return known[which % len(known)] if known and which % 5 else None

    @rule(which=st.integers(0, 1_000))
    def cancel(self, which: int) -> None:
        redemption = self._pick(which)
        code = redemption.code if redemption else "NO-SUCH-CODE"
        now = self.clock.now()
        self.expect(
            lambda: self.wallet.cancel(redemption, now),
            lambda: cancel_redemption(self.uow, self.cache, self.clock, code=code.lower()),
        )

    @precondition(lambda self: self.wallet.redemptions)
    @rule(which=st.integers(0, 1_000), order_id=st.sampled_from(ORDERS))
    def use(self, which: int, order_id: str) -> None:
        redemption = self.wallet.redemptions[which % len(self.wallet.redemptions)]
        now = self.clock.now()
        outcome = self.expect(
            lambda: self.wallet.use(redemption, order_id, now),
            lambda: mark_used(
                self.uow, self.cache, self.clock, code=f" {redemption.code} ", order_id=order_id
            ),
        )
        if outcome is not None:
            assert outcome[1].status.value == "USED"

    @rule()
    def worker(self) -> None:
        now = self.clock.now()
        if self.wallet.due(now):
            self.wallet.settle(now)
        self.wallet.expire_inactive(now)
        self.wallet.expire_codes(now)
        self.run(run_jobs(self.uow, self.cache, self.clock))

    def _moments_ahead(self) -> list[datetime]:
        now = self.clock.now()
        codes = {
            r.expires_at
            for r in self.wallet.redemptions
            if r.status == "ISSUED" and r.expires_at and r.expires_at > now
        }
        return sorted(set(super()._moments_ahead()) | codes)

    # --- what must hold after every step ---------------------------------------------------

    @invariant()
    def rewards_and_codes_agree_with_model(self) -> None:
        self.run(self._check_redemptions())

    async def _check_redemptions(self) -> None:
        if not hasattr(self, "rewards"):
            return
        async with self.services.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT id, status, points, value_minor, order_id, expires_at"
                f' FROM "{self.schema}".redemptions'
            )
            issued = await conn.fetch(f'SELECT id, issued FROM "{self.schema}".rewards')
        assert {r["id"]: tuple(r.values())[1:] for r in rows} == {
            m.id: (m.status, m.points, m.value, m.order_id, m.expires_at)
            for m in self.wallet.redemptions
        }
        assert {r["id"]: r["issued"] for r in issued} == {r.id: r.issued for r in self.rewards}


def test_redemptions_agree_with_the_reference_model(settings: Settings) -> None:
    run_machine(RedemptionMachine, settings, examples=40, steps=30)
