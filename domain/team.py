"""The agency's team: who may change whose role or access, the last owner, invitations."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from domain.errors import DomainError, ErrorCode, Forbidden
from domain.roles import Power, Role, may

INVITATION_LIFETIME = timedelta(days=7)
INVITATION_PREFIX = "lp_inv_"


def new_invitation_token() -> str:
    return INVITATION_PREFIX + secrets.token_urlsafe(32)


def require_may_manage(actor: Role, current: Role | None, new: Role | None = None) -> None:
    """`actor` changes an operator whose role is `current` (None: not one yet) to `new`
    (None: removed, or its role unchanged). Owners manage everyone; admins manage admins
    and viewers, and make no owner."""
    if not may(actor, Power.TEAM):
        raise Forbidden("Only the agency's owners and admins manage its team.")
    if actor is not Role.OWNER and Role.OWNER in (current, new):
        raise Forbidden("Only owners manage the agency's owners.")


def require_owner_left(owners_after: int) -> None:
    if owners_after < 1:
        raise DomainError(
            "An agency keeps at least one owner: make another owner first.",
            field=("operatorId",),
            code=ErrorCode.LAST_OWNER,
        )


def require_open_invitation(
    accepted_at: datetime | None, expires_at: datetime, now: datetime
) -> None:
    if accepted_at is not None:
        raise DomainError(
            "This invitation was already used.", field=("token",), code=ErrorCode.INVITATION_USED
        )
    if expires_at <= now:
        raise DomainError(
            "This invitation has expired: ask for a new one.",
            field=("token",),
            code=ErrorCode.INVITATION_EXPIRED,
        )
