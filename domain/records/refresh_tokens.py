"""A member app's refresh token, as stored: never the token, only its keyed hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class RefreshTokenRecord:
    id: UUID
    member_id: UUID
    device_id: str
    family_id: UUID
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewRefreshToken:
    member_id: UUID
    device_id: str
    family_id: UUID
    token_hash: bytes
    expires_at: datetime
