"""previewOrder's rule: an order earns under the current program, times its member's tier
multiplier; read through in-memory repositories."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from uuid import UUID

import pytest

from domain.earning import Order, OrderLine
from domain.errors import DomainError
from domain.order_preview import preview_member_order
from domain.program import DEFAULT_PROGRAM, Channel, ProgramConfig
from domain.tiers import Tier

NOW = datetime(2026, 6, 1, tzinfo=UTC)
GOLD = Tier(uuid.uuid4(), "Gold", 1000, Decimal("1.5"), (), False, NOW, NOW)
ADA, BOB = uuid.uuid4(), uuid.uuid4()


@dataclass
class InMemoryTenant:
    """The program and the tiers members hold; a unit of work of its own."""

    program: ProgramConfig
    held_tiers: dict[UUID, Tier]

    @property
    def programs(self) -> InMemoryTenant:
        return self

    @property
    def tiers(self) -> InMemoryTenant:
        return self

    def __call__(self) -> InMemoryTenant:
        return self

    async def __aenter__(self) -> InMemoryTenant:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def current(self) -> ProgramConfig:
        return self.program

    def known_empty(self) -> bool:
        return not self.held_tiers

    async def held(self, member_id: UUID) -> Tier | None:
        return self.held_tiers.get(member_id)


def order(member_id: UUID | None, price: int = 10_000, currency: str = "USD") -> Order:
    return Order(
        order_id=" o-1 ",
        member_id=member_id,
        currency=currency,
        channel=Channel.WEB,
        placed_at=NOW,
        lines=(OrderLine("sku-1", 1, price),),
    )


@pytest.mark.parametrize(
    ("member_id", "points"),
    [(ADA, 150), (BOB, 100), (None, 100)],  # Gold, no tier, a guest
)
async def test_an_order_earns_the_members_tier_multiplier(member_id, points):
    # given a point per unit of currency, and Ada holding Gold (x1.5)
    tenant = InMemoryTenant(DEFAULT_PROGRAM, {ADA: GOLD})

    # when a 100.00 order is previewed
    earning = await preview_member_order(tenant, order(member_id))

    # then only Ada's points are multiplied
    assert earning.points == points
    assert earning.config_version == DEFAULT_PROGRAM.version


async def test_a_preview_earns_under_the_current_program():
    # given a program that gives 3 points per unit
    tenant = InMemoryTenant(replace(DEFAULT_PROGRAM, points_per_unit=Decimal(3)), {})

    # when a 10.00 order is previewed
    earning = await preview_member_order(tenant, order(None, price=1_000))

    # then it earns 30
    assert earning.points == 30


async def test_an_order_in_another_currency_is_refused():
    # given a program earning on USD
    tenant = InMemoryTenant(DEFAULT_PROGRAM, {})

    # when an order in EUR is previewed
    with pytest.raises(DomainError) as refused:
        await preview_member_order(tenant, order(ADA, currency="EUR"))

    # then it is refused on currency
    assert refused.value.field == ("currency",)
