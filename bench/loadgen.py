"""A closed-loop HTTP/1.1 load generator: raw asyncio keep-alive connections, nothing else.

Each of `concurrency` connections sends one request, waits for the whole response, and sends
the next; requests are pre-encoded bytes, so the generator's cost per request is a write, a
header scan and a clock read (a few tens of microseconds on uvloop). Run as its own process:

    python -m bench.loadgen < spec.json > result.json

The spec names the target, the timing and the request templates (see `Spec`). Connection `c`
uses templates c, c + concurrency, ... so templates that touch one member each never have two
requests in flight for the same member. A template body may hold IDEMPOTENCY_PLACEHOLDER,
replaced by a fresh 32-character key on every request.

Besides the percentiles, the result holds the measured window and the requests at or above
p99 in wall-clock time (`window`, `slowest`: to set against the server's pauses,
bench/gc_pauses.py), and with `split_first` the percentiles of each template's first
request in the run (warm-up included: for the spread reads, the first read of that member
by this scenario) apart from its repeats.

Bounded in time and count: requests stop at the end of the window, each response has a
timeout, and `max_requests` caps the total.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import resource
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

IDEMPOTENCY_PLACEHOLDER = "@@IDEMPOTENCY-KEY-PLACEHOLDER@@@"
assert len(IDEMPOTENCY_PLACEHOLDER) == 32
_PLACEHOLDER = IDEMPOTENCY_PLACEHOLDER.encode()
_ERROR_MARKER = b'"errors":[{'


class ProtocolError(Exception):
    pass


@dataclass
class Spec:
    host: str
    port: int
    duration: float
    warmup: float
    concurrency: int
    templates: list[dict[str, Any]]  # {"path", "headers": {...}, "body": str}
    expect: str = ""  # must appear in every good response body
    timeout: float = 10.0
    max_requests: int = 2_000_000
    server_pid: int | None = None  # when given, its CPU time over the window is reported
    split_first: bool = False  # report first requests of a template apart from repeats


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its live children (uvicorn's worker
    processes, with --workers above 1), from Linux /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        children = []
    for child in children:
        with contextlib.suppress(OSError):  # it ended meanwhile
            own += process_cpu_seconds(child)
    return own


def encode_request(host: str, port: int, template: dict[str, Any]) -> bytes:
    body = template.get("body", "").encode()
    lines = [
        f"{template.get('method', 'POST')} {template['path']} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        "Accept: application/json",
        f"Content-Length: {len(body)}",
    ]
    lines += [f"{k}: {v}" for k, v in template.get("headers", {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.sent_at = 0.0
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        try:
            parsed = self._parse()
        except ProtocolError as exc:
            self.waiter = None
            waiter.set_exception(exc)
            return
        if parsed is not None:
            self.waiter = None
            waiter.set_result(parsed)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            self.waiter = None
            waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    def _parse(self) -> tuple[int, bytes] | None:
        buf = self.buffer
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(buf[:end]).lower()
        start = head.find(b"\r\ncontent-length:")
        if start < 0:
            raise ProtocolError("response without content-length")
        stop = head.find(b"\r\n", start + 2)
        length = int(head[start + 17 : stop if stop >= 0 else len(head)])
        total = end + 4 + length
        if len(buf) < total:
            return None
        status = int(head[9:12])
        body = bytes(buf[end + 4 : total])
        del buf[:total]
        return status, body


@dataclass
class _Tally:
    latencies: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # perf_counter_ns of each latency's send
    first: list[int] = field(default_factory=list)  # with split_first: of first sends
    repeat: list[int] = field(default_factory=list)  # with split_first: of the others
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    sent: int = 0

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what[:500])


async def _open(loop: asyncio.AbstractEventLoop, spec: Spec) -> _Connection:
    for attempt in range(5):
        try:
            _, conn = await loop.create_connection(_Connection, spec.host, spec.port)
            return conn
        except OSError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


async def run(spec: Spec) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    encoded = [encode_request(spec.host, spec.port, t) for t in spec.templates]
    fresh = [_PLACEHOLDER in e for e in encoded]
    expect = spec.expect.encode()
    tally = _Tally()
    sent_before = bytearray(len(encoded)) if spec.split_first else None
    conns: list[_Connection] = []
    started = time.perf_counter()
    measure_from = started + spec.warmup
    end = measure_from + spec.duration
    measure_from_ns = int(measure_from * 1e9)
    end_ns = int(end * 1e9)

    async def worker(index: int) -> None:
        mine = list(range(index % len(encoded), len(encoded), spec.concurrency)) or [
            index % len(encoded)
        ]
        conn: _Connection | None = None
        turn = 0
        while True:
            now = time.perf_counter()
            if now >= end or tally.sent >= spec.max_requests:
                break
            if conn is None or conn.lost:
                try:
                    conn = await _open(loop, spec)
                except OSError as exc:
                    if time.perf_counter() >= measure_from:
                        tally.error(f"connect: {exc}")
                    await asyncio.sleep(0.5)
                    continue
                conns.append(conn)
            which = mine[turn % len(mine)]
            turn += 1
            data = encoded[which]
            if fresh[which]:
                data = data.replace(_PLACEHOLDER, uuid.uuid4().hex.encode())
            first = False
            if sent_before is not None:
                first = not sent_before[which]
                sent_before[which] = 1
            waiter: asyncio.Future[tuple[int, bytes]] = loop.create_future()
            conn.waiter = waiter
            conn.sent_at = now
            tally.sent += 1
            t0 = time.perf_counter_ns()
            assert conn.transport is not None
            conn.transport.write(data)
            try:
                status, body = await waiter
            except (ConnectionError, ProtocolError, TimeoutError, OSError) as exc:
                if t0 >= measure_from_ns:
                    tally.error(f"{type(exc).__name__}: {exc}")
                if conn.transport is not None:
                    conn.transport.abort()
                conn.lost = True
                continue
            t1 = time.perf_counter_ns()
            if t0 < measure_from_ns or t1 > end_ns:
                continue
            if status != 200 or _ERROR_MARKER in body or (expect and expect not in body):
                tally.error(f"HTTP {status}: {body[:400].decode(errors='replace')}")
            else:
                tally.latencies.append(t1 - t0)
                tally.starts.append(t0)
                if sent_before is not None:
                    (tally.first if first else tally.repeat).append(t1 - t0)
        if conn is not None and conn.transport is not None:
            conn.transport.close()

    async def watchdog() -> None:
        # One timer for all connections: cheaper than a timeout per request.
        while True:
            await asyncio.sleep(0.25)
            now = time.perf_counter()
            for conn in conns:
                waiter = conn.waiter
                if waiter is not None and not waiter.done() and now - conn.sent_at > spec.timeout:
                    conn.waiter = None
                    waiter.set_exception(TimeoutError(f"no response in {spec.timeout}s"))

    server_cpu: list[float] = []

    async def sample_server() -> None:
        assert spec.server_pid is not None
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        server_cpu.append(process_cpu_seconds(spec.server_pid))
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        server_cpu.append(process_cpu_seconds(spec.server_pid))

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    guard = asyncio.ensure_future(watchdog())
    sampler = asyncio.ensure_future(sample_server()) if spec.server_pid else None
    gc.collect()
    gc.freeze()
    try:
        await asyncio.gather(*(worker(i) for i in range(spec.concurrency)))
        if sampler is not None:
            await sampler
    finally:
        guard.cancel()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    result = summarise(tally.latencies, tally.errors, spec.duration, tally.error_samples)
    result |= wall_clock_tail(tally, measure_from, end)
    if spec.split_first:
        result["first"] = percentiles(tally.first)
        result["repeat"] = percentiles(tally.repeat)
    result["client_cpu_share"] = round(client_cpu / (time.perf_counter() - started), 3)
    if len(server_cpu) == 2:
        used = server_cpu[1] - server_cpu[0]
        result["server_cpu_share"] = round(used / spec.duration, 3)
        result["server_cpu_ms_per_request"] = (
            round(used * 1000 / result["requests"], 3) if result["requests"] else None
        )
    return result


def percentile(ordered: list[int], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6


def summarise(
    latencies_ns: list[int], errors: int, duration: float, error_samples: list[str]
) -> dict[str, Any]:
    ordered = sorted(latencies_ns)
    return {
        "requests": len(ordered),
        "errors": errors,
        "duration_s": duration,
        "rps": round(len(ordered) / duration, 1),
        "p50_ms": round(percentile(ordered, 0.50), 3),
        "p90_ms": round(percentile(ordered, 0.90), 3),
        "p99_ms": round(percentile(ordered, 0.99), 3),
        "max_ms": round(ordered[-1] / 1e6, 3) if ordered else None,
        "error_samples": error_samples,
    }


def percentiles(latencies_ns: list[int]) -> dict[str, Any]:
    ordered = sorted(latencies_ns)
    return {
        "requests": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50), 3),
        "p99_ms": round(percentile(ordered, 0.99), 3),
    }


def wall_clock_tail(tally: _Tally, measure_from: float, end: float) -> dict[str, Any]:
    """The measured window and the requests at or above p99, as (start, end) in wall-clock
    seconds, which another process can compare its own events with."""
    to_wall = time.time() - time.perf_counter()
    ordered = sorted(tally.latencies)
    if not ordered:
        return {}
    threshold = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {
        "window": [measure_from + to_wall, end + to_wall],
        "slowest": [
            [start / 1e9 + to_wall, (start + latency) / 1e9 + to_wall]
            for start, latency in zip(tally.starts, tally.latencies, strict=True)
            if latency >= threshold
        ],
    }


def main() -> None:
    spec = Spec(**json.load(sys.stdin))
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:  # pragma: no cover - uvicorn[standard] brings uvloop
        runner = asyncio.Runner()
    with runner:
        result = runner.run(run(spec))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
