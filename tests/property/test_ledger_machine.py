"""Random earns, changes, spends, refunds, worker runs and clock moves against the reference
model: after every step the balance row, the cached balance, the lots, the orders and the
ledger must agree with it.

Runs the domain's use cases on the real PostgreSQL and Redis, on an event loop of its own
(hypothesis drives steps synchronously). Each example gets a fresh tenant whose program is
drawn at random: clawback policy, return window, lot expiry, inactivity expiry.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from api.services import Services
from api.settings import Settings
from domain.clock import FixedClock
from domain.configuration import configure_program
from domain.earning import Order, OrderLine
from domain.enrolment import enroll
from domain.errors import DomainError
from domain.jobs import run_jobs
from domain.ledger import DEFAULT_WALLET
from domain.orders import record_order, refund_order
from domain.points import AdjustPoints, adjust_points, read_balance
from domain.program import Channel, ExpiryUnit, LotExpiry, RefundPolicy
from domain.records.members import MemberDraft
from persistence.uow import PgUnitOfWorkFactory
from tenants.provisioning import create_tenant
from tests.conftest import CLOCK_START
from tests.property.ledger_model import Refused, WalletModel
from tests.property.running import run_machine
from tests.support.ledger_checks import assert_schema_ledger_consistent
from tests.support.recycled_schemas import SchemaRecycler

T = TypeVar("T")
STEPS = [
    timedelta(microseconds=1),
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=3),
    timedelta(days=7),
    timedelta(days=12),
    timedelta(days=40),
]


class LedgerMachine(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    services: Services
    migrator: SchemaRecycler

    def run(self, work: Awaitable[T]) -> T:
        return self.loop.run_until_complete(work)

    def expect(self, model_step: Any, work: Any) -> Any:
        """Runs the model's step and the system's; both refuse alike, or both go ahead."""
        try:
            expected = model_step()
        except Refused as refused:
            try:
                self.run(work())
            except DomainError as err:
                assert err.code == refused.code, (err.code, refused.code)
                return None
            raise AssertionError(f"expected {refused.code}") from None
        result = self.run(work())
        return expected, result

    @initialize(
        policy=st.sampled_from(list(RefundPolicy)),
        pending_days=st.sampled_from([0, 3]),
        expiry_days=st.sampled_from([None, 10]),
        inactivity_days=st.sampled_from([None, 15]),
    )
    def start(
        self,
        policy: RefundPolicy,
        pending_days: int,
        expiry_days: int | None,
        inactivity_days: int | None,
    ) -> None:
        self.clock = FixedClock(CLOCK_START)
        slug = "p" + uuid.uuid4().hex[:12]
        # Examples run one after another: the previous example's tenant is done with.
        self.run(self.migrator.retire_finished())
        tenant = self.run(
            create_tenant(self.services.pool, migrator=self.migrator, slug=slug, name=slug)
        )
        self.migrator.finished.append(tenant.id)
        self.schema = tenant.schema_name
        self.uow = PgUnitOfWorkFactory(self.services.pool, tenant.schema_name)
        self.cache = self.services.balances.for_tenant(tenant.id)
        self.run(
            configure_program(
                self.uow,
                self.clock,
                lambda c: replace(
                    c,
                    refund_policy=policy,
                    pending_days=pending_days,
                    lot_expiry=LotExpiry(expiry_days, ExpiryUnit.DAYS) if expiry_days else None,
                    inactivity_days=inactivity_days,
                ),
                None,
            )
        )
        self.before_enrolment()
        member = self.run(enroll(self.uow, self.clock, MemberDraft(external_id="m")))
        self.member_id: UUID = member.id
        self.model = WalletModel(
            allow_negative=policy is RefundPolicy.ALLOW_NEGATIVE,
            pending_days=pending_days,
            expiry_days=expiry_days,
            inactivity_days=inactivity_days,
        )
        self.orders: list[str] = []

    def before_enrolment(self) -> None:
        """What a machine built on this one sets up in the program before the member joins."""

    # --- steps -----------------------------------------------------------------------------

    def _order(self, order_id: str, paid: int) -> Order:
        known = self.model.orders.get(order_id)
        return Order(
            order_id=order_id,
            member_id=self.member_id,
            currency="USD",
            channel=Channel.WEB,
            placed_at=known.placed_at if known else self.clock.now(),
            lines=(OrderLine("sku", 1, paid),),
        )

    @rule(paid=st.integers(0, 20_000))
    def earn(self, paid: int) -> None:
        order_id = f"o-{len(self.orders)}"
        order = self._order(order_id, paid)
        now = self.clock.now()
        outcome = self.expect(
            lambda: self.model.record_order(order_id, paid, now),
            lambda: record_order(self.uow, self.cache, self.clock, order),
        )
        assert outcome is not None
        expected, result = outcome
        assert result.points_delta == expected
        self.orders.append(order_id)

    @precondition(lambda self: self.orders)
    @rule(which=st.integers(0, 1_000), paid=st.integers(0, 20_000))
    def change_order(self, which: int, paid: int) -> None:
        order_id = self.orders[which % len(self.orders)]
        order = self._order(order_id, paid)
        now = self.clock.now()
        outcome = self.expect(
            lambda: self.model.record_order(order_id, paid, now),
            lambda: record_order(self.uow, self.cache, self.clock, order),
        )
        if outcome is not None:
            expected, result = outcome
            assert result.points_delta == expected

    @precondition(lambda self: self.orders)
    @rule(which=st.integers(0, 1_000), amount=st.one_of(st.none(), st.integers(1, 12_000)))
    def refund(self, which: int, amount: int | None) -> None:
        order_id = self.orders[which % len(self.orders)]
        known = self.model.orders[order_id]
        # None: refund all that is left (or a cent more than is left, once all is refunded)
        amount = amount if amount is not None else max(known.paid - known.refunded, 1)
        refund_id = f"r-{uuid.uuid4().hex}"
        now = self.clock.now()
        outcome = self.expect(
            lambda: self.model.refund(order_id, amount, now),
            lambda: refund_order(
                self.uow,
                self.cache,
                self.clock,
                order_id=order_id,
                refund_id=refund_id,
                amount_minor=amount,
                lines=None,
            ),
        )
        if outcome is not None:
            expected, result = outcome
            assert result.refund.points == expected

    def _adjust(self, points: int) -> Any:
        return adjust_points(
            self.uow,
            self.cache,
            self.clock,
            AdjustPoints(self.member_id, points, DEFAULT_WALLET, None, None, None),
        )

    @rule(points=st.integers(1, 150))
    def spend(self, points: int) -> None:
        now = self.clock.now()
        self.expect(lambda: self.model.spend(points, now), lambda: self._adjust(-points))

    @rule(points=st.integers(1, 60))
    def bonus(self, points: int) -> None:
        now = self.clock.now()
        self.expect(lambda: self.model.bonus(points, now), lambda: self._adjust(points))

    @rule(step=st.sampled_from(STEPS))
    def wait(self, step: timedelta) -> None:
        self.clock.advance(step)

    def _moments_ahead(self) -> list[datetime]:
        now = self.clock.now()
        moments = {lot.available_at for lot in self.model.lots if lot.pending}
        moments |= {lot.expires_at for lot in self.model.lots if lot.expires_at}
        if self.model.inactivity_days and self.model.last_activity:
            moments.add(self.model.last_activity + timedelta(days=self.model.inactivity_days))
        return sorted(m for m in moments if m > now)

    @precondition(lambda self: self._moments_ahead())
    @rule(which=st.integers(0, 100), nudge=st.sampled_from([timedelta(0), timedelta(0), -STEPS[0]]))
    def wait_until_a_boundary(self, which: int, nudge: timedelta) -> None:
        """Moves the clock to exactly when something matures or expires (or just before)."""
        ahead = self._moments_ahead()
        target = ahead[which % len(ahead)] + nudge
        if target > self.clock.now():
            self.clock.advance(target - self.clock.now())

    @rule()
    def worker(self) -> None:
        now = self.clock.now()
        if self.model.due(now):
            self.model.settle(now)
        self.model.expire_inactive(now)
        self.run(run_jobs(self.uow, self.cache, self.clock))

    # --- what must hold after every step ---------------------------------------------------

    @invariant()
    def system_agrees_with_model(self) -> None:
        self.run(self._check())

    async def _check(self) -> None:
        m = self.model
        expected = (m.available - m.debt, m.pending, m.lifetime, m.debt)
        async with self.uow() as uow:
            row = await uow.ledger.read_balance(self.member_id, DEFAULT_WALLET)
            records = {o: await uow.orders.get(o) for o in self.orders}
        assert (row.spendable, row.pending, row.lifetime, row.debt) == expected
        cached = await read_balance(self.uow, self.cache, self.member_id, DEFAULT_WALLET)
        assert (cached.spendable, cached.pending, cached.lifetime, cached.debt) == expected
        assert m.debt == 0 or m.available == 0, "a debt is only owed when nothing is left"
        for order_id, record in records.items():
            assert record is not None
            known = m.orders[order_id]
            assert (record.earned_points, record.reversed_points, record.refunded_minor) == (
                known.earned,
                known.reversed,
                known.refunded,
            )
        async with self.services.pool.acquire() as conn:
            lots = await conn.fetch(
                f'SELECT points, remaining, pending FROM "{self.schema}".lots ORDER BY id'
            )
            shortfall = await conn.fetchval(
                f'SELECT coalesce(sum(shortfall), 0) FROM "{self.schema}".ledger_entries'
            )
        assert [tuple(r.values()) for r in lots] == [
            (lot.points, lot.remaining, lot.pending) for lot in m.lots
        ]
        assert shortfall == m.shortfall
        await assert_schema_ledger_consistent(self.services.pool, self.schema)


def test_the_ledger_agrees_with_the_reference_model(settings: Settings) -> None:
    run_machine(LedgerMachine, settings, examples=40, steps=25)
