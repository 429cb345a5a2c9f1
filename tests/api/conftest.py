"""Fixtures of the API tests beyond tests/conftest.py's."""

from __future__ import annotations

from tests.support.persisted import required

__all__ = ["required"]
