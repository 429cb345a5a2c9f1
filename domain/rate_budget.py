"""What an operator may set a tenant's request budget to."""

from __future__ import annotations

from domain.errors import DomainError


def require_operator_budget(per_minute: int | None, platform_default: int) -> None:
    """A tenant's operators may lower its budget (say, to bound what a leaked key can do),
    or return it to the platform's default; raising it above that is for the platform's
    own operators (`loyalty tenant rate-limit`), as it spends capacity other tenants share."""
    if per_minute is None:
        return
    if not 1 <= per_minute <= platform_default:
        raise DomainError(
            f"perMinute must be 1 to {platform_default}; ask the platform for more.",
            field=("perMinute",),
        )
