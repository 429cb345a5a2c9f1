"""A bounded write load, as careful storefront backends send it: every points write carries its
own idempotency key (an order its order id), and a write that got no answer — a dropped
connection, a timeout, a 5xx, a GraphQL error — is sent again with the same key and input
until it is acknowledged, a bounded number of times. What came back is tallied by kind, so a
test can say what clients saw while a server was down and what each member must now hold."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.support.operations import operation

ADJUST_POINTS = operation("storefront/AdjustPoints.graphql")
RECORD_ORDER = operation("storefront/RecordOrder.graphql")

MAX_ATTEMPTS = 60
MAX_BACKOFF = 0.5
ACKNOWLEDGED = "acknowledged"
REFUSED = "refused with a user error"


@dataclass(frozen=True)
class Write:
    """One points write: an adjustment of `amount` points under idempotency key `key`, or an
    order of `amount` minor units whose order id is `key`."""

    kind: str  # "adjust" or "order"
    member_id: str
    key: str
    amount: int
    placed_at: str = ""
    # Sent once more after its acknowledgement, as a client does whose answer was lost.
    resend: bool = False

    def request(self) -> dict[str, Any]:
        if self.kind == "adjust":
            variables = {
                "memberId": self.member_id,
                "points": self.amount,
                "reason": "fault load",
                "idempotencyKey": self.key,
            }
            return ADJUST_POINTS.body(variables)
        order = {
            "orderId": self.key,
            "memberId": self.member_id,
            "currency": "USD",
            "placedAt": self.placed_at,
            "lines": [{"sku": "SKU-1", "quantity": 1, "unitPrice": self.amount}],
        }
        return RECORD_ORDER.body({"input": order})


def plan_writes(member_ids: Sequence[str], count: int, seed: int = 12) -> list[Write]:
    """`count` writes spread over the members: two adjustments to each order, and one write
    in ten sent again after its acknowledgement."""
    rng = random.Random(seed)
    placed_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    writes = []
    for i in range(count):
        member = member_ids[i % len(member_ids)]
        key = f"fault-{uuid.uuid4().hex}"
        resend = i % 10 == 5
        if i % 3 == 2:
            amount = rng.randint(1, 50) * 100
            writes.append(Write("order", member, key, amount, placed_at, resend))
        else:
            writes.append(Write("adjust", member, key, rng.randint(1, 50), resend=resend))
    return writes


@dataclass
class LoadReport:
    """What the clients saw. `acknowledged` maps each acknowledged key to the points it moved;
    `attempts` counts every answer (or its absence) by kind; `refused` holds writes refused with
    a user error (never retried: the same input would be refused again); `unanswered` the
    writes still unacknowledged when their attempts ran out."""

    acknowledged: dict[str, int] = field(default_factory=dict)
    # Keys whose first acknowledgement was already a replay (an earlier attempt had committed
    # but its answer was lost).
    replayed: set[str] = field(default_factory=set)
    attempts: Counter[str] = field(default_factory=Counter)
    refused: list[tuple[Write, list[dict[str, Any]]]] = field(default_factory=list)
    unanswered: list[Write] = field(default_factory=list)
    # Answers to a deliberate second send of an acknowledged write that were not the first
    # result replayed.
    resend_answers: list[tuple[Write, dict[str, Any]]] = field(default_factory=list)

    @property
    def failed_attempts(self) -> int:
        return sum(n for kind, n in self.attempts.items() if kind != ACKNOWLEDGED)

    def points_by_member(self, writes: Sequence[Write]) -> dict[str, int]:
        totals: Counter[str] = Counter({w.member_id: 0 for w in writes})
        for write in writes:
            if write.key in self.acknowledged:
                totals[write.member_id] += self.acknowledged[write.key]
        return dict(totals)

    def summary(self) -> str:
        lines = [
            f"acknowledged writes: {len(self.acknowledged)} ({len(self.replayed)} as replays)",
            f"refused writes: {len(self.refused)}, unanswered writes: {len(self.unanswered)}",
            f"second sends not answered with the first result: {len(self.resend_answers)}",
            "attempts by outcome:",
        ]
        lines += [f"  {n:5d}  {kind}" for kind, n in self.attempts.most_common()]
        return "\n".join(lines)


class WriteLoad:
    """Sends `writes` from `concurrency` clients, each retrying its write until acknowledged."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}
        self.report = LoadReport()
        self._waiting: list[tuple[int, asyncio.Event]] = []
        self._deadline = 0.0

    async def run(
        self, writes: Sequence[Write], concurrency: int = 3, seconds: float = 40
    ) -> LoadReport:
        """Bounded in time too: writes not acknowledged `seconds` after the start are left
        unanswered."""
        queue = list(reversed(writes))
        self._deadline = asyncio.get_running_loop().time() + seconds

        async def client() -> None:
            while queue:
                await self._until_acknowledged(queue.pop())

        try:
            await asyncio.gather(*(client() for _ in range(concurrency)))
        finally:
            for _, event in self._waiting:  # nobody waits for a load that has ended
                event.set()
        return self.report

    async def acknowledged_at_least(self, count: int) -> None:
        """Returns once `count` writes are acknowledged (or the load has ended)."""
        event = asyncio.Event()
        self._waiting.append((count, event))
        self._wake()
        await event.wait()

    def _wake(self) -> None:
        for count, event in self._waiting:
            if len(self.report.acknowledged) >= count:
                event.set()

    async def _until_acknowledged(self, write: Write) -> None:
        body = await self._send(write)
        if body is None:
            return
        points, replayed = _result(write, body)
        self.report.acknowledged[write.key] = points
        if replayed:
            self.report.replayed.add(write.key)
        self._wake()
        if write.resend:
            # As if the answer had been lost on its way back: the same key and input again,
            # which must be answered with the first result and change nothing.
            again = await self._send(write)
            if again is not None and _result(write, again) != (points, True):
                self.report.resend_answers.append((write, again))

    async def _send(self, write: Write) -> dict[str, Any] | None:
        """The body of the write's first acknowledgement; None if it was refused, or its
        attempts or the load's time ran out."""
        for attempt in range(MAX_ATTEMPTS):
            if asyncio.get_running_loop().time() > self._deadline:
                break
            outcome, body, retry_after = await self._attempt(write)
            self.report.attempts[outcome] += 1
            if outcome == ACKNOWLEDGED:
                return body
            if outcome == REFUSED:
                self.report.refused.append((write, _payload(write, body)["errors"]))
                return None
            backoff = min(MAX_BACKOFF, 0.02 * 2**attempt)
            await asyncio.sleep(backoff if retry_after is None else min(retry_after, 5.0))
        self.report.unanswered.append(write)
        return None

    async def _attempt(self, write: Write) -> tuple[str, dict[str, Any], float | None]:
        """The kind of answer, its body, and the seconds it asked the client to wait."""
        try:
            response = await self.http.post("/graphql", json=write.request(), headers=self.headers)
        except httpx.TimeoutException:
            return "no answer: timed out", {}, None
        except httpx.TransportError as exc:
            return f"no answer: {type(exc).__name__}", {}, None
        return (*classify(response), _retry_after(response))


