"""The calendar periods (UTC) that per-period limits count in: actions per member, a
reward's redemptions per member, a referrer's rewarded referrals."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.program import LimitPeriod


def period_start(period: LimitPeriod, now: datetime) -> datetime:
    """Start of the calendar period (UTC) that contains `now`."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is LimitPeriod.DAY:
        return day
    if period is LimitPeriod.WEEK:
        return day - timedelta(days=day.weekday())
    if period is LimitPeriod.MONTH:
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def counted_since(period: LimitPeriod | None, now: datetime) -> datetime | None:
    """From when a limit of `period` counts at `now`; None: a limit without a period counts
    forever."""
    return period_start(period, now) if period is not None else None
