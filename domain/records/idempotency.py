"""What an idempotency key was first used for, and a key to reserve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    operation: str
    fingerprint: str
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Claim:
    """A key to reserve for `operation`, with the digest of the input it is used with."""

    key: str
    operation: str
    fingerprint: str
    at: datetime
