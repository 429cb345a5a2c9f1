"""Idempotency keys: the same key and input gives the first result; other input is refused."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import DomainError, ErrorCode, IdempotencyKeyReused
from domain.ports import IdempotencyStore
from domain.records.idempotency import IdempotencyRecord

MAX_KEY_LENGTH = 255


# What `json.dumps(..., sort_keys=True, separators=(",", ":"), default=str)` builds on every
# call, built once: the same text (digests stored with keys are compared for good).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def fingerprint(operation: str, payload: dict[str, Any]) -> str:
    """A stable digest of what was asked, to tell a retry from a reuse of the key."""
    canonical = _CANONICAL.encode({"op": operation, "input": payload})
    return hashlib.sha256(canonical.encode()).hexdigest()


def for_member(digest: str, member_id: UUID) -> str:
    """`digest` (of an input that does not name its member) bound to one member: the sha256,
    in hex, of "<digest>:<member id>". The member repository computes the same in SQL when it
    finds the member by externalId in the statement that claims the key
    (`MemberRepository.get_by_external_id_claiming`), so a retry naming the member the other
    way is the same request."""
    return hashlib.sha256(f"{digest}:{member_id}".encode()).hexdigest()


def validate_key(key: str, field: tuple[str, ...] = ("idempotencyKey",)) -> str:
    cleaned = key.strip()
    if not cleaned or len(cleaned) > MAX_KEY_LENGTH:
        raise DomainError(
            f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} characters.",
            field=field,
            code=ErrorCode.INVALID,
        )
    return cleaned


def check_replay(
    record: IdempotencyRecord, operation: str, digest: str, also: tuple[str, ...] = ()
) -> dict[str, Any]:
    """`also`: other digests of the same input (as an earlier version computed them)."""
    if record.operation != operation or (
        record.fingerprint != digest and record.fingerprint not in also
    ):
        raise IdempotencyKeyReused(
            "This idempotency key was already used with a different input.",
            field=("idempotencyKey",),
        )
    return record.result


async def first_result(
    store: IdempotencyStore,
    key: str,
    operation: str,
    digest: str,
    at: datetime,
    also: tuple[str, ...] = (),
) -> dict[str, Any] | None:
    """Claims `key` for this transaction. A retry of the same input gets the first call's
    result (None: this is the first call); other input under the key is refused."""
    earlier = await store.claim(key, operation, digest, at)
    return check_replay(earlier, operation, digest, also) if earlier is not None else None
