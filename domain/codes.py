"""Codes people read off screens and type by hand: referral codes and reward codes.

They are drawn from alphabets without look-alike characters (each kind of code keeps its
own) and compared as typed, whatever the case and the spaces around them.
"""

from __future__ import annotations

import secrets


def random_code(alphabet: str, length: int, prefix: str = "") -> str:
    """`prefix`, then `length` characters of `alphabet` from a cryptographic source."""
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def typed_code(code: str) -> str:
    """The stored form of a code as a person typed it: upper case, no surrounding spaces."""
    return code.strip().upper()
