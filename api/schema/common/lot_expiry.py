"""When lots expire, as clients read and set it: the program's points and the stamp card."""

from __future__ import annotations

import strawberry

from api.schema.common.enums import ExpiryUnit
from domain.lot_expiry import LotExpiry as DomainLotExpiry


@strawberry.type
class LotExpiry:
    after: int
    unit: ExpiryUnit  # type: ignore[valid-type]
    end_of_month: bool = strawberry.field(description="Expire at the end of that month.")

    @classmethod
    def of(cls, x: DomainLotExpiry | None) -> LotExpiry | None:
        return cls(after=x.after, unit=x.unit, end_of_month=x.end_of_month) if x else None


@strawberry.input
class LotExpiryInput:
    after: int
    unit: ExpiryUnit  # type: ignore[valid-type]
    end_of_month: bool = False

    def to_domain(self) -> DomainLotExpiry:
        return DomainLotExpiry(self.after, self.unit, self.end_of_month)
