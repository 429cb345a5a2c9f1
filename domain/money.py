"""Money: integer minor units plus an ISO-4217 currency."""

from __future__ import annotations

import re
from decimal import Decimal

from domain.errors import DomainError

_CURRENCY = re.compile(r"^[A-Z]{3}$")
# Currencies whose minor unit is not 1/100; everything else has two decimals.
_EXPONENTS = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}
MAX_MINOR = 10**13  # ten billion in two-decimal currencies: no real order is larger


def validate_currency(code: str, field: tuple[str, ...] = ("currency",)) -> str:
    cleaned = code.strip().upper()
    if not _CURRENCY.match(cleaned):
        raise DomainError("currency must be an ISO-4217 code such as USD.", field=field)
    return cleaned


def units(minor: int, currency: str) -> Decimal:
    """Minor units as a decimal amount of the main unit (e.g. 1250 USD cents → 12.50)."""
    return Decimal(minor).scaleb(-_EXPONENTS.get(currency, 2))


def validate_minor(amount: int, field: tuple[str, ...], *, allow_zero: bool = True) -> int:
    if amount < 0 or amount > MAX_MINOR or (amount == 0 and not allow_zero):
        raise DomainError(
            "Amount must be a non-negative integer of minor units (cents)."
            if allow_zero
            else "Amount must be a positive integer of minor units (cents).",
            field=field,
        )
    return amount


# Symbols shoppers read before an amount; other currencies are written after it by code.
_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "AUD": "A$",
    "CAD": "CA$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "SGD": "S$",
    "MXN": "MX$",
    "BRL": "R$",
}


def format_money(minor: int, currency: str) -> str:
    """Minor units as a shopper reads them: $5, $5.50, $1,250, ¥500, 12.50 CHF."""
    return format_amount(units(minor, currency), currency)


def format_amount(amount: Decimal, currency: str) -> str:
    """An amount of the main unit (a rate's "per $1") as `format_money` writes it: whole
    amounts without decimals, others with the currency's."""
    exponent = _EXPONENTS.get(currency, 2)
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.{exponent}f}"
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"
