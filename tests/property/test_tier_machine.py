"""The ledger machine, with VIP tiers: each example draws a metric, a window, a downgrade
policy and grace days; earns, order changes, refunds, bonuses, spends, long and short clock
moves and worker runs go on as in the ledger machine. After every step the member's tier,
since when they hold it and until when it is kept must be what the reference rules say,
and every order must have earned at the multiplier of the tier held when it was recorded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from api.settings import Settings
from domain.program import RefundPolicy
from domain.tier_definitions import TierDraft, configure_tiers, create_tier, update_tier
from domain.tier_evaluation import member_standing
from domain.tiers import TierDowngrade, TierMetric, TierSettings, TierWindow
from tests.conftest import CLOCK_START
from tests.property.running import run_machine
from tests.property.test_ledger_machine import LedgerMachine
from tests.property.tier_model import ModelTier, TierModel, TierWalletModel

# Two tiers above an optional base one, at thresholds the steps of an example can reach.
THRESHOLDS = {"POINTS_EARNED": (150, 400), "AMOUNT_SPENT": (15_000, 40_000), "ORDER_COUNT": (2, 4)}
# What an operator may move them to, keeping their order.
CHANGES = {
    "POINTS_EARNED": {"Silver": (30, 150, 270), "Gold": (300, 400, 800)},
    "AMOUNT_SPENT": {"Silver": (3_000, 15_000, 27_000), "Gold": (30_000, 40_000, 80_000)},
    "ORDER_COUNT": {"Silver": (1, 2, 3), "Gold": (4, 5, 6)},
}
LONG_STEPS = [timedelta(days=100), timedelta(days=250)]


class TierMachine(LedgerMachine):
    @initialize(
        policy=st.sampled_from(list(RefundPolicy)),
        pending_days=st.sampled_from([0, 3]),
        expiry_days=st.sampled_from([None, 10]),
        metric=st.sampled_from(sorted(THRESHOLDS)),
        window=st.sampled_from([("LIFETIME", None), ("CALENDAR_YEAR", None)])
        | st.tuples(st.just("ROLLING_MONTHS"), st.sampled_from([1, 2])),
        never_down=st.sampled_from([False, False, True]),
        grace_days=st.sampled_from([0, 3]),
        base=st.booleans(),
    )
    def start_with_tiers(
        self,
        policy: RefundPolicy,
        pending_days: int,
        expiry_days: int | None,
        metric: str,
        window: tuple[str, int | None],
        never_down: bool,
        grace_days: int,
        base: bool,
    ) -> None:
        silver, gold = THRESHOLDS[metric]
        tiers = [
            ModelTier("Silver", silver, Decimal("1.5")),
            ModelTier("Gold", gold, Decimal("2")),
        ]
        if base:
            tiers.insert(0, ModelTier("Member", 0, Decimal("1.25")))
        self.tiers = TierModel(tiers, metric, window[0], window[1], never_down, grace_days)
        LedgerMachine.start(self, policy, pending_days, expiry_days, None)
        old = self.model
        self.model = TierWalletModel(
            allow_negative=old.allow_negative,
            pending_days=old.pending_days,
            expiry_days=old.expiry_days,
            inactivity_days=None,
            tier=self.tiers,
        )
        self.tiers.since = CLOCK_START
        self._evaluate()  # enrolment: a base tier is held from the first day

    start = None  # type: ignore[assignment]  # replaced by start_with_tiers, which calls it

    def before_enrolment(self) -> None:
        self.tier_ids: dict[str, UUID] = {}
        for tier in self.tiers.tiers:
            draft = TierDraft(tier.name, tier.threshold, tier.multiplier)
            self.tier_ids[tier.name] = self.run(create_tier(self.uow, self.clock, draft)).id
        self.run(
            configure_tiers(
                self.uow,
                lambda s: TierSettings(
                    metric=TierMetric(self.tiers.metric),
                    window=TierWindow(self.tiers.window),
                    rolling_months=self.tiers.rolling_months,
                    downgrade=TierDowngrade.NEVER
                    if self.tiers.never_down
                    else TierDowngrade.AT_PERIOD_END,
                    grace_days=self.tiers.grace_days,
                    version=s.version,
                ),
            )
        )

    @property
    def wallet(self) -> TierWalletModel:
        assert isinstance(self.model, TierWalletModel)
        return self.model

    def _evaluate(self) -> None:
        now = self.clock.now()
        self.tiers.evaluate(self.tiers.value(self.wallet, now), now)

    # --- steps: the ledger machine's, and the evaluations they cause -----------------------

    @rule(paid=st.integers(0, 20_000))
    def earn(self, paid: int) -> None:
        LedgerMachine.earn(self, paid)
        self._evaluate()

    @precondition(lambda self: self.orders)
    @rule(which=st.integers(0, 1_000), paid=st.integers(0, 20_000))
    def change_order(self, which: int, paid: int) -> None:
        before = self.wallet.orders[self.orders[which % len(self.orders)]].paid
        LedgerMachine.change_order(self, which, paid)
        if self.wallet.orders[self.orders[which % len(self.orders)]].paid != before:
            self._evaluate()  # a changed order; a replay or a refused change moves nothing

    @precondition(lambda self: self.orders)
    @rule(which=st.integers(0, 1_000), amount=st.one_of(st.none(), st.integers(1, 12_000)))
    def refund(self, which: int, amount: int | None) -> None:
        before = self.wallet.orders[self.orders[which % len(self.orders)]].refunded
        LedgerMachine.refund(self, which, amount)
        if self.wallet.orders[self.orders[which % len(self.orders)]].refunded != before:
            self._evaluate()

    @rule(points=st.integers(1, 60))
    def bonus(self, points: int) -> None:
        LedgerMachine.bonus(self, points)
        self._evaluate()

    @rule()
    def worker(self) -> None:
        LedgerMachine.worker(self)
        now = self.clock.now()
        self.tiers.review(self.tiers.value(self.wallet, now), now)

    @rule(
        name=st.sampled_from(["Silver", "Gold"]),
        index=st.integers(0, 2),
        multiplier=st.sampled_from(["1.5", "2", "3"]),
    )
    def change_tier(self, name: str, index: int, multiplier: str) -> None:
        threshold = CHANGES[self.tiers.metric][name][index]
        self.run(
            update_tier(
                self.uow,
                self.clock,
                self.tier_ids[name],
                lambda t: replace(t, threshold=threshold, multiplier=Decimal(multiplier)),
            )
        )
        self.tiers.change(name, threshold, Decimal(multiplier))

    @rule(step=st.sampled_from(LONG_STEPS))
    def wait_long(self, step: timedelta) -> None:
        self.clock.advance(step)

    def _moments_ahead(self) -> list[datetime]:
        now = self.clock.now()
        return sorted(set(super()._moments_ahead()) | self.tiers.moments_ahead(self.wallet, now))

    # --- what must hold after every step ---------------------------------------------------

    @invariant()
    def tier_agrees_with_rules(self) -> None:
        self.run(self._check_tier())

    async def _check_tier(self) -> None:
        if not hasattr(self, "tiers") or not isinstance(self.model, TierWalletModel):
            return
        async with self.services.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"""SELECT t.name, mt.since, mt.retain_until
                    FROM "{self.schema}".member_tiers mt
                    LEFT JOIN "{self.schema}".tiers t ON t.id = mt.tier_id"""
            )
        held = self.tiers.held
        expected = (held.name if held else None, self.tiers.since, self.tiers.retain_until)
        assert row is not None
        now = self.clock.now()
        value = self.tiers.value(self.wallet, now)
        assert tuple(row.values()) == expected, value
        # What the member is shown: the next tier, how far it is, what keeping this one takes.
        standing = await member_standing(self.uow, self.member_id, now)
        assert standing is not None
        above = [t for t in self.tiers.tiers if t.threshold > (held.threshold if held else -1)]
        shown_next = standing.next.name if standing.next else None
        assert shown_next == (above[0].name if above else None)
        if above:
            assert standing.progress is not None
            assert (standing.progress.value, standing.progress.remaining) == (
                value,
                max(above[0].threshold - value, 0),
            )
        if held is None or self.tiers.retain_until is None:
            assert standing.retention is None
        else:
            assert standing.retention is not None
            assert (standing.retention.by, standing.retention.remaining) == (
                self.tiers.retain_until,
                max(held.threshold - value, 0),
            )


def test_tiers_follow_the_documented_rules(settings: Settings) -> None:
    run_machine(TierMachine, settings, examples=40, steps=30)
