"""The Relay Node interface."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An object with a global id, fetchable with node(id:).")
class Node:
    id: strawberry.ID
