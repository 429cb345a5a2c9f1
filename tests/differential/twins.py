"""Answers of twin tenants made comparable: the same steps on two tenants seeded the same way.

What legitimately differs between twins is replaced by a stable stand-in before comparing:
- values of one twin's own (its slug, its members' global ids): named by what they are;
- ids made during the steps (a new redemption, ledger entry, key; global ids and the
  operators' plain UUIDs): numbered in the order they appear, so the same id appearing
  twice must still be the same stand-in;
- timestamps: the twins run a few milliseconds apart;
- secrets and random strings (tokens, API keys and their prefixes, redemption codes,
  cursors, which hold ids, webhook secrets and message ids): marked as present, numbered
  like ids.
Everything else (points, statuses, error codes, messages, fields, nulls) must be equal.
"""

from __future__ import annotations

import re
from typing import Any

from api.schema.common.opaque import unopaque

_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_GLOBAL_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*:[0-9a-fA-F-]+$")
# Keys whose string values are random per twin (`referral_code` as exportMember names the
# column). `code` only outside an error: the code of a user error ({code field message}) or
# of an error's extensions ({code field}) is an ErrorCode, the same for both. `key` only
# beside an `apiKey` (the secret createApiKey shows once): a segment's or a campaign's key is
# a name the client chose, the same for both.
_RANDOM = frozenset(
    {
        "token",
        "refreshToken",
        "prefix",
        "cursor",
        "endCursor",
        "referralCode",
        "referral_code",
        "secret",
        "messageId",
        "requestId",  # an audit entry's: each request has its own
    }
)


def normalise(value: Any, known: dict[str, str]) -> Any:
    """`value` (a response body) with what legitimately differs replaced (see above)."""
    return _Normaliser(known).walk(value, parent=None, key=None)


class _Normaliser:
    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.seen: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def walk(self, value: Any, parent: dict[str, Any] | None, key: str | None) -> Any:
        if isinstance(value, dict):
            return {k: self.walk(v, value, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.walk(v, parent, key) for v in value]
        if not isinstance(value, str):
            return value
        return self.string(value, parent, key)

    def string(self, value: str, parent: dict[str, Any] | None, key: str | None) -> str:
        if value in self.known:
            return self.known[value]
        for mine, name in self.known.items():
            if mine in value:  # a referral URL holding a member's code, a slug in a message
                value = value.replace(mine, name)
        if _DATETIME.match(value):
            return "<datetime>"
        is_code = key == "code" and parent is not None and not {"message", "field"} & set(parent)
        is_secret = key == "key" and parent is not None and "apiKey" in parent
        if key in _RANDOM or is_code or is_secret:
            return self.numbered(value, key or "")
        if _UUID.match(value):
            return self.numbered(value, "uuid")
        kind = _global_id_type(value)
        if kind is not None:
            return self.numbered(value, kind)
        return value

    def numbered(self, value: str, kind: str) -> str:
        if value not in self.seen:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.seen[value] = f"<{kind} #{self.counts[kind]}>"
        return self.seen[value]


def _global_id_type(value: str) -> str | None:
    try:
        text = unopaque(value)
    except (ValueError, UnicodeDecodeError):
        return None
    if not _GLOBAL_ID.match(text):
        return None
    return text.partition(":")[0]
