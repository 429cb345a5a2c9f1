"""JSON as the endpoint reads a request: fast, and never a crash.

orjson reads nearly every body. It refuses what the JSON grammar allows but Unicode does
not: an escaped lone surrogate (`"\\ud800"`). Such a body is read again by the standard
library, so the string reaches input validation and is refused there as INVALID on the
field it was sent for, like a NUL character. What neither reads (not JSON, invalid UTF-8,
nesting deeper than the interpreter's recursion limit, which the standard library reports
as RecursionError) is a json.JSONDecodeError: strawberry's view and the endpoint answer it
400 BAD_REQUEST.
"""

from __future__ import annotations

import json

import orjson


def decode_json(raw: str | bytes) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise json.JSONDecodeError(f"unreadable ({type(exc).__name__})", "", 0) from None
