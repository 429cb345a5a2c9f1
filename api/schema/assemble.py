"""Strawberry objects built from values already checked, one per row of a page.

Strawberry types are plain dataclasses: their __init__ only stores its arguments (the
resolver fields are not init fields), and a page calls it for every node and edge. Storing
the same values as the instance's __dict__ directly gives the same object for about half
of that cost. `values` must name every init field of `cls`: the unit tests compare each
type built this way with one built through __init__.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")

_new = object.__new__


def assemble(cls: type[T], values: dict[str, Any]) -> T:
    obj = _new(cls)
    obj.__dict__ = values
    return obj
