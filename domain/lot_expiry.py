"""When a lot expires: after a number of days or months, optionally at that month's end.

Shared by the points program and the stamp card, whose lots expire by the same rule."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any


class ExpiryUnit(StrEnum):
    DAYS = "DAYS"
    MONTHS = "MONTHS"


@dataclass(frozen=True, slots=True)
class LotExpiry:
    after: int
    unit: ExpiryUnit
    end_of_month: bool = False


# Ten years at the most, in either unit.
MAX_AFTER = {ExpiryUnit.DAYS: 3660, ExpiryUnit.MONTHS: 120}


def expiry_to_json(rule: LotExpiry | None) -> dict[str, Any] | None:
    """The rule as the program and the stamp card store it in their JSON."""
    if rule is None:
        return None
    return {"after": rule.after, "unit": rule.unit.value, "end_of_month": rule.end_of_month}


def expiry_from_json(data: dict[str, Any] | None) -> LotExpiry | None:
    if not data:
        return None
    return LotExpiry(data["after"], ExpiryUnit(data["unit"]), data["end_of_month"])


def expires_at(rule: LotExpiry | None, earned_at: datetime) -> datetime | None:
    """When a lot earned at `earned_at` expires under `rule` (None: never)."""
    if rule is None:
        return None
    if rule.unit is ExpiryUnit.DAYS:
        at = earned_at + timedelta(days=rule.after)
    else:
        month_index = earned_at.month - 1 + rule.after
        year, month = earned_at.year + month_index // 12, month_index % 12 + 1
        day = min(earned_at.day, calendar.monthrange(year, month)[1])
        at = earned_at.replace(year=year, month=month, day=day)
    if rule.end_of_month:
        at = at.astimezone(UTC)
        last = calendar.monthrange(at.year, at.month)[1]
        at = at.replace(day=last, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return at
