"""The server's full garbage collections, set against the load generator's slowest requests.

A full collection (generation 2) walks every object the collector tracks while the event
loop waits, so every request in flight waits with it: one pause is a stall of all the
connections at once, and with 32 connections one or two pauses in a measured window make
its p99. The floor app records when each full collection began (wall clock, to compare with
the load generator's requests, another process on the same machine) and how long it took;
`POST /floor/gc` answers them. With several uvicorn workers the worker that answers speaks
for itself only.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response


class FullCollections:
    """A `gc.callbacks` entry keeping the last full collections: (wall start, seconds)."""

    def __init__(self, keep: int = 10_000) -> None:
        self.pauses: deque[tuple[float, float]] = deque(maxlen=keep)
        self._wall = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._wall = time.time()
            self._started = time.perf_counter()
        else:
            self.pauses.append((self._wall, time.perf_counter() - self._started))

    async def endpoint(self, request: Request) -> Response:
        return Response(orjson.dumps({"pauses": list(self.pauses)}), media_type="application/json")


def tail_in_pauses(result: dict[str, Any], pauses: list[list[float]]) -> dict[str, Any]:
    """The full collections in the load generator's measured window, the longest, how many
    of its requests at or above p99 were in flight during one, and the share of those
    requests' time spent in one (a long stall of another cause may hold a short pause)."""
    window, slowest = result.get("window"), result.get("slowest")
    if not window or slowest is None:
        return {}
    start, end = window
    inside = [(s, s + d) for s, d in pauses if s < end and s + d > start]
    stalled = 0
    waited = 0.0
    for a, b in slowest:
        overlap = sum(max(0.0, min(b, e) - max(a, s)) for s, e in inside)
        stalled += overlap > 0
        waited += overlap
    spent = sum(b - a for a, b in slowest)
    return {
        "full_collections": len(inside),
        "longest_full_collection_ms": round(max((e - s for s, e in inside), default=0) * 1000, 1),
        "p99_requests": len(slowest),
        "p99_requests_in_full_collection": stalled,
        "p99_time_in_full_collection": round(waited / spent, 3) if spent else 0.0,
    }
