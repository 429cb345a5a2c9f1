"""Paid memberships as the program configures them: the SKU an order line buys, the tier
it gives and for how long."""

from __future__ import annotations

import strawberry

from domain import program as p


@strawberry.type(description="An order line of this SKU buys the tier for the months, per unit.")
class PaidMembership:
    sku: str
    tier: str = strawberry.field(description="The tier's name.")
    months: int

    @classmethod
    def all_of(cls, plans: tuple[p.MembershipPlan, ...]) -> list[PaidMembership]:
        return [cls(sku=x.sku, tier=x.tier, months=x.months) for x in plans]


@strawberry.input(description="A paid membership: the SKU, the tier it buys, for how long.")
class PaidMembershipInput:
    sku: str
    tier: str = strawberry.field(description="A tier's name.")
    months: int = strawberry.field(description="Per unit bought: 1 to 120.")

    def plan(self) -> p.MembershipPlan:
        return p.MembershipPlan(self.sku, self.tier, self.months)
