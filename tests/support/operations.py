"""The documents clients send (graphql/operations/), sent as a production client sends them:
by the sha256 of their bytes alone (persisted queries), never their text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


@dataclass(frozen=True)
class Operation:
    path: str
    sha256: str

    def body(self, variables: dict[str, Any]) -> dict[str, Any]:
        persisted = {"version": 1, "sha256Hash": self.sha256}
        return {"variables": variables, "extensions": {"persistedQuery": persisted}}


def operation(path: str) -> Operation:
    """`path` under graphql/operations/, e.g. "storefront/AdjustPoints.graphql"."""
    return Operation(path, hashlib.sha256((OPERATIONS / path).read_bytes()).hexdigest())
