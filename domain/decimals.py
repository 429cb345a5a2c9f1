"""The one bound on every decimal the platform accepts or reads back: rates, multipliers,
percentages, point values.

A Decimal is cheap to make from any short text, but arithmetic on one with a huge exponent
(`1e-100000000`) is not: dividing money by it, or turning it into an exact fraction, works
through that many digits and holds the event loop for minutes. No rule of a loyalty program
needs more than `MAX_INTEGER_DIGITS` digits before the point or `MAX_PLACES` after it, so
anything beyond is refused before any arithmetic runs, at the edge and again when a stored
value is read.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from domain.errors import DomainError

MAX_INTEGER_DIGITS = 12
MAX_PLACES = 6
# Values read back from storage may have been saved before the bound: they are allowed more
# places. MAX_INTEGER_DIGITS + places stays within the default context's 28 digits, so the
# exactness check below is itself exact.
STORED_PLACES = 12
# Longer text cannot be a number within the bounds above (digits, sign, point, exponent),
# and is refused before it is parsed at all.
MAX_TEXT = 40


def bounded_decimal(
    value: object, field: tuple[str, ...] = (), *, places: int = MAX_PLACES
) -> Decimal:
    """`value` (a Decimal, an int, or decimal text) as a Decimal with at most
    `MAX_INTEGER_DIGITS` digits before the point and `places` after; DomainError otherwise."""
    name = field[-1] if field else "The value"
    refusal = DomainError(
        f"{name} must be a decimal number with at most {MAX_INTEGER_DIGITS} digits before "
        f"the point and {places} after it.",
        field=field or None,
    )
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise refusal
    if isinstance(value, int) and not -(10**MAX_INTEGER_DIGITS) < value < 10**MAX_INTEGER_DIGITS:
        raise refusal  # before str(): a huge int's text is itself slow to make
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_TEXT:
        raise refusal
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        raise refusal from None
    if not number.is_finite():
        raise refusal
    if number.is_zero():
        return Decimal(0)  # 0E-100000000 is zero, and harmless once written as 0
    # adjusted() reads the exponent without arithmetic; once it is within these bounds,
    # the exponent is small and quantize is cheap.
    if not -places <= number.adjusted() < MAX_INTEGER_DIGITS:
        raise refusal
    if number != number.quantize(Decimal(1).scaleb(-min(places, STORED_PLACES))):
        raise refusal
    return number
