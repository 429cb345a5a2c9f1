"""Global ids: base64 of '<Type>:<id>', opaque to clients and checked on the way in."""

from __future__ import annotations

import binascii
from uuid import UUID

from api.schema.common.opaque import opaque, unopaque
from domain.errors import DomainError, ErrorCode


def to_global_id(type_name: str, raw: object) -> str:
    return opaque(f"{type_name}:{raw}")


def from_global_id(gid: str, field: tuple[str, ...] = ("id",)) -> tuple[str, str]:
    try:
        type_name, _, raw = unopaque(gid).partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise DomainError("Malformed id.", field=field, code=ErrorCode.INVALID_ID) from None
    if not type_name or not raw:
        raise DomainError("Malformed id.", field=field, code=ErrorCode.INVALID_ID)
    return type_name, raw


def uuid_of(gid: str, expected: str, field: tuple[str, ...] = ("id",)) -> UUID:
    type_name, raw = from_global_id(gid, field)
    if type_name != expected:
        raise DomainError(f"Expected a {expected} id.", field=field, code=ErrorCode.INVALID_ID)
    try:
        return UUID(raw)
    except ValueError:
        raise DomainError("Malformed id.", field=field, code=ErrorCode.INVALID_ID) from None


def int_of(gid: str, expected: str, field: tuple[str, ...] = ("id",)) -> int:
    type_name, raw = from_global_id(gid, field)
    # isascii: str.isdigit also accepts digits such as '²' that int() refuses.
    if type_name != expected or not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise DomainError(f"Expected a {expected} id.", field=field, code=ErrorCode.INVALID_ID)
    return int(raw)
