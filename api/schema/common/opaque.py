"""The opaque strings clients get from us and give back: global ids and page cursors.

Unpadded URL-safe base64 of a small text; opaque so that clients do not build them.
"""

from __future__ import annotations

import base64
import binascii

# Two of these per row of a page (its global id and its cursor): binascii directly, with
# the URL-safe alphabet and the padding dealt with in one bytes.translate, costs about
# a third less than base64.urlsafe_b64encode's layers of calls.
_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_to_base64 = binascii.b2a_base64


def opaque(text: str) -> str:
    return _to_base64(text.encode(), newline=False).translate(_URL_SAFE, b"=").decode()


def unopaque(token: str) -> str:
    """The text behind `token`; ValueError when it is not one of ours."""
    return base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()).decode()
