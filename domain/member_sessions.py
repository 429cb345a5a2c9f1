"""Members' app sessions: refresh tokens that outlive the hour-long member token.

A refresh token is bound to one member and one device and is used once: exchanging it
(`rotate`) marks it used and issues the next token of its family. A used token shown again
means two parties hold the family (a copy leaked, or an app lost an answer): every token of
that member's device is revoked, so both must start over with the store (the standard reuse
detection of OAuth 2.0 refresh token rotation). Tokens are stored only as keyed hashes, made
by the caller; this module never sees a token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.errors import DomainError, ErrorCode
from domain.ports import TenantUnitOfWork, UnitOfWorkFactory
from domain.records.members import MemberStatus
from domain.records.refresh_tokens import NewRefreshToken

# How long an unused refresh token stays valid: an app opened once a month stays signed in.
REFRESH_LIFETIME = timedelta(days=30)
DEVICE_ID_MAX = 200


def device_id_of(given: str) -> str:
    device = given.strip()
    if not device or len(device) > DEVICE_ID_MAX:
        raise DomainError(f"deviceId must be 1 to {DEVICE_ID_MAX} characters.", field=("deviceId",))
    return device


@dataclass(frozen=True, slots=True)
class Rotated:
    member_id: UUID
    refresh_expires_at: datetime


def _refused(message: str, code: ErrorCode = ErrorCode.INVALID_CREDENTIALS) -> DomainError:
    return DomainError(message, field=("refreshToken",), code=code)


async def start(
    uow: TenantUnitOfWork, member_id: UUID, device_id: str, token_hash: bytes, now: datetime
) -> datetime:
    """The first token of a new family for the member's device (the member is active, as
    the caller checked); when it expires. Earlier families of the device stay until used
    or revoked: an app reinstalled gets a new one without the old being reused."""
    expires = now + REFRESH_LIFETIME
    await uow.refresh_tokens.add(
        NewRefreshToken(member_id, device_id_of(device_id), uuid.uuid4(), token_hash, expires)
    )
    return expires


async def rotate(
    uow_factory: UnitOfWorkFactory,
    presented_hash: bytes,
    device_id: str,
    next_hash: bytes,
    now: datetime,
) -> Rotated:
    """Exchanges a live refresh token for the next of its family. A reused token revokes the
    device's tokens, and that revocation is committed before the refusal is raised."""
    device = device_id_of(device_id)
    async with uow_factory() as uow:
        found = await uow.refresh_tokens.lock(presented_hash)
        if found is None or found.device_id != device or found.revoked_at is not None:
            raise _refused("Refresh token refused.")
        if found.used_at is not None:
            await uow.refresh_tokens.revoke(found.member_id, found.device_id)
            reused = _refused(
                "Refresh token already used: this device's sessions are revoked; sign in again.",
                ErrorCode.REFRESH_TOKEN_REUSED,
            )
        else:
            reused = None
            if found.expires_at <= now:
                raise _refused(
                    "Refresh token expired; sign in again.", ErrorCode.REFRESH_TOKEN_EXPIRED
                )
            member = await uow.members.get(found.member_id)
            if member is None or member.status is not MemberStatus.ACTIVE:
                raise _refused("Member is not active.", ErrorCode.MEMBER_NOT_ACTIVE)
            await uow.refresh_tokens.mark_used(found.id)
            expires = now + REFRESH_LIFETIME
            await uow.refresh_tokens.add(
                NewRefreshToken(found.member_id, device, found.family_id, next_hash, expires)
            )
    if reused is not None:
        raise reused
    return Rotated(found.member_id, expires)


async def revoke(uow_factory: UnitOfWorkFactory, member_id: UUID, device_id: str | None) -> int:
    """Revokes the member's refresh tokens, of one device or all; how many were live."""
    device = device_id_of(device_id) if device_id is not None else None
    async with uow_factory() as uow:
        return await uow.refresh_tokens.revoke(member_id, device)
