"""Errors the domain raises; the API turns each into a typed `UserError` in one place."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_ID = "INVALID_ID"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    MEMBER_NOT_ACTIVE = "MEMBER_NOT_ACTIVE"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    REFUND_EXCEEDS_PAID = "REFUND_EXCEEDS_PAID"
    ORDER_REFUNDED = "ORDER_REFUNDED"
    ACTION_LIMIT_REACHED = "ACTION_LIMIT_REACHED"
    UNKNOWN_ACTION = "UNKNOWN_ACTION"
    CONFLICT = "CONFLICT"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    REWARD_UNAVAILABLE = "REWARD_UNAVAILABLE"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    LIMIT_REACHED = "LIMIT_REACHED"
    CODE_POOL_EXHAUSTED = "CODE_POOL_EXHAUSTED"
    REDEMPTION_CLOSED = "REDEMPTION_CLOSED"
    MIN_ORDER_NOT_MET = "MIN_ORDER_NOT_MET"
    RATE_LIMITED = "RATE_LIMITED"
    SURVEY_CLOSED = "SURVEY_CLOSED"
    DOCUMENT_ID_MISMATCH = "DOCUMENT_ID_MISMATCH"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    LAST_OWNER = "LAST_OWNER"
    INVITATION_EXPIRED = "INVITATION_EXPIRED"
    INVITATION_USED = "INVITATION_USED"
    TENANT_SUSPENDED = "TENANT_SUSPENDED"
    TENANT_NOT_ARCHIVED = "TENANT_NOT_ARCHIVED"
    GRACE_PERIOD = "GRACE_PERIOD"
    REFRESH_TOKEN_EXPIRED = "REFRESH_TOKEN_EXPIRED"
    REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"


class DomainError(Exception):
    """A refusal the caller can act on: it carries a code, a message and the offending field."""

    code: ErrorCode = ErrorCode.INVALID

    def __init__(
        self,
        message: str,
        *,
        field: tuple[str, ...] | None = None,
        code: ErrorCode | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Duplicate(DomainError):
    code = ErrorCode.DUPLICATE


class InsufficientPoints(DomainError):
    code = ErrorCode.INSUFFICIENT_POINTS


class IdempotencyKeyReused(DomainError):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED


class TenantSuspended(Forbidden):
    """The tenant is suspended or archived: its keys and member tokens are refused (403)."""

    code = ErrorCode.TENANT_SUSPENDED


class RateLimited(DomainError):
    """Too many attempts or requests: try again after `retry_after` seconds."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)
