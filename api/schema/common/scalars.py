"""Scalars beyond GraphQL's own. `Int` is 32-bit: totals that can outgrow it are BigInt.

Decimal and DateTime replace strawberry's own scalars of the same names: they bound what a
client may send (api/schema/common/bounded_scalars.py) before any resolver sees it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from api.schema.common.bounded_scalars import DATETIME, DECIMAL
from domain.errors import DomainError


def _parse_big_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DomainError("BigInt must be an integer or a string of digits.")
    try:
        return int(value)
    except ValueError:
        raise DomainError("BigInt must be an integer or a string of digits.") from None


BigInt = NewType("BigInt", int)

SCALARS: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="A 64-bit integer, sent as a JSON string so no client loses precision.",
        serialize=str,
        parse_value=_parse_big_int,
    ),
    Decimal: DECIMAL,
    datetime: DATETIME,
}
