"""API keys: 256 random bits behind a readable prefix, stored only as a keyed SHA-256 hash.

A fast keyed hash is right here (unlike passwords): the keys carry enough entropy that no
guessing is possible, and checking one must cost microseconds, not argon2's milliseconds.
"""

from __future__ import annotations

import hmac
import secrets

SECRET_PREFIX = "lp_sk_"
PUBLISHABLE_PREFIX = "lp_pk_"
KINDS = {"SECRET": SECRET_PREFIX, "PUBLISHABLE": PUBLISHABLE_PREFIX}


def new_key(kind: str) -> str:
    return KINDS[kind] + secrets.token_urlsafe(32)


def hash_key(key: str, secret: bytes) -> bytes:
    return hmac.digest(secret, key.encode(), "sha256")  # hmac.new's, in C


def kind_of(key: str) -> str | None:
    for kind, prefix in KINDS.items():
        if key.startswith(prefix):
            return kind
    return None


def display_prefix(key: str) -> str:
    return key[:12]
