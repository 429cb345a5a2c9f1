"""A world for the fast unit tier: one fresh tenant on the in-memory fakes, with its
unit-of-work factory, balance cache and clock, and helpers that set it up through the use
cases themselves (enrol, adjust, configure, create a reward, place an order, redeem,
refund)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from domain import enrolment
from domain.catalog import create_reward, draft_reward
from domain.clock import FixedClock
from domain.configuration import configure_program
from domain.earning import Order, OrderLine
from domain.ledger import DEFAULT_WALLET, Balance
from domain.orders import RefundLine, RefundResult, refund_order
from domain.points import AdjustPoints, adjust_points
from domain.program import Channel, ProgramConfig
from domain.records.members import Member, MemberDraft
from domain.redemption import Redeemed, redeem_reward
from domain.rewards import Reward, RewardKind
from tests.unit.fakes import FakeBalanceCache, FakeDatabase, FakeUnitOfWorkFactory

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.cache = FakeBalanceCache()
        self.clock = FixedClock(START)

    @property
    def db(self) -> FakeDatabase:
        return self.uow.db

    async def member(self, points: int = 0, **fields: Any) -> Member:
        draft = MemberDraft(**({"external_id": uuid4().hex} | fields))
        member = await enrolment.enroll(self.uow, self.clock, draft)
        if points:
            await self.adjust(member.id, points)
        return member

    async def adjust(self, member_id: UUID, points: int, key: str | None = None) -> Balance:
        changed = await adjust_points(
            self.uow,
            self.cache,
            self.clock,
            AdjustPoints(member_id, points, DEFAULT_WALLET, None, None, key),
        )
        assert changed.balance is not None
        return changed.balance

    async def configure(self, **changes: Any) -> ProgramConfig:
        return await configure_program(
            self.uow, self.clock, lambda c: replace(c, **changes), by=None
        )

    async def reward(self, **fields: Any) -> Reward:
        given = {"name": "Five off", "kind": RewardKind.FIXED_AMOUNT, "value_minor": 500}
        given |= {"points_cost": 100} | fields
        return await create_reward(self.uow, draft_reward(given, self.clock))

    def order(
        self, member_id: UUID | None, order_id: str = "o-1", *lines: OrderLine, **fields: Any
    ) -> Order:
        """An order placed now: by default two $25 tees, which earn 50 points."""
        return Order(
            order_id=order_id,
            member_id=member_id,
            currency="USD",
            channel=Channel.WEB,
            placed_at=self.clock.now(),
            lines=lines or (OrderLine("tee", 2, 2500),),
            **fields,
        )

    async def redeem(
        self, member_id: UUID, reward_id: UUID, key: str | None = None, **fields: Any
    ) -> Redeemed:
        """The member redeems the reward for its points cost, unless `points` is given."""
        return await redeem_reward(
            self.uow,
            self.cache,
            self.clock,
            member_id=member_id,
            reward_id=reward_id,
            points=fields.pop("points", None),
            idempotency_key=key,
            **fields,
        )

    async def refund(
        self,
        order_id: str = "o-1",
        refund_id: str = "r-1",
        amount: int | None = None,
        lines: list[RefundLine] | None = None,
    ) -> RefundResult:
        return await refund_order(
            self.uow,
            self.cache,
            self.clock,
            order_id=order_id,
            refund_id=refund_id,
            amount_minor=amount,
            lines=lines,
        )

    async def balance(self, member_id: UUID) -> Balance:
        async with self.uow() as uow:
            return await uow.ledger.read_balance(member_id, DEFAULT_WALLET)
