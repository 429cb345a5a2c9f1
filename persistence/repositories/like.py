"""Searching text for a part the client typed, with LIKE/ILIKE.

`%` and `_` are LIKE's wildcards and `\\` its escape: typed by a client they are literal
characters, so they are escaped here and the queries say `ESCAPE '\\'`.
"""

from __future__ import annotations


def contains(part: str | None) -> str | None:
    """The ILIKE pattern matching text that contains `part` (None stays None)."""
    if part is None:
        return None
    escaped = part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
