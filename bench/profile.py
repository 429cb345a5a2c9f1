"""`bench/run --profile [SCENARIO]`: py-spy samples the server while one scenario runs.

Writes bench/results/profile-<scenario>.collapsed (py-spy's raw stacks: feed it to a flame
graph tool) and bench/results/profile-<scenario>.txt: where the server's CPU time goes, by
function (own time and time including callees) and by layer of the stack.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.scenarios import Scenario
from bench.server import ROOT, Server

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

# First match wins: the layer a frame's file belongs to.
LAYERS = [
    ("app: api/ (endpoint, auth, schema, resolvers)", ("api/",)),
    ("app: persistence/, tenants/, domain/", ("persistence/", "tenants/", "domain/")),
    ("strawberry (schema execution, extensions)", ("strawberry/",)),
    ("graphql-core (parse, validate, execute)", ("graphql/",)),
    ("uvicorn + httptools (HTTP)", ("uvicorn/", "httptools/")),
    ("starlette (request, response)", ("starlette/",)),
    ("asyncpg (PostgreSQL driver)", ("asyncpg/",)),
    ("redis-py (Redis client)", ("redis/",)),
    ("pyjwt (member token)", ("jwt/",)),
    ("asyncio / uvloop", ("asyncio/", "uvloop/")),
]


def _parse_frame(frame: str) -> tuple[str, str]:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip(), ""
    return m.group("func"), m.group("file")


def _layer(file: str) -> str:
    for name, prefixes in LAYERS:
        if any(file.startswith(p) or f"/{p}" in file for p in prefixes):
            return name
    return "other (stdlib, builtins)"


def summarise(collapsed: str, top: int = 25) -> str:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    layer_own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_parse_frame(f) for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        names = [f"{func} ({file})" for func, file in frames]
        own[names[-1]] += count
        layer_own[_layer(frames[-1][1])] += count
        for name in set(names):
            inclusive[name] += count
    if not total:
        return "no samples (is the server busy, and may py-spy attach to it?)\n"

    def pct(n: int) -> str:
        return f"{100 * n / total:5.1f}%"

    out = [
        f"{total} samples of the server's busy time\n",
        "By layer (own time of the frame on top):",
    ]
    out += [f"  {pct(n)}  {name}" for name, n in layer_own.most_common()]
    out += ["", f"Top {top} functions by own time:"]
    out += [f"  {pct(n)}  {name}" for name, n in own.most_common(top)]
    out += ["", f"Top {top * 2} functions by time including callees:"]
    out += [f"  {pct(n)}  {name}" for name, n in inclusive.most_common(top * 2)]
    return "\n".join(out) + "\n"


def record_and_summarise(
    spy: str, server: Server, scenario: Scenario, args: argparse.Namespace, results: Path
) -> None:
    results.mkdir(parents=True, exist_ok=True)
    collapsed = results / f"profile-{scenario.name}.collapsed"
    summary = results / f"profile-{scenario.name}.txt"
    spec = {
        "host": server.host,
        "port": server.port,
        "duration": args.duration,
        "warmup": args.warmup,
        "concurrency": args.concurrency,
        "templates": scenario.templates,
        "expect": scenario.expect,
    }
    load = subprocess.Popen(
        [sys.executable, "-m", "bench.loadgen"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    assert load.stdin is not None
    load.stdin.write(json.dumps(spec).encode())
    load.stdin.close()
    time.sleep(args.warmup + 0.5)
    spied = subprocess.run(
        [
            spy,
            "record",
            "--pid",
            str(server.pid),
            "--duration",
            str(max(1, int(args.duration - 1))),
            "--rate",
            "250",
            "--format",
            "raw",
            "--output",
            str(collapsed),
        ],
        capture_output=True,
        text=True,
        timeout=args.duration + 60,
        check=False,
    )
    assert load.stdout is not None
    out = load.stdout.read()
    load.wait(timeout=args.duration + args.warmup + 120)
    if spied.returncode != 0:
        raise SystemExit(f"py-spy failed (it needs ptrace rights): {spied.stderr.strip()}")
    result = json.loads(out)
    head = (
        f"scenario {scenario.name} ({scenario.label}) under py-spy at 250 Hz:"
        f" {result['rps']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms,"
        f" errors {result['errors']} (throughput is lowered by the sampling)\n\n"
    )
    text = head + summarise(collapsed.read_text())
    summary.write_text(text)
    print(text)
    print(f"wrote {summary.relative_to(ROOT)} and {collapsed.relative_to(ROOT)}")