def classify(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    """The kind of an answer, and its JSON body when it has one."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}, not JSON", {}
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}, JSON but not an object", {}
    errors = body.get("errors")
    if errors:
        codes = sorted({str((e.get("extensions") or {}).get("code")) for e in errors})
        return f"HTTP {response.status_code}, GraphQL error {'/'.join(codes)}", body
    if response.status_code != 200:
        return f"HTTP {response.status_code}, JSON without errors", body
    data = body.get("data") or {}
    payload = next(iter(data.values()), None) if len(data) == 1 else None
    if not isinstance(payload, dict):
        return "HTTP 200 without a payload", body
    if payload.get("errors"):
        return REFUSED, body
    return ACKNOWLEDGED, body


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (a 429 or a 503 says when to come back); None without one."""
    try:
        return max(0.0, float(response.headers["retry-after"]))
    except (KeyError, ValueError):
        return None


def _result(write: Write, body: dict[str, Any]) -> tuple[int, bool]:
    """The points an acknowledged write moved, and whether the answer was a replay."""
    payload = _payload(write, body)
    if write.kind == "adjust":
        return payload["entry"]["points"], payload["replayed"]
    return payload["order"]["points"], payload["unchanged"]


def _payload(write: Write, body: dict[str, Any]) -> dict[str, Any]:
    name = "adjustPoints" if write.kind == "adjust" else "recordOrder"
    payload: dict[str, Any] = body["data"][name]
    return payload


async def under_fault(
    load: WriteLoad, writes: Sequence[Write], fault: Callable[[], Awaitable[None]]
) -> LoadReport:
    """Runs the load and, beside it, `fault` (which waits on the load's progress to strike);
    if the fault fails, the load is stopped and the failure raised."""
    running = asyncio.create_task(load.run(writes))
    try:
        await fault()
        return await running
    finally:
        running.cancel()
