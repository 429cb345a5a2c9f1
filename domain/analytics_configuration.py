"""configureAnalytics: the figures the tenant enters for CLV and ROI."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from domain.errors import DomainError
from domain.money import validate_minor
from domain.ports import UnitOfWorkFactory
from domain.records.analytics import AnalyticsSettings


def _margin(value: Decimal) -> Decimal:
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
        raise DomainError(
            "grossMargin must be between 0 and 1 (0.4 for 40%).", field=("grossMargin",)
        )
    if value != value.quantize(Decimal("0.0001")):
        raise DomainError("grossMargin has at most four decimals.", field=("grossMargin",))
    return value


async def configure_analytics(
    uow_factory: UnitOfWorkFactory,
    *,
    gross_margin: Decimal | None,
    monthly_cost_minor: int | None,
) -> AnalyticsSettings:
    """Changes what is given; what is left out (None) keeps its value."""
    async with uow_factory() as uow:
        current = await uow.analytics.settings()
        if gross_margin is not None:
            current = replace(current, gross_margin=_margin(gross_margin))
        if monthly_cost_minor is not None:
            cost = validate_minor(monthly_cost_minor, ("monthlyProgramCost",))
            current = replace(current, monthly_cost_minor=cost)
        await uow.analytics.save_settings(current)
    return current
