"""GraphQL enums made from the domain's, shared by several areas of the schema."""

from __future__ import annotations

import strawberry

from domain import program as p

Rounding = strawberry.enum(p.Rounding, name="Rounding")
RefundPolicy = strawberry.enum(
    p.RefundPolicy, name="RefundPolicy", description="What a refund does to points already spent."
)
Channel = strawberry.enum(p.Channel, name="Channel")
ExpiryUnit = strawberry.enum(p.ExpiryUnit, name="ExpiryUnit")
RuleKind = strawberry.enum(p.RuleKind, name="RuleKind")
LimitPeriod = strawberry.enum(p.LimitPeriod, name="LimitPeriod")
