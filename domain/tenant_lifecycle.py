"""A tenant's lifecycle: ACTIVE → SUSPENDED ⇄ ACTIVE, → ARCHIVED → deleted after a grace period.

Suspended and archived tenants keep their data; their API keys and member tokens are
refused (TENANT_SUSPENDED) and the worker skips them. Their operators still read them, and
change nothing but what this module allows (`may_change_while_inactive`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import DomainError, ErrorCode, Forbidden, TenantSuspended

MAX_REASON = 500
DEFAULT_GRACE_DAYS = 30


class TenantStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    ARCHIVED = "ARCHIVED"


class LifecycleAction(StrEnum):
    SUSPEND = "suspendTenant"
    REACTIVATE = "reactivateTenant"
    ARCHIVE = "archiveTenant"
    DELETE = "deleteTenant"


# The statuses each action starts from, and the one it leaves.
_MOVES: dict[LifecycleAction, tuple[frozenset[TenantStatus], TenantStatus]] = {
    LifecycleAction.SUSPEND: (frozenset({TenantStatus.ACTIVE}), TenantStatus.SUSPENDED),
    LifecycleAction.REACTIVATE: (
        frozenset({TenantStatus.SUSPENDED, TenantStatus.ARCHIVED}),
        TenantStatus.ACTIVE,
    ),
    LifecycleAction.ARCHIVE: (
        frozenset({TenantStatus.ACTIVE, TenantStatus.SUSPENDED}),
        TenantStatus.ARCHIVED,
    ),
}

# Who may do what. Deleting destroys data for good: owners only.
_ROLES: dict[LifecycleAction, frozenset[str]] = {
    LifecycleAction.SUSPEND: frozenset({"OWNER", "ADMIN"}),
    LifecycleAction.REACTIVATE: frozenset({"OWNER", "ADMIN"}),
    LifecycleAction.ARCHIVE: frozenset({"OWNER", "ADMIN"}),
    LifecycleAction.DELETE: frozenset({"OWNER"}),
}

# What an operator may still do on a tenant that is not active: its lifecycle, revoking its
# keys, the data-subject requests the law keeps open while data is held, and taking the
# whole tenant out (an archived tenant is exported before it is deleted).
_WHILE_INACTIVE = frozenset(
    {
        *(a.value for a in LifecycleAction),
        "revokeApiKey",
        "eraseMember",
        "exportMember",
        "exportTenant",
    }
)


def require_may(action: LifecycleAction, role: str | None) -> None:
    if role is None or role not in _ROLES[action]:
        raise Forbidden("Your role on this tenant may not do that.")


def next_status(action: LifecycleAction, current: str) -> TenantStatus:
    """The status `action` leaves a tenant in, or a CONFLICT if it cannot start from `current`."""
    starts, ends = _MOVES[action]
    if current not in starts:
        raise DomainError(
            f"A {current.lower()} tenant cannot be {ends.lower()}.",
            field=("tenant",),
            code=ErrorCode.CONFLICT,
        )
    return ends


def clean_reason(reason: str | None) -> str | None:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise DomainError(f"reason must be at most {MAX_REASON} characters.", field=("reason",))
    return reason or None


def deletable_at(archived_at: datetime | None, grace: timedelta) -> datetime | None:
    return archived_at + grace if archived_at is not None else None


def require_deletable(
    status: str, archived_at: datetime | None, grace: timedelta, now: datetime
) -> None:
    """A tenant is deleted only once archived, and only after the grace period since."""
    when = deletable_at(archived_at, grace)
    if status != TenantStatus.ARCHIVED or when is None:
        raise DomainError(
            "Archive the tenant first; it can be deleted after the grace period.",
            field=("tenant",),
            code=ErrorCode.TENANT_NOT_ARCHIVED,
        )
    if now < when:
        raise DomainError(
            f"The tenant can be deleted from {when.isoformat()} (grace period).",
            field=("tenant",),
            code=ErrorCode.GRACE_PERIOD,
        )


def may_change_while_inactive(action: str) -> bool:
    return action in _WHILE_INACTIVE


def refuse_inactive(status: str) -> None:
    """Raises TENANT_SUSPENDED for a tenant whose credentials are refused."""
    if status == TenantStatus.SUSPENDED:
        raise TenantSuspended("This tenant is suspended: its keys and tokens are refused.")
    if status != TenantStatus.ACTIVE:
        raise TenantSuspended("This tenant is archived: its keys and tokens are refused.")


def listed_by_default(status: str) -> bool:
    """Archived tenants are left out of the agency's lists unless asked for."""
    return status != TenantStatus.ARCHIVED
