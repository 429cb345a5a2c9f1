"""The two ways the endpoint runs a JSON POST: directly (engine/direct.py) or through
strawberry's `Schema.execute`. A test parametrized over both proves an answer does not
depend on the path."""

from __future__ import annotations

from typing import Any

import pytest

import api.http.graphql_endpoint as endpoint

PATHS = ("direct", "standard")


def take(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """Makes the endpoint answer through `path` for the rest of the test."""
    if path == "standard":

        async def strawberry_only(*_args: Any, **_kwargs: Any) -> None:
            return None

        monkeypatch.setattr(endpoint, "run_cached", strawberry_only)
