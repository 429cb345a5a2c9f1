"""Decimal and DateTime as the platform accepts them: bounded at the edge, refused as
`INVALID` before any resolver runs.

graphql-core keeps the extensions of the error a scalar raises on the variable or literal
error it reports, so the client sees the code, and graphql-core's message names the
variable and the path of the input field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import strawberry
from graphql import GraphQLError
from strawberry.schema.types.base_scalars import isoformat
from strawberry.types.scalar import ScalarDefinition

from domain.decimals import MAX_INTEGER_DIGITS, MAX_PLACES, bounded_decimal
from domain.errors import DomainError, ErrorCode

# Every instant the platform works with (orders, rule and reward windows, filters) lies
# well inside these; the margin keeps a year or ten of expiry arithmetic from overflowing.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_MAX_DATETIME_TEXT = 64


def _invalid(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.INVALID.value})


def parse_decimal(value: object) -> object:
    try:
        number = bounded_decimal(value)
    except DomainError as exc:
        raise _invalid(exc.message) from None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return number.quantize(Decimal(1))  # 1E+3 is 1000: answered as a client writes it
    return number


_DATETIME_RULE = (
    "DateTime must be an ISO 8601 date and time with a UTC offset "
    f"(e.g. 2026-01-01T09:30:00Z), in the years {EARLIEST.year} to {LATEST.year - 1} in UTC."
)


def parse_datetime(value: object) -> datetime:
    """An aware datetime whose UTC value lies in [EARLIEST, LATEST); a time without an
    offset is refused rather than guessed (UTC? the tenant's zone? the server's?)."""
    if not isinstance(value, str) or len(value) > _MAX_DATETIME_TEXT:
        raise _invalid(_DATETIME_RULE)
    try:
        parsed = datetime.fromisoformat(value)
        utc = parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):
        raise _invalid(_DATETIME_RULE) from None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise _invalid(_DATETIME_RULE)
    return parsed


DECIMAL: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description=(
        f"A decimal number, best sent as a string: at most {MAX_INTEGER_DIGITS} digits before "
        f"the point and {MAX_PLACES} after it (fields may allow fewer)."
    ),
    serialize=str,
    parse_value=parse_decimal,
)

DATETIME: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description=(
        "An ISO 8601 date and time with a UTC offset (2026-01-01T09:30:00Z or +02:00); "
        f"in the years {EARLIEST.year} to {LATEST.year - 1} in UTC."
    ),
    serialize=isoformat,  # strawberry's own: engine/plain_tree.py knows it
    parse_value=parse_datetime,
)
