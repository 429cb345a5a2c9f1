"""The opaque strings clients get from us and give back: global ids and page cursors.

Unpadded URL-safe base64 of a small text; opaque so that clients do not build them.
"""

from __future__ import annotations

import base64


def opaque(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def unopaque(token: str) -> str:
    """The text behind `token`; ValueError when it is not one of ours."""
    return base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()).decode()
